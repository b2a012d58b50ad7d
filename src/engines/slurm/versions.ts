/**
 * Which OpenAPI version of slurmrestd to speak: the newest one that both the daemon serves and this engine maps.
 * Each supported version has its own module (v0038.ts, ...), so adding v0.0.39-0.0.41 is an addition.
 */
import { SlurmRestError } from './client.ts';
import type { SlurmClient } from './client.ts';

/** Versions this engine has a mapping for, oldest first. */
export const SUPPORTED_VERSIONS = ['0.0.38'] as const;
export type SupportedVersion = (typeof SUPPORTED_VERSIONS)[number];

function parts(version: string): number[] {
  return version
    .replace(/^v/, '')
    .split('.')
    .map((p) => Number(p));
}

/** Orders "0.0.38" < "0.0.39" < "0.0.40" (numerically, not as strings). */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The controller API versions named by an OpenAPI document's paths ("/slurm/v0.0.38/ping" gives "0.0.38"). */
export function servedVersionsFromPaths(paths: Iterable<string>): string[] {
  const found = new Set<string>();
  for (const path of paths) {
    const match = /^\/slurm\/v(\d+\.\d+\.\d+)\//.exec(path);
    if (match?.[1]) found.add(match[1]);
  }
  return [...found].sort(compareVersions);
}

/** The newest version both served and supported, or null when they share none. */
export function pickVersion(
  served: readonly string[],
  supported: readonly string[] = SUPPORTED_VERSIONS,
): string | null {
  const common = served.map((v) => v.replace(/^v/, '')).filter((v) => supported.includes(v));
  common.sort(compareVersions);
  return common.at(-1) ?? null;
}

/**
 * Asks the daemon: pings each supported version, newest first (an unknown version answers 404). When none
 * answers, reads /openapi/v3 to say which versions the daemon does serve.
 */
export async function detectVersion(client: SlurmClient): Promise<SupportedVersion> {
  const newestFirst = [...SUPPORTED_VERSIONS].sort(compareVersions).reverse();
  for (const version of newestFirst) {
    try {
      const response = await client.request('GET', `/slurm/v${version}/ping`);
      if (response.status !== 404) return version;
    } catch (error) {
      if (error instanceof SlurmRestError && error.status === 404) continue;
      throw error;
    }
  }
  let served: string[] = [];
  try {
    const doc = await client.request<{ paths?: Record<string, unknown> }>('GET', '/openapi/v3');
    served = servedVersionsFromPaths(Object.keys(doc.data.paths ?? {}));
  } catch {
    // Only for the message.
  }
  throw new Error(
    `slurm cluster ${client.label}: slurmrestd serves ${served.length ? `OpenAPI ${served.map((v) => `v${v}`).join(', ')}` : 'no known OpenAPI version'}; this engine supports ${SUPPORTED_VERSIONS.map((v) => `v${v}`).join(', ')}`,
  );
}

/** Server configuration: defaults, then an optional YAML file, then SUANLI_* environment variables; validated. */
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { applyPolicyOverride, type PolicyConfig } from '../core/scheduler/index.ts';

export const ServerConfigSchema = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    dataDir: Type.String({ default: '.data', description: 'PGlite data, engine work folders, demo tokens' }),
    databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'Use a PostgreSQL server' })),
    demo: Type.Boolean({ default: false }),
    loop: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        intervalMs: Type.Integer({ minimum: 10, default: 1000 }),
        leaseTtlMs: Type.Integer({ minimum: 100, default: 15000 }),
        inventoryEveryMs: Type.Integer({ minimum: 100, default: 30000 }),
        unhealthyAfter: Type.Integer({ minimum: 1, default: 3 }),
        dispatchConcurrency: Type.Integer({
          minimum: 1,
          maximum: 64,
          default: 2,
          description: 'Submits in flight at once per member cluster; raise it for a slurmrestd far away',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    logLevel: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], {
      default: 'info',
    }),
    policy: Type.Optional(
      Type.Unknown({
        description:
          'The scheduling policy: a partial PolicyConfig deep-merged over DEFAULT_POLICY (docs/scheduling.md); checked on its own',
      }),
    ),
  },
  { additionalProperties: false },
);
/** As loaded: `policy` is the merged, validated policy the control loop and the overview use. */
export type ServerConfig = Omit<Static<typeof ServerConfigSchema>, 'policy'> & { policy: PolicyConfig };

const ENV: Array<[string, (c: Record<string, unknown>, v: string) => void]> = [
  ['SUANLI_HOST', (c, v) => (c.host = v)],
  ['SUANLI_PORT', (c, v) => (c.port = Number(v))],
  ['SUANLI_DATA', (c, v) => (c.dataDir = v)],
  ['SUANLI_DATABASE_URL', (c, v) => (c.databaseUrl = v)],
  ['SUANLI_LOG_LEVEL', (c, v) => (c.logLevel = v)],
  ['SUANLI_LOOP', (c, v) => (c.loop = { ...(c.loop as object | undefined), enabled: !/^(off|false|0|no)$/i.test(v) })],
];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(options: {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  overrides?: Partial<ServerConfig>;
}): ServerConfig {
  let raw: Record<string, unknown> = {};
  if (options.file) {
    try {
      raw = (parseYaml(readFileSync(options.file, 'utf8')) as Record<string, unknown> | null) ?? {};
    } catch (error) {
      throw new ConfigError(`${options.file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  for (const [name, apply] of ENV) {
    const value = options.env?.[name];
    if (value) apply(raw, value);
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) if (value !== undefined) raw[key] = value;
  const config = Value.Default(ServerConfigSchema, structuredClone(raw));
  const problems = [...Value.Errors(ServerConfigSchema, config)].map(
    (e) => `${e.path.slice(1).replace(/\//g, '.') || '(root)'}: ${e.message}`,
  );
  const policy = applyPolicyOverride((config as { policy?: unknown }).policy);
  if (!policy.ok) problems.push(...policy.errors.map((e) => `${e.field}: ${e.message}`));
  if (!policy.ok || problems.length) {
    const where = options.file ? `${options.file}: ` : '';
    throw new ConfigError(`${where}invalid configuration: ${problems.join('; ')}`);
  }
  return { ...(config as Omit<ServerConfig, 'policy'>), policy: policy.config };
}

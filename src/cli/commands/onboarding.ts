/** What the onboarding commands (providers, tenants, projects, users, tokens) share. */
import { InvalidArgumentError } from 'commander';
import type { ApiClient } from '../client.ts';
import { CliError } from '../errors.ts';
import type { Whoami } from '../types.ts';

/** `--region a --region b` or `--region a,b`: each value adds to the list. */
export function collectRegions(value: string, previous: string[] = []): string[] {
  const regions = value
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  if (regions.length === 0) throw new InvalidArgumentError('must name a region, e.g. anhui');
  return [...previous, ...regions];
}

/**
 * A percentage with at most two decimals as basis points ("12.5" → 1250, "100" → 10000), by string surgery
 * on the digits so that no binary fraction is involved.
 */
export function percentToBasisPoints(value: string): number {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(value.trim());
  const whole = m?.[1]?.replace(/^0+(?=\d)/, '');
  if (m === null || whole === undefined || whole.length > 3)
    throw new InvalidArgumentError('must be a percentage from 0 to 100 with at most two decimals, e.g. 12.5');
  const basisPoints = Number(whole) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  if (basisPoints > 10_000)
    throw new InvalidArgumentError('must be a percentage from 0 to 100 with at most two decimals, e.g. 12.5');
  return basisPoints;
}

/** 1250 → "12.5%", 10000 → "100%", 5 → "0.05%". */
export function basisPointsAsPercent(basisPoints: number): string {
  if (!Number.isSafeInteger(basisPoints) || basisPoints < 0) return `${basisPoints} bp`;
  const digits = String(basisPoints).padStart(3, '0');
  const fraction = digits.slice(-2).replace(/0+$/, '');
  return `${digits.slice(0, -2)}${fraction === '' ? '' : `.${fraction}`}%`;
}

export function orDash(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : value;
}

export function listOrDash(values: readonly string[]): string {
  return values.length === 0 ? '-' : values.join(',');
}

/** The caller's tenant, for commands whose --tenant defaults to it; a usage error if the caller has none. */
export async function callerTenant(client: ApiClient): Promise<string> {
  const { body: me } = await client.json<Whoami>('GET', '/whoami');
  if (me.tenantId === null) throw new CliError(`${me.name} (${me.role}) belongs to no tenant: give --tenant ID`, 2);
  return me.tenantId;
}

export function segment(id: string): string {
  return encodeURIComponent(id);
}

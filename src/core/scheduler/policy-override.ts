/**
 * An operator's policy override: a partial PolicyConfig (the `policy:` section of the server's configuration file, or
 * the simulator's `--policy FILE`) deep-merged over a base (DEFAULT_POLICY) and validated as a whole. Mappings merge
 * key by key; lists and scalars replace. Every problem is named by its field path ("policy.reserved.startup.basisPoints:
 * must be between 0 and 10000"), so a bad file is refused with words an operator can act on. Pure: the callers read
 * the file.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { valueErrorText } from '../schema-errors.ts';
import { PRIORITY_CLASSES, TENANT_CATEGORIES } from '../domain.ts';
import { DEFAULT_POLICY, type PolicyConfig } from './policy-config.ts';

export interface PolicyFieldError {
  /** Dotted path from the section's name, e.g. `policy.preemption.graceSeconds`. */
  field: string;
  message: string;
}

export type PolicyOverrideResult = { ok: true; config: PolicyConfig } | { ok: false; errors: PolicyFieldError[] };

const BASIS_POINTS = { minimum: 0, maximum: 10_000 };
const Num = (options: { minimum?: number; maximum?: number; exclusiveMinimum?: number } = { minimum: 0 }) =>
  Type.Number(options);
const Seconds = () => Type.Integer({ minimum: 0 });
const Strict = { additionalProperties: false };
const Class = Type.Union(PRIORITY_CLASSES.map((c) => Type.Literal(c)));
const byName = <T extends TSchema>(names: readonly string[], value: T, required: boolean) =>
  Type.Object(Object.fromEntries(names.map((n) => [n, required ? value : Type.Optional(value)])), Strict);
const Quota = Type.Object({ concurrentP: Type.Optional(Num()), monthlyPh: Type.Optional(Num()) }, Strict);

/** The whole PolicyConfig, as the merged result must be. */
export const PolicyConfigSchema = Type.Object(
  {
    priority: Type.Object(
      {
        base: byName(PRIORITY_CLASSES, Type.Number(), true),
        agingPointsPerHour: Num(),
        maxAgingPoints: Type.Union([Num(), Type.Null()]),
        bandPoints: Num({ exclusiveMinimum: 0 }),
      },
      Strict,
    ),
    reserved: byName(
      TENANT_CATEGORIES,
      Type.Object(
        {
          p: Type.Optional(Num()),
          basisPoints: Type.Optional(Type.Integer(BASIS_POINTS)),
          lendingLimitBasisPoints: Type.Integer(BASIS_POINTS),
        },
        Strict,
      ),
      false,
    ),
    domesticFloorBasisPoints: Type.Integer(BASIS_POINTS),
    quotas: Type.Object(
      { defaultTenant: Quota, tenants: Type.Record(Type.String(), Quota), projects: Type.Record(Type.String(), Quota) },
      Strict,
    ),
    fairShare: Type.Object(
      {
        enabled: Type.Boolean(),
        weights: Type.Record(Type.String(), Num({ exclusiveMinimum: 0 })),
        defaultWeight: Num({ exclusiveMinimum: 0 }),
        halfLifeHours: Num({ exclusiveMinimum: 0 }),
      },
      Strict,
    ),
    scoring: Type.Object(
      {
        priceWeight: Num(),
        regionWeight: Num(),
        greenWeight: Num(),
        fragmentationWeight: Num(),
        preferredRegions: Type.Array(Type.String()),
      },
      Strict,
    ),
    preemption: Type.Object(
      {
        enabled: Type.Boolean(),
        graceSeconds: Seconds(),
        mayPreempt: byName(PRIORITY_CLASSES, Type.Array(Class), false),
        reclaimMayPreempt: Type.Array(Class),
        maxJobsPerCycle: Type.Integer({ minimum: 0 }),
        maxPPerCycle: Num(),
        minRuntimeSeconds: Seconds(),
        holdSeconds: Seconds(),
      },
      Strict,
    ),
    backfill: Type.Object({ enabled: Type.Boolean(), unknownRuntimeSeconds: Seconds() }, Strict),
  },
  Strict,
);

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Mappings merge key by key (recursively); anything else in `override` replaces what `base` has. */
export function mergeOverride(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isMapping(base) || !isMapping(override)) return override;
  const out: Record<string, unknown> = {};
  for (const [key, value] of [...Object.entries(base), ...Object.entries(override)]) {
    const merged =
      Object.hasOwn(override, key) && Object.hasOwn(base, key) ? mergeOverride(base[key], override[key]) : value;
    // defineProperty: a key named __proto__ stays a plain (unknown) field instead of replacing the prototype.
    Object.defineProperty(out, key, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function message(e: ValueError): string {
  const said = valueErrorText(e);
  if (e.type !== ValueErrorType.Union || said !== 'has the wrong type') return said;
  const options = (e.schema['anyOf'] as TSchema[] | undefined) ?? [];
  return options.some((o) => o['type'] === 'null') ? 'must be a number or null' : said;
}

/**
 * Merges `override` (a partial PolicyConfig, as parsed from YAML or JSON; null or absent = none) over `base` and
 * validates the result. Field paths in errors start with `prefix`.
 */
export function applyPolicyOverride(
  override: unknown,
  base: PolicyConfig = DEFAULT_POLICY,
  prefix = 'policy',
): PolicyOverrideResult {
  if (override === undefined || override === null) return { ok: true, config: base };
  if (!isMapping(override)) return { ok: false, errors: [{ field: prefix, message: 'must be a mapping' }] };
  const merged = mergeOverride(base, override);
  const errors: PolicyFieldError[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(PolicyConfigSchema, merged)) {
    const field = [
      prefix,
      ...e.path
        .split('/')
        .slice(1)
        .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')),
    ].join('.');
    // TypeBox may report one field twice (a union, then its members): the first word per field is kept.
    if (seen.has(field)) continue;
    seen.add(field);
    errors.push({ field, message: message(e) });
  }
  if (errors.length > 0) return { ok: false, errors };
  const config = merged as PolicyConfig;
  const reservedBp = Object.values(config.reserved).reduce(
    (s, r) => s + (r?.p === undefined ? (r?.basisPoints ?? 0) : 0),
    0,
  );
  if (reservedBp > 10_000)
    errors.push({
      field: `${prefix}.reserved`,
      message: `the shares add up to ${reservedBp} basis points of capacity; at most 10000`,
    });
  for (const [category, share] of Object.entries(config.reserved))
    if (share !== undefined && share.p === undefined && share.basisPoints === undefined)
      errors.push({ field: `${prefix}.reserved.${category}`, message: 'needs p or basisPoints' });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}

/** "policy.x: problem; policy.y: problem", for one line of an error message. */
export function formatPolicyErrors(errors: readonly PolicyFieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}

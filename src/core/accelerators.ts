/**
 * The accelerator catalogue: typed, validated access to `data/accelerators.json`.
 *
 * Every figure in the catalogue is the dense FP16/BF16 tensor throughput (no structured sparsity) of one
 * accelerator as its vendor sells it (one card or module), with a citation. See docs/accelerators.md for the
 * sources and for which figures are secondary or uncertain.
 *
 * Pure: no I/O, no clock. The JSON is validated once, when this module loads; a malformed catalogue is a
 * programming error and throws at import time.
 */
import catalogue from './data/accelerators.json' with { type: 'json' };

export interface AcceleratorSpec {
  /** Canonical id used everywhere in the platform, e.g. "H100-SXM", "Ascend-910B". */
  model: string;
  /** "NVIDIA", "Huawei", "Cambricon", "Hygon". */
  vendor: string;
  /** Memory per accelerator, as the vendor states it (HBM/GDDR capacity). */
  memoryGiB: number;
  /** Dense FP16/BF16 tensor TFLOPS without sparsity; at most 3 decimals so that TFLOPS × 1000 is an integer. */
  denseFp16Tflops: number;
  /** Chinese-made (信创/国产) accelerator. */
  domestic: boolean;
  /** Other spellings (lower-case): Slurm GRES types, nvidia-smi / npu-smi names, trace labels. */
  aliases: string[];
  source: { title: string; url: string; note?: string };
}

/** The vendors the catalogue may name. */
export const ACCELERATOR_VENDORS = ['NVIDIA', 'Huawei', 'Cambricon', 'Hygon'] as const;

/** TFLOPS as a decimal literal with at most 3 decimals, e.g. 312, 989.5, 353.894. */
const TFLOPS_PATTERN = /^(0|[1-9]\d*)(\.\d{1,3})?$/;

/**
 * The lookup key of a name: lower-case, trimmed, with runs of '_', '-' and white space folded to one '-'.
 * "NVIDIA A100-SXM4-80GB", "nvidia_a100_sxm4_80gb" and "nvidia-a100-sxm4-80gb" share a key.
 */
export function normaliseAcceleratorName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(index: number, model: unknown, problem: string): never {
  const label = typeof model === 'string' && model !== '' ? `"${model}"` : `#${index}`;
  throw new Error(`accelerator catalogue: entry ${label}: ${problem}`);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '' && value === value.trim();
}

function validateEntry(raw: unknown, index: number): AcceleratorSpec {
  if (!isRecord(raw)) fail(index, undefined, 'is not an object');
  const { model, vendor, memoryGiB, denseFp16Tflops, domestic, aliases, source } = raw;
  if (!nonEmptyString(model)) fail(index, model, '`model` must be a non-empty string without outer white space');
  if (!nonEmptyString(vendor) || !(ACCELERATOR_VENDORS as readonly string[]).includes(vendor)) {
    fail(index, model, `\`vendor\` must be one of ${ACCELERATOR_VENDORS.join(', ')}`);
  }
  if (typeof memoryGiB !== 'number' || !Number.isFinite(memoryGiB) || memoryGiB <= 0) {
    fail(index, model, '`memoryGiB` must be a positive number');
  }
  if (
    typeof denseFp16Tflops !== 'number' ||
    !Number.isFinite(denseFp16Tflops) ||
    denseFp16Tflops <= 0 ||
    !TFLOPS_PATTERN.test(String(denseFp16Tflops))
  ) {
    fail(index, model, '`denseFp16Tflops` must be a positive decimal number with at most 3 decimals');
  }
  if (typeof domestic !== 'boolean') fail(index, model, '`domestic` must be a boolean');
  if (!Array.isArray(aliases)) fail(index, model, '`aliases` must be an array of strings');
  const aliasList: string[] = [];
  for (const alias of aliases as unknown[]) {
    if (!nonEmptyString(alias) || alias !== alias.toLowerCase()) {
      fail(index, model, `alias ${JSON.stringify(alias)} must be a non-empty lower-case string`);
    }
    aliasList.push(alias);
  }
  if (!isRecord(source)) fail(index, model, '`source` must be an object {title, url, note?}');
  const { title, url, note } = source;
  if (!nonEmptyString(title)) fail(index, model, '`source.title` must be a non-empty string');
  if (typeof url !== 'string' || !/^https?:\/\/\S+$/.test(url)) {
    fail(index, model, '`source.url` must be an http(s) URL');
  }
  if (note !== undefined && !nonEmptyString(note)) fail(index, model, '`source.note` must be a non-empty string');
  const extra = Object.keys(raw).filter(
    (key) => !['model', 'vendor', 'memoryGiB', 'denseFp16Tflops', 'domestic', 'aliases', 'source'].includes(key),
  );
  if (extra.length > 0) fail(index, model, `unknown field(s) ${extra.join(', ')}`);

  return {
    model,
    vendor,
    memoryGiB,
    denseFp16Tflops,
    domestic,
    aliases: aliasList,
    source: note === undefined ? { title, url } : { title, url, note },
  };
}

/**
 * Validate a raw catalogue (the parsed JSON) and return it typed. Throws an Error naming the entry and the problem
 * for a malformed entry, for an alias repeated within an entry, and for a model or alias whose lookup key (see
 * {@link normaliseAcceleratorName}) already names another model. An alias equal to its own model id is allowed.
 */
export function validateCatalogue(raw: unknown): AcceleratorSpec[] {
  if (!Array.isArray(raw)) throw new Error('accelerator catalogue: the top level must be an array');
  const specs = raw.map((entry: unknown, index) => validateEntry(entry, index));
  const owner = new Map<string, string>();
  for (const spec of specs) {
    // An alias may repeat its own model id (e.g. the Slurm GRES type "k100" for K100), but not another alias.
    const ownKeys = new Set<string>();
    for (const alias of spec.aliases) {
      const key = normaliseAcceleratorName(alias);
      if (ownKeys.has(key)) {
        throw new Error(`accelerator catalogue: entry "${spec.model}": alias "${alias}" repeats another alias`);
      }
      ownKeys.add(key);
    }
    ownKeys.add(normaliseAcceleratorName(spec.model));
    for (const key of ownKeys) {
      const previous = owner.get(key);
      if (previous !== undefined) {
        throw new Error(
          `accelerator catalogue: duplicate model or alias "${key}" in "${spec.model}" (already names "${previous}")`,
        );
      }
      owner.set(key, spec.model);
    }
  }
  return specs;
}

function freeze(spec: AcceleratorSpec): AcceleratorSpec {
  Object.freeze(spec.aliases);
  Object.freeze(spec.source);
  return Object.freeze(spec);
}

/** The catalogue, in file order. Frozen. */
export const ACCELERATORS: readonly AcceleratorSpec[] = Object.freeze(validateCatalogue(catalogue).map(freeze));

const BY_KEY: ReadonlyMap<string, AcceleratorSpec> = new Map(
  ACCELERATORS.flatMap((spec) =>
    [spec.model, ...spec.aliases].map((name) => [normaliseAcceleratorName(name), spec] as const),
  ),
);

/**
 * Find an accelerator by its model id or any alias. Case-insensitive; '_', '-' and white space are interchangeable
 * ("h100_sxm", "H100 SXM" and "h100-sxm" all find H100-SXM). Returns undefined for an unknown name.
 */
export function findAccelerator(nameOrAlias: string): AcceleratorSpec | undefined {
  return BY_KEY.get(normaliseAcceleratorName(nameOrAlias));
}

/** Like {@link findAccelerator}, but throws an Error naming the unknown model and listing the known ones. */
export function requireAccelerator(nameOrAlias: string): AcceleratorSpec {
  const spec = findAccelerator(nameOrAlias);
  if (spec === undefined) {
    throw new Error(
      `unknown accelerator model "${nameOrAlias}"; known models: ${ACCELERATORS.map((s) => s.model).join(', ')}`,
    );
  }
  return spec;
}

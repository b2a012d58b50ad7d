import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ACCELERATORS,
  ACCELERATOR_VENDORS,
  findAccelerator,
  normaliseAcceleratorName,
  requireAccelerator,
  validateCatalogue,
} from '../../src/core/accelerators.ts';
import type { AcceleratorSpec } from '../../src/core/accelerators.ts';

const REQUIRED_MODELS = [
  'A100-80GB',
  'H100-SXM',
  'H800',
  'H20',
  'L40S',
  'RTX-4090',
  'Ascend-910B',
  'MLU370-X8',
  'MLU590',
  'K100',
  'H100-PCIe',
  'A800-80GB',
  'V100-32GB',
  'V100-16GB',
  'P100',
  'T4',
  'A10',
];

function validEntry(overrides: Partial<AcceleratorSpec> = {}): AcceleratorSpec {
  return {
    model: 'X-1',
    vendor: 'NVIDIA',
    memoryGiB: 16,
    denseFp16Tflops: 10.5,
    domestic: false,
    aliases: ['x1'],
    source: { title: 'X datasheet', url: 'https://example.com/x.pdf' },
    ...overrides,
  };
}

describe('accelerator catalogue', () => {
  it('has every model the platform and the trace mapping need', () => {
    const models = ACCELERATORS.map((s) => s.model);
    for (const model of REQUIRED_MODELS) expect(models).toContain(model);
  });

  it('keeps the cited figures (guards against accidental edits)', () => {
    const figures = Object.fromEntries(ACCELERATORS.map((s) => [s.model, [s.denseFp16Tflops, s.memoryGiB]]));
    expect(figures).toMatchObject({
      'A100-80GB': [312, 80],
      'A800-80GB': [312, 80],
      'H100-SXM': [989.5, 80],
      'H100-PCIe': [756.5, 80],
      H800: [989.5, 80],
      H20: [148, 96],
      L40S: [362.05, 48],
      'RTX-4090': [165.2, 24],
      'V100-32GB': [125, 32],
      'V100-16GB': [125, 16],
      P100: [18.7, 16],
      T4: [65, 16],
      A10: [125, 24],
      'Ascend-910B': [353.894, 64],
      'MLU370-X8': [96, 48],
      K100: [100, 64],
      'K100-AI': [196, 64],
    });
  });

  it('has well-formed entries: positive figures with at most 3 decimals, lower-case aliases, a cited source', () => {
    for (const spec of ACCELERATORS) {
      expect(ACCELERATOR_VENDORS).toContain(spec.vendor);
      expect(String(spec.denseFp16Tflops)).toMatch(/^[1-9]\d*(\.\d{1,3})?$/);
      expect(spec.memoryGiB).toBeGreaterThan(0);
      for (const alias of spec.aliases) expect(alias).toBe(alias.toLowerCase());
      expect(spec.source.url).toMatch(/^https?:\/\//);
      expect(spec.source.title.length).toBeGreaterThan(0);
    }
  });

  it('marks exactly the Chinese vendors as domestic', () => {
    for (const spec of ACCELERATORS) expect(spec.domestic).toBe(spec.vendor !== 'NVIDIA');
  });

  it('is frozen', () => {
    expect(Object.isFrozen(ACCELERATORS)).toBe(true);
    const first = ACCELERATORS[0]!;
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.aliases)).toBe(true);
  });

  it('has no lookup key that names two models', () => {
    const keys = ACCELERATORS.flatMap((s) => [...new Set([s.model, ...s.aliases].map(normaliseAcceleratorName))]);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('findAccelerator', () => {
  it('finds every model by its id and every alias', () => {
    for (const spec of ACCELERATORS) {
      expect(findAccelerator(spec.model)).toBe(spec);
      for (const alias of spec.aliases) expect(findAccelerator(alias)).toBe(spec);
    }
  });

  it.each([
    ['a100', 'A100-80GB'],
    ['A100-SXM4-80GB', 'A100-80GB'],
    ['NVIDIA A100-SXM4-80GB', 'A100-80GB'],
    ['NVIDIA A100 80GB PCIe', 'A100-80GB'],
    ['h100', 'H100-SXM'],
    ['NVIDIA H100 80GB HBM3', 'H100-SXM'],
    ['h100_sxm', 'H100-SXM'],
    ['H100 SXM', 'H100-SXM'],
    ['  h100-sxm  ', 'H100-SXM'],
    ['H100__SXM', 'H100-SXM'],
    ['h100-pcie', 'H100-PCIe'],
    ['910b', 'Ascend-910B'],
    ['Ascend910B', 'Ascend-910B'],
    ['ascend_910b', 'Ascend-910B'],
    ['Ascend910B3', 'Ascend-910B3'],
    ['mlu370', 'MLU370-X8'],
    ['MLU370_X8', 'MLU370-X8'],
    ['k100', 'K100'],
    ['K100_AI', 'K100-AI'],
    ['V100', 'V100-16GB'],
    ['V100M32', 'V100-32GB'],
    ['rtx4090', 'RTX-4090'],
    ['GeForce RTX 4090', 'RTX-4090'],
  ])('finds %j as %s', (name, model) => {
    expect(findAccelerator(name)?.model).toBe(model);
  });

  it('returns undefined for unknown names', () => {
    expect(findAccelerator('B200')).toBeUndefined();
    expect(findAccelerator('')).toBeUndefined();
    expect(findAccelerator('h100-sxm-9000')).toBeUndefined();
  });

  it('is insensitive to case and to the choice of separator (property)', () => {
    const names = ACCELERATORS.flatMap((s) => [s.model, ...s.aliases]);
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
        fc.constantFrom('-', '_', ' ', ' _ ', '--'),
        (name, upper, separator) => {
          const variant = [...name]
            .map((ch, i) => (upper[i % upper.length] ? ch.toUpperCase() : ch.toLowerCase()))
            .join('')
            .replace(/[-_\s]/g, separator);
          expect(findAccelerator(variant)).toBe(findAccelerator(name));
        },
      ),
    );
  });
});

describe('requireAccelerator', () => {
  it('returns the spec for a known name', () => {
    expect(requireAccelerator('L40S').denseFp16Tflops).toBe(362.05);
  });

  it('throws naming the unknown model and listing the known ones', () => {
    expect(() => requireAccelerator('B200')).toThrowError(/unknown accelerator model "B200"/);
    expect(() => requireAccelerator('B200')).toThrowError(/known models: .*A100-80GB.*H100-SXM.*Ascend-910B/);
  });
});

describe('validateCatalogue', () => {
  it('accepts an alias equal to its own model id', () => {
    expect(validateCatalogue([validEntry({ aliases: ['x-1', 'x1'] })])).toHaveLength(1);
  });

  it('accepts a valid catalogue and the shipped one', () => {
    expect(validateCatalogue([validEntry()])).toEqual([validEntry()]);
    expect(validateCatalogue(ACCELERATORS.map((s) => structuredClone({ ...s })))).toHaveLength(ACCELERATORS.length);
  });

  it.each<[string, unknown, RegExp]>([
    ['a non-array', { model: 'x' }, /top level must be an array/],
    ['a non-object entry', [42], /entry #0: is not an object/],
    ['an empty model', [validEntry({ model: '' })], /`model`/],
    ['an unknown vendor', [validEntry({ vendor: 'Intel' })], /"X-1".*`vendor`/],
    ['zero memory', [validEntry({ memoryGiB: 0 })], /`memoryGiB`/],
    ['4 decimals of TFLOPS', [validEntry({ denseFp16Tflops: 1.2345 })], /at most 3 decimals/],
    ['negative TFLOPS', [validEntry({ denseFp16Tflops: -1 })], /`denseFp16Tflops`/],
    ['a non-boolean domestic', [{ ...validEntry(), domestic: 'yes' }], /`domestic`/],
    ['an upper-case alias', [validEntry({ aliases: ['X1'] })], /lower-case/],
    ['a non-array aliases', [{ ...validEntry(), aliases: 'x1' }], /`aliases`/],
    ['a missing source', [{ ...validEntry(), source: undefined }], /`source`/],
    ['a bad url', [validEntry({ source: { title: 't', url: 'ftp://x' } })], /`source.url`/],
    ['an unknown field', [{ ...validEntry(), sparse: true }], /unknown field\(s\) sparse/],
    ['a duplicate model', [validEntry(), validEntry({ aliases: [] })], /duplicate model or alias "x-1" in "X-1"/],
    ['a duplicate model up to case', [validEntry(), validEntry({ model: 'x-1', aliases: [] })], /duplicate/],
    [
      'an alias equal to another model up to separators',
      [validEntry(), validEntry({ model: 'Y-1', aliases: ['x_1'] })],
      /duplicate model or alias "x-1" in "Y-1" \(already names "X-1"\)/,
    ],
    [
      'an alias shared by two models',
      [validEntry({ aliases: ['gpu'] }), validEntry({ model: 'Y-1', aliases: ['gpu'] })],
      /duplicate model or alias "gpu" in "Y-1"/,
    ],
    [
      'an alias repeated within an entry',
      [validEntry({ aliases: ['x-2', 'x_2'] })],
      /alias "x_2" repeats another alias/,
    ],
  ])('rejects %s', (_what, raw, message) => {
    expect(() => validateCatalogue(raw)).toThrowError(message);
  });
});

/** The loader: the shipped files load cleanly; every kind of mistake is reported with its file, line, column and field. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatProgrammeError,
  loadProgrammes,
  parseProgrammeText,
  type ProgrammeError,
} from '../../../../src/core/money/programmes/load.ts';
import { PROGRAMMES_DIR, SHIPPED_FILES, shippedProgrammes } from './helpers.ts';

const ANHUI_2025 = readFileSync(join(PROGRAMMES_DIR, 'anhui-2025-compute.yaml'), 'utf8');
const ANHUI_2023 = readFileSync(join(PROGRAMMES_DIR, 'anhui-2023-compute.yaml'), 'utf8');

/** The 1-based line of the first line of `text` containing `needle`. */
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const errorsOf = (text: string, file = 'p.yaml'): ProgrammeError[] => {
  const r = parseProgrammeText(text, file);
  return r.ok ? [] : r.errors;
};

const MINIMAL = `apiVersion: suanli.io/v1
kind: SubsidyProgramme
metadata:
  id: test
  version: '1'
  series: test
  title: Test
  sources: [test]
spec:
  validFrom: 2026-01-01
  validTo: 2026-12-31
  payee: tenant
  rounding: down
  funders:
    - funder: province
      share: 50%
    - funder: city
      share: 50%
  rules:
    - id: r
      base: metered
      rate:
        ceiling: 20%
`;

describe('the shipped programmes', () => {
  it('all load together without a single error', () => {
    const programmes = shippedProgrammes();
    expect(programmes.map((p) => [p.kind, p.metadata.id, p.metadata.version])).toEqual([
      ['SubsidyProgramme', 'anhui-2023-compute', '1.0'],
      ['SubsidyProgramme', 'anhui-2025-compute', '2.0'],
      ['VoucherProgramme', 'jiangsu-2026-compute-voucher', '2026'],
    ]);
    expect(SHIPPED_FILES).toHaveLength(3);
  });

  it('2.0 alone names the programme it repeals as missing, at its line', () => {
    const { errors } = loadProgrammes([{ file: 'programmes/anhui-2025-compute.yaml', text: ANHUI_2025 }]);
    expect(errors.map(formatProgrammeError)).toEqual([
      `programmes/anhui-2025-compute.yaml:${lineOf(ANHUI_2025, 'programme: anhui-2023-compute')}:5: ` +
        'spec.supersedes.programme: repeals anhui-2023-compute, which is not among the programmes loaded',
    ]);
  });
});

describe('docs/programmes.md', () => {
  it('its example programme loads (beside the 1.0 it repeals)', () => {
    const doc = readFileSync(join(PROGRAMMES_DIR, '../docs/programmes.md'), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    expect(example).toContain('kind: SubsidyProgramme');
    const { errors, programmes } = loadProgrammes([
      { file: 'docs/programmes.md', text: example },
      { file: 'anhui-2023-compute.yaml', text: ANHUI_2023 },
    ]);
    expect(errors).toEqual([]);
    expect(programmes[0]?.kind === 'SubsidyProgramme' && programmes[0].rules.map((r) => r.rate.type)).toEqual([
      'fixed',
      'ceiling',
    ]);
  });
});

describe('errors name the file, line, column and field', () => {
  it('accepts the minimal programme', () => {
    expect(errorsOf(MINIMAL)).toEqual([]);
  });

  it('reports YAML syntax errors with their position', () => {
    const [e] = errorsOf('apiVersion: suanli.io/v1\nkind: [unclosed\n');
    expect(e?.file).toBe('p.yaml');
    expect(e?.line).toBeGreaterThanOrEqual(2);
    expect(e?.message).toMatch(/^YAML: /);
  });

  it('reports unknown fields, wrong types and missing fields, each at its own line', () => {
    const text = MINIMAL.replace('  rounding: down\n', '  roundng: down\n').replace("version: '1'", 'version: [1]');
    expect(errorsOf(text).map((e) => [e.line, e.column, e.path, e.message])).toEqual([
      [5, 3, 'metadata.version', 'must be a string'],
      // A missing field is reported at its parent's key.
      [9, 1, 'spec.rounding', 'is required'],
      [lineOf(text, 'roundng'), 3, 'spec.roundng', 'unknown field'],
    ]);
  });

  it('explains enumerations and patterns in words', () => {
    const text = MINIMAL.replace('payee: tenant', 'payee: city').replace('ceiling: 20%', 'ceiling: 0.2');
    expect(errorsOf(text).map((e) => `${e.line}:${e.path}: ${e.message}`)).toEqual([
      `${lineOf(text, 'payee')}:spec.payee: must be one of tenant, provider`,
      `${lineOf(text, 'ceiling')}:spec.rules[0].rate.ceiling: must be a string such as "20%" (quote it)`,
    ]);
  });

  it('reports dates that do not exist, windows in the wrong order, shares not summing to 100%, rates above 100%', () => {
    const text = MINIMAL.replace('validFrom: 2026-01-01', 'validFrom: 2026-02-30')
      .replace('share: 50%\n    - funder: city', 'share: 60%\n    - funder: city')
      .replace('ceiling: 20%', 'ceiling: 120%');
    expect(errorsOf(text).map(formatProgrammeError)).toEqual([
      `p.yaml:${lineOf(text, 'validFrom')}:3: spec.validFrom: 2026-02-30 is not a calendar date`,
      `p.yaml:${lineOf(text, 'funders:')}:3: spec.funders: funder shares sum to 60% + 50% = 110%, not 100%`,
      `p.yaml:${lineOf(text, 'ceiling')}:9: spec.rules[0].rate.ceiling: a rate cannot exceed 100%`,
    ]);
    const inverted = MINIMAL.replace('validTo: 2026-12-31', 'validTo: 2025-12-31');
    expect(errorsOf(inverted).map((e) => e.message)).toEqual([
      'the window ends (2025-12-31) before it starts (2026-01-01)',
    ]);
  });

  it('reports tier rates above their ceiling, a missing ceiling for added tiers, fixed with ceiling, bad factors', () => {
    const tiers = MINIMAL.replace(
      '        ceiling: 20%\n',
      `        ceiling: 20%
        tiers:
          - { id: a, when: { domestic: true }, rate: 25% }
          - { id: a, when: { domestic: false }, rate: 5% }
      multipliers:
        - { id: m, when: { projectRegions: [wanbei] }, factor: '0' }
`,
    );
    expect(errorsOf(tiers).map((e) => `${e.line}:${e.path}: ${e.message}`)).toEqual([
      `${lineOf(tiers, 'rate: 25%')}:spec.rules[0].rate.tiers[0].rate: rate 25% is above the ceiling 20%`,
      `${lineOf(tiers, 'rate: 5%')}:spec.rules[0].rate.tiers[1].id: tier a is defined twice`,
      `${lineOf(tiers, 'factor')}:spec.rules[0].multipliers[0].factor: factor 0 must be a positive decimal such as "1.2"`,
    ]);
    const sum = MINIMAL.replace(
      '        ceiling: 20%\n',
      '        combine: sum-up-to-ceiling\n        tiers: [{ id: a, when: {}, rate: 5% }]\n',
    );
    expect(errorsOf(sum).map((e) => e.message)).toEqual(['tiers that add up (sum-up-to-ceiling) need a ceiling']);
    const both = MINIMAL.replace('        ceiling: 20%\n', '        ceiling: 20%\n        fixed: 10%\n');
    expect(errorsOf(both).map((e) => e.message)).toEqual([
      'a fixed rate has no ceiling (use ceiling alone for an office-awarded rate)',
    ]);
    const none = MINIMAL.replace('        ceiling: 20%\n', '        {}\n').replace(
      '      rate:\n        {}',
      '      rate: {}',
    );
    expect(errorsOf(none).map((e) => e.message)).toEqual([
      'needs one of fixed, ceiling (the office awards the rate) or tiers',
    ]);
  });

  it('reports a repeal outside the own window and a programme repealing itself', () => {
    const text = MINIMAL.replace(
      '  payee: tenant\n',
      '  supersedes: { programme: test, from: 2025-06-01, commitmentsKeepTerms: true }\n  payee: tenant\n',
    );
    expect(errorsOf(text).map((e) => `${e.path}: ${e.message}`)).toEqual([
      'spec.supersedes.programme: a programme cannot repeal itself',
      "spec.supersedes.from: the repeal takes effect on 2025-06-01, outside this programme's own window 2026-01-01..2026-12-31",
    ]);
  });

  it('refuses a wrong apiVersion or kind', () => {
    expect(errorsOf(MINIMAL.replace('suanli.io/v1', 'suanli.io/v2')).map((e) => `${e.path}: ${e.message}`)).toEqual([
      'apiVersion: must be suanli.io/v1',
    ]);
    expect(errorsOf(MINIMAL.replace('SubsidyProgramme', 'Subsidy')).map((e) => e.message)).toEqual([
      'must be SubsidyProgramme or VoucherProgramme',
    ]);
  });
});

describe('voucher programmes', () => {
  const VOUCHER = readFileSync(join(PROGRAMMES_DIR, 'jiangsu-2026-compute-voucher.yaml'), 'utf8');

  it('reports a share of 0%, a face value of ¥0 and one above the yearly limit', () => {
    const text = VOUCHER.replace('maxShareOfCharge: 50%', 'maxShareOfCharge: 0%').replace(
      "faceValues: ['¥10,000.00', '¥50,000.00', '¥100,000.00']",
      "faceValues: ['¥0.00', '¥600,000.00']",
    );
    const line = lineOf(text, 'faceValues');
    expect(errorsOf(text).map((e) => `${e.line}:${e.path}: ${e.message}`)).toEqual([
      `${line}:spec.voucher.faceValues[0]: a face value must be above ¥0.00`,
      `${lineOf(text, 'maxShareOfCharge')}:spec.voucher.maxShareOfCharge: must be above 0% and at most 100%`,
      `${line}:spec.voucher.faceValues[1]: a face value above the per-tenant yearly limit could never be issued`,
    ]);
  });
});

describe('checks across files', () => {
  it('finds duplicate ids and two versions of one series in force on the same day', () => {
    const other = MINIMAL.replace('id: test', 'id: test-2').replace('validFrom: 2026-01-01', 'validFrom: 2026-06-01');
    const { errors, programmes } = loadProgrammes([
      { file: 'a.yaml', text: MINIMAL },
      { file: 'b.yaml', text: MINIMAL },
      { file: 'c.yaml', text: other },
    ]);
    expect(programmes).toEqual([]);
    expect(errors.map(formatProgrammeError)).toEqual([
      'b.yaml:4:3: metadata.id: programme test is also defined in a.yaml',
      'c.yaml:10:3: spec.validFrom: test-2 and test (series test) are both in force on 2026-06-01: end one, or repeal it (spec.supersedes)',
    ]);
  });

  it('accepts a newer version that repeals the older one from its first day', () => {
    const newer = MINIMAL.replace('id: test', 'id: test-2')
      .replace('validFrom: 2026-01-01', 'validFrom: 2026-06-01')
      .replace('validTo: 2026-12-31', 'validTo: 2027-12-31')
      .replace(
        '  payee: tenant\n',
        '  supersedes: { programme: test, from: 2026-06-01, commitmentsKeepTerms: true }\n  payee: tenant\n',
      );
    expect(
      loadProgrammes([
        { file: 'a.yaml', text: MINIMAL },
        { file: 'b.yaml', text: newer },
      ]).errors,
    ).toEqual([]);
  });

  it('refuses a non-stacking group whose programmes disagree on how to resolve', () => {
    const a = MINIMAL.replace(
      '  payee: tenant\n',
      '  stacking: { group: g, resolve: larger-award }\n  payee: tenant\n',
    );
    const b = a
      .replace('id: test', 'id: other')
      .replace('series: test', 'series: other')
      .replace('larger-award', 'precedence');
    expect(
      loadProgrammes([
        { file: 'a.yaml', text: a },
        { file: 'b.yaml', text: b },
      ]).errors.map((e) => e.message),
    ).toEqual(['group g resolves by larger-award in test, here by precedence']);
  });

  it('shifting 2.0 to start before the repeal date makes 1.0 and 2.0 overlap', () => {
    const early = ANHUI_2025.replace('validFrom: 2025-08-11', 'validFrom: 2025-08-01');
    const { errors } = loadProgrammes([
      { file: '1.yaml', text: ANHUI_2023 },
      { file: '2.yaml', text: early },
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      'anhui-2025-compute and anhui-2023-compute (series anhui-compute-use) are both in force on 2025-08-01: end one, or repeal it (spec.supersedes)',
    ]);
  });
});

/** `suanli programmes validate`: offline, every problem as file:line:column, exit 1 on any, one OK line per file. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from './helpers.ts';

const SHIPPED = join(import.meta.dirname, '../../programmes');
const shipped = (name: string): string => relative(process.cwd(), join(SHIPPED, name));

describe('suanli programmes validate', () => {
  it('prints one OK line per valid file and exits 0, with no server and no login', async () => {
    const files = ['anhui-2023-compute.yaml', 'anhui-2025-compute.yaml', 'jiangsu-2026-compute-voucher.yaml'];
    const r = await run(['programmes', 'validate', ...files.map(shipped)], {
      env: { SUANLI_URL: 'http://127.0.0.1:9' },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      `${shipped('anhui-2023-compute.yaml')}: OK SubsidyProgramme anhui-2023-compute 1.0, 2023-10-01..2025-12-31, paid by anhui-province 100%, 1 rule`,
      `${shipped('anhui-2025-compute.yaml')}: OK SubsidyProgramme anhui-2025-compute 2.0, 2025-08-11..2027-12-31, paid by anhui-province 100%, repeals anhui-2023-compute from 2025-08-11, 1 rule`,
      `${shipped('jiangsu-2026-compute-voucher.yaml')}: OK VoucherProgramme jiangsu-2026-compute-voucher 2026, 2026-01-01..2026-12-31, paid by jiangsu-locality 100%, face values ¥10,000.00/¥50,000.00/¥100,000.00, 365 days`,
      '',
    ]);
  });

  it('prints file:line:column: field: message for each problem and exits 1', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    // 2.0 with three mistakes of meaning (a date that does not exist, shares summing to 90%, a rate over 100%):
    // all three are reported in one pass.
    const text = readFileSync(join(SHIPPED, 'anhui-2025-compute.yaml'), 'utf8')
      .replace('ceiling: 20%', 'ceiling: 200%')
      .replace('share: 100%', 'share: 90%')
      .replace('validTo: 2027-12-31', 'validTo: 2027-02-29');
    writeFileSync(bad, text);
    const line = (needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    const name = relative(process.cwd(), bad);
    const r = await run(['programmes', 'validate', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      `${name}:${line('validTo:')}:3: spec.validTo: 2027-02-29 is not a calendar date`,
      `${name}:${line('funders:')}:3: spec.funders: the only funder share is 90%, not 100%`,
      `${name}:${line('ceiling: 200%')}:9: spec.rules[0].rate.ceiling: a rate cannot exceed 100%`,
      'suanli: 3 problems in 1 of 1 file',
      '',
    ]);
  });

  it('checks files together: a good file still gets its OK line beside one with a problem', async () => {
    const dir = tempDir();
    const typo = join(dir, 'typo.yaml');
    writeFileSync(
      typo,
      readFileSync(join(SHIPPED, 'jiangsu-2026-compute-voucher.yaml'), 'utf8').replace('validityDays:', 'validityDay:'),
    );
    const r = await run([
      'programmes',
      'validate',
      shipped('anhui-2023-compute.yaml'),
      typo,
      join(dir, 'missing.yaml'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^programmes\/anhui-2023-compute\.yaml: OK SubsidyProgramme anhui-2023-compute 1\.0/);
    const errors = r.stderr.split('\n');
    expect(errors[0]).toBe(`${relative(process.cwd(), join(dir, 'missing.yaml'))}:1:1: cannot read: no such file`);
    const typoText = readFileSync(typo, 'utf8').split('\n');
    const typoLine = (needle: string): number => typoText.findIndex((l) => l.includes(needle)) + 1;
    const typoName = relative(process.cwd(), typo);
    expect(errors.slice(1, 3)).toEqual([
      // A missing field is reported at its parent's key; the misspelt one at its own.
      `${typoName}:${typoLine('voucher:')}:3: spec.voucher.validityDays: is required`,
      `${typoName}:${typoLine('validityDay:')}:5: spec.voucher.validityDay: unknown field`,
    ]);
    expect(r.stderr).toMatch(/suanli: 3 problems in 2 of 3 files\n$/);
  });

  it('needs at least one file', async () => {
    const r = await run(['programmes', 'validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing required argument 'files'/);
  });
});

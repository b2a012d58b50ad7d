/**
 * The `policy:` section of `suanli server --config`: a partial override deep-merged over DEFAULT_POLICY, refused
 * with the file, the field and the problem when it is wrong.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, applyPolicyOverride } from '../../src/core/scheduler/index.ts';
import { ConfigError, loadConfig } from '../../src/server/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'suanli-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const refusal = (path: string): string => {
  try {
    loadConfig({ file: path, env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
};

describe('the policy section of the server configuration', () => {
  it('is DEFAULT_POLICY when absent', () => {
    expect(loadConfig({ env: {} }).policy).toEqual(DEFAULT_POLICY);
    expect(loadConfig({ file: file('empty.yaml', 'policy:\n'), env: {} }).policy).toEqual(DEFAULT_POLICY);
  });

  it('deep-merges an override: mappings key by key, lists and numbers replaced', () => {
    const path = file(
      'good.yaml',
      [
        'port: 9090',
        'policy:',
        '  reserved:',
        '    startup: { basisPoints: 1500 }',
        '  preemption:',
        '    graceSeconds: 120',
        '    reclaimMayPreempt: [best-effort]',
        '  quotas:',
        '    tenants:',
        '      qiming-ai: { concurrentP: 8 }',
        '',
      ].join('\n'),
    );
    const { policy, port } = loadConfig({ file: path, env: {} });
    expect(port).toBe(9090);
    expect(policy.reserved.startup).toEqual({ basisPoints: 1500, lendingLimitBasisPoints: 10_000 });
    expect(policy.reserved.university).toEqual(DEFAULT_POLICY.reserved.university);
    expect(policy.preemption).toEqual({
      ...DEFAULT_POLICY.preemption,
      graceSeconds: 120,
      reclaimMayPreempt: ['best-effort'],
    });
    expect(policy.quotas.tenants).toEqual({ 'qiming-ai': { concurrentP: 8 } });
    expect(policy.priority).toEqual(DEFAULT_POLICY.priority);
    // The defaults themselves are untouched.
    expect(DEFAULT_POLICY.reserved.startup?.basisPoints).toBe(500);
  });

  it('reads the example file', () => {
    const { policy } = loadConfig({ file: join(import.meta.dirname, '../../examples/policy.yaml'), env: {} });
    expect(policy.preemption.graceSeconds).toBe(1200);
    expect(policy.reserved.startup).toEqual({ basisPoints: 1000, lendingLimitBasisPoints: 5000 });
  });

  it('refuses a bad policy, naming the file, the field and the problem', () => {
    const path = file(
      'bad.yaml',
      [
        'policy:',
        '  reserved:',
        '    startup: { basisPoints: 15000 }',
        '  preemption:',
        '    graceSeconds: -5',
        '    mayPreempt: { strategic: [normal, urgent] }',
        '  priority:',
        '    bandPoints: 0',
        '  reservedShares: {}',
        '',
      ].join('\n'),
    );
    const message = refusal(path);
    expect(message).toContain(`${path}: invalid configuration: `);
    expect(message).toContain('policy.reserved.startup.basisPoints: must be from 0 to 10000');
    expect(message).toContain('policy.preemption.graceSeconds: must be at least 0');
    expect(message).toContain(
      'policy.preemption.mayPreempt.strategic.1: must be one of strategic, normal, best-effort',
    );
    expect(message).toContain('policy.priority.bandPoints: must be greater than 0');
    expect(message).toContain('policy.reservedShares: unknown field');
  });

  it('refuses shares that add up to more than the whole, and a section that is not a mapping', () => {
    expect(
      refusal(
        file(
          'over.yaml',
          'policy:\n  reserved:\n    startup: { basisPoints: 6000 }\n    university: { basisPoints: 6000 }\n',
        ),
      ),
    ).toContain('policy.reserved: the shares add up to 12500 basis points of capacity; at most 10000');
    expect(refusal(file('list.yaml', 'policy: [1, 2]\n'))).toContain('policy: must be a mapping');
    expect(applyPolicyOverride({ fairShare: { weights: { t1: 0 } } })).toEqual({
      ok: false,
      errors: [{ field: 'policy.fairShare.weights.t1', message: 'must be greater than 0' }],
    });
  });

  it('stops `suanli server` from starting', async () => {
    const path = file('refused.yaml', 'policy:\n  domesticFloorBasisPoints: 2.5\n');
    const data = join(dir, 'data');
    const result = await promisify(execFile)(
      process.execPath,
      [join(import.meta.dirname, '../../bin/suanli.js'), 'server', '--config', path, '--data', data, '--port', '0'],
      { env: { PATH: process.env.PATH } },
    ).catch((e: { code: number; stderr: string }) => e);
    expect(result).toMatchObject({ code: 1 });
    expect((result as { stderr: string }).stderr).toContain(
      `${path}: invalid configuration: policy.domesticFloorBasisPoints: must be an integer from 0 to 10000`,
    );
  });
});

/** `npm run sim -- --policy FILE`: the server's policy schema and merge, and what the report shows per group. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/core/scheduler/index.ts';
import { loadConfig } from '../../src/server/config.ts';
import { simulate } from '../../src/sim/engine.ts';
import { traceJobSpec } from '../../src/sim/model.ts';
import type { SimJob, SimTrace } from '../../src/sim/model.ts';
import { readPolicyFile, resolvePolicies } from '../../src/sim/policies.ts';
import { compare, defaultEngineOptions, markdownReport } from '../../src/sim/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'suanli-sim-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const EXAMPLE = join(import.meta.dirname, '../../examples/policy.yaml');

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function job(id: string, submit: number, priorityClass: SimJob['priorityClass']): SimJob {
  return {
    id,
    tenantId: 't1',
    tenantCategory: 'enterprise',
    priorityClass,
    submit,
    duration: 100,
    spec: traceJobSpec(id, 'p', 2, 1, 3600, priorityClass, {}),
  };
}

/** One node of 2 accelerators: a runs first; b (normal) and then c (strategic) wait for it. */
const TRACE: SimTrace = {
  name: 'tiny',
  epochMs: Date.UTC(2025, 0, 1),
  pools: [
    {
      clusterId: 'c',
      clusterName: 'c',
      providerId: 'p',
      providerName: 'p',
      regions: ['anhui'],
      poolId: 'c/x',
      poolName: 'x',
      acceleratorModel: 'A100-80GB',
      fenPerAcceleratorHour: 100,
      nodes: [{ name: 'n1', accelerators: 2 }],
    },
  ],
  tenants: [{ id: 't1', category: 'enterprise' }],
  jobs: [job('a', 0, 'normal'), job('b', 10, 'normal'), job('c', 20, 'strategic')],
  notes: [],
};

describe('the simulator’s --policy FILE', () => {
  it('reads a server configuration’s policy section, merged as the server merges it', () => {
    expect(readPolicyFile(EXAMPLE)).toEqual(loadConfig({ file: EXAMPLE, env: {} }).policy);
    expect(readPolicyFile(EXAMPLE).preemption.graceSeconds).toBe(1200);
  });

  it('reads the section alone, too', () => {
    const policy = readPolicyFile(file('bare.yaml', 'backfill: { enabled: false }\n'));
    expect(policy).toEqual({ ...DEFAULT_POLICY, backfill: { ...DEFAULT_POLICY.backfill, enabled: false } });
  });

  it('refuses a bad file, naming it and the field', () => {
    const path = file('bad.yaml', 'policy:\n  scoring: { priceWeight: high }\n');
    expect(() => readPolicyFile(path)).toThrow(`${path}: invalid policy: policy.scoring.priceWeight: must be a number`);
  });

  it('runs the suanli policy with the file’s configuration', () => {
    const run = (policyFile?: string) => {
      const config = policyFile === undefined ? DEFAULT_POLICY : readPolicyFile(policyFile);
      const { policies } = resolvePolicies(['suanli'], config);
      const result = simulate(TRACE, 'suanli', policies[0]!.policy, defaultEngineOptions(config));
      return Object.fromEntries(result.jobs.map((j) => [j.id, j.lastStart]));
    };
    // By default the strategic job, though submitted later, starts first.
    expect(run()).toEqual({ a: 0, c: 100, b: 200 });
    // With strategic work in the normal band, the older job does.
    expect(run(file('level.yaml', 'policy:\n  priority:\n    base: { strategic: 1000 }\n'))).toEqual({
      a: 0,
      b: 100,
      c: 200,
    });
  });

  it('reports completion time per priority class and tenant category in the markdown table', () => {
    const { policies } = resolvePolicies(['fifo', 'suanli']);
    const comparison = compare(TRACE, policies, defaultEngineOptions());
    const md = markdownReport(
      TRACE,
      comparison,
      { command: 'test', date: '2025-01-01', machine: 'test', traceFile: 'none' },
      defaultEngineOptions(),
    );
    // Strategic c: 80 s waiting + 100 s running under suanli; under FIFO it waits for b too.
    expect(md).toMatch(
      /\| completion time, strategic \| 0\.08 \/ 0\.08 \/ 0\.08 \/ 0\.08 \| 0\.05 \/ 0\.05 \/ 0\.05 \/ 0\.05 \|/,
    );
    expect(md).toContain('| completion time, enterprise |');
    expect(resolvePolicies(['suanli', 'nonesuch']).missing).toEqual(['nonesuch']);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv, parseCsvLine, readCsvRecords } from '../../src/sim/csv.ts';
import { timeLimitFor } from '../../src/sim/model.ts';
import {
  fgdWorkload,
  openbModel,
  openbPools,
  parseOpenbNode,
  parseOpenbPod,
  podMilli,
  publishedAllocation,
} from '../../src/sim/openb.ts';
import { gangShape, parsePhillyRecord, phillyCategory, phillyTrace } from '../../src/sim/philly.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');

describe('csv', () => {
  it('splits plain and quoted fields', () => {
    expect(parseCsvLine('a,b,,c')).toEqual(['a', 'b', '', 'c']);
    expect(parseCsvLine('"a,1","say ""hi""",x')).toEqual(['a,1', 'say "hi"', 'x']);
  });
  it('streams records keyed by header, with a limit', async () => {
    const all = await readCsvRecords(join(FIXTURES, 'philly-mini.csv'));
    expect(all).toHaveLength(4);
    expect(all[0]).toEqual({
      timestamp: '2017-10-01 00:01:40',
      duration: '100.0',
      num_gpus: '1',
      gpu_time: '100.0',
      cluster: '11cb48',
    });
    expect(await readCsvRecords(join(FIXTURES, 'philly-mini.csv'), 2)).toHaveLength(2);
    expect(parseCsv(readFileSync(join(FIXTURES, 'philly-mini.csv'), 'utf8'))).toEqual(all);
  });
});

describe('philly reader', () => {
  it('sorts by submit time, maps VCs to tenants and GPU counts to gangs', async () => {
    const rows = (await readCsvRecords(join(FIXTURES, 'philly-mini.csv'))).map((r, i) => parsePhillyRecord(r, i));
    const trace = phillyTrace(rows);
    expect(trace.jobs.map((j) => j.id)).toEqual(['philly-1', 'philly-2', 'philly-3', 'philly-0']);
    expect(trace.jobs.map((j) => j.submit)).toEqual([0, 10, 10, 100]);
    expect(trace.epochMs).toBe(Date.UTC(2017, 9, 1, 0, 0, 0));
    const big = trace.jobs[1]!;
    expect(big.tenantId).toBe('vc-6214e9');
    expect([big.spec.nodes, big.spec.acceleratorsPerNode]).toEqual([2, 8]);
    expect(big.spec.timeLimitSeconds).toBe(60);
    expect([trace.jobs[2]!.spec.nodes, trace.jobs[2]!.spec.acceleratorsPerNode]).toEqual([2, 6]);
    expect(trace.tenants.map((t) => t.id)).toEqual(['vc-11cb48', 'vc-6214e9', 'vc-b436b2']);
    expect(trace.pools.reduce((s, p) => s + p.nodes.length * 8, 0)).toBe(768);
    expect(phillyTrace(rows, { limit: 2 }).jobs).toHaveLength(2);
  });
  it('is deterministic in its synthetic fields', () => {
    expect(phillyCategory('6214e9')).toBe(phillyCategory('6214e9'));
    expect(gangShape(1)).toEqual({ perNode: 1, nodes: 1 });
    expect(gangShape(24)).toEqual({ perNode: 8, nodes: 3 });
    expect(gangShape(128)).toEqual({ perNode: 8, nodes: 16 });
    expect(timeLimitFor(59.5)).toBe(60);
    expect(timeLimitFor(61)).toBe(120);
  });
  it('rejects a malformed row with its number', () => {
    expect(() => parsePhillyRecord({ timestamp: 'yesterday', duration: '1', num_gpus: '1', cluster: 'x' }, 7)).toThrow(
      /row 7/,
    );
  });
});

describe('openb reader', () => {
  it('reads nodes and pods, and maps models to the catalogue', async () => {
    const nodes = (await readCsvRecords(join(FIXTURES, 'openb-nodes.csv'))).map(parseOpenbNode);
    const pods = (await readCsvRecords(join(FIXTURES, 'openb-pods.csv'))).map(parseOpenbPod);
    expect(nodes.map((n) => n.gpus)).toEqual([2, 8, 0, 4]);
    expect(pods[1]).toMatchObject({ numGpu: 1, gpuMilli: 500, creation: 10, deletion: 200, scheduled: 12 });
    expect(pods[3]!.gpuSpec).toEqual(['V100M16', 'V100M32']);
    expect(pods[4]!.deletion).toBeNull();
    expect(pods.map(podMilli)).toEqual([1000, 500, 0, 4000, 2000]);
    expect(openbModel('V100M32')).toBe('V100-32GB');
    expect(openbModel('V100M16')).toBe('V100-16GB');
    expect(openbModel('G2')).toBe('G2');
    const pools = openbPools(nodes);
    expect(pools.map((p) => p.poolId)).toEqual(['openb-g2/g2', 'openb-p100/p100', 'openb-v100/v100m32']);
  });
  it("tunes FGD's workload up to 130 % of the cluster's GPUs", async () => {
    const pods = (await readCsvRecords(join(FIXTURES, 'openb-pods.csv'))).map(parseOpenbPod);
    const w = fgdWorkload(pods, 14, 42);
    expect(w.every((p) => podMilli(p) > 0)).toBe(true);
    expect(w.reduce((s, p) => s + podMilli(p), 0)).toBeGreaterThanOrEqual(1.3 * 14 * 1000);
    expect(fgdWorkload(pods, 14, 42).map((p) => p.name)).toEqual(w.map((p) => p.name));
  });
  it("averages FGD's published allocation per policy", async () => {
    const records = await readCsvRecords(join(FIXTURES, 'allo.csv'));
    expect(publishedAllocation(records)).toEqual([{ policy: '05-BestFit', at100: 93, at130: 94, seeds: 2 }]);
  });
});

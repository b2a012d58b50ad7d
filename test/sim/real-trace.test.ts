/** The first few hundred rows of the real traces, when they are present (../shared/traces or $SUANLI_TRACES). */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fcfs } from '../../src/core/scheduler/fcfs.ts';
import { readCsvRecords } from '../../src/sim/csv.ts';
import { simulate } from '../../src/sim/engine.ts';
import { summarise } from '../../src/sim/metrics.ts';
import { fgdReplay, fgdWorkload, openbPools, parseOpenbNode, parseOpenbPod } from '../../src/sim/openb.ts';
import { parsePhillyRecord, phillyTrace } from '../../src/sim/philly.ts';

const ROOT = process.env.SUANLI_TRACES ?? resolve(import.meta.dirname, '..', '..', '..', 'shared', 'traces');
const PHILLY = join(ROOT, 'philly-pollux', 'traces', 'philly.csv');
const OPENB = join(ROOT, 'alibaba-gpu-v2023-openb', 'csv');

describe.skipIf(!existsSync(PHILLY) || !existsSync(OPENB))('real traces (first rows)', () => {
  it('replays the first 300 Philly rows and places openb pods', async () => {
    const rows = (await readCsvRecords(PHILLY, 300)).map((r, i) => parsePhillyRecord(r, i));
    const m = summarise(simulate(phillyTrace(rows), 'fcfs', fcfs, { maxPending: 64 }));
    expect(m.jobs).toBe(300);
    expect(m.finished).toBe(300);
    expect(m.utilisation).toBeGreaterThan(0);

    const nodes = (await readCsvRecords(join(OPENB, 'openb_node_list_gpu_node.csv'), 300)).map(parseOpenbNode);
    const pods = (await readCsvRecords(join(OPENB, 'openb_pod_list_default.csv'), 300)).map(parseOpenbPod);
    const gpus = nodes.reduce((s, n) => s + n.gpus, 0);
    const points = fgdReplay(openbPools(nodes), fgdWorkload(pods, gpus, 42).slice(0, 200), fcfs);
    expect(points.length).toBeGreaterThan(1);
    expect(points.at(-1)!.allocated).toBeGreaterThan(0);
  });
});

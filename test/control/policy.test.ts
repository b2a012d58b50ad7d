/**
 * The suanli policy through the control loop, on the demo federation with real local engines: on a full pool a
 * strategic job submitted after normal ones starts first (the policy texts' "serve first"), and an operator's
 * `policy:` section in the server configuration changes that decision.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/core/scheduler/index.ts';
import { loadConfig } from '../../src/server/config.ts';
import { ALL, type Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { startPlatform, submitDemoJob, tickUntil } from '../helpers/platform.ts';

const dir = mkdtempSync(join(tmpdir(), 'suanli-policy-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A whole H800 node (hefei-1 has one): while one such job runs, the pool is full. */
const wholeNode = (script: string, priorityClass: string) => ({
  resources: { accelerator: { model: 'H800' }, acceleratorsPerNode: 8, nodes: 1 },
  priorityClass,
  script,
});

/**
 * Fills hefei-1/h800, then submits two normal jobs and, after them, a strategic one; returns the jobs the first
 * placement after the pool frees up went to and left waiting.
 */
async function race(store: Store, policyConfig?: PolicyConfig): Promise<{ first: string[]; waiting: string[] }> {
  const platform = await startPlatform(store, policyConfig ? { policyConfig } : {});
  try {
    const blocker = await submitDemoJob(store, wholeNode('sleep 2', 'normal'), { name: 'blocker' });
    const state = async (id: string) => (await store.jobs.get(ALL, id))?.state;
    await tickUntil(platform.loop, async () => (await state(blocker.id)) === 'running');
    const jobs = [
      await submitDemoJob(store, wholeNode('echo one', 'normal'), { name: 'normal-1' }),
      await submitDemoJob(store, wholeNode('echo two', 'normal'), { name: 'normal-2' }),
      await submitDemoJob(store, wholeNode('echo s', 'strategic'), { name: 'strategic' }),
    ];
    await tickUntil(platform.loop, async () => {
      for (const j of jobs) if ((await state(j.id)) !== 'pending') return true;
      return false;
    });
    const states = await Promise.all(jobs.map(async (j) => ({ name: j.spec.name, state: await state(j.id) })));
    // Whatever is left waits with the scheduler's reason.
    return {
      first: states.filter((s) => s.state !== 'pending').map((s) => s.name),
      waiting: states.filter((s) => s.state === 'pending').map((s) => s.name),
    };
  } finally {
    await platform.close();
  }
}

describeEachDatabase('the suanli policy in the control loop', (database) => {
  it('starts a strategic job submitted after normal ones first when the pool frees up', async () => {
    const store = await database.open();
    try {
      expect(await race(store)).toEqual({ first: ['strategic'], waiting: ['normal-1', 'normal-2'] });
    } finally {
      await store.close();
    }
  });

  it('follows the policy section of the server configuration: strategic work no longer goes first', async () => {
    const path = join(dir, `${database.kind}.yaml`);
    // Strategic jobs in the same band as normal ones: the older normal job comes first.
    writeFileSync(path, 'policy:\n  priority:\n    base: { strategic: 1000 }\n');
    const { policy } = loadConfig({ file: path, env: {} });
    const store = await database.open();
    try {
      expect(await race(store, policy)).toEqual({ first: ['normal-1'], waiting: ['normal-2', 'strategic'] });
    } finally {
      await store.close();
    }
  });
});

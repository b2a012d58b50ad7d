/**
 * ControllerJobCache against a double of slurmctld that answers GET /jobs?update_time=T the way 22.05.8 does on
 * the lab: nothing (304) when its last_job_update is earlier than T, every job otherwise.
 */
import { describe, expect, it } from 'vitest';
import type { SlurmApi, SlurmJobInfo } from '../../src/engines/slurm/api.ts';
import { ControllerJobCache } from '../../src/engines/slurm/controller-jobs.ts';

function job(id: string, state = 'RUNNING'): SlurmJobInfo {
  return {
    id,
    name: `j${id}`,
    state,
    reason: null,
    exitCode: null,
    signal: null,
    startedAt: new Date('2026-11-23T10:00:00Z'),
    endedAt: null,
    comment: `tag-${id}`,
    partition: 'a100',
    user: 'suanli',
    stdout: null,
    nodeNames: ['hf1'],
  };
}

/** slurmctld as far as the cache sees it: a clock in whole seconds, its jobs and when one last changed. */
class FakeController {
  time = 1_000;
  lastJobUpdate = 0;
  diagAllowed = true;
  readonly jobs = new Map<string, SlurmJobInfo>();
  readonly calls = { jobs: 0, changedSince: 0, diag: 0 };

  put(j: SlurmJobInfo): void {
    this.jobs.set(j.id, j);
    this.lastJobUpdate = this.time;
  }

  api(): SlurmApi {
    const unused = (): never => {
      throw new Error('not used by ControllerJobCache');
    };
    return {
      version: '0.0.38',
      partitionNames: unused,
      nodes: unused,
      submit: unused,
      job: unused,
      cancel: unused,
      terminate: unused,
      dbJob: unused,
      dbJobsSince: unused,
      dbJobs: unused,
      jobs: async () => {
        this.calls.jobs++;
        return [...this.jobs.values()];
      },
      jobsChangedSince: async (updateTime) => {
        this.calls.changedSince++;
        // slurmctld: no change when (update_time - 1) >= last_job_update.
        return updateTime - 1 >= this.lastJobUpdate ? null : [...this.jobs.values()];
      },
      controllerTime: async () => {
        this.calls.diag++;
        if (!this.diagAllowed) throw new Error('HTTP 403');
        return this.time;
      },
    };
  }
}

describe('ControllerJobCache', () => {
  it('reads the whole list once, then reuses it while slurmctld says nothing changed', async () => {
    const ctld = new FakeController();
    ctld.put(job('1'));
    ctld.put(job('2'));
    ctld.time += 1; // a list read in the second of a change is rightly read again (see the next case)
    const cache = new ControllerJobCache(30_000, () => 0);
    const first = await cache.read(ctld.api());
    expect(first.reused).toBe(false);
    expect([...first.jobs.keys()]).toEqual(['1', '2']);
    ctld.time += 5;
    const second = await cache.read(ctld.api());
    expect(second.reused).toBe(true);
    expect(second.jobs).toBe(first.jobs);
    expect(ctld.calls).toEqual({ jobs: 1, changedSince: 1, diag: 2 });
  });

  it('sees a change made in the same second as the list it keeps', async () => {
    const ctld = new FakeController();
    ctld.put(job('1'));
    ctld.time += 1;
    const cache = new ControllerJobCache(30_000, () => 0);
    await cache.read(ctld.api());
    ctld.put(job('1', 'COMPLETED')); // same controller second as the list
    const after = await cache.read(ctld.api());
    expect(after.reused).toBe(false);
    expect(after.jobs.get('1')?.state).toBe('COMPLETED');
  });

  it('keeps the controller time read before a changed list, not the one it was asked with', async () => {
    const ctld = new FakeController();
    ctld.put(job('1'));
    const cache = new ControllerJobCache(30_000, () => 0);
    await cache.read(ctld.api());
    ctld.time += 10;
    ctld.put(job('2'));
    ctld.time += 1;
    expect((await cache.read(ctld.api())).reused).toBe(false);
    // Nothing changed since that list: with the old time kept it would be read whole again.
    ctld.time += 1;
    const again = await cache.read(ctld.api());
    expect(again.reused).toBe(true);
    expect([...again.jobs.keys()]).toEqual(['1', '2']);
  });

  it('reads a whole list once the kept one is older than its maximum age', async () => {
    const ctld = new FakeController();
    ctld.put(job('1'));
    ctld.time += 1;
    let now = 0;
    const cache = new ControllerJobCache(30_000, () => now);
    await cache.read(ctld.api());
    now = 29_999;
    expect((await cache.read(ctld.api())).reused).toBe(true);
    now = 30_000;
    expect((await cache.read(ctld.api())).reused).toBe(false);
    expect(ctld.calls.jobs).toBe(2);
  });

  it('reads the whole list every time when slurmctld will not tell its time', async () => {
    const ctld = new FakeController();
    ctld.diagAllowed = false;
    ctld.put(job('1'));
    const cache = new ControllerJobCache(30_000, () => 0);
    for (let i = 0; i < 3; i++) expect((await cache.read(ctld.api())).reused).toBe(false);
    expect(ctld.calls).toMatchObject({ jobs: 3, changedSince: 0 });
  });
});

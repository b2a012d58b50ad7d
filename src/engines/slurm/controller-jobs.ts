/**
 * The controller's job list for status(), read whole only when slurmctld says some job changed.
 *
 * The control loop asks for the state of every job it follows about once a second. The controller's whole list
 * (GET /jobs, about 3.7 kB of JSON per job, and it keeps finished jobs for MinJobAge, 300 s) is what that costs
 * when many jobs are followed, yet most seconds nothing changed. On 22.05.8, GET /jobs?update_time=T is all or
 * nothing (checked on the lab): slurmctld answers HTTP 304 with no body when no job changed since T (its
 * last_job_update is earlier than T) and otherwise every job it keeps, changed or not. So this keeps the last
 * whole list with the controller's clock read just before it was asked for, and asks "changed since then?":
 * a 304 means that list is still what slurmctld would answer now.
 *
 * The clock is the controller's own (GET /diag, req_time), not this server's: the two machines' clocks may
 * differ, and a T later than the controller's time of the list would hide a change made just after it. A T
 * earlier than that only costs a whole list more. Without the controller's clock (diag refused), every read is
 * a whole list, as before.
 */
import type { SlurmApi, SlurmJobInfo } from './api.ts';

/**
 * A whole list at least this often, whatever the 304s say: slurmctld advances last_job_update when it changes a
 * job's state, but a change that does not advance it (a pending job's reason, say) would otherwise stay unseen.
 */
export const LIST_MAX_AGE_MS = 30_000;

export interface ControllerJobs {
  jobs: ReadonlyMap<string, SlurmJobInfo>;
  /** True when the list is an earlier one that slurmctld confirmed unchanged (HTTP 304). */
  reused: boolean;
}

interface KeptList {
  /** The controller's time (epoch seconds) read just before this list was asked for. */
  asOf: number;
  /** This server's clock when the list came, for LIST_MAX_AGE_MS. */
  receivedAtMs: number;
  jobs: Map<string, SlurmJobInfo>;
}

export class ControllerJobCache {
  private kept: KeptList | null = null;

  constructor(
    private readonly maxAgeMs: number = LIST_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async read(api: SlurmApi): Promise<ControllerJobs> {
    const kept = this.kept;
    // Read before the list is asked for, so that anything changed after the list has a later time. A refused
    // diag is not an error of this read: it only means no list can be reused.
    const asOf = await api.controllerTime().catch(() => null);
    if (kept && this.now() - kept.receivedAtMs < this.maxAgeMs) {
      const changed = await api.jobsChangedSince(kept.asOf);
      if (changed === null) return { jobs: kept.jobs, reused: true };
      return { jobs: this.keep(asOf, changed), reused: false };
    }
    return { jobs: this.keep(asOf, await api.jobs()), reused: false };
  }

  private keep(asOf: number | null, list: SlurmJobInfo[]): Map<string, SlurmJobInfo> {
    const jobs = new Map(list.map((job) => [job.id, job]));
    // Reads may overlap; each stores its own list with its own time, so what is kept always belongs together.
    this.kept = asOf === null ? null : { asOf, receivedAtMs: this.now(), jobs };
    return jobs;
  }
}

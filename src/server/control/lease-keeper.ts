import type { Store } from '../../store/index.ts';

/**
 * The lease as one tick holds it. Work that talks to clusters can outlast the lease's lifetime, so it renews the
 * lease as it goes; if another process took the lease in between (the epoch changed), this tick's view of the
 * world is stale and it stops acting.
 */
export class LeaseKeeper {
  private renewedAt = Date.now();
  private lost = false;
  private renewing: Promise<boolean> | null = null;

  constructor(
    private readonly store: Store,
    private readonly name: string,
    private readonly holder: string,
    private readonly ttlMs: number,
    private readonly epoch: number,
  ) {}

  keep(): Promise<boolean> {
    if (this.lost) return Promise.resolve(false);
    if (Date.now() - this.renewedAt < this.ttlMs / 3) return Promise.resolve(true);
    this.renewing ??= this.store.leases
      .acquire(this.name, this.holder, this.ttlMs)
      .then((epoch) => {
        if (epoch === this.epoch) this.renewedAt = Date.now();
        else this.lost = true;
        return !this.lost;
      })
      .finally(() => (this.renewing = null));
    return this.renewing;
  }
}

/** The store: PostgreSQL (or PGlite) as the source of truth, behind typed repositories. */
import { openStore, type StoreHandle, type StoreOptions } from './drivers.ts';
import { FederationRepo } from './federation.ts';
import { HoldRepo } from './holds.ts';
import { JobRepo } from './jobs.ts';
import { AuditRepo } from './audit.ts';
import { LeaseRepo } from './leases.ts';
import { LedgerRepo } from './ledger/index.ts';
import { migrate } from './migrate.ts';
import { UsageRepo } from './usage.ts';

export interface Store extends StoreHandle {
  federation: FederationRepo;
  jobs: JobRepo;
  usage: UsageRepo;
  leases: LeaseRepo;
  ledger: LedgerRepo;
  audit: AuditRepo;
  holds: HoldRepo;
}

/** Opens the database, applies pending migrations and returns the repositories. */
export async function createStore(options: StoreOptions): Promise<Store> {
  const handle = await openStore(options);
  try {
    await migrate(handle.db);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return {
    ...handle,
    federation: new FederationRepo(handle.db),
    jobs: new JobRepo(handle.db),
    usage: new UsageRepo(handle.db),
    leases: new LeaseRepo(handle.db),
    ledger: new LedgerRepo(handle.db),
    audit: new AuditRepo(handle.db),
    holds: new HoldRepo(handle.db),
  };
}

export type { Scope } from './scope.ts';
export { ALL, tenantScope } from './scope.ts';
export type { StoreOptions } from './drivers.ts';
export type { StoredJob, JobPatch, WithdrawnDispatch } from './jobs.ts';
export { IdempotencyConflict, UnknownProject } from './jobs.ts';

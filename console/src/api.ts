/**
 * The console's only way to the server: the same /api/v1 routes, bearer token and problem+json errors as the CLI.
 * Response types are written here by hand from the OpenAPI document, trimmed to the fields the pages read.
 */

export interface Problem {
  status: number;
  title: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
  get status(): number {
    return this.problem.status;
  }
}

export type Fetcher = <T>(path: string, init?: { method?: string; body?: unknown; text?: boolean }) => Promise<T>;

export function fetcherFor(token: string): Fetcher {
  return async <T>(path: string, init: { method?: string; body?: unknown; text?: boolean } = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    let body: string | undefined;
    if (typeof init.body === 'string') {
      headers['content-type'] = 'application/yaml';
      body = init.body;
    } else if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.body);
    }
    const response = await fetch(`/api/v1${path}`, { method: init.method ?? 'GET', headers, body });
    if (!response.ok) {
      const problem = (await response.json().catch(() => null)) as Problem | null;
      throw new ApiError(
        problem?.detail
          ? problem
          : { status: response.status, title: response.statusText, detail: response.statusText },
      );
    }
    return (init.text ? await response.text() : await response.json()) as T;
  };
}

export interface Whoami {
  id: string;
  name: string;
  role: Role;
  tenantId: string | null;
  providerId: string | null;
}
export type Role = 'operator' | 'provider-admin' | 'tenant-admin' | 'tenant-member';

export interface JobEvent {
  at: string;
  from: string | null;
  to: string;
  reason: string;
  actor: string;
}

export interface Job {
  id: string;
  name: string;
  project: string;
  tenantId: string;
  submittedBy: string;
  state: string;
  reason: string | null;
  priorityClass: string;
  submittedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  exitCode: number | null;
  clusterName: string | null;
  pool: string | null;
  nodes: string[];
  cancelRequested: boolean;
  spec: unknown;
  events?: JobEvent[];
}

export interface Pool {
  id: string;
  name: string;
  acceleratorModel: string;
  domestic: boolean;
  accelerators: number;
  freeAccelerators: number;
  capacityP: string;
  fenPerAcceleratorHour: number | null;
}

export interface Cluster {
  id: string;
  name: string;
  engine: string;
  healthy: boolean;
  healthReason: string | null;
  provider: { id: string; name: string; city: string };
  capacityP: string;
  accelerators: number;
  freeAccelerators: number;
  pools: Pool[];
}

export interface Price {
  fenPerAcceleratorHour: number;
  validFrom: string;
  validTo: string | null;
  createdBy: string;
}

export interface Tenant {
  id: string;
  name: string;
  category: string;
  regions: string[];
  verified: boolean;
  organisation: string;
}

export interface Provider {
  id: string;
  name: string;
  city: string;
  regions: string[];
  ownerOrganisation: string;
  greenPowerBasisPoints: number;
}

export interface Project {
  id: string;
  name: string;
}

export interface UsageRecord {
  id: string;
  jobId: string;
  acceleratorModel: string;
  acceleratorCount: number;
  acceleratorSeconds: number;
  endedAt: string;
  ph: string;
}

export interface UsageTotal {
  tenantId: string;
  acceleratorModel: string;
  jobs: number;
  acceleratorSeconds: number;
  ph: string;
}

export interface CapacityRow {
  key: string;
  label: string;
  capacityP: string;
  busyP: string;
  accelerators: number;
  busyAccelerators: number;
}

export interface QueueRow {
  key: string;
  pending: number;
  oldestWaitSeconds: number;
  meanWaitSeconds: number;
  started: number;
  meanStartWaitSeconds: number;
}

export interface Overview {
  at: string;
  capacity: {
    total: CapacityRow;
    byCity: CapacityRow[];
    byProvider: CapacityRow[];
    byModel: CapacityRow[];
    byOrigin: CapacityRow[];
  };
  clusters: Array<{
    id: string;
    name: string;
    providerName: string;
    city: string;
    engine: string;
    healthy: boolean;
    healthReason: string | null;
    lastInventoryAt: string | null;
  }>;
  utilisation: { from: string; to: string; stepSeconds: number; points: Array<{ at: string; busyP: number }> };
  queue: { byPriorityClass: QueueRow[]; byTenantCategory: QueueRow[] };
  reservedShares: Array<{ group: string; nominalP: number; usedP: number; lentP: number; borrowedP: number }>;
}

export interface ProviderJob {
  id: string;
  name: string;
  tenantId: string;
  state: string;
  priorityClass: string;
  clusterId: string;
  poolId: string;
  acceleratorModel: string;
  accelerators: number;
  startedAt: string | null;
}

/** One line of a ledger account, signed from its owner's side (+ in, − out); fen is exact, as a decimal string. */
export interface LedgerLine {
  transactionId: string;
  at: string;
  purpose: string;
  reason: string;
  usageRecordId: string | null;
  voucherId: string | null;
  programmeId: string | null;
  fen: string;
}

export interface Wallet {
  tenantId: string;
  balanceFen: string;
  recent: LedgerLine[];
}

export interface Voucher {
  id: string;
  kind: string;
  programmeId: string;
  funder: string;
  faceFen: string;
  remainingFen: string;
  validFrom: string;
  validTo: string;
  providers: string[];
}

export interface Statement {
  accountId: string;
  month: string;
  openingFen: string;
  closingFen: string;
  lines: LedgerLine[];
}

export interface ProviderPayouts {
  providerId: string;
  payableFen: string;
  /** Newest first; fen is the amount paid to the provider. */
  payouts: Array<{ transactionId: string; at: string; reason: string; fen: string }>;
}

export interface ProgrammePool {
  programmeId: string;
  funder: string;
  budgetFen: string;
  spentFen: string;
  remainingFen: string;
}

export interface MoneyFlow {
  spendFen: string;
  voucherFen: string;
  subsidyFen: string;
}

export interface MonthlyReport {
  month: string;
  total: MoneyFlow;
  byCity: Array<MoneyFlow & { city: string }>;
  byRegion: Array<MoneyFlow & { region: string }>;
  byTenantCategory: Array<MoneyFlow & { category: string }>;
  subsidyByProgrammeAndFunder: Array<{ programmeId: string; funder: string; fen: string }>;
  topTenants: Array<MoneyFlow & { tenantId: string; category: string }>;
}

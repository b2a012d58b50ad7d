/** Test helpers: a charge with sensible defaults, an in-memory ledger view, and programme files read from disk. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fen } from '../../../../src/core/money/amount.ts';
import { loadProgrammes, parseProgrammeText } from '../../../../src/core/money/programmes/load.ts';
import type {
  Programme,
  ProgrammeLedgerView,
  SpendEvent,
  SubsidyAward,
  SubsidyProgramme,
  VoucherProgramme,
} from '../../../../src/core/money/programmes/types.ts';
import { chinaYear } from '../../../../src/core/money/programmes/calendar.ts';

export const PROGRAMMES_DIR = join(import.meta.dirname, '../../../../programmes');
export const SHIPPED_FILES = [
  'anhui-2023-compute.yaml',
  'anhui-2025-compute.yaml',
  'jiangsu-2026-compute-voucher.yaml',
];

/** The shipped programmes, loaded together (throws on any error, naming it). */
export function shippedProgrammes(): Programme[] {
  const { programmes, errors } = loadProgrammes(
    SHIPPED_FILES.map((f) => ({ file: `programmes/${f}`, text: readFileSync(join(PROGRAMMES_DIR, f), 'utf8') })),
  );
  if (errors.length > 0) throw new Error(JSON.stringify(errors));
  return programmes;
}

export function shippedSubsidies(): SubsidyProgramme[] {
  return shippedProgrammes().filter((p): p is SubsidyProgramme => p.kind === 'SubsidyProgramme');
}

export function shippedVoucher(): VoucherProgramme {
  const v = shippedProgrammes().find((p): p is VoucherProgramme => p.kind === 'VoucherProgramme');
  if (v === undefined) throw new Error('no voucher programme shipped');
  return v;
}

/** Parses one programme written in a test; throws with the loader's errors if it does not load. */
export function subsidy(yaml: string): SubsidyProgramme {
  const result = parseProgrammeText(yaml, 'test.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  if (result.loaded.programme.kind !== 'SubsidyProgramme') throw new Error('not a subsidy programme');
  return result.loaded.programme;
}

type EventOverrides = Omit<Partial<SpendEvent>, 'tenant' | 'provider' | 'project'> & {
  tenant?: Partial<SpendEvent['tenant']>;
  provider?: Partial<SpendEvent['provider']>;
  project?: Partial<SpendEvent['project']>;
};

/**
 * A charge of ¥1,000,000.00 on 2026-03-02 by a verified Hefei company (registered in Anhui) at a Wuhu computing centre
 * it does not own, on H100s, for a project without region tags.
 */
export function spend(overrides: EventOverrides = {}): SpendEvent {
  const { tenant, provider, project, ...rest } = overrides;
  return {
    id: 'usage-1',
    at: new Date('2026-03-02T04:00:00Z'),
    kind: 'compute',
    acceleratorModel: 'H100-SXM',
    domestic: false,
    meteredFen: 100_000_000n,
    paidFen: 100_000_000n,
    ...rest,
    tenant: {
      id: 'hefei-zhineng',
      category: 'enterprise',
      regions: ['anhui'],
      verified: true,
      organisation: 'hefei-zhineng-co',
      city: 'Hefei',
      ...tenant,
    },
    provider: { id: 'wuhu-1', city: 'Wuhu', regions: ['anhui'], ownerOrganisation: 'wuhu-compute-co', ...provider },
    project: { id: 'demo', regions: [], ...project },
  };
}

/** The ledger as the evaluator sees it, kept in memory: funded pools and the awards recorded so far. */
export class MemoryLedgerView implements ProgrammeLedgerView {
  readonly awards: { award: SubsidyAward; year: number }[] = [];
  private readonly funded = new Map<string, Fen>();

  fund(programmeId: string, funder: string, amountFen: Fen): this {
    this.funded.set(`${programmeId}/${funder}`, (this.funded.get(`${programmeId}/${funder}`) ?? 0n) + amountFen);
    return this;
  }

  record(award: SubsidyAward, at: Date): void {
    this.awards.push({ award, year: chinaYear(at) });
  }

  awardedToTenantInYear(programmeId: string, tenantId: string, year: number): Fen {
    return this.awards
      .filter((a) => a.award.programmeId === programmeId && a.award.tenantId === tenantId && a.year === year)
      .reduce((sum, a) => sum + a.award.amountFen, 0n);
  }

  awardedInProgramme(programmeId: string): Fen {
    return this.awards
      .filter((a) => a.award.programmeId === programmeId)
      .reduce((sum, a) => sum + a.award.amountFen, 0n);
  }

  poolRemaining(programmeId: string, funder: string): Fen {
    const spent = this.awards
      .filter((a) => a.award.programmeId === programmeId && a.award.settlement === 'immediate')
      .flatMap((a) => a.award.byFunder)
      .filter((f) => f.funder === funder)
      .reduce((sum, f) => sum + f.amountFen, 0n);
    return (this.funded.get(`${programmeId}/${funder}`) ?? 0n) - spent;
  }
}

/**
 * The programmes the ledger posts awards for: the subsidy programmes of the shipped `programmes/` folder with the
 * pure evaluator, and an audit-log entry whenever a programme appears or its terms change between starts (so that
 * who-changed-what for money rules is answered the same way as for prices).
 */
import { createHash } from 'node:crypto';
import { evaluateSubsidies } from '../core/money/programmes/evaluate.ts';
import type { Programme, SubsidyProgramme } from '../core/money/programmes/types.ts';
import type { Store } from '../store/index.ts';
import type { SubsidySource } from '../store/ledger/index.ts';
import { loadShippedProgrammes } from './programme-files.ts';

/** A stable digest of a programme's parsed terms (bigints as strings, keys in their declared order). */
export function programmeDigest(programme: Programme): string {
  const text = JSON.stringify(programme, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Records `programme.add` or `programme.change` for each programme whose digest differs from the last one the audit
 * log holds. Returns the ids recorded.
 */
export async function auditProgrammeChanges(
  store: Store,
  programmes: readonly Programme[],
  at: Date,
  actor = 'programmes-folder',
): Promise<string[]> {
  const recorded: string[] = [];
  for (const programme of programmes) {
    const id = programme.metadata.id;
    const digest = programmeDigest(programme);
    const [last] = await store.audit.list({ objectType: 'programme', objectId: id, limit: 1 });
    const before = last?.after as { version?: string; digest?: string } | undefined;
    if (before?.digest === digest) continue;
    await store.audit.record({
      at,
      actor,
      action: last ? 'programme.change' : 'programme.add',
      objectType: 'programme',
      objectId: id,
      ...(before ? { before } : {}),
      after: { kind: programme.kind, version: programme.metadata.version, digest },
    });
    recorded.push(id);
  }
  return recorded;
}

/** The shipped subsidy programmes and the evaluator, for the control loop's posting; audits changes first. */
export async function shippedSubsidySource(store: Store, at: Date): Promise<SubsidySource> {
  const programmes = await loadShippedProgrammes();
  await auditProgrammeChanges(store, programmes, at);
  return {
    programmes: programmes.filter((p): p is SubsidyProgramme => p.kind === 'SubsidyProgramme'),
    evaluate: evaluateSubsidies,
  };
}

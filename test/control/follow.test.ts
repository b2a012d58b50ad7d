/** How the end of a run maps onto the job state machine when the run was being preempted (control/follow.ts). */
import { describe, expect, it } from 'vitest';
import type { EngineJobState, EngineJobStatus } from '../../src/engines/engine.ts';
import type { StoredJob } from '../../src/store/index.ts';
import { finalState } from '../../src/server/control/follow.ts';

const requested = new Date('2026-11-23T10:00:00.400Z');

function job(overrides: Partial<StoredJob> = {}): StoredJob {
  return {
    preemptRequestedAt: requested,
    preemptReason: 'for strategic job j-1',
    cancelRequested: false,
    spec: { timeLimitSeconds: 3600 },
    ...overrides,
  } as StoredJob;
}

function ended(state: EngineJobState, endedAt: Date | null): EngineJobStatus {
  return { engineJobId: '1', tag: 't', state, reason: null, startedAt: null, endedAt, exitCode: 0 };
}

describe('a run that ends while it is being preempted', () => {
  it('is preempted however the engine says it ended after the request (a checkpoint and exit 0 included)', () => {
    for (const state of ['succeeded', 'failed', 'timeout', 'cancelled'] as const) {
      const to = finalState(ended(state, new Date('2026-11-23T10:00:03Z')), job());
      expect(to).toEqual({ to: 'preempted', reason: 'preempted: for strategic job j-1' });
    }
  });

  it('counts an end in the very second of the request as stopped (engines report whole seconds)', () => {
    expect(finalState(ended('succeeded', new Date('2026-11-23T10:00:00Z')), job())?.to).toBe('preempted');
  });

  it('keeps the end of a run that finished before the preemption was asked for', () => {
    expect(finalState(ended('succeeded', new Date('2026-11-23T09:59:59Z')), job())?.to).toBe('succeeded');
    expect(finalState(ended('failed', new Date('2026-11-23T09:59:00Z')), job())?.to).toBe('failed');
  });

  it('leaves a user’s cancel and a run never preempted as they are', () => {
    const at = new Date('2026-11-23T10:00:03Z');
    expect(finalState(ended('cancelled', at), job({ cancelRequested: true }))?.to).toBe('cancelled');
    expect(finalState(ended('succeeded', at), job({ preemptRequestedAt: null }))?.to).toBe('succeeded');
    expect(finalState(ended('running', null), job())).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { JOB_STATES, type JobState } from '../../src/core/domain.ts';
import {
  ACTIVE_STATES,
  assertTransition,
  canTransition,
  InvalidTransition,
  isTerminal,
  TERMINAL_STATES,
  TRANSITIONS,
} from '../../src/core/job-lifecycle.ts';

// The table as the design states it; the module must match it exactly.
const ALLOWED: Record<JobState, JobState[]> = {
  pending: ['admitted', 'cancelled'],
  admitted: ['dispatched', 'pending', 'dispatch-failed', 'cancelled'],
  dispatched: ['running', 'succeeded', 'failed', 'cancelled', 'preempted', 'lost', 'pending'],
  running: ['succeeded', 'failed', 'cancelled', 'preempted', 'lost'],
  preempted: ['pending'],
  succeeded: [],
  failed: [],
  cancelled: [],
  'dispatch-failed': [],
  lost: [],
};

describe('job lifecycle', () => {
  it('has an entry for every state', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...JOB_STATES].sort());
  });

  for (const from of JOB_STATES) {
    for (const to of JOB_STATES) {
      const allowed = ALLOWED[from].includes(to);
      it(`${allowed ? 'allows' : 'rejects'} ${from} -> ${to}`, () => {
        expect(canTransition(from, to)).toBe(allowed);
        if (allowed) expect(() => assertTransition(from, to)).not.toThrow();
        else expect(() => assertTransition(from, to)).toThrow(InvalidTransition);
      });
    }
  }

  it('names both states in the error', () => {
    try {
      assertTransition('succeeded', 'running');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidTransition);
      expect((e as InvalidTransition).message).toContain('succeeded');
      expect((e as InvalidTransition).message).toContain('running');
      expect((e as InvalidTransition).from).toBe('succeeded');
      expect((e as InvalidTransition).to).toBe('running');
    }
  });

  it('gives terminal states no exits and every other state one', () => {
    expect([...TERMINAL_STATES].sort()).toEqual(['cancelled', 'dispatch-failed', 'failed', 'lost', 'succeeded']);
    for (const state of JOB_STATES) {
      expect(isTerminal(state)).toBe(TERMINAL_STATES.includes(state));
      expect(TRANSITIONS[state].length === 0).toBe(isTerminal(state));
    }
  });

  it('counts admitted, dispatched and running as holding accelerators', () => {
    expect([...ACTIVE_STATES].sort()).toEqual(['admitted', 'dispatched', 'running']);
    for (const state of ACTIVE_STATES) expect(isTerminal(state)).toBe(false);
  });

  it('can reach every terminal state from pending', () => {
    const seen = new Set<JobState>(['pending']);
    const queue: JobState[] = ['pending'];
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
      for (const next of TRANSITIONS[s]) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    expect([...seen].sort()).toEqual([...JOB_STATES].sort());
  });
});

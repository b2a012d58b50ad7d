import { describe, expect, it } from 'vitest';
import { monthStartCst } from '../../src/server/control/snapshot.ts';

describe('calendar months in China Standard Time', () => {
  it('counts 00:30 on 1 January in Beijing in the new month, and 23:30 on 31 December in the old', () => {
    expect(monthStartCst(new Date('2027-01-01T00:30:00+08:00')).toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(monthStartCst(new Date('2026-12-31T23:30:00+08:00')).toISOString()).toBe('2026-11-30T16:00:00.000Z');
  });
});

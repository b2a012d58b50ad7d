/** Time-ordered ids: the ledger makes one per entry, tens of thousands a second. */
import { expect, it } from 'vitest';
import { uuidv7 } from '../../src/store/ids.ts';

it('makes RFC 9562 version-7 ids carrying the millisecond, unique and in time order', () => {
  const now = Date.parse('2026-11-23T16:30:00.123Z');
  const ids = Array.from({ length: 10_000 }, (_, i) => uuidv7(now + i));
  for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual(ids);
  const ms = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
  expect(ms(ids[0]!)).toBe(now);
  expect(ms(ids[9_999]!)).toBe(now + 9_999);
  expect(ms(uuidv7(0))).toBe(0);
  expect(ms(uuidv7(2 ** 48 - 1))).toBe(2 ** 48 - 1);
});

import { describe, expect, it } from 'vitest';
import { displayWidth, relativeTime, sumDecimals, table, truncate, yuan } from '../../src/cli/format.ts';
import { problemMessage } from '../../src/cli/errors.ts';

describe('format', () => {
  it('formats fen as yuan exactly', () => {
    expect(yuan(1250)).toBe('¥12.50');
    expect(yuan(0)).toBe('¥0.00');
    expect(yuan(7)).toBe('¥0.07');
    expect(yuan(99)).toBe('¥0.99');
    expect(yuan(100)).toBe('¥1.00');
    // 0.1 + 0.2-style drift would show here with floats.
    expect(yuan(9_007_199_254_740_991)).toBe('¥90071992547409.91');
    expect(yuan(null)).toBe('-');
  });

  it('sums decimal strings exactly', () => {
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.3');
    expect(sumDecimals(['11.868', '0.7536'])).toBe('12.6216');
    expect(sumDecimals(['1', '2.50'])).toBe('3.5');
    expect(sumDecimals(['123456789012345678901234567890.1', '0.9'])).toBe('123456789012345678901234567891');
    expect(sumDecimals(['1e3'])).toBeNull();
  });

  it('aligns columns by display width, CJK counting double', () => {
    expect(displayWidth('合肥')).toBe(4);
    const out = table(
      [{ header: 'NAME' }, { header: 'N', align: 'right' }],
      [
        ['合肥', '1'],
        ['wuhu', '10'],
      ],
    );
    expect(out).toBe('NAME   N\n合肥   1\nwuhu  10\n');
  });

  it('truncates to a width with an ellipsis', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('a'.repeat(50), 40)).toBe('a'.repeat(39) + '…');
    expect(truncate('line one\nline two', 40)).toBe('line one line two');
  });

  it('writes relative times', () => {
    const now = new Date('2025-01-31T12:00:00Z');
    expect(relativeTime('2025-01-31T12:00:00Z', now)).toBe('just now');
    expect(relativeTime('2025-01-31T11:59:15Z', now)).toBe('45s ago');
    expect(relativeTime('2025-01-31T11:57:00Z', now)).toBe('3m ago');
    expect(relativeTime('2025-01-31T07:00:00Z', now)).toBe('5h ago');
    expect(relativeTime('2025-01-28T12:00:00Z', now)).toBe('3d ago');
  });

  it('writes problem documents as one line', () => {
    expect(
      problemMessage(400, { title: 'Bad request', detail: 'x', errors: [{ field: '', message: 'is empty' }] }),
    ).toBe('Bad request: x (is empty)');
    expect(problemMessage(500, {})).toBe('HTTP 500');
    // A detail that already names every field error is not repeated.
    const errors = [{ field: 'spec.timeLimit', message: 'is required' }];
    expect(problemMessage(400, { title: 'Bad request', detail: 'spec.timeLimit: is required', errors })).toBe(
      'Bad request: spec.timeLimit: is required',
    );
  });
});

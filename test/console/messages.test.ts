/** The console's message tables and formats, without a browser. */
import { describe, expect, it } from 'vitest';
import { fill, makeI18n } from '../../console/src/i18n/format.ts';
import { MESSAGES, type MessageKey } from '../../console/src/i18n/messages.ts';
import { yuanToFen } from '../../console/src/i18n/money.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the message tables', () => {
  it('fill the same placeholders in both languages, and leave no message empty', () => {
    const zh = MESSAGES['zh-CN'];
    const en = MESSAGES.en;
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
    for (const key of Object.keys(zh) as MessageKey[]) {
      expect(placeholders(en[key]), key).toEqual(placeholders(zh[key]));
      expect(zh[key].trim(), key).not.toBe('');
      expect(en[key].trim(), key).not.toBe('');
    }
  });

  it('puts values into templates and leaves unknown placeholders visible', () => {
    expect(fill('{name}（{role}）', { name: 'office', role: '统筹办' })).toBe('office（统筹办）');
    expect(fill('{missing} stays', {})).toBe('{missing} stays');
  });
});

describe('formats', () => {
  const zh = makeI18n('zh-CN', () => {});
  const en = makeI18n('en', () => {});

  it('writes money from integer fen in CNY', () => {
    expect(zh.yuan(1800)).toBe('¥18.00');
    expect(en.yuan(123456789)).toBe('CN¥1,234,567.89');
  });

  it('writes ledger amounts from exact fen strings without losing a fen, however large', () => {
    // 2^63 fen: beyond what a float holds exactly (it would round to …808.00).
    expect(zh.money('9223372036854775807')).toBe('¥92,233,720,368,547,758.07');
    expect(zh.money('-8')).toBe('-¥0.08');
    expect(zh.money('0')).toBe('¥0.00');
    expect(en.money('123456789')).toBe('CN¥1,234,567.89');
  });

  it('writes the office’s large totals in 万元 in Chinese (every fen kept) and in yuan in English', () => {
    expect(zh.largeMoney('123456789000')).toBe('123,456.789 万元');
    expect(zh.largeMoney('100000000')).toBe('100.00 万元');
    expect(zh.largeMoney('1')).toBe('0.000001 万元');
    expect(zh.largeMoney('-250000')).toBe('-0.25 万元');
    expect(en.largeMoney('123456789000')).toBe('CN¥1,234,567,890.00');
  });

  it('writes P and P·h with the locale’s digits, at most 3 and 4 decimals', () => {
    expect(zh.p('35.970304')).toBe('35.97 P');
    expect(en.p(12345.6789)).toBe('12,345.679 P');
    expect(en.ph('0.123456')).toBe('0.1235 P·h');
  });

  it('writes durations in the chosen language', () => {
    expect(zh.duration(3725)).toBe('1 小时 2 分');
    expect(en.duration(125)).toBe('2 min 5 s');
    expect(en.duration(7)).toBe('7 s');
  });

  it('shows an unknown job state by its name instead of failing', () => {
    expect(en.t('state.succeeded')).toBe('Succeeded');
    expect(en.t('state.thawing' as MessageKey)).toBe('state.thawing');
  });
});

describe('yuan typed into a form', () => {
  it('becomes exact whole fen, by string arithmetic', () => {
    expect(yuanToFen('100')).toBe('10000');
    expect(yuanToFen('100.00')).toBe('10000');
    expect(yuanToFen(' 100.5 ')).toBe('10050');
    expect(yuanToFen('0.01')).toBe('1');
    expect(yuanToFen('1,234.56')).toBe('123456');
    // Beyond what a double holds exactly: 9,007,199,254,740,993.07 yuan.
    expect(yuanToFen('9007199254740993.07')).toBe('900719925474099307');
  });

  it('is refused when it is not a positive amount with at most two decimals', () => {
    for (const text of ['', '0', '0.00', '-5', '12.345', '1e3', '¥10', 'abc', '.5', '10.'])
      expect(yuanToFen(text), text).toBeNull();
  });
});

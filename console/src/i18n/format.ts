/**
 * Messages and formats for one locale: `t` looks a message up, and the formatters follow the locale (numbers, P,
 * money in CNY) and the browser's time zone (times). Pure: no React, no DOM, so it is tested without a browser.
 */
import { MESSAGES, type Locale, type MessageKey } from './messages.ts';
import { formatWanYuan, formatYuan } from './money.ts';

export interface I18n {
  locale: Locale;
  setLocale(locale: Locale): void;
  t(key: MessageKey, values?: Record<string, string | number>): string;
  number(value: number | string, maxDecimals?: number): string;
  p(value: number | string): string;
  percent(fraction: number): string;
  ph(value: number | string): string;
  /** Fen (integer 0.01 CNY) as money, e.g. ¥18.00. */
  yuan(fen: number): string;
  /** A ledger amount: exact fen as the API's decimal string, e.g. "-1800" → -¥18.00. */
  money(fen: string): string;
  /** A large total of the programme office: 万元 in Chinese, exact to the fen; yuan with grouping in English. */
  largeMoney(fen: string): string;
  dateTime(iso: string | null): string;
  duration(seconds: number): string;
}

export function fill(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

export function makeI18n(locale: Locale, setLocale: (l: Locale) => void): I18n {
  const messages = MESSAGES[locale];
  // A key built at run time (a job state the console does not know yet) shows as itself rather than failing.
  const t: I18n['t'] = (key, values) => fill(messages[key] ?? key, values);
  const number: I18n['number'] = (value, maxDecimals = 3) =>
    new Intl.NumberFormat(locale, { maximumFractionDigits: maxDecimals }).format(Number(value));
  const dateTimeFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
  const money = new Intl.NumberFormat(locale, { style: 'currency', currency: 'CNY' });
  return {
    locale,
    setLocale,
    t,
    number,
    p: (value) => t('unit.p', { value: number(value) }),
    percent: (fraction) =>
      new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(fraction),
    ph: (value) => t('unit.ph', { value: number(value, 4) }),
    yuan: (fen) => money.format(fen / 100),
    money: (fen) => formatYuan(locale, fen),
    // 万元 is how Chinese budgets are written; English readers have no such unit and read grouped yuan.
    largeMoney: (fen) =>
      locale === 'zh-CN' ? t('unit.wanYuan', { value: formatWanYuan(locale, fen) }) : formatYuan(locale, fen),
    dateTime: (iso) => (iso ? dateTimeFormat.format(new Date(iso)) : '—'),
    duration: (seconds) => {
      const h = Math.floor(seconds / 3600);
      const m = Math.floor((seconds % 3600) / 60);
      const s = Math.round(seconds % 60);
      if (h > 0) return t('duration.hm', { h: number(h), m });
      if (m > 0) return t('duration.ms', { m, s });
      return t('duration.s', { s });
    },
  };
}

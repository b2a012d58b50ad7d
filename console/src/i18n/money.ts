/**
 * Money from exact fen. The API sends amounts as decimal strings of whole fen (a bigint may exceed what a JSON number
 * holds), so the console turns them into decimal strings by integer arithmetic and lets Intl format the string: no
 * amount ever passes through a float, and no fen is lost however large the total.
 */

/** "-123456" fen as the exact decimal "-1234.56" in units of 10^places fen (2: yuan, 6: 万元). */
export function fenAsDecimal(fen: string | bigint, places: number): `${number}` {
  const value = typeof fen === 'bigint' ? fen : BigInt(fen);
  const sign = value < 0n ? '-' : '';
  const digits = (value < 0n ? -value : value).toString().padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places);
  const fraction = digits.slice(digits.length - places);
  return `${sign}${whole}${fraction ? `.${fraction}` : ''}` as `${number}`;
}

/** ¥ with two decimals in the locale's grouping, e.g. ¥1,234.56 (zh-CN) or CN¥1,234.56 (en). */
export function formatYuan(locale: string, fen: string | bigint): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency: 'CNY' }).format(fenAsDecimal(fen, 2));
}

/**
 * A large total in 万元 (units of ¥10,000), as the programme office reports them: at least two decimals, and as many
 * more as it takes to keep every fen (1 fen = 0.000001 万元).
 */
export function formatWanYuan(locale: string, fen: string | bigint): string {
  return new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 6 }).format(
    fenAsDecimal(fen, 6),
  );
}

/**
 * Yuan as typed into a form ("100", "100.5", "1,234.56") as the exact whole fen the API takes ("10000", "10050",
 * "123456"), by string arithmetic; null unless it is a positive amount with at most two decimals.
 */
export function yuanToFen(text: string): string | null {
  const match = /^(\d{1,16})(?:\.(\d{1,2}))?$/.exec(text.trim().replace(/[,，]/g, ''));
  if (!match) return null;
  const fen = BigInt(match[1]!) * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
  return fen > 0n ? fen.toString() : null;
}

import { Dec } from '../../common/money/decimal';
import { formatMinorUnits } from '../../common/money/money';

/** "1234567.891" → "1,234,567.891": groups the integer part of a plain decimal string. */
export function groupThousands(decimal: string): string {
  const negative = decimal.startsWith('-');
  const [int, frac] = (negative ? decimal.slice(1) : decimal).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${frac === undefined ? '' : `.${frac}`}`;
}

/**
 * Minor units as printed on the invoice: "USD 1,234.56", "JPY 1,500", "-EUR 12.50". The sign is
 * an ASCII hyphen: U+2212 has no glyph in the standard (WinAnsi) PDF fonts.
 */
export function formatMoney(cents: number, currency: string): string {
  const sign = cents < 0 ? '-' : '';
  return `${sign}${currency} ${groupThousands(formatMinorUnits(Math.abs(cents), currency))}`;
}

/** A deduction (discount, credits): "-USD 12.50", or "USD 0.00" when there is none. */
export function formatDeduction(cents: number, currency: string): string {
  return formatMoney(cents === 0 ? 0 : -cents, currency);
}

/** Minor units without the currency code, for table cells under an "Amount (USD)" header. */
export function formatAmountCell(cents: number, currency: string): string {
  return `${cents < 0 ? '-' : ''}${groupThousands(formatMinorUnits(Math.abs(cents), currency))}`;
}

/** A quantity or unit price (decimal string) with grouped integer digits; empty when absent. */
export function formatDecimalCell(value: string | null): string {
  if (value === null || value === '') return '';
  return /^-?\d+(\.\d+)?$/.test(value) ? groupThousands(value) : value;
}

export function formatDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** A half-open period [start, end) as its first and last day: "2026-01-01 – 2026-01-31". */
export function formatPeriod(start: Date, endExclusive: Date): string {
  const lastDay = new Date(Math.max(start.getTime(), endExclusive.getTime() - 1));
  return `${formatDate(start)} \u2013 ${formatDate(lastDay)}`;
}

/** A tax rate stored as a fraction ("0.2") as a percentage ("20%"). */
export function formatTaxRate(rate: string): string {
  const d = new Dec(rate);
  return `${d.times(100).toDecimalPlaces(4).toFixed()}%`;
}

// Characters beyond Latin-1 that WinAnsiEncoding (the standard fonts' encoding) still has.
const WIN_ANSI_EXTRAS = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/**
 * Makes text printable with the standard Helvetica fonts, which only know WinAnsi: the minus
 * sign becomes a hyphen, control characters a space, anything else unknown a "?".
 */
export function toWinAnsi(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    const code = ch.codePointAt(0) ?? 0x3f;
    if (ch === '\u2212') out += '-';
    else if (ch === '\t' || ch === '\n' || ch === '\r') out += ' ';
    else if ((code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRAS.has(ch)) out += ch;
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += ' ';
    else out += '?';
  }
  return out;
}

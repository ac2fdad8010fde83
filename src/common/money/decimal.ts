import Decimal from 'decimal.js';

/**
 * The service's exact-decimal type: 80 significant digits, half away from zero (decimal.js
 * ROUND_HALF_UP rounds ties away from zero, negatives included), never exponent notation.
 */
export const Dec = Decimal.clone({
  precision: 80,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -100,
  toExpPos: 100,
});
export type Dec = Decimal;

/** Largest quantity accepted anywhere (18 integer digits). */
export const MAX_QUANTITY = new Dec('1e18');
export const MAX_QUANTITY_DECIMALS = 12;

const DECIMAL_STRING = /^-?\d+(\.\d+)?$/;

/** Parses a JSON number or a plain decimal string; null when it is neither (no exponents, no NaN). */
export function parseDecimal(input: unknown): Dec | null {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return null;
    // String(n) is the shortest round-trip form; exponent forms are expanded by Dec.
    return new Dec(String(input));
  }
  if (typeof input !== 'string') return null;
  const s = input.trim();
  if (s.length === 0 || s.length > 64 || !DECIMAL_STRING.test(s)) return null;
  return new Dec(s);
}

export function decimalPlaces(d: Dec): number {
  return d.decimalPlaces();
}

/** A quantity as the contract writes it: a plain decimal string without trailing zeros. */
export function formatQuantity(d: Dec): string {
  return d.toFixed();
}

/** Checks a usage quantity: >= 0, at most 12 decimals, below 1e18. Returns an error message or null. */
export function quantityProblem(input: unknown): string | null {
  const q = checkQuantity(input);
  return typeof q === 'string' ? q : null;
}

/** Largest number of integer digits of an accepted quantity (below MAX_QUANTITY, a power of ten). */
const MAX_QUANTITY_INTEGER_DIGITS = MAX_QUANTITY.toFixed().length - 1;

/**
 * A plain `digits[.digits]` quantity written as formatQuantity writes it ('007.50' → '7.5'),
 * read from its characters alone; null when it is not that plain or not acceptable, for the
 * general path (Dec) to say why. This is the ingest hot path: no Dec, and the input itself comes
 * back when it is already canonical.
 */
export function plainQuantity(s: string): string | null {
  const n = s.length;
  let i = 0;
  while (i < n - 1 && s.charCodeAt(i) === 48 /* 0 */ && s.charCodeAt(i + 1) !== 46 /* . */) i++;
  const intStart = i;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  const intEnd = i;
  if (intEnd === intStart || intEnd - intStart > MAX_QUANTITY_INTEGER_DIGITS) return null;
  if (i === n) return intStart === 0 ? s : s.slice(intStart);
  if (s.charCodeAt(i) !== 46 /* . */ || i === n - 1) return null;
  for (i++; i < n; i++) if (!isDigit(s.charCodeAt(i))) return null;
  let end = n;
  while (s.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (end - intEnd - 1 > MAX_QUANTITY_DECIMALS) return null;
  if (end === intEnd + 1) end = intEnd; // only zeros after the point
  return intStart === 0 && end === n ? s : s.slice(intStart, end);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** What is wrong with a quantity (quantityText). */
export class QuantityProblem {
  constructor(readonly message: string) {}
}

/**
 * A usage quantity as the contract writes it (formatQuantity of its exact value), or what is
 * wrong with it: checkQuantity's rules, with plain digit strings and numbers that print plainly
 * read without a Dec.
 */
export function quantityText(input: unknown): string | QuantityProblem {
  const plain = typeof input === 'string' ? plainQuantity(input) : typeof input === 'number' && input >= 0 ? plainQuantity(String(input)) : null;
  if (plain !== null) return plain;
  const q = checkQuantity(input);
  return typeof q === 'string' ? new QuantityProblem(q) : q.toFixed();
}

/** The quantity as a decimal, or what is wrong with it. */
export function checkQuantity(input: unknown): Dec | string {
  const d = parseDecimal(input);
  if (d === null) return 'must be a decimal number or decimal string';
  if (d.isNegative()) return 'must be >= 0';
  if (d.decimalPlaces() > MAX_QUANTITY_DECIMALS) return `must have at most ${MAX_QUANTITY_DECIMALS} decimals`;
  if (d.gte(MAX_QUANTITY)) return 'must be less than 1e18';
  return d;
}

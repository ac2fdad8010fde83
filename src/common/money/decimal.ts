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

/** The quantity as a decimal, or what is wrong with it. */
export function checkQuantity(input: unknown): Dec | string {
  const d = parseDecimal(input);
  if (d === null) return 'must be a decimal number or decimal string';
  if (d.isNegative()) return 'must be >= 0';
  if (d.decimalPlaces() > MAX_QUANTITY_DECIMALS) return `must have at most ${MAX_QUANTITY_DECIMALS} decimals`;
  if (d.gte(MAX_QUANTITY)) return 'must be less than 1e18';
  return d;
}

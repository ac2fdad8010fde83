import { Dec } from './decimal';

const minorDigitsCache = new Map<string, number>();

export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

/** Digits of the currency's minor unit (USD 2, JPY 0, BHD 3), from ICU's ISO 4217 data. */
export function minorUnitDigits(currency: string): number {
  let digits = minorDigitsCache.get(currency);
  if (digits === undefined) {
    if (!CURRENCY_PATTERN.test(currency)) throw new Error(`Not an ISO 4217 code: ${currency}`);
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    minorDigitsCache.set(currency, digits);
  }
  return digits;
}

export function isKnownCurrency(currency: string): boolean {
  if (!CURRENCY_PATTERN.test(currency)) return false;
  try {
    return Intl.supportedValuesOf('currency').includes(currency);
  } catch {
    return false;
  }
}

/**
 * Rounds an exact amount in major units to integer minor units, half away from zero: the one
 * rounding an invoice line gets (CONTRACT.md, Money).
 */
export function toMinorUnits(amountMajor: Dec | string, currency: string): number {
  const minor = new Dec(amountMajor).times(new Dec(10).pow(minorUnitDigits(currency)));
  const rounded = minor.toDecimalPlaces(0, Dec.ROUND_HALF_UP);
  const n = rounded.toNumber();
  if (!Number.isSafeInteger(n)) throw new RangeError(`Amount out of range: ${minor.toFixed()}`);
  return Object.is(n, -0) ? 0 : n;
}

/** Integer minor units back to an exact major-unit decimal (1234 USD → 12.34). */
export function fromMinorUnits(cents: number, currency: string): Dec {
  return new Dec(cents).div(new Dec(10).pow(minorUnitDigits(currency)));
}

/** Display form of minor units, e.g. "12.34" or "-0.05". */
export function formatMinorUnits(cents: number, currency: string): string {
  return fromMinorUnits(cents, currency).toFixed(minorUnitDigits(currency));
}

/** Sums integer minor units, failing loudly instead of losing precision. */
export function sumCents(values: readonly number[]): number {
  let total = 0;
  for (const v of values) {
    if (!Number.isSafeInteger(v)) throw new RangeError(`Not an integer amount: ${v}`);
    total += v;
  }
  if (!Number.isSafeInteger(total)) throw new RangeError('Sum out of range');
  return total;
}

/**
 * Splits an integer amount into parts proportional to weights that add up exactly to the
 * amount (largest remainder method; ties go to the earlier part).
 */
export function allocateCents(totalCents: number, weights: readonly Dec[]): number[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((a, w) => a.plus(w), new Dec(0));
  if (sum.isZero()) {
    return weights.map((_, i) => (i === 0 ? totalCents : 0));
  }
  const sign = totalCents < 0 ? -1 : 1;
  const abs = Math.abs(totalCents);
  const exact = weights.map((w) => new Dec(abs).times(w).div(sum));
  const floors = exact.map((e) => e.floor().toNumber());
  let remainder = abs - floors.reduce((a, b) => a + b, 0);
  const order = exact
    .map((e, i) => ({ i, frac: e.minus(e.floor()) }))
    .sort((a, b) => b.frac.comparedTo(a.frac) || a.i - b.i);
  for (const { i } of order) {
    if (remainder <= 0) break;
    floors[i] += 1;
    remainder -= 1;
  }
  return floors.map((f) => (f === 0 ? 0 : sign * f));
}

/**
 * Proration of a period's base fee by the second (CONTRACT.md, Subscription): plan changes and
 * pauses. Exact decimals throughout; the only rounding is toMinorUnits, once per invoice line.
 *
 * Instants are counted in whole UTC seconds (floored), Stripe's granularity: a boundary carrying
 * milliseconds (an anchor taken from `now`) still gives whole-second shares, and the shares of a
 * split period always add up to the period exactly.
 */
import { Dec, parseDecimal } from '../../common/money/decimal';

/** A part of a period in whole seconds; its fraction is seconds / totalSeconds. */
export interface SecondsShare {
  seconds: number;
  totalSeconds: number;
}

export interface Pause {
  from: Date;
  /** null: still paused (up to the period end). */
  to: Date | null;
}

function epochSeconds(d: Date, name: string): number {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new RangeError(`${name} is not a valid Date`);
  return Math.floor(d.getTime() / 1000);
}

function periodBounds(periodStart: Date, periodEnd: Date): { start: number; end: number } {
  const start = epochSeconds(periodStart, 'periodStart');
  const end = epochSeconds(periodEnd, 'periodEnd');
  if (end <= start) throw new RangeError('A period must last at least one second');
  return { start, end };
}

function parsePrice(price: string, name: string): Dec {
  const d = typeof price === 'string' ? parseDecimal(price) : null;
  if (d === null || d.isNegative()) throw new RangeError(`${name} must be a decimal string >= 0, got ${price}`);
  return d;
}

/** Seconds of [from, to) ∩ [periodStart, periodEnd), out of the period's seconds. */
export function prorationSeconds(periodStart: Date, periodEnd: Date, from: Date, to: Date): SecondsShare {
  const { start, end } = periodBounds(periodStart, periodEnd);
  const overlapStart = Math.max(start, epochSeconds(from, 'from'));
  const overlapEnd = Math.min(end, epochSeconds(to, 'to'));
  return { seconds: Math.max(0, overlapEnd - overlapStart), totalSeconds: end - start };
}

export function shareToFraction(share: SecondsShare): Dec {
  return new Dec(share.seconds).div(share.totalSeconds);
}

/** The share of the period covered by [from, to), in [0, 1] (80 significant digits). */
export function prorationFraction(periodStart: Date, periodEnd: Date, from: Date, to: Date): Dec {
  return shareToFraction(prorationSeconds(periodStart, periodEnd, from, to));
}

/**
 * basePrice × share in major units, unrounded. Prefer passing the SecondsShare: price × seconds
 * / total is one division, so a result that is exactly a half cent stays exact and rounds the
 * right way, where a fraction like 1/3 has already lost its last digit (0.165 × 1/3 = 0.055 would
 * come out 0.0549…9 and round to 0.05).
 */
export function proratedAmount(basePriceMajor: string, share: Dec | SecondsShare): Dec {
  const price = parsePrice(basePriceMajor, 'basePriceMajor');
  if (Dec.isDecimal(share)) return price.times(share);
  if (share.totalSeconds === 0) return new Dec(0);
  return price.times(share.seconds).div(share.totalSeconds);
}

/**
 * Seconds of the window not covered by any pause. Pauses are clipped to the window, may be
 * open-ended (to = null) or overlap each other (merged, so no second counts twice); a pause that
 * ends before it starts covers nothing.
 */
export function activeSeconds(periodStart: Date, periodEnd: Date, pauses: readonly Pause[]): SecondsShare {
  // A window may be shorter than a second (a part of a period cut right after it began): it has no
  // whole second to bill, but it is still a window (its usage is invoiced).
  const start = epochSeconds(periodStart, 'periodStart');
  const end = epochSeconds(periodEnd, 'periodEnd');
  if (end < start) throw new RangeError('A window must not end before it starts');
  const clipped = pauses
    .map((p) => ({
      from: Math.max(start, epochSeconds(p.from, 'pause.from')),
      to: p.to === null ? end : Math.min(end, epochSeconds(p.to, 'pause.to')),
    }))
    .filter((p) => p.to > p.from)
    .sort((a, b) => a.from - b.from);

  let paused = 0;
  let coveredUntil = start;
  for (const p of clipped) {
    const from = Math.max(p.from, coveredUntil);
    if (p.to > from) {
      paused += p.to - from;
      coveredUntil = p.to;
    }
  }
  return { seconds: end - start - paused, totalSeconds: end - start };
}

/** The share of the period not paused, in [0, 1]: what the base fee is multiplied by. */
export function activeSecondsFraction(periodStart: Date, periodEnd: Date, pauses: readonly Pause[]): Dec {
  return shareToFraction(activeSeconds(periodStart, periodEnd, pauses));
}

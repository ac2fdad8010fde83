/**
 * Billing-period arithmetic (CONTRACT.md, Conventions): UTC, half-open [start, end), anchored on
 * the subscription's anchor instant. Boundary k is `anchor + k intervals`, always computed from
 * the original anchor, so a day the month lacks clamps to its last day without drifting
 * (anchor Jan 31: Feb 29, Mar 31, Apr 30, ...) and the anchor's time of day is kept.
 *
 * Pure functions, O(1) per call: no walking period by period, however far back the anchor lies.
 * Indexes may be negative (periods before the anchor), which keeps every function total; callers
 * normally only meet index >= 0.
 */

export type BillingInterval = 'month' | 'year';

export interface BillingPeriod {
  start: Date;
  /** Exclusive. */
  end: Date;
  /** 0 for the period starting at the anchor, negative before it. */
  index: number;
}

const MS_PER_DAY = 86_400_000;
const MONTHS_PER_INTERVAL: Record<BillingInterval, number> = { month: 1, year: 12 };

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in a UTC month (month 0–11). */
export function daysInMonth(year: number, month: number): number {
  return month === 1 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month];
}

function assertValidDate(d: Date, name: string): void {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new RangeError(`${name} is not a valid Date`);
}

function assertInteger(n: number, name: string): void {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${name} must be an integer, got ${n}`);
}

/** Month count since year 0 of the instant's UTC calendar month. */
function monthOrdinal(d: Date): number {
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** Adds whole months to the anchor, clamping its day to the target month's length. */
function addMonths(anchor: Date, months: number): Date {
  const ordinal = monthOrdinal(anchor) + months;
  const year = Math.floor(ordinal / 12);
  const month = ordinal - year * 12;
  const day = Math.min(anchor.getUTCDate(), daysInMonth(year, month));
  const msOfDay = ((anchor.getTime() % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
  // setUTCFullYear rather than Date.UTC, which reads years 0–99 as 1900–1999.
  const midnight = new Date(0);
  midnight.setUTCFullYear(year, month, day);
  const result = new Date(midnight.getTime() + msOfDay);
  assertValidDate(result, 'result');
  return result;
}

/** Boundary n of the schedule: the anchor plus n intervals (n may be negative). */
export function addIntervals(anchor: Date, interval: BillingInterval, n: number): Date {
  assertValidDate(anchor, 'anchor');
  assertInteger(n, 'n');
  return addMonths(anchor, n * MONTHS_PER_INTERVAL[interval]);
}

/** The period with the given index: [boundary index, boundary index + 1). */
export function periodAt(anchor: Date, interval: BillingInterval, index: number): BillingPeriod {
  return {
    start: addIntervals(anchor, interval, index),
    end: addIntervals(anchor, interval, index + 1),
    index,
  };
}

/**
 * The period whose [start, end) contains `at`. Before the anchor the index is negative (the
 * schedule extends backwards by the same rule); it never throws for a valid Date.
 */
export function periodContaining(anchor: Date, interval: BillingInterval, at: Date): BillingPeriod {
  assertValidDate(anchor, 'anchor');
  assertValidDate(at, 'at');
  // The calendar-month distance puts boundary k in at's month (or year); it is then at most one
  // step too late (at's day or time lies before the anchor's). The loops are a safety net.
  const monthDiff = monthOrdinal(at) - monthOrdinal(anchor);
  let index = Math.floor(monthDiff / MONTHS_PER_INTERVAL[interval]);
  while (addIntervals(anchor, interval, index).getTime() > at.getTime()) index--;
  while (addIntervals(anchor, interval, index + 1).getTime() <= at.getTime()) index++;
  return periodAt(anchor, interval, index);
}

/**
 * The periods the period-close job must invoice: the period containing `from`, then every later
 * one, as long as it has ended by `to` (end <= to). So the first may start before `from` when
 * `from` is not a boundary, the period still running at `to` is never included, and the result
 * is empty when nothing has ended yet (or to < from). In index order, consecutive, each period's
 * end equal to the next one's start.
 *
 * Typical call: `periodsBetween(anchor, interval, currentPeriodStart, now)` after downtime or a
 * backdated start.
 */
export function periodsBetween(anchor: Date, interval: BillingInterval, from: Date, to: Date): BillingPeriod[] {
  const first = periodContaining(anchor, interval, from).index;
  const running = periodContaining(anchor, interval, to).index;
  const periods: BillingPeriod[] = [];
  for (let index = first; index < running; index++) periods.push(periodAt(anchor, interval, index));
  return periods;
}

/**
 * End of a trial of whole days: exactly trialDays × 86,400 s after start. UTC has no DST, so this
 * is also trialDays calendar days later at the same time of day.
 */
export function trialEnd(start: Date, trialDays: number): Date {
  assertValidDate(start, 'start');
  assertInteger(trialDays, 'trialDays');
  if (trialDays < 0) throw new RangeError(`trialDays must be >= 0, got ${trialDays}`);
  const end = new Date(start.getTime() + trialDays * MS_PER_DAY);
  assertValidDate(end, 'trial end');
  return end;
}

import fc from 'fast-check';
import {
  addIntervals,
  BillingInterval,
  daysInMonth,
  periodAt,
  periodContaining,
  periodsBetween,
  trialEnd,
} from './periods';

const utc = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();
const show = (p: { start: Date; end: Date; index: number }) => [iso(p.start), iso(p.end), p.index];
const MS_PER_DAY = 86_400_000;
const msOfDay = (d: Date) => ((d.getTime() % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;

/** Anchors from 1990 to 2100, built from parts so month ends (29–31) come up often. */
const anchorArb = fc
  .record({
    year: fc.integer({ min: 1990, max: 2100 }),
    month: fc.integer({ min: 0, max: 11 }),
    day: fc.integer({ min: 1, max: 31 }),
    timeOfDay: fc.integer({ min: 0, max: MS_PER_DAY - 1 }),
  })
  .map(({ year, month, day, timeOfDay }) => {
    const midnight = Date.UTC(year, month, Math.min(day, daysInMonth(year, month)));
    return new Date(midnight + timeOfDay);
  });
const intervalArb = fc.constantFrom<BillingInterval>('month', 'year');

/** The reference the arithmetic must agree with: step boundary by boundary from the anchor. */
function indexByWalking(anchor: Date, interval: BillingInterval, at: Date): number {
  let index = 0;
  while (addIntervals(anchor, interval, index + 1) <= at) index++;
  return index;
}

describe('addIntervals', () => {
  it('clamps a month-end anchor from the original day each time (leap year)', () => {
    const anchor = utc('2024-01-31T00:00:00Z');
    expect([1, 2, 3, 4].map((n) => iso(addIntervals(anchor, 'month', n)))).toEqual([
      '2024-02-29T00:00:00.000Z',
      '2024-03-31T00:00:00.000Z',
      '2024-04-30T00:00:00.000Z',
      '2024-05-31T00:00:00.000Z',
    ]);
  });

  it('clamps to Feb 28 in a common year', () => {
    expect(iso(addIntervals(utc('2023-01-31T00:00:00Z'), 'month', 1))).toBe('2023-02-28T00:00:00.000Z');
  });

  it('moves a Feb 29 yearly anchor to Feb 28 in common years and back in leap years', () => {
    const anchor = utc('2024-02-29T00:00:00Z');
    expect(iso(addIntervals(anchor, 'year', 1))).toBe('2025-02-28T00:00:00.000Z');
    expect(iso(addIntervals(anchor, 'year', 4))).toBe('2028-02-29T00:00:00.000Z');
    expect(iso(addIntervals(anchor, 'year', 76))).toBe('2100-02-28T00:00:00.000Z'); // 2100 is not leap
  });

  it("keeps the anchor's time of day", () => {
    const anchor = utc('2024-01-31T13:45:07.250Z');
    expect(iso(addIntervals(anchor, 'month', 1))).toBe('2024-02-29T13:45:07.250Z');
    expect(iso(addIntervals(anchor, 'year', 1))).toBe('2025-01-31T13:45:07.250Z');
  });

  it('returns the anchor for n = 0 and extends backwards for negative n', () => {
    const anchor = utc('2024-03-31T08:00:00Z');
    expect(iso(addIntervals(anchor, 'month', 0))).toBe('2024-03-31T08:00:00.000Z');
    expect(iso(addIntervals(anchor, 'month', -1))).toBe('2024-02-29T08:00:00.000Z');
    expect(iso(addIntervals(anchor, 'month', -13))).toBe('2023-02-28T08:00:00.000Z');
  });

  it('rejects a fractional count and an invalid anchor', () => {
    expect(() => addIntervals(utc('2024-01-01T00:00:00Z'), 'month', 1.5)).toThrow(RangeError);
    expect(() => addIntervals(new Date(NaN), 'month', 1)).toThrow(RangeError);
  });
});

describe('periodContaining', () => {
  const anchor = utc('2024-01-31T10:00:00Z');

  it('includes the start and excludes the end', () => {
    expect(show(periodContaining(anchor, 'month', utc('2024-02-29T10:00:00Z')))).toEqual([
      '2024-02-29T10:00:00.000Z',
      '2024-03-31T10:00:00.000Z',
      1,
    ]);
    expect(show(periodContaining(anchor, 'month', utc('2024-02-29T09:59:59.999Z')))).toEqual([
      '2024-01-31T10:00:00.000Z',
      '2024-02-29T10:00:00.000Z',
      0,
    ]);
  });

  it('gives index 0 at the anchor and a negative index before it', () => {
    expect(periodContaining(anchor, 'month', anchor).index).toBe(0);
    expect(show(periodContaining(anchor, 'month', utc('2023-12-31T09:00:00Z')))).toEqual([
      '2023-11-30T10:00:00.000Z',
      '2023-12-31T10:00:00.000Z',
      -2,
    ]);
  });

  it('finds a period 50 years after the anchor without walking', () => {
    const p = periodContaining(utc('1975-05-31T00:00:00Z'), 'month', utc('2025-06-15T00:00:00Z'));
    expect(show(p)).toEqual(['2025-05-31T00:00:00.000Z', '2025-06-30T00:00:00.000Z', 600]);
  });
});

describe('periodsBetween', () => {
  const anchor = utc('2024-01-31T00:00:00Z');

  it('returns every ended period from the one containing `from`, not the running one', () => {
    const periods = periodsBetween(anchor, 'month', utc('2024-02-10T00:00:00Z'), utc('2024-04-30T00:00:00Z'));
    expect(periods.map(show)).toEqual([
      ['2024-01-31T00:00:00.000Z', '2024-02-29T00:00:00.000Z', 0],
      ['2024-02-29T00:00:00.000Z', '2024-03-31T00:00:00.000Z', 1],
      ['2024-03-31T00:00:00.000Z', '2024-04-30T00:00:00.000Z', 2],
    ]);
  });

  it('is empty while the period containing `from` is still running, or when to < from', () => {
    expect(periodsBetween(anchor, 'month', anchor, utc('2024-02-28T23:59:59Z'))).toEqual([]);
    expect(periodsBetween(anchor, 'month', utc('2024-05-01T00:00:00Z'), anchor)).toEqual([]);
  });

  it('returns exactly the consecutive ended periods (property)', () => {
    fc.assert(
      fc.property(anchorArb, intervalArb, fc.nat(5_000), fc.nat(5_000), (anchor, interval, fromDays, spanDays) => {
        const from = new Date(anchor.getTime() + fromDays * MS_PER_DAY);
        const to = new Date(from.getTime() + spanDays * MS_PER_DAY);
        const periods = periodsBetween(anchor, interval, from, to);
        const first = periodContaining(anchor, interval, from);
        const next = periodAt(anchor, interval, first.index + periods.length);
        expect(next.end > to).toBe(true); // the first period left out has not ended
        periods.forEach((p, i) => {
          expect(p).toEqual(periodAt(anchor, interval, first.index + i));
          expect(p.end <= to).toBe(true);
        });
      }),
    );
  });
});

describe('trialEnd', () => {
  it('adds whole days of 86,400 s', () => {
    expect(iso(trialEnd(utc('2024-02-28T12:30:00Z'), 14))).toBe('2024-03-13T12:30:00.000Z');
    expect(iso(trialEnd(utc('2024-02-28T12:30:00Z'), 0))).toBe('2024-02-28T12:30:00.000Z');
  });

  it('rejects negative or fractional days', () => {
    expect(() => trialEnd(utc('2024-01-01T00:00:00Z'), -1)).toThrow(RangeError);
    expect(() => trialEnd(utc('2024-01-01T00:00:00Z'), 1.5)).toThrow(RangeError);
  });
});

describe('period properties', () => {
  it('consecutive periods tile time: no gap, no overlap, strictly increasing (k up to 200)', () => {
    fc.assert(
      fc.property(anchorArb, intervalArb, (anchor, interval) => {
        for (let k = 0; k <= 200; k++) {
          const p = periodAt(anchor, interval, k);
          expect(p.start < p.end).toBe(true);
          expect(p.end.getTime()).toBe(periodAt(anchor, interval, k + 1).start.getTime());
        }
      }),
      { numRuns: 50 },
    );
  });

  it("boundary k keeps the anchor's time, moves k intervals, and has day min(anchor day, month length)", () => {
    fc.assert(
      fc.property(anchorArb, intervalArb, fc.integer({ min: -200, max: 200 }), (anchor, interval, k) => {
        const b = addIntervals(anchor, interval, k);
        const months = k * (interval === 'year' ? 12 : 1);
        const ordinal = anchor.getUTCFullYear() * 12 + anchor.getUTCMonth() + months;
        expect(b.getUTCFullYear() * 12 + b.getUTCMonth()).toBe(ordinal);
        expect(b.getUTCDate()).toBe(Math.min(anchor.getUTCDate(), daysInMonth(b.getUTCFullYear(), b.getUTCMonth())));
        expect(msOfDay(b)).toBe(msOfDay(anchor));
      }),
    );
  });

  it('periodContaining(at) contains at, with the index found by walking', () => {
    const maxOffset = 200 * 366 * MS_PER_DAY; // about 200 periods of either interval
    fc.assert(
      fc.property(anchorArb, intervalArb, fc.integer({ min: 0, max: maxOffset }), (anchor, interval, offset) => {
        const at = new Date(anchor.getTime() + (interval === 'month' ? Math.floor(offset / 12) : offset));
        const p = periodContaining(anchor, interval, at);
        expect(p.start <= at && at < p.end).toBe(true);
        expect(p.index).toBe(indexByWalking(anchor, interval, at));
      }),
    );
  });

  it('on a boundary, periodContaining returns the period that starts there', () => {
    fc.assert(
      fc.property(anchorArb, intervalArb, fc.integer({ min: -200, max: 200 }), (anchor, interval, k) => {
        const boundary = addIntervals(anchor, interval, k);
        expect(periodContaining(anchor, interval, boundary).index).toBe(k);
        expect(periodContaining(anchor, interval, new Date(boundary.getTime() - 1)).index).toBe(k - 1);
      }),
    );
  });

  it('before the anchor, the index is negative and the period still contains at', () => {
    fc.assert(
      fc.property(anchorArb, intervalArb, fc.integer({ min: 1, max: 50 * 366 * MS_PER_DAY }), (anchor, interval, back) => {
        const at = new Date(anchor.getTime() - back);
        const p = periodContaining(anchor, interval, at);
        expect(p.index).toBeLessThan(0);
        expect(p.start <= at && at < p.end).toBe(true);
      }),
    );
  });
});

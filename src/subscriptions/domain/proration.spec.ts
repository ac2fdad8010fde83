import fc from 'fast-check';
import { Dec } from '../../common/money/decimal';
import { toMinorUnits } from '../../common/money/money';
import {
  activeSeconds,
  activeSecondsFraction,
  Pause,
  prorationFraction,
  prorationSeconds,
  proratedAmount,
} from './proration';

const utc = (iso: string) => new Date(iso);
const DAY = 86_400;
const at = (base: Date, seconds: number) => new Date(base.getTime() + seconds * 1000);

/** A period of 1 s to 366 days starting somewhere in 1990–2100, on a whole second. */
const periodArb = fc
  .record({
    startSecond: fc.integer({ min: Date.UTC(1990, 0, 1) / 1000, max: Date.UTC(2100, 0, 1) / 1000 }),
    totalSeconds: fc.integer({ min: 1, max: 366 * DAY }),
  })
  .map(({ startSecond, totalSeconds }) => ({
    start: new Date(startSecond * 1000),
    end: new Date((startSecond + totalSeconds) * 1000),
    totalSeconds,
  }));

describe('prorationFraction', () => {
  const offsetArb = fc.integer({ min: -400 * DAY, max: 400 * DAY });
  const start = utc('2024-04-01T00:00:00Z');
  const end = utc('2024-05-01T00:00:00Z');

  it('is the share of the period covered, clipped to the period', () => {
    expect(prorationFraction(start, end, utc('2024-04-11T00:00:00Z'), end).toFixed()).toBe(new Dec(2).div(3).toFixed());
    expect(prorationFraction(start, end, utc('2024-03-01T00:00:00Z'), utc('2024-04-16T00:00:00Z')).toFixed()).toBe('0.5');
    expect(prorationFraction(start, end, utc('2024-06-01T00:00:00Z'), utc('2024-07-01T00:00:00Z')).toFixed()).toBe('0');
  });

  it('counts whole seconds, flooring milliseconds', () => {
    const t = (s: string) => utc(`2024-04-01T00:00:${s}Z`);
    expect(prorationSeconds(t('00.900'), t('10.900'), t('05.999'), t('30'))).toEqual({ seconds: 5, totalSeconds: 10 });
  });

  it('rejects an empty period', () => {
    expect(() => prorationFraction(start, start, start, end)).toThrow(RangeError);
  });

  it('lies in [0, 1] for any window (property)', () => {
    fc.assert(
      fc.property(periodArb, offsetArb, offsetArb, (p, a, b) => {
        const f = prorationFraction(p.start, p.end, at(p.start, a), at(p.start, b));
        expect(f.gte(0) && f.lte(1)).toBe(true);
      }),
    );
  });
});

describe('proratedAmount', () => {
  it('keeps an exact half cent exact when given seconds, where a rounded fraction would not', () => {
    const third = { seconds: 10 * DAY, totalSeconds: 30 * DAY };
    expect(proratedAmount('0.165', third).toFixed()).toBe('0.055');
    expect(toMinorUnits(proratedAmount('0.165', third), 'USD')).toBe(6);
    // 1/3 as a decimal is a hair short, and the tie rounds down:
    expect(toMinorUnits(proratedAmount('0.165', new Dec(1).div(3)), 'USD')).toBe(5);
  });

  it('rejects a negative or malformed price', () => {
    expect(() => proratedAmount('-1', new Dec(1))).toThrow(RangeError);
    expect(() => proratedAmount('1e3', new Dec(1))).toThrow(RangeError);
  });
});

describe('activeSecondsFraction', () => {
  const start = utc('2024-04-01T00:00:00Z'); // 10 days
  const end = utc('2024-04-11T00:00:00Z');
  const day = (n: number) => at(start, n * DAY);

  it('is 1 without pauses and 0 when paused over the whole period', () => {
    expect(activeSecondsFraction(start, end, []).toFixed()).toBe('1');
    expect(activeSecondsFraction(start, end, [{ from: day(-3), to: null }]).toFixed()).toBe('0');
    expect(activeSecondsFraction(start, end, [{ from: day(-3), to: day(12) }]).toFixed()).toBe('0');
  });

  it('merges overlapping pauses, clips them to the period and runs open-ended ones to its end', () => {
    const pauses: Pause[] = [
      { from: day(8), to: null },
      { from: day(2), to: day(5) },
      { from: day(1), to: day(3) },
      { from: day(-5), to: day(-1) }, // before the period
      { from: day(6), to: day(4) }, // ends before it starts: covers nothing
    ];
    expect(activeSeconds(start, end, pauses)).toEqual({ seconds: 4 * DAY, totalSeconds: 10 * DAY });
    expect(activeSecondsFraction(start, end, pauses).toFixed()).toBe('0.4');
  });

  it('matches counting second by second, lies in [0, 1], and ignores the order of pauses (property)', () => {
    const N = 300;
    const secondArb = fc.integer({ min: -50, max: N + 50 });
    const pauseArb = fc.record({ from: secondArb, to: fc.option(secondArb, { nil: null }) });
    fc.assert(
      fc.property(fc.array(pauseArb, { maxLength: 6 }), (raw) => {
        let active = 0;
        for (let s = 0; s < N; s++) {
          if (!raw.some((p) => p.from <= s && (p.to === null || s < p.to))) active++;
        }
        const pauses = raw.map((p) => ({ from: at(start, p.from), to: p.to === null ? null : at(start, p.to) }));
        const share = activeSeconds(start, at(start, N), pauses);
        expect(share).toEqual({ seconds: active, totalSeconds: N });
        const f = activeSecondsFraction(start, at(start, N), [...pauses].reverse());
        expect(f.eq(new Dec(active).div(N)) && f.gte(0) && f.lte(1)).toBe(true);
      }),
    );
  });
});

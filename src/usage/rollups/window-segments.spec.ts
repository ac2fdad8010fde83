import fc from 'fast-check';
import { deltaMinutesSql, floorTo, rollupStretches, windowSegments } from './window-segments';

const d = (s: string) => new Date(s);
const instant = fc.date({ min: d('2020-01-01T00:00:00Z'), max: d('2030-12-31T00:00:00Z'), noInvalidDate: true });

describe('windowSegments', () => {
  it('reads a calendar month as one month segment', () => {
    expect(windowSegments(d('2026-03-01T00:00:00Z'), d('2026-04-01T00:00:00Z'))).toEqual([
      { kind: 'm', from: d('2026-03-01T00:00:00Z'), to: d('2026-04-01T00:00:00Z') },
    ]);
  });

  it('splits an anchored billing period into raw, hours, days, months, days, hours, raw', () => {
    const segs = windowSegments(d('2026-01-15T10:23:11Z'), d('2026-03-15T10:23:11Z'));
    expect(segs.map((s) => s.kind)).toEqual(['raw', 'h', 'd', 'm', 'd', 'h', 'raw']);
    expect(segs[0]).toEqual({ kind: 'raw', from: d('2026-01-15T10:23:11Z'), to: d('2026-01-15T11:00:00Z') });
    expect(segs[3]).toEqual({ kind: 'm', from: d('2026-02-01T00:00:00Z'), to: d('2026-03-01T00:00:00Z') });
    expect(segs[6]).toEqual({ kind: 'raw', from: d('2026-03-15T10:00:00Z'), to: d('2026-03-15T10:23:11Z') });
  });

  it('keeps a window inside one hour raw, and an empty window empty', () => {
    expect(windowSegments(d('2026-01-01T10:05:00Z'), d('2026-01-01T10:55:00Z'))).toEqual([
      { kind: 'raw', from: d('2026-01-01T10:05:00Z'), to: d('2026-01-01T10:55:00Z') },
    ]);
    expect(windowSegments(d('2026-01-01T10:05:00Z'), d('2026-01-01T10:05:00Z'))).toEqual([]);
  });

  it('never uses a granularity coarser than asked', () => {
    const segs = windowSegments(d('2026-01-01T00:00:00Z'), d('2026-03-01T00:00:00Z'), 'd');
    expect(segs).toEqual([{ kind: 'd', from: d('2026-01-01T00:00:00Z'), to: d('2026-03-01T00:00:00Z') }]);
  });

  it('reads recent edges from minute rows, older edges raw', () => {
    const segs = windowSegments(d('2026-01-15T10:23:11Z'), d('2026-03-15T10:23:11Z'), 'm', d('2026-03-14T00:00:00Z'));
    expect(segs.map((s) => s.kind)).toEqual(['raw', 'h', 'd', 'm', 'd', 'h', 'i', 'raw']);
    expect(segs[0]).toEqual({ kind: 'raw', from: d('2026-01-15T10:23:11Z'), to: d('2026-01-15T11:00:00Z') });
    expect(segs[6]).toEqual({ kind: 'i', from: d('2026-03-15T10:00:00Z'), to: d('2026-03-15T10:23:00Z') });
    expect(segs[7]).toEqual({ kind: 'raw', from: d('2026-03-15T10:23:00Z'), to: d('2026-03-15T10:23:11Z') });
    expect(windowSegments(d('2026-01-01T10:05:30Z'), d('2026-01-01T10:55:00Z'), 'h', d('2026-01-01T00:00:00Z'))).toEqual([
      { kind: 'raw', from: d('2026-01-01T10:05:30Z'), to: d('2026-01-01T10:06:00Z') },
      { kind: 'i', from: d('2026-01-01T10:06:00Z'), to: d('2026-01-01T10:55:00Z') },
    ]);
  });

  it('tiles any window exactly, with aligned buckets and at most an hour raw per edge (property)', () => {
    fc.assert(
      fc.property(instant, instant, fc.constantFrom<'m' | 'd' | 'h'>('m', 'd', 'h'), fc.option(instant), (a, b, coarsest, minutesFrom) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const segs = windowSegments(from, to, coarsest, minutesFrom);
        let cursor = from.getTime();
        let raw = 0;
        for (const s of segs) {
          expect(s.from.getTime()).toBe(cursor);
          expect(s.to.getTime()).toBeGreaterThan(s.from.getTime());
          cursor = s.to.getTime();
          if (s.kind === 'raw') {
            raw++;
            expect(s.to.getTime() - s.from.getTime()).toBeLessThan(3_600_000 + 1);
            // Past the minute horizon an edge is under a minute.
            if (minutesFrom !== null && s.from.getTime() >= minutesFrom.getTime()) expect(s.to.getTime() - s.from.getTime()).toBeLessThan(60_000);
          } else {
            expect(floorTo(s.from, s.kind).getTime()).toBe(s.from.getTime());
            expect(floorTo(s.to, s.kind).getTime()).toBe(s.to.getTime());
            expect('mdhi'.indexOf(s.kind)).toBeGreaterThanOrEqual('mdhi'.indexOf(coarsest));
            if (s.kind === 'i') expect(minutesFrom !== null && s.from.getTime() >= minutesFrom.getTime()).toBe(true);
          }
        }
        expect(cursor).toBe(to.getTime());
        expect(raw).toBeLessThanOrEqual(2);
        expect(segs.length).toBeLessThanOrEqual(9);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the rollup stretches of a tiling, adjacent segments merged, and the deltas condition on them', () => {
    const segs = windowSegments(d('2026-01-30T10:15:30Z'), d('2026-03-02T05:00:10Z'));
    expect(rollupStretches(segs)).toEqual([{ from: d('2026-01-30T11:00:00Z'), to: d('2026-03-02T05:00:00Z') }]);
    const params: unknown[] = [];
    expect(deltaMinutesSql(segs, (v) => `$${params.push(v)}`)).toBe('(minute >= $1 AND minute < $2)');
    expect(params).toEqual([d('2026-01-30T11:00:00Z'), d('2026-03-02T05:00:00Z')]);
    // Only raw: no rollup row is read, so no delta either.
    expect(deltaMinutesSql(windowSegments(d('2026-01-30T10:15:30Z'), d('2026-01-30T10:15:50Z')), () => '$x')).toBeNull();
    // Stretches apart (a raw piece between them, as a caller may tile it) stay apart.
    const apart = [
      { kind: 'h' as const, from: d('2026-01-01T00:00:00Z'), to: d('2026-01-01T02:00:00Z') },
      { kind: 'raw' as const, from: d('2026-01-01T02:00:00Z'), to: d('2026-01-01T02:00:30Z') },
      { kind: 'i' as const, from: d('2026-01-01T02:01:00Z'), to: d('2026-01-01T02:03:00Z') },
    ];
    expect(deltaMinutesSql(apart, (v) => `'${(v as Date).toISOString()}'`)).toBe(
      "(minute >= '2026-01-01T00:00:00.000Z' AND minute < '2026-01-01T02:00:00.000Z' OR minute >= '2026-01-01T02:01:00.000Z' AND minute < '2026-01-01T02:03:00.000Z')",
    );
  });

  it('covers exactly the minutes of the rollup segments (property)', () => {
    fc.assert(
      fc.property(instant, instant, fc.constantFrom<'m' | 'd' | 'h'>('m', 'd', 'h'), fc.option(instant), (a, b, coarsest, minutesFrom) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const segs = windowSegments(from, to, coarsest, minutesFrom);
        const stretches = rollupStretches(segs);
        const inRollup = (t: number) => segs.some((s) => s.kind !== 'raw' && s.from.getTime() <= t && t < s.to.getTime());
        const inStretch = (t: number) => stretches.some((s) => s.from.getTime() <= t && t < s.to.getTime());
        for (let i = 1; i < stretches.length; i++) expect(stretches[i].from.getTime()).toBeGreaterThan(stretches[i - 1].to.getTime());
        // Probe the minutes at every boundary and one inside each segment.
        for (const s of segs) for (const t of [s.from.getTime() - 60_000, s.from.getTime(), s.to.getTime() - 60_000, s.to.getTime()]) {
          const minute = Math.floor(t / 60_000) * 60_000;
          expect(inStretch(minute)).toBe(inRollup(minute));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

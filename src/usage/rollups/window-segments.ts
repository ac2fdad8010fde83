/**
 * Splits a half-open window [from, to) into the coarsest pieces the rollups can answer: whole
 * UTC months, then whole days, hours and (for recent windows) minutes, and raw events for what is
 * left at the edges. Reading a month of usage then costs a handful of rollup rows and at most two
 * minutes (or, where minute rows are not read, two hours) of raw events, however many events the
 * month holds.
 */
/** The rollup granularities by name, as stored in the `granularity` column ("char"). */
export const GRANULARITY = { month: 'm', day: 'd', hour: 'h', minute: 'i' } as const;
export type Granularity = (typeof GRANULARITY)[keyof typeof GRANULARITY];
export type SegmentKind = Granularity | 'raw';

export interface Segment {
  kind: SegmentKind;
  from: Date;
  /** Exclusive. */
  to: Date;
}

const ORDER: Granularity[] = ['m', 'd', 'h', 'i'];

/**
 * Minute rollups ('i'), of every resource together and per resource, are swept after a few days
 * (`RollupSweeper`): readers use them only for buckets younger than this, the sweep deletes only
 * rows older than `MINUTE_ROLLUP_SWEEP_AFTER_MS`, so a read never meets a half-swept range.
 */
export const MINUTE_ROLLUP_READ_WITHIN_MS = 48 * 3_600_000;
export const MINUTE_ROLLUP_SWEEP_AFTER_MS = 72 * 3_600_000;

/** The oldest minute bucket a read made at `now` may take from the minute rollups. */
export function minuteHorizon(now = new Date()): Date {
  return new Date(now.getTime() - MINUTE_ROLLUP_READ_WITHIN_MS);
}

export function floorTo(t: Date, g: Granularity): Date {
  const d = new Date(t.getTime());
  if (g === 'm') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  if (g === 'd') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  if (g === 'h') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()));
  return new Date(t.getTime() - (((t.getTime() % 60_000) + 60_000) % 60_000));
}

export function addUnit(t: Date, g: Granularity, n = 1): Date {
  if (g === 'm') return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + n, 1));
  if (g === 'd') return new Date(t.getTime() + n * 86_400_000);
  if (g === 'h') return new Date(t.getTime() + n * 3_600_000);
  return new Date(t.getTime() + n * 60_000);
}

export function ceilTo(t: Date, g: Granularity): Date {
  const f = floorTo(t, g);
  return f.getTime() === t.getTime() ? f : addUnit(f, g);
}

/**
 * Segments tiling [from, to) exactly, in time order. `coarsest` caps the granularity (grouping
 * by day must not read month rows). Minute segments are used only when `minutesFrom` is given,
 * and only for stretches starting at or after it (minute rows exist only for recent buckets).
 */
export function windowSegments(from: Date, to: Date, coarsest: Exclude<Granularity, 'i'> = 'm', minutesFrom: Date | null = null): Segment[] {
  const allowed = ORDER.slice(ORDER.indexOf(coarsest)).filter((g) => g !== 'i' || minutesFrom !== null);
  const split = (a: Date, b: Date, levels: Granularity[]): Segment[] => {
    if (a.getTime() >= b.getTime()) return [];
    for (let i = 0; i < levels.length; i++) {
      const g = levels[i];
      if (g === 'i' && a.getTime() < minutesFrom!.getTime()) continue;
      const start = ceilTo(a, g);
      const end = floorTo(b, g);
      if (start.getTime() < end.getTime()) {
        const finer = levels.slice(i + 1);
        return [...split(a, start, finer), { kind: g, from: start, to: end }, ...split(end, b, finer)];
      }
    }
    return [{ kind: 'raw', from: a, to: b }];
  };
  return split(from, to, allowed);
}

/**
 * The stretches of a tiling read from rollup rows (not raw), adjacent ones merged, in time
 * order. Every rollup bucket starts and ends on a minute, so the deltas not folded yet that
 * belong to those rows are exactly the ones whose minute falls in these stretches.
 */
export function rollupStretches(segments: readonly Segment[]): Array<{ from: Date; to: Date }> {
  const out: Array<{ from: Date; to: Date }> = [];
  for (const s of segments) {
    if (s.kind === 'raw') continue;
    const last = out[out.length - 1];
    if (last && last.to.getTime() === s.from.getTime()) last.to = s.to;
    else out.push({ from: s.from, to: s.to });
  }
  return out;
}

/**
 * The condition on usage_rollup_deltas (`minute`) selecting the deltas of a tiling's rollup
 * segments, with `p` binding the instants; null when the tiling reads no rollup row.
 */
export function deltaMinutesSql(segments: readonly Segment[], p: (v: unknown) => string): string | null {
  const stretches = rollupStretches(segments);
  if (stretches.length === 0) return null;
  return `(${stretches.map((s) => `minute >= ${p(s.from)} AND minute < ${p(s.to)}`).join(' OR ')})`;
}

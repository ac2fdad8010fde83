/**
 * Splits a half-open window [from, to) into the coarsest pieces the rollups can answer: whole
 * UTC months, then whole days, then whole hours, and raw events for what is left at the edges
 * (less than an hour on each side). Reading a month of usage then costs a handful of rollup rows
 * and at most two hours of raw events, however many events the month holds.
 */
export type Granularity = 'm' | 'd' | 'h';
export type SegmentKind = Granularity | 'raw';

export interface Segment {
  kind: SegmentKind;
  from: Date;
  /** Exclusive. */
  to: Date;
}

const ORDER: Granularity[] = ['m', 'd', 'h'];

export function floorTo(t: Date, g: Granularity): Date {
  const d = new Date(t.getTime());
  if (g === 'm') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  if (g === 'd') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()));
}

export function addUnit(t: Date, g: Granularity, n = 1): Date {
  if (g === 'm') return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + n, 1));
  if (g === 'd') return new Date(t.getTime() + n * 86_400_000);
  return new Date(t.getTime() + n * 3_600_000);
}

export function ceilTo(t: Date, g: Granularity): Date {
  const f = floorTo(t, g);
  return f.getTime() === t.getTime() ? f : addUnit(f, g);
}

/**
 * Segments tiling [from, to) exactly, in time order. `coarsest` caps the granularity (grouping
 * by day must not read month rows; per-resource rollups stop at days).
 */
export function windowSegments(from: Date, to: Date, coarsest: Granularity = 'm'): Segment[] {
  const allowed = ORDER.slice(ORDER.indexOf(coarsest));
  const split = (a: Date, b: Date, levels: Granularity[]): Segment[] => {
    if (a.getTime() >= b.getTime()) return [];
    for (let i = 0; i < levels.length; i++) {
      const g = levels[i];
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

import type { Aggregation } from '../catalog/catalog.types';
import { Dec } from '../common/money/decimal';
import type { TimelineGranularity } from '../usage/usage-timeline.reader';

export type { TimelineGranularity };

export const UNIT_MS: Record<TimelineGranularity, number> = { hour: 3_600_000, day: 86_400_000 };

/** Most buckets one timeline answers (a year of hours fits). */
export const MAX_BUCKETS = 10_000;

/**
 * Buckets tiling [from, to): UTC hours or days, the first starting at `from` and the last
 * ending at `to` (either may be partial). Returns each bucket's start and end.
 */
export function bucketBounds(from: Date, to: Date, g: TimelineGranularity): Array<{ start: Date; end: Date }> {
  const unit = UNIT_MS[g];
  const out: Array<{ start: Date; end: Date }> = [];
  let start = from.getTime();
  while (start < to.getTime()) {
    const end = Math.min((Math.floor(start / unit) + 1) * unit, to.getTime());
    out.push({ start: new Date(start), end: new Date(end) });
    start = end;
  }
  return out;
}

/** The index of the bucket holding an instant's UTC hour or day (date_trunc of it). */
export function bucketIndex(from: Date, truncated: Date, g: TimelineGranularity): number {
  const unit = UNIT_MS[g];
  return Math.round((truncated.getTime() - Math.floor(from.getTime() / unit) * unit) / unit);
}

/** One metric's usage in one bucket, as the rollups hold it. */
export interface BucketUsage {
  metric: string;
  index: number;
  sum: Dec;
  count: Dec;
  max: Dec;
  latest: Dec;
}

/** How many distinct values of a unique_count metric were first seen in a bucket. */
export interface FirstSeen {
  metric: string;
  index: number;
  count: number;
}

/**
 * Each metric's aggregation over [from, end of bucket i), for every i: running sums for sum and
 * count, a running max, the value of the last bucket with events for latest (buckets split
 * time, so the latest event so far is in it), and for unique_count the values first seen so far.
 */
export function cumulativeUsage(
  buckets: number,
  usage: readonly BucketUsage[],
  firstSeen: readonly FirstSeen[],
  aggregationOf: (metric: string) => Aggregation | undefined,
): Array<Map<string, Dec>> {
  const perMetric = new Map<string, Array<BucketUsage | undefined>>();
  for (const u of usage) {
    if (u.index < 0 || u.index >= buckets) continue;
    const list = perMetric.get(u.metric) ?? new Array<BucketUsage | undefined>(buckets).fill(undefined);
    list[u.index] = u;
    perMetric.set(u.metric, list);
  }
  const seen = new Map<string, number[]>();
  for (const f of firstSeen) {
    if (f.index < 0 || f.index >= buckets) continue;
    const list = seen.get(f.metric) ?? new Array<number>(buckets).fill(0);
    list[f.index] += f.count;
    seen.set(f.metric, list);
  }
  const out = Array.from({ length: buckets }, () => new Map<string, Dec>());
  for (const [metric, list] of perMetric) {
    const aggregation = aggregationOf(metric) ?? 'sum';
    if (aggregation === 'unique_count') continue;
    let acc: Dec | null = null;
    list.forEach((u, i) => {
      if (u) {
        if (aggregation === 'sum') acc = (acc ?? new Dec(0)).plus(u.sum);
        else if (aggregation === 'count') acc = (acc ?? new Dec(0)).plus(u.count);
        else if (aggregation === 'max') acc = acc === null || u.max.gt(acc) ? u.max : acc;
        else acc = u.latest;
      }
      if (acc !== null) out[i].set(metric, acc);
    });
  }
  for (const [metric, list] of seen) {
    let n = 0;
    list.forEach((c, i) => {
      n += c;
      if (n > 0) out[i].set(metric, new Dec(n));
    });
  }
  return out;
}

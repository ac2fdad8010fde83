/**
 * Rollup families: resource_key '*' (every resource together) and one resource, each for minute,
 * hour, day and month. `g` is the granularity code stored in the rows. Minute rows (both kinds)
 * are read only for recent buckets and swept after a few days (`RollupSweeper`); per-resource
 * ones let a per-resource read take raw events only within a minute of each edge, as the others do.
 */
export const ROLLUP_FAMILIES_SQL = `(VALUES ('i', 'minute', false), ('h', 'hour', false), ('d', 'day', false), ('m', 'month', false),
  ('i', 'minute', true), ('h', 'hour', true), ('d', 'day', true), ('m', 'month', true)) AS g(g, unit, per_resource)`;

/** The key of the compaction's advisory lock (exclusive); a rebuild holds it shared so no compaction runs beside it. */
export const COMPACTION_LOCK_KEY = "hashtext('billing:rollup-compaction')";

/** The key columns of a rollup row, in key (and lock) order. */
export const ROLLUP_KEY = 'tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key';

/**
 * Folds rows into usage_rollup_totals (aliased r): sums add up, max and the latest (ts, seq)
 * win, new distinct values add to the distinct count.
 */
export const ROLLUP_UPSERT_SQL = `ON CONFLICT (${ROLLUP_KEY}) DO UPDATE SET
      sum = r.sum + EXCLUDED.sum,
      count = r.count + EXCLUDED.count,
      max = GREATEST(r.max, EXCLUDED.max),
      latest_ts = CASE WHEN (EXCLUDED.latest_ts, EXCLUDED.latest_seq) > (r.latest_ts, r.latest_seq) THEN EXCLUDED.latest_ts ELSE r.latest_ts END,
      latest_value = CASE WHEN (EXCLUDED.latest_ts, EXCLUDED.latest_seq) > (r.latest_ts, r.latest_seq) THEN EXCLUDED.latest_value ELSE r.latest_value END,
      latest_seq = CASE WHEN (EXCLUDED.latest_ts, EXCLUDED.latest_seq) > (r.latest_ts, r.latest_seq) THEN EXCLUDED.latest_seq ELSE r.latest_seq END,
      distinct_count = r.distinct_count + EXCLUDED.distinct_count`;

/**
 * The latest of some (ts, seq, value) triples without sorting: max() of [ts in epoch
 * microseconds, seq, value] (numeric arrays compare element by element) is the triple of the
 * greatest (ts, seq). `latestTriple` builds the array, `fromLatest` reads the three columns back.
 */
export function latestTriple(ts: string, seq: string, value: string): string {
  return `ARRAY[extract(epoch FROM ${ts}) * 1000000, ${seq}, ${value}]`;
}

export function fromLatest(latest: string): string {
  return `timestamptz 'epoch' + ${latest}[1]::bigint * interval '1 microsecond', ${latest}[2]::bigint, ${latest}[3]`;
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/** The rollup families before and after this migration (the view's expansion of a delta). */
const FAMILIES_BEFORE = `('i', 'minute', false), ('h', 'hour', false), ('d', 'day', false), ('m', 'month', false),
  ('h', 'hour', true), ('d', 'day', true), ('m', 'month', true)`;
const FAMILIES_AFTER = `${FAMILIES_BEFORE}, ('i', 'minute', true)`;

const RESOURCE_KEY = "CASE WHEN e.resource_type IS NULL THEN '' ELSE e.resource_type || '/' || e.resource_id END";
const KEY = 'tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key';

function rollupsView(families: string): string {
  return `
    CREATE OR REPLACE VIEW usage_rollups AS
      SELECT tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, sum, count, max, latest_ts, latest_seq, latest_value, distinct_count
      FROM usage_rollup_totals
      UNION ALL
      SELECT d.tenant_id, d.metric, g.g::"char", date_trunc(g.unit, d.minute, 'UTC'), d.cost_center_key, CASE WHEN g.per_resource THEN d.resource_key ELSE '*' END,
        d.sum, d.count, d.max, d.latest_ts, d.latest_seq, d.latest_value, 0::bigint
      FROM usage_rollup_deltas d CROSS JOIN (VALUES ${families}) AS g(g, unit, per_resource)`;
}

/**
 * Minute rollups per resource (granularity 'i', one resource_key each), read like the minute rows
 * of every resource together: within 48 hours, swept after 72. A per-resource read of a window
 * whose edges are not on whole hours then takes raw events within a minute of each edge instead
 * of up to an hour (a tenant with 1M events in six hours: about 2 s a read, issue #16 item 10).
 *
 * The last 72 hours of events get their rows here, in one statement, so in one snapshot: the
 * deltas it sees are folded into the families they had (their events are in the backfill), and
 * deltas committed after it are not (the compactor folds them into every family, this one
 * included). The compaction lock keeps compactions out meanwhile. Instances still running the
 * code before this migration fold deltas without this family: stop them (or their compaction,
 * ROLLUP_COMPACT_INTERVAL_MS=0) before it runs, or rebuild the rollups of recent events after.
 */
export class PerResourceMinutes1765100000000 implements MigrationInterface {
  name = 'PerResourceMinutes1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`SELECT pg_advisory_xact_lock(hashtext('billing:rollup-compaction'))`);
    await q.query(`
      WITH taken AS (
        DELETE FROM usage_rollup_deltas
        RETURNING tenant_id, metric, cost_center_key, resource_key, minute, sum, count, max, latest_ts, latest_seq, latest_value
      ),
      folded AS (
        INSERT INTO usage_rollup_totals AS r (${KEY}, sum, count, max, latest_ts, latest_seq, latest_value)
        SELECT tenant_id, metric, g.g::"char", date_trunc(g.unit, minute, 'UTC'), cost_center_key, CASE WHEN g.per_resource THEN resource_key ELSE '*' END,
          sum(sum), sum(count), max(max),
          (array_agg(latest_ts ORDER BY latest_ts DESC, latest_seq DESC))[1], (array_agg(latest_seq ORDER BY latest_ts DESC, latest_seq DESC))[1],
          (array_agg(latest_value ORDER BY latest_ts DESC, latest_seq DESC))[1]
        FROM taken CROSS JOIN (VALUES ${FAMILIES_BEFORE}) AS g(g, unit, per_resource)
        GROUP BY 1, 2, 3, 4, 5, 6
        ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (${KEY}) DO UPDATE SET
          sum = r.sum + EXCLUDED.sum, count = r.count + EXCLUDED.count, max = GREATEST(r.max, EXCLUDED.max),
          latest_ts = CASE WHEN (EXCLUDED.latest_ts, EXCLUDED.latest_seq) > (r.latest_ts, r.latest_seq) THEN EXCLUDED.latest_ts ELSE r.latest_ts END,
          latest_value = CASE WHEN (EXCLUDED.latest_ts, EXCLUDED.latest_seq) > (r.latest_ts, r.latest_seq) THEN EXCLUDED.latest_value ELSE r.latest_value END,
          latest_seq = CASE WHEN (EXCLUDED.latest_ts, EXCLUDED.latest_seq) > (r.latest_ts, r.latest_seq) THEN EXCLUDED.latest_seq ELSE r.latest_seq END
      ),
      minutes AS (
        INSERT INTO usage_rollup_totals (${KEY}, sum, count, max, latest_ts, latest_seq, latest_value, distinct_count)
        SELECT e.tenant_id, e.metric, 'i', date_trunc('minute', e.ts, 'UTC'), coalesce(e.cost_center_id::text, ''), ${RESOURCE_KEY},
          sum(e.quantity), count(*), max(e.quantity),
          (array_agg(e.ts ORDER BY e.ts DESC, e.seq DESC))[1], (array_agg(e.seq ORDER BY e.ts DESC, e.seq DESC))[1],
          (array_agg(e.quantity ORDER BY e.ts DESC, e.seq DESC))[1],
          count(DISTINCT e.properties->>m.property)
        FROM usage_events e LEFT JOIN metrics m ON m.key = e.metric AND m.aggregation = 'unique_count'
        WHERE e.ts >= now() - interval '72 hours'
        GROUP BY 1, 2, 3, 4, 5, 6
      ),
      uniques AS (
        INSERT INTO usage_unique_values (${KEY}, value)
        SELECT DISTINCT e.tenant_id, e.metric, 'i', date_trunc('minute', e.ts, 'UTC'), coalesce(e.cost_center_id::text, ''), ${RESOURCE_KEY}, e.properties->>m.property
        FROM usage_events e JOIN metrics m ON m.key = e.metric AND m.aggregation = 'unique_count'
        WHERE e.ts >= now() - interval '72 hours' AND e.properties->>m.property IS NOT NULL
      )
      SELECT (SELECT count(*) FROM taken) AS folded`);
    await q.query(rollupsView(FAMILIES_AFTER));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(rollupsView(FAMILIES_BEFORE));
    await q.query(`DELETE FROM usage_unique_values WHERE granularity = 'i' AND resource_key <> '*'`);
    await q.query(`DELETE FROM usage_rollup_totals WHERE granularity = 'i' AND resource_key <> '*'`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/** The rollup families as this migration found them (minute, hour, day, month of every resource together; hour, day, month per resource). */
const FAMILIES = `(VALUES ('i', 'minute', false), ('h', 'hour', false), ('d', 'day', false), ('m', 'month', false),
  ('h', 'hour', true), ('d', 'day', true), ('m', 'month', true)) AS g(g, unit, per_resource)`;

/**
 * Ingest stops upserting seven rollup rows per bucket it touches. It appends one row per finest
 * bucket (tenant, metric, cost center, resource, minute) to `usage_rollup_deltas`, and the
 * compactor (`RollupCompactor`) folds those into the rollup families of `usage_rollup_totals`
 * (the former `usage_rollups`) a second or so later. Readers keep reading `usage_rollups`, now a
 * view adding each delta to the family rows it belongs to: a compaction moves a delta from one
 * side to the other in one transaction, so every snapshot counts it exactly once.
 * Metrics counted by distinct values keep upserting the totals directly (a distinct count is not
 * a sum of deltas), so deltas carry no distinct count.
 */
export class RollupDeltas1764900000000 implements MigrationInterface {
  name = 'RollupDeltas1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE usage_rollups RENAME TO usage_rollup_totals');
    await q.query('ALTER INDEX usage_rollups_pkey RENAME TO usage_rollup_totals_pkey');
    await q.query('ALTER INDEX usage_rollups_minute_sweep RENAME TO usage_rollup_totals_minute_sweep');
    // Appended by every commit and emptied every second or so: vacuumed after every few
    // thousand deleted rows instead of a fifth of the table, so its index stays small.
    await q.query(`
      CREATE TABLE usage_rollup_deltas (
        tenant_id text NOT NULL,
        metric text NOT NULL,
        cost_center_key text NOT NULL,
        resource_key text NOT NULL,
        minute timestamptz NOT NULL,
        sum numeric NOT NULL,
        count bigint NOT NULL,
        max numeric NOT NULL,
        latest_ts timestamptz NOT NULL,
        latest_seq bigint NOT NULL,
        latest_value numeric NOT NULL
      ) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000, autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 5000)`);
    await q.query('CREATE INDEX usage_rollup_deltas_tenant_metric ON usage_rollup_deltas (tenant_id, metric)');
    await q.query(`
      CREATE VIEW usage_rollups AS
        SELECT tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, sum, count, max, latest_ts, latest_seq, latest_value, distinct_count
        FROM usage_rollup_totals
        UNION ALL
        SELECT d.tenant_id, d.metric, g.g::"char", date_trunc(g.unit, d.minute, 'UTC'), d.cost_center_key, CASE WHEN g.per_resource THEN d.resource_key ELSE '*' END,
          d.sum, d.count, d.max, d.latest_ts, d.latest_seq, d.latest_value, 0::bigint
        FROM usage_rollup_deltas d CROSS JOIN ${FAMILIES}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP VIEW usage_rollups');
    // Deltas not compacted yet go into the totals first: nothing is lost going back.
    await q.query(`
      INSERT INTO usage_rollup_totals AS r (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, sum, count, max, latest_ts, latest_seq, latest_value)
      SELECT tenant_id, metric, g.g::"char", date_trunc(g.unit, minute, 'UTC'), cost_center_key, CASE WHEN g.per_resource THEN resource_key ELSE '*' END,
        sum(sum), sum(count), max(max),
        (array_agg(latest_ts ORDER BY latest_ts DESC, latest_seq DESC))[1], (array_agg(latest_seq ORDER BY latest_ts DESC, latest_seq DESC))[1],
        (array_agg(latest_value ORDER BY latest_ts DESC, latest_seq DESC))[1]
      FROM usage_rollup_deltas CROSS JOIN ${FAMILIES}
      GROUP BY 1, 2, 3, 4, 5, 6
      ON CONFLICT (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key) DO UPDATE SET
        sum = r.sum + EXCLUDED.sum, count = r.count + EXCLUDED.count, max = GREATEST(r.max, EXCLUDED.max),
        latest_ts = CASE WHEN (EXCLUDED.latest_ts, EXCLUDED.latest_seq) > (r.latest_ts, r.latest_seq) THEN EXCLUDED.latest_ts ELSE r.latest_ts END,
        latest_value = CASE WHEN (EXCLUDED.latest_ts, EXCLUDED.latest_seq) > (r.latest_ts, r.latest_seq) THEN EXCLUDED.latest_value ELSE r.latest_value END,
        latest_seq = CASE WHEN (EXCLUDED.latest_ts, EXCLUDED.latest_seq) > (r.latest_ts, r.latest_seq) THEN EXCLUDED.latest_seq ELSE r.latest_seq END`);
    await q.query('DROP TABLE usage_rollup_deltas');
    await q.query('ALTER INDEX usage_rollup_totals_minute_sweep RENAME TO usage_rollups_minute_sweep');
    await q.query('ALTER INDEX usage_rollup_totals_pkey RENAME TO usage_rollups_pkey');
    await q.query('ALTER TABLE usage_rollup_totals RENAME TO usage_rollups');
  }
}

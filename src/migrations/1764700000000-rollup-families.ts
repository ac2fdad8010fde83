import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rollups for faster reads:
 * - minute rows (granularity 'i', resource_key '*' only) so that reads of recent windows (the
 *   real-time cost, previews, summaries up to now) take at most a minute of raw events at each
 *   edge instead of up to an hour; swept after 72 hours (the partial indexes serve the sweep);
 * - month rows per resource, so a month grouped by resource reads one row per resource;
 * - distinct_count on every rollup row: how many distinct values of a unique_count metric the
 *   bucket holds, so a read whose group is one bucket does not read the values themselves.
 * Existing events get their new rows here (minute rows for the last 72 hours).
 */
export class RollupFamilies1764700000000 implements MigrationInterface {
  name = 'RollupFamilies1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE usage_rollups ADD COLUMN distinct_count bigint NOT NULL DEFAULT 0');
    await q.query(`CREATE INDEX usage_rollups_minute_sweep ON usage_rollups (bucket_start) WHERE granularity = 'i'`);
    await q.query(`CREATE INDEX usage_unique_values_minute_sweep ON usage_unique_values (bucket_start) WHERE granularity = 'i'`);
    const families = [
      { g: 'i', unit: 'minute', rk: "'*'", where: "ts >= now() - interval '72 hours'" },
      { g: 'm', unit: 'month', rk: "CASE WHEN resource_type IS NULL THEN '' ELSE resource_type || '/' || resource_id END", where: 'true' },
    ];
    for (const f of families) {
      await q.query(`
        INSERT INTO usage_rollups (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, sum, count, max, latest_ts, latest_seq, latest_value)
        SELECT tenant_id, metric, '${f.g}', date_trunc('${f.unit}', ts, 'UTC'), coalesce(cost_center_id::text, ''), ${f.rk}, sum(quantity), count(*), max(quantity),
          (array_agg(ts ORDER BY ts DESC, seq DESC))[1], (array_agg(seq ORDER BY ts DESC, seq DESC))[1], (array_agg(quantity ORDER BY ts DESC, seq DESC))[1]
        FROM usage_events WHERE ${f.where}
        GROUP BY 1, 2, 3, 4, 5, 6
        ON CONFLICT DO NOTHING`);
      await q.query(`
        INSERT INTO usage_unique_values (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, value)
        SELECT DISTINCT e.tenant_id, e.metric, '${f.g}', date_trunc('${f.unit}', e.ts, 'UTC'), coalesce(e.cost_center_id::text, ''), ${f.rk.replace(/resource_/g, 'e.resource_')}, e.properties->>m.property
        FROM usage_events e JOIN metrics m ON m.key = e.metric AND m.aggregation = 'unique_count'
        WHERE ${f.where.replace('ts', 'e.ts')} AND e.properties->>m.property IS NOT NULL
        ON CONFLICT DO NOTHING`);
    }
    await q.query(`
      UPDATE usage_rollups r SET distinct_count = u.n
      FROM (SELECT tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, count(*) AS n FROM usage_unique_values GROUP BY 1, 2, 3, 4, 5, 6) u
      WHERE (r.tenant_id, r.metric, r.granularity, r.bucket_start, r.cost_center_key, r.resource_key) = (u.tenant_id, u.metric, u.granularity, u.bucket_start, u.cost_center_key, u.resource_key)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM usage_unique_values WHERE granularity = 'i' OR (granularity = 'm' AND resource_key <> '*')`);
    await q.query(`DELETE FROM usage_rollups WHERE granularity = 'i' OR (granularity = 'm' AND resource_key <> '*')`);
    await q.query('DROP INDEX usage_unique_values_minute_sweep');
    await q.query('DROP INDEX usage_rollups_minute_sweep');
    await q.query('ALTER TABLE usage_rollups DROP COLUMN distinct_count');
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Minute rollups (granularity 'i', resource_key '*' only) so that reads of recent windows (the
 * real-time cost, previews, summaries up to now) take at most a minute of raw events at each edge
 * instead of up to an hour. They are swept after 72 hours; the partial indexes serve the sweep.
 * Events of the last 72 hours get their minute rows here, so reads see them from the start.
 */
export class MinuteRollups1764700000000 implements MigrationInterface {
  name = 'MinuteRollups1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX usage_rollups_minute_sweep ON usage_rollups (bucket_start) WHERE granularity = 'i'`);
    await q.query(`CREATE INDEX usage_unique_values_minute_sweep ON usage_unique_values (bucket_start) WHERE granularity = 'i'`);
    await q.query(`
      INSERT INTO usage_rollups (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, sum, count, max, latest_ts, latest_seq, latest_value)
      SELECT tenant_id, metric, 'i', date_trunc('minute', ts, 'UTC'), coalesce(cost_center_id::text, ''), '*', sum(quantity), count(*), max(quantity),
        (array_agg(ts ORDER BY ts DESC, seq DESC))[1], (array_agg(seq ORDER BY ts DESC, seq DESC))[1], (array_agg(quantity ORDER BY ts DESC, seq DESC))[1]
      FROM usage_events WHERE ts >= now() - interval '72 hours'
      GROUP BY 1, 2, 3, 4, 5, 6
      ON CONFLICT DO NOTHING`);
    await q.query(`
      INSERT INTO usage_unique_values (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, value)
      SELECT DISTINCT e.tenant_id, e.metric, 'i', date_trunc('minute', e.ts, 'UTC'), coalesce(e.cost_center_id::text, ''), '*', e.properties->>m.property
      FROM usage_events e JOIN metrics m ON m.key = e.metric AND m.aggregation = 'unique_count'
      WHERE e.ts >= now() - interval '72 hours' AND e.properties->>m.property IS NOT NULL
      ON CONFLICT DO NOTHING`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM usage_unique_values WHERE granularity = 'i'`);
    await q.query(`DELETE FROM usage_rollups WHERE granularity = 'i'`);
    await q.query('DROP INDEX usage_unique_values_minute_sweep');
    await q.query('DROP INDEX usage_rollups_minute_sweep');
  }
}

import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/common/database/data-source-options';
import { MIGRATIONS } from '../../src/migrations';
import { RollupDeltas1764900000000 } from '../../src/migrations/1764900000000-rollup-deltas';
import { createTestDatabase } from '../support/database';

/**
 * The rollup-deltas migration turns usage_rollups into a view of the totals and the deltas; going
 * back folds the deltas not compacted yet into the table, so every key keeps its figures.
 */
describe('rollup deltas migration', () => {
  it('keeps every rollup figure up, down (deltas folded into the table) and up again', async () => {
    const db = await createTestDatabase('billing_mig');
    const ds = new DataSource({ ...dataSourceOptions(db.url, { migrationsRun: false }), migrations: MIGRATIONS.slice(0, MIGRATIONS.indexOf(RollupDeltas1764900000000) + 1), logging: false } as never);
    try {
      await ds.initialize();
      await ds.runMigrations();
      const key = `'t1', 'compute.cpu_hours'`;
      // A folded total for the month, and two deltas of the same minute (one later, with a greater value).
      await ds.query(
        `INSERT INTO usage_rollup_totals (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, sum, count, max, latest_ts, latest_seq, latest_value)
         VALUES (${key}, 'm', '2026-11-01Z', '', '*', 10.5, 3, 6, '2026-11-05T10:00:00Z', 7, 2)`,
      );
      await ds.query(
        `INSERT INTO usage_rollup_deltas (tenant_id, metric, cost_center_key, resource_key, minute, sum, count, max, latest_ts, latest_seq, latest_value) VALUES
         (${key}, '', 'vm/a', '2026-11-20T08:15:00Z', 4, 2, 3, '2026-11-20T08:15:30Z', 11, 1.25),
         (${key}, '', 'vm/a', '2026-11-20T08:15:00Z', 8, 1, 8, '2026-11-20T08:15:40Z', 12, 8)`,
      );
      const snapshot = async () =>
        JSON.stringify(
          await ds.query(
            `SELECT granularity, bucket_start, resource_key, trim_scale(sum(sum))::text AS sum, sum(count)::int AS count, trim_scale(max(max))::text AS max,
               (array_agg(latest_seq ORDER BY latest_ts DESC, latest_seq DESC))[1]::int AS latest_seq,
               trim_scale((array_agg(latest_value ORDER BY latest_ts DESC, latest_seq DESC))[1])::text AS latest
             FROM usage_rollups GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
          ),
        );
      const up = await snapshot();
      // Seven families of the minute; the month row of every resource adds the folded total.
      expect(JSON.parse(up)).toHaveLength(7);
      expect(JSON.parse(up)).toContainEqual({ granularity: 'm', bucket_start: expect.any(String), resource_key: '*', sum: '22.5', count: 6, max: '8', latest_seq: 12, latest: '8' });

      await ds.undoLastMigration();
      expect((await ds.query(`SELECT relkind FROM pg_class WHERE relname = 'usage_rollups'`))[0].relkind).toBe('r');
      expect(await snapshot()).toBe(up);
      // One row per key again (the primary key holds).
      expect((await ds.query('SELECT count(*)::int AS n FROM usage_rollups'))[0].n).toBe(7);

      await ds.runMigrations();
      expect(await snapshot()).toBe(up);
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await db.drop();
    }
  });
});

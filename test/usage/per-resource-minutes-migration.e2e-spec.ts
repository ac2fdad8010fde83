import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/common/database/data-source-options';
import { MIGRATIONS } from '../../src/migrations';
import { PerResourceMinutes1765100000000 } from '../../src/migrations/1765100000000-per-resource-minutes';
import { rebuildRollups } from '../../src/usage/rollups/rebuild-rollups';
import { createTestDatabase } from '../support/database';

/**
 * The per-resource minute migration on a database with events, folded rollups and deltas not
 * folded yet: afterwards every rollup row (and distinct value) is what a rebuild makes, each
 * event counted once; down removes the family and the view expands a delta as before.
 */
describe('per-resource minutes migration', () => {
  it('backfills per-resource minute rows exactly, deltas folded once, and goes down and up again', async () => {
    const db = await createTestDatabase('billing_mig');
    const AT = MIGRATIONS.indexOf(PerResourceMinutes1765100000000);
    const source = (n: number) => new DataSource({ ...dataSourceOptions(db.url, { migrationsRun: false }), migrations: MIGRATIONS.slice(0, n), logging: false } as never);
    const before = source(AT);
    const ds = source(AT + 1);
    try {
      await before.initialize();
      await before.runMigrations();
      const q = (sql: string, params?: unknown[]) => before.query(sql, params);
      await q(`INSERT INTO metrics (key, name, unit, aggregation, property) VALUES ('users.active', 'Active users', 'user', 'unique_count', 'userId')`);
      const now = Date.now();
      const insert = `INSERT INTO usage_events (tenant_id, event_id, metric, quantity, ts, resource_type, resource_id, properties) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq::text, ts`;
      const event = (i: number, unique: boolean) => [
        i % 2 === 0 ? 'p1' : 'p2',
        `e${i}`,
        unique ? 'users.active' : 'compute.cpu_hours',
        String((i % 7) + 0.25),
        new Date(now - (i % 90) * 3_600_000 - i * 7_000).toISOString(),
        i % 5 === 0 ? null : 'vm',
        i % 5 === 0 ? null : `vm-${i % 4}`,
        unique ? JSON.stringify({ userId: `u${i % 11}` }) : null,
      ];
      for (let i = 0; i < 200; i++) await q(insert, event(i, i % 3 === 0));
      // Rollups as the code before this migration kept them: every family but per-resource minutes.
      await rebuildRollups({ query: q }, ['p1', 'p2']);
      await q(`DELETE FROM usage_rollup_totals WHERE granularity = 'i' AND resource_key <> '*'`);
      await q(`DELETE FROM usage_unique_values WHERE granularity = 'i' AND resource_key <> '*'`);
      // Events whose deltas are not folded yet (metrics summed from deltas only).
      for (let i = 200; i < 240; i++) {
        const e = event(i, false);
        const [{ seq, ts }] = await q(insert, e);
        await q(
          `INSERT INTO usage_rollup_deltas (tenant_id, metric, cost_center_key, resource_key, minute, sum, count, max, latest_ts, latest_seq, latest_value)
           VALUES ($1, $2, '', $3, date_trunc('minute', $4::timestamptz, 'UTC'), $5, 1, $5, $4, $6, $5)`,
          [e[0], e[2], e[5] === null ? '' : `${e[5]}/${e[6]}`, ts, e[3], seq],
        );
      }
      await before.destroy();
      await ds.initialize();

      const KEPT = `(granularity <> 'i' OR bucket_start >= now() - interval '71 hours')`;
      const snapshot = async (c: { query: (sql: string) => Promise<any> }) =>
        JSON.stringify([
          await c.query(
            `SELECT tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, trim_scale(sum)::text AS sum, count, trim_scale(max)::text AS max,
               latest_seq, trim_scale(latest_value)::text AS latest_value, distinct_count
             FROM usage_rollups WHERE ${KEPT} ORDER BY 1, 2, 3, 4, 5, 6`,
          ),
          await c.query(`SELECT * FROM usage_unique_values WHERE ${KEPT} ORDER BY 1, 2, 3, 4, 5, 6, 7`),
        ]);
      const rebuilt = async () => {
        const r = ds.createQueryRunner();
        await r.startTransaction();
        try {
          await rebuildRollups({ query: (sql, params) => r.query(sql, params) }, ['p1', 'p2']);
          return await snapshot(r);
        } finally {
          await r.rollbackTransaction();
          await r.release();
        }
      };
      const viewRowsOfOneDelta = async () => {
        await ds.query(`INSERT INTO usage_rollup_deltas VALUES ('v', 'compute.cpu_hours', '', 'vm/a', date_trunc('minute', now()), 1, 1, 1, now(), 1, 1)`);
        const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM usage_rollups WHERE tenant_id = 'v'`);
        await ds.query(`DELETE FROM usage_rollup_deltas WHERE tenant_id = 'v'`);
        return n;
      };

      expect(await ds.runMigrations()).toHaveLength(1);
      expect((await ds.query('SELECT count(*)::int AS n FROM usage_rollup_deltas'))[0].n).toBe(0);
      const migrated = await snapshot(ds);
      expect(migrated).toContain('"granularity":"i","bucket_start"');
      expect((await ds.query(`SELECT count(*)::int AS n FROM usage_rollup_totals WHERE granularity = 'i' AND resource_key <> '*' AND distinct_count > 0`))[0].n).toBeGreaterThan(0);
      expect(migrated === (await rebuilt())).toBe(true);
      expect(await viewRowsOfOneDelta()).toBe(8);

      await ds.undoLastMigration();
      expect((await ds.query(`SELECT count(*)::int AS n FROM usage_rollup_totals WHERE granularity = 'i' AND resource_key <> '*'`))[0].n).toBe(0);
      expect((await ds.query(`SELECT count(*)::int AS n FROM usage_unique_values WHERE granularity = 'i' AND resource_key <> '*'`))[0].n).toBe(0);
      expect(await viewRowsOfOneDelta()).toBe(7);

      await ds.runMigrations();
      expect((await snapshot(ds)) === migrated).toBe(true);
    } finally {
      if (before.isInitialized) await before.destroy();
      if (ds.isInitialized) await ds.destroy();
      await db.drop();
    }
  });
});

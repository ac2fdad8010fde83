import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/common/database/data-source-options';
import { MIGRATIONS } from '../../src/migrations';
import { RollupFamilies1764700000000 } from '../../src/migrations/1764700000000-rollup-families';

/** The migrations before the one under test, and up to it. */
const AT = MIGRATIONS.indexOf(RollupFamilies1764700000000);
import { rebuildRollups } from '../../src/usage/rollups/rebuild-rollups';
import { createTestDatabase } from '../support/database';

/**
 * The rollup-families migration on a database that already holds events: the minute rows (last
 * 72 hours), per-resource month rows and distinct counts it backfills equal a rebuild.
 */
describe('rollup families migration', () => {
  it('backfills the new rollup rows of existing events exactly', async () => {
    const db = await createTestDatabase('billing_mig');
    const before = new DataSource({ ...dataSourceOptions(db.url, { migrationsRun: false }), migrations: MIGRATIONS.slice(0, AT), logging: false } as never);
    try {
      await before.initialize();
      await before.runMigrations();
      // The catalog writes its metrics on start; the unique_count one is what the backfill joins.
      await before.query(`INSERT INTO metrics (key, name, unit, aggregation, property) VALUES ('users.active', 'Active users', 'user', 'unique_count', 'userId')`);
      const now = Date.now();
      const rows: unknown[][] = [];
      for (let i = 0; i < 300; i++) {
        const unique = i % 3 === 0;
        rows.push([
          i % 2 === 0 ? 'm1' : 'm2',
          `e${i}`,
          unique ? 'users.active' : 'compute.cpu_hours',
          String((i % 7) + 0.25),
          new Date(now - (i % 100) * 3_600_000 - i * 1_000).toISOString(),
          i % 5 === 0 ? null : 'vm',
          i % 5 === 0 ? null : `vm-${i % 4}`,
          unique ? JSON.stringify({ userId: `u${i % 11}` }) : null,
        ]);
      }
      for (const r of rows) {
        await before.query(`INSERT INTO usage_events (tenant_id, event_id, metric, quantity, ts, resource_type, resource_id, properties) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r);
      }
      await before.destroy();

      // This migration's families (per-resource minute rows came later, with their own migration).
      const NEW_FAMILIES = `((granularity = 'i' AND resource_key = '*') OR (granularity = 'm' AND resource_key <> '*'))`;
      const snapshot = async (ds: { query: (sql: string) => Promise<any> }) =>
        JSON.stringify([
          (
            await ds.query(
              `SELECT tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, sum::text, count, max::text, latest_seq, latest_value::text, distinct_count
               FROM usage_rollups WHERE ${NEW_FAMILIES} AND bucket_start >= now() - interval '71 hours' OR granularity = 'm' AND resource_key <> '*' ORDER BY 1, 2, 3, 4, 5, 6`,
            )
          ).map((r: Record<string, unknown>) => ({ ...r })),
          await ds.query(`SELECT * FROM usage_unique_values WHERE ${NEW_FAMILIES} AND (granularity <> 'i' OR bucket_start >= now() - interval '71 hours') ORDER BY 1, 2, 3, 4, 5, 6, 7`),
        ]);
      const after = new DataSource({ ...dataSourceOptions(db.url, { migrationsRun: false }), migrations: MIGRATIONS.slice(0, AT + 1), logging: false } as never);
      await after.initialize();
      let migrated: string;
      try {
        expect(await after.runMigrations()).toHaveLength(1);
        migrated = await snapshot(after);
        expect(migrated.includes('"granularity":"i"')).toBe(true);
        expect(/"distinct_count":"[1-9]/.test(migrated)).toBe(true);
      } finally {
        await after.destroy();
      }
      // The later migrations keep the rows (usage_rollups becomes a view over the totals and the
      // deltas), and today's rebuild makes the same.
      const latest = new DataSource({ ...dataSourceOptions(db.url, { migrationsRun: false }), migrations: MIGRATIONS, logging: false } as never);
      await latest.initialize();
      try {
        await latest.runMigrations();
        expect(await snapshot(latest)).toBe(migrated);
        const runner = latest.createQueryRunner();
        await runner.startTransaction();
        await rebuildRollups({ query: (sql, params) => runner.query(sql, params) }, ['m1', 'm2']);
        const rebuilt = await snapshot(runner);
        await runner.rollbackTransaction();
        await runner.release();
        expect(rebuilt === migrated).toBe(true);
      } finally {
        await latest.destroy();
      }
    } finally {
      if (before.isInitialized) await before.destroy();
      await db.drop();
    }
  });
});

/**
 * Recomputes a tenant's rollups (totals, deltas and distinct values) from its raw events: a
 * repair tool (and how bulk loads made with COPY get their rollups). Runs in the caller's
 * transaction; concurrent ingest for the same tenants must be stopped while it runs.
 */
import { COMPACTION_LOCK_KEY } from './rollup-families';
import { MINUTE_ROLLUP_SWEEP_AFTER_MS } from './window-segments';

export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

const RESOURCE_KEY = "CASE WHEN resource_type IS NULL THEN '' ELSE resource_type || '/' || resource_id END";

/** Every resource together and each resource have the same granularities (ROLLUP_FAMILIES_SQL). */
const GRANULARITIES = "('i', 'minute'), ('h', 'hour'), ('d', 'day'), ('m', 'month')";

/** Minute rows are rebuilt only where the sweep keeps them (see RollupSweeper). */
const MINUTE_ROWS_KEPT = `(g.g <> 'i' OR e.ts >= now() - interval '${MINUTE_ROLLUP_SWEEP_AFTER_MS / 1000} seconds')`;

function rollupInsert(resourceExpr: string): string {
  return `
    INSERT INTO usage_rollup_totals (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, sum, count, max, latest_ts, latest_seq, latest_value)
    SELECT e.tenant_id, e.metric, g.g::"char", date_trunc(g.unit, e.ts, 'UTC'), coalesce(e.cost_center_id::text, ''), ${resourceExpr},
      sum(e.quantity), count(*), max(e.quantity),
      (array_agg(e.ts ORDER BY e.ts DESC, e.seq DESC))[1],
      (array_agg(e.seq ORDER BY e.ts DESC, e.seq DESC))[1],
      (array_agg(e.quantity ORDER BY e.ts DESC, e.seq DESC))[1]
    FROM usage_events e CROSS JOIN (VALUES ${GRANULARITIES}) AS g(g, unit)
    WHERE e.tenant_id = ANY($1) AND ${MINUTE_ROWS_KEPT}
    GROUP BY 1, 2, 3, 4, 5, 6`;
}

export async function rebuildRollups(db: Queryable, tenantIds: string[]): Promise<void> {
  // No compaction folds deltas into the totals while they are rebuilt (compactions skip their
  // turn until this transaction ends); rebuilds of other tenants run side by side.
  await db.query(`SELECT pg_advisory_xact_lock_shared(${COMPACTION_LOCK_KEY})`);
  await db.query('DELETE FROM usage_rollup_totals WHERE tenant_id = ANY($1)', [tenantIds]);
  await db.query('DELETE FROM usage_rollup_deltas WHERE tenant_id = ANY($1)', [tenantIds]);
  await db.query('DELETE FROM usage_unique_values WHERE tenant_id = ANY($1)', [tenantIds]);
  await db.query(rollupInsert("'*'"), [tenantIds]);
  await db.query(rollupInsert(RESOURCE_KEY), [tenantIds]);
  const uniques = (resourceExpr: string) => `
    INSERT INTO usage_unique_values (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, value)
    SELECT DISTINCT e.tenant_id, e.metric, g.g::"char", date_trunc(g.unit, e.ts, 'UTC'), coalesce(e.cost_center_id::text, ''), ${resourceExpr}, e.properties->>m.property
    FROM usage_events e JOIN metrics m ON m.key = e.metric AND m.aggregation = 'unique_count'
      CROSS JOIN (VALUES ${GRANULARITIES}) AS g(g, unit)
    WHERE e.tenant_id = ANY($1) AND e.properties->>m.property IS NOT NULL AND ${MINUTE_ROWS_KEPT}`;
  await db.query(uniques("'*'"), [tenantIds]);
  await db.query(uniques(RESOURCE_KEY.replace(/resource_/g, 'e.resource_')), [tenantIds]);
  await db.query(
    `UPDATE usage_rollup_totals r SET distinct_count = u.n
     FROM (SELECT tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, count(*) AS n
           FROM usage_unique_values WHERE tenant_id = ANY($1) GROUP BY 1, 2, 3, 4, 5, 6) u
     WHERE (r.tenant_id, r.metric, r.granularity, r.bucket_start, r.cost_center_key, r.resource_key) = (u.tenant_id, u.metric, u.granularity, u.bucket_start, u.cost_center_key, u.resource_key)`,
    [tenantIds],
  );
}

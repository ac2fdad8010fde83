import type { QueryRunner } from 'typeorm';
import type { UsageEvent } from '../usage-event.schema';
import { RollupRow, StoredEvent, UniqueRow, rollupRows, uniqueRows } from '../rollups/rollup-rows';

/** An event bound for the table: its tenant, its attributed cost center and its unique value. */
export interface EventToStore {
  tenantId: string;
  event: UsageEvent;
  costCenterId: string | null;
  uniqueValue: string | null;
}

const INSERT_EVENTS = `
  INSERT INTO usage_events (tenant_id, event_id, metric, quantity, ts, resource_type, resource_id, cost_center_id, properties)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[], $6::text[], $7::text[], $8::uuid[], $9::jsonb[])
  ON CONFLICT (tenant_id, event_id) DO NOTHING
  RETURNING tenant_id, event_id, seq`;

const UPSERT_ROLLUPS = `
  INSERT INTO usage_rollups AS r (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, sum, count, max, latest_ts, latest_seq, latest_value)
  SELECT t, m, g::"char", b, c, k, s, n, x, lt, ls, lv
  FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::numeric[], $8::bigint[], $9::numeric[], $10::timestamptz[], $11::bigint[], $12::numeric[])
    AS u(t, m, g, b, c, k, s, n, x, lt, ls, lv)
  ON CONFLICT (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key) DO UPDATE SET
    sum = r.sum + EXCLUDED.sum,
    count = r.count + EXCLUDED.count,
    max = GREATEST(r.max, EXCLUDED.max),
    latest_ts = CASE WHEN (EXCLUDED.latest_ts, EXCLUDED.latest_seq) > (r.latest_ts, r.latest_seq) THEN EXCLUDED.latest_ts ELSE r.latest_ts END,
    latest_value = CASE WHEN (EXCLUDED.latest_ts, EXCLUDED.latest_seq) > (r.latest_ts, r.latest_seq) THEN EXCLUDED.latest_value ELSE r.latest_value END,
    latest_seq = CASE WHEN (EXCLUDED.latest_ts, EXCLUDED.latest_seq) > (r.latest_ts, r.latest_seq) THEN EXCLUDED.latest_seq ELSE r.latest_seq END`;

const INSERT_UNIQUES = `
  INSERT INTO usage_unique_values (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, value)
  SELECT t, m, g::"char", b, c, k, v FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[]) AS u(t, m, g, b, c, k, v)
  ON CONFLICT DO NOTHING`;

function column<T, R>(rows: readonly T[], pick: (row: T) => R): R[] {
  return rows.map(pick);
}

/**
 * Stores events (already deduplicated and sorted by tenant and event id) and folds the new
 * ones into the rollups, inside the caller's transaction. Returns the keys that were new.
 */
export async function storeEvents(qr: QueryRunner, items: readonly EventToStore[]): Promise<Map<string, bigint>> {
  const inserted: Array<{ tenant_id: string; event_id: string; seq: string }> = await qr.query(INSERT_EVENTS, [
    column(items, (i) => i.tenantId),
    column(items, (i) => i.event.eventId),
    column(items, (i) => i.event.metric),
    column(items, (i) => i.event.quantity.toFixed()),
    column(items, (i) => i.event.timestamp.toISOString()),
    column(items, (i) => i.event.resourceType),
    column(items, (i) => i.event.resourceId),
    column(items, (i) => i.costCenterId),
    column(items, (i) => (i.event.properties === null ? null : JSON.stringify(i.event.properties))),
  ]);
  const fresh = new Map<string, bigint>();
  for (const r of inserted) fresh.set(eventKey(r.tenant_id, r.event_id), BigInt(r.seq));
  if (fresh.size === 0) return fresh;

  const stored: StoredEvent[] = [];
  for (const i of items) {
    const seq = fresh.get(eventKey(i.tenantId, i.event.eventId));
    if (seq === undefined) continue;
    stored.push({
      tenantId: i.tenantId,
      metric: i.event.metric,
      quantity: i.event.quantity,
      timestamp: i.event.timestamp,
      seq,
      costCenterId: i.costCenterId,
      resourceType: i.event.resourceType,
      resourceId: i.event.resourceId,
      uniqueValue: i.uniqueValue,
    });
  }
  await upsertRollups(qr, rollupRows(stored));
  const uniques = uniqueRows(stored);
  if (uniques.length > 0) await insertUniques(qr, uniques);
  return fresh;
}

export function eventKey(tenantId: string, eventId: string): string {
  return `${tenantId}\u0000${eventId}`;
}

async function upsertRollups(qr: QueryRunner, rows: RollupRow[]): Promise<void> {
  await qr.query(UPSERT_ROLLUPS, [
    column(rows, (r) => r.tenantId),
    column(rows, (r) => r.metric),
    column(rows, (r) => r.granularity),
    column(rows, (r) => r.bucketStart.toISOString()),
    column(rows, (r) => r.costCenterKey),
    column(rows, (r) => r.resourceKey),
    column(rows, (r) => r.sum.toFixed()),
    column(rows, (r) => r.count),
    column(rows, (r) => r.max.toFixed()),
    column(rows, (r) => r.latestTs.toISOString()),
    column(rows, (r) => r.latestSeq.toString()),
    column(rows, (r) => r.latestValue.toFixed()),
  ]);
}

async function insertUniques(qr: QueryRunner, rows: UniqueRow[]): Promise<void> {
  await qr.query(INSERT_UNIQUES, [
    column(rows, (r) => r.tenantId),
    column(rows, (r) => r.metric),
    column(rows, (r) => r.granularity),
    column(rows, (r) => r.bucketStart.toISOString()),
    column(rows, (r) => r.costCenterKey),
    column(rows, (r) => r.resourceKey),
    column(rows, (r) => r.value),
  ]);
}

import { ROLLUP_FAMILIES_SQL, ROLLUP_KEY, ROLLUP_UPSERT_SQL, fromLatest, latestTriple } from '../rollups/rollup-families';
import type { UsageEvent } from '../usage-event.schema';

/** An event bound for the table: its tenant, its attributed cost center and its unique value. */
export interface EventToStore {
  tenantId: string;
  event: UsageEvent;
  costCenterId: string | null;
  uniqueValue: string | null;
}

export interface Queryable {
  /** `name` is the same for every call with the same `sql` (a prepared statement's name). */
  query(sql: string, params: unknown[], name: string): Promise<Array<Record<string, any>>>;
}

/**
 * How the storing statement meets an event that is already recorded:
 * - 'new' expects none: a plain INSERT, which costs PostgreSQL about a quarter less per row than
 *   ON CONFLICT's speculative insertion, and answers one row instead of one per event. An event
 *   already recorded (or being recorded by a concurrent transaction that then commits) fails the
 *   whole statement with a unique violation and nothing is stored; the caller redoes the group
 *   with 'dedupe'.
 * - 'dedupe' skips recorded events (ON CONFLICT DO NOTHING) and answers the keys it stored.
 */
export type StoreMode = 'new' | 'dedupe';

/**
 * One statement stores the events and their rollups: PostgreSQL runs it atomically (all or
 * nothing, one commit, one disk flush) and in one round trip. The new events are first folded
 * into their finest buckets (tenant, metric, cost center, resource, minute): a group commit
 * mostly holds a few of those. Each bucket is appended to usage_rollup_deltas as one row, which
 * the compactor later folds into the rollup families of usage_rollup_totals: a plain insert
 * cost PostgreSQL a seventh of the seven upserts it replaced, and a compaction meets each
 * family row once for all the commits of a second (single-event ingest: about 55 against
 * 140 µs of the backend's CPU per event).
 * Metrics counted by distinct values still upsert their families here, since a distinct count
 * is no sum of deltas: their distinct values go in first, and the ones new to a bucket add to
 * its rollup row's distinct_count, so a read whose group is one bucket counts distinct values
 * without reading them. Rows are written once per key and in key order, so concurrent writers
 * (and the compactor) wait for each other instead of deadlocking.
 * The latest event of a bucket is max() of its `latestTriple`s: three array_agg(… ORDER BY ts
 * DESC, seq DESC) ran a sort per group and aggregate, which cost about a seventh of the
 * statement for a group of events of many tenants.
 */
/** The finest bucket of an event (cost center key, resource key, minute), as the rollup keys write them. */
function fineKeySql(row: string): string {
  return `coalesce(${row}cost_center_id::text, '') AS cc,
      CASE WHEN ${row}resource_type IS NULL THEN '' ELSE ${row}resource_type || '/' || ${row}resource_id END AS res,
      date_bin('1 minute', ${row}ts, timestamptz 'epoch') AS minute`;
}

function storeEventsSql(mode: StoreMode, distinct: boolean): string {
  // A 'new' store stores every input row or fails, so the rollups are made from the input itself;
  // a 'dedupe' store makes them from the rows its INSERT returns.
  const allNew = mode === 'new';
  // Without events of metrics counted by distinct values (the usual group) the statement leaves
  // out their parts: an insert that meets no row still costs PostgreSQL its setup (relations,
  // indexes) in every execution. Their parameters are still typed (an unread CTE is not run).
  const distinctParts = distinct
    ? `
  fine_uniques AS (
    SELECT DISTINCT e.tenant_id, e.metric, ${fineKeySql('e.')}, ${allNew ? 'e' : 'i'}.unique_value
    FROM ${allNew ? 'input e' : 'ins e JOIN input i USING (tenant_id, event_id)'}
    WHERE ${allNew ? 'e' : 'i'}.unique_value IS NOT NULL AND $11::boolean
  ),
  uniques AS (
    INSERT INTO usage_unique_values (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, value)
    SELECT DISTINCT tenant_id, metric, g.g::"char", date_trunc(g.unit, minute, 'UTC'), cc, CASE WHEN g.per_resource THEN res ELSE '*' END, unique_value
    FROM fine_uniques CROSS JOIN ${ROLLUP_FAMILIES_SQL}
    ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT DO NOTHING
    RETURNING tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key
  ),
  new_distinct AS (
    SELECT tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, count(*) AS n FROM uniques GROUP BY 1, 2, 3, 4, 5, 6
  ),
  rollups AS (
    -- Metrics counted by distinct values ($25) upsert their families here: a distinct count is no sum of deltas.
    INSERT INTO usage_rollup_totals AS r (${ROLLUP_KEY}, sum, count, max, latest_ts, latest_seq, latest_value, distinct_count)
    SELECT k.tenant_id, k.metric, k.granularity, k.bucket_start, k.cost_center_key, k.resource_key, k.sum, k.count, k.max, ${fromLatest('k.latest')}, coalesce(nd.n, 0) FROM (
      SELECT tenant_id, metric, g.g::"char" AS granularity, date_trunc(g.unit, minute, 'UTC') AS bucket_start, cc AS cost_center_key,
        CASE WHEN g.per_resource THEN res ELSE '*' END AS resource_key,
        sum(sum) AS sum, sum(count) AS count, max(max) AS max,
        max(latest) AS latest
      FROM fine CROSS JOIN ${ROLLUP_FAMILIES_SQL}
      WHERE metric = ANY($25::text[])
      GROUP BY 1, 2, 3, 4, 5, 6
    ) k LEFT JOIN new_distinct nd USING (${ROLLUP_KEY})
    ORDER BY 1, 2, 3, 4, 5, 6
    ${ROLLUP_UPSERT_SQL}
  ),`
    : `
  unused AS (SELECT $11::boolean AS any_unique, $25::text[] AS distinct_metrics),`;
  return `
  WITH stale AS (
    -- The tenants' context (cost centers, quota metrics) changed since the caller read it: store
    -- nothing and say so; the caller reads it again and redoes the group.
    SELECT EXISTS (
      SELECT 1 FROM unnest($14::text[], $15::bigint[]) AS used(tenant_id, version)
      LEFT JOIN tenant_ingest_versions v USING (tenant_id)
      WHERE coalesce(v.version, 0) <> used.version
    ) AS stale
  ),
  input AS (
    -- A column with one value for every event (a batch's tenant, metric, stamped time; nulls)
    -- comes as an empty array, which unnest pads with nulls, and that value ($16 … $24 in column
    -- order, event id left out; null when the column comes whole). Event ids always come whole,
    -- so there is one row per event.
    SELECT coalesce(tenant_id, $16::text) AS tenant_id, event_id, coalesce(metric, $17::text) AS metric, coalesce(quantity, $18::numeric) AS quantity,
      timestamptz 'epoch' + coalesce(ts_ms, $19::bigint) * interval '1 millisecond' AS ts, coalesce(resource_type, $20::text) AS resource_type, coalesce(resource_id, $21::text) AS resource_id,
      coalesce(cost_center_id, $22::uuid) AS cost_center_id, coalesce(properties, $23::jsonb) AS properties, coalesce(unique_value, $24::text) AS unique_value${
        allNew
          ? `,
      -- The seq is drawn here, row by row in input order, so within the statement (ts, seq)
      -- orders as (ts, ord) does: order_key, one bigint (ord < 2^20, ms < 2^43), finds each
      -- bucket's latest event by a plain max() instead of a max() of an array per event.
      nextval('usage_events_seq') AS seq, coalesce(ts_ms, $19::bigint) * 1048576 + ord AS order_key`
          : ''
      }
    FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::bigint[], $6::text[], $7::text[], $8::uuid[], $9::jsonb[], $10::text[]) WITH ORDINALITY
      AS u(tenant_id, event_id, metric, quantity, ts_ms, resource_type, resource_id, cost_center_id, properties, unique_value, ord)
    WHERE NOT (SELECT stale FROM stale)
  ),
  ins AS (
    INSERT INTO usage_events (tenant_id, event_id, ${allNew ? 'seq, ' : ''}metric, quantity, ts, resource_type, resource_id, cost_center_id, properties)
    SELECT tenant_id, event_id, ${allNew ? 'seq, ' : ''}metric, quantity, ts, resource_type, resource_id, cost_center_id, properties FROM input${
      allNew
        ? ''
        : `
    ON CONFLICT (tenant_id, event_id) DO NOTHING
    RETURNING tenant_id, event_id, seq, metric, quantity, ts, resource_type, resource_id, cost_center_id`
    }
  ),
  fine AS (${
    allNew
      ? `
    SELECT f.tenant_id, f.metric, f.cc, f.res, f.minute, f.sum, f.count, f.max, ${latestTriple('i.ts', 'i.seq', 'i.quantity')} AS latest
    FROM (
      SELECT tenant_id, metric, ${fineKeySql('')}, sum(quantity) AS sum, count(*) AS count, max(quantity) AS max, max(order_key) AS latest_key
      FROM input GROUP BY 1, 2, 3, 4, 5
    ) f JOIN input i ON i.order_key = f.latest_key`
      : `
    SELECT tenant_id, metric, ${fineKeySql('')}, sum(quantity) AS sum, count(*) AS count, max(quantity) AS max,
      max(${latestTriple('ts', 'seq', 'quantity')}) AS latest
    FROM ins GROUP BY 1, 2, 3, 4, 5`
  }
  ),
  deltas AS (
    INSERT INTO usage_rollup_deltas (tenant_id, metric, cost_center_key, resource_key, minute, sum, count, max, latest_ts, latest_seq, latest_value)
    SELECT tenant_id, metric, cc, res, minute, sum, count, max, ${fromLatest('latest')}
    FROM fine${distinct ? ' WHERE metric <> ALL($25::text[])' : ''}
  ),${distinctParts}
  -- Notifications ride in the statement, so they are delivered if and only if it commits. A
  -- volatile CTE runs when read: the one-row join reads it whenever an event was stored.
  notified AS (SELECT count(pg_notify($12, p)) AS n FROM unnest($13::text[]) AS p)
  ${
    mode === 'dedupe'
      ? `SELECT tenant_id, event_id FROM ins CROSS JOIN notified
  UNION ALL
  SELECT NULL, NULL FROM stale WHERE stale`
      : 'SELECT (SELECT stale FROM stale) AS stale, (SELECT count(*) FROM input)::int AS stored, (SELECT n FROM notified) AS notified'
  }`;
}

/** The storing statements by mode, without and with the parts of metrics counted by distinct values. */
export const STORE_EVENTS_SQL: Readonly<Record<StoreMode, readonly [string, string]>> = {
  new: [storeEventsSql('new', false), storeEventsSql('new', true)],
  dedupe: [storeEventsSql('dedupe', false), storeEventsSql('dedupe', true)],
};

/** The column sent whole in every case: it gives the statement one row per event. */
const EVENT_ID_COLUMN = 1;

const NEEDS_ESCAPE = /["\\]/;

/**
 * A PostgreSQL array literal of text values (NULL for null), every element quoted, as pg's own
 * array serialization writes it. The usual column (no null, no quote or backslash anywhere) is
 * one native join, written once: adding element by element built a rope that pg then had to
 * flatten. Otherwise elements without a quote or backslash skip the two escaping replaces.
 */
export function arrayLiteral(values: ReadonlyArray<string | null>): string {
  if (values.length > 0 && !values.includes(null) && !NEEDS_ESCAPE.test(values.join(''))) return `{"${values.join('","')}"}`;
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null) out += 'NULL';
    else out += NEEDS_ESCAPE.test(v) ? `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `"${v}"`;
  }
  return out + '}';
}

export function eventKey(tenantId: string, eventId: string): string {
  return `${tenantId}\u0000${eventId}`;
}

/** The storing statement found a tenant's ingest context newer than the one the group was read with. */
export class StaleIngestContext extends Error {
  constructor() {
    super('the ingest context of a tenant changed while the group was prepared');
  }
}

/** The keys stored: every key given ('all', a 'new' store) or those that were not recorded yet. */
export type StoredKeys = 'all' | ReadonlySet<string>;

/**
 * Stores events (already deduplicated, sorted by tenant and event id) with their rollups in one
 * atomic statement, provided every tenant's ingest context is still at the version given in
 * `versions` (else nothing is stored and StaleIngestContext is thrown). Returns the keys that
 * were new; in mode 'new' that is all of them, or the statement fails with a unique violation.
 */
export async function storeEvents(
  db: Queryable,
  items: readonly EventToStore[],
  notify: { channel: string; payloads: readonly string[] },
  versions: ReadonlyMap<string, string>,
  mode: StoreMode,
): Promise<StoredKeys> {
  const n = items.length;
  const cols = Array.from({ length: 10 }, () => new Array<string | null>(n));
  let anyUnique = false;
  const distinctMetrics = new Set<string>();
  // Times go as epoch milliseconds (shorter than ISO text, and cheaper for PostgreSQL to read);
  // events stamped by the service share one, written out once.
  let lastMs = Number.NaN;
  let lastMsText = '';
  for (let i = 0; i < n; i++) {
    const { tenantId, event: e, costCenterId, uniqueValue } = items[i];
    cols[0][i] = tenantId;
    cols[1][i] = e.eventId;
    cols[2][i] = e.metric;
    cols[3][i] = e.quantity;
    if (e.timestampMs !== lastMs) lastMsText = String((lastMs = e.timestampMs));
    cols[4][i] = lastMsText;
    cols[5][i] = e.resourceType;
    cols[6][i] = e.resourceId;
    cols[7][i] = costCenterId;
    cols[8][i] = e.properties === null ? null : JSON.stringify(e.properties);
    cols[9][i] = uniqueValue;
    if (uniqueValue !== null) {
      anyUnique = true;
      distinctMetrics.add(e.metric);
    }
  }
  const arrays: string[] = [];
  const constants: Array<string | null> = [];
  cols.forEach((c, i) => {
    const same = i !== EVENT_ID_COLUMN && c.every((v) => v === c[0]);
    arrays.push(same ? '{}' : arrayLiteral(c));
    if (i !== EVENT_ID_COLUMN) constants.push(same ? c[0] : null);
  });
  const rows = await db.query(STORE_EVENTS_SQL[mode][anyUnique ? 1 : 0], [...arrays, anyUnique, notify.channel, notify.payloads, [...versions.keys()], [...versions.values()], ...constants, [...distinctMetrics]], `${mode}${anyUnique ? '_distinct' : ''}`);
  if (mode === 'new') {
    const [{ stale, stored }] = rows as Array<{ stale: boolean; stored: number }>;
    if (stale) throw new StaleIngestContext();
    if (stored !== n) throw new Error(`the storing statement stored ${stored} of ${n} new events`);
    return 'all';
  }
  if (rows.some((r) => r.tenant_id === null)) throw new StaleIngestContext();
  return new Set(rows.map((r) => eventKey(r.tenant_id, r.event_id)));
}

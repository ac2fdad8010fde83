import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { Dec } from '../../src/common/money/decimal';
import { rebuildRollups } from '../../src/usage/rollups/rebuild-rollups';
import { compactRollups } from '../../src/usage/rollups/rollup-compactor';
import { ROLLUP_KEY } from '../../src/usage/rollups/rollup-families';
import { API } from '../support/http';
import { serviceToken } from '../support/tokens';
import { useApp } from '../support/suite';

/**
 * Property: whatever the stream (duplicates, out-of-order timestamps, month edges, concurrent
 * batches), the rollups kept at ingest equal a rebuild from the raw events, and every summary
 * equals the aggregation of the first occurrence of each event computed here by hand.
 */
interface Ev {
  eventId: string;
  metric: string;
  quantity: string;
  timestamp: string;
  resourceType?: string;
  resourceId?: string;
  properties?: Record<string, string>;
}

const METRICS = ['compute.cpu_hours', 'api.requests', 'cluster.peak_nodes', 'warehouse.seats', 'users.active'];
const AGG: Record<string, string> = {
  'compute.cpu_hours': 'sum',
  'api.requests': 'count',
  'cluster.peak_nodes': 'max',
  'warehouse.seats': 'latest',
  'users.active': 'unique_count',
};
/**
 * Two kinds of streams: four days around a month edge (read from month, day and hour rows and
 * raw edges), and the last three hours (read from hour and minute rows, raw only within a
 * minute of each edge). An instant is an offset into the chosen span.
 */
const MONTH_EDGE = { start: Date.UTC(2026, 0, 30, 20), span: 4 * 86_400_000 };
const recent = () => ({ start: Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3_600_000, span: 3 * 3_600_000 - 60_000 });
const offset = fc.integer({ min: 0, max: 4 * 86_400_000 });
const at = (base: { start: number; span: number }, ms: number) => new Date(base.start + (ms % base.span)).toISOString();

const eventArb = fc.record({
  eventId: fc.integer({ min: 0, max: 60 }).map((i) => `e${i}`),
  metric: fc.constantFrom(...METRICS),
  quantity: fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 3 })).map(([n, s]) => new Dec(n).div(10 ** s).toFixed()),
  offset,
  resource: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
  user: fc.constantFrom('u1', 'u2', 'u3', 'u4'),
});

function expected(events: Ev[], from: number, to: number, group: (e: Ev) => string) {
  const out = new Map<string, { value: Dec; count: number; latest?: Ev; users: Set<string> }>();
  for (const e of events) {
    const t = Date.parse(e.timestamp);
    if (t < from || t >= to) continue;
    const key = `${e.metric}|${group(e)}`;
    const cur = out.get(key) ?? { value: new Dec(0), count: 0, users: new Set<string>() };
    const q = new Dec(e.quantity);
    const agg = AGG[e.metric];
    if (agg === 'sum') cur.value = cur.value.plus(q);
    if (agg === 'max') cur.value = cur.count === 0 ? q : Dec.max(cur.value, q);
    if (agg === 'latest' && (!cur.latest || Date.parse(cur.latest.timestamp) <= t)) {
      // Ties on timestamp go to the later ingestion; streams here never tie (distinct ms, checked below).
      cur.latest = e;
      cur.value = q;
    }
    if (agg === 'unique_count') {
      cur.users.add(e.properties!.userId);
      cur.value = new Dec(cur.users.size);
    }
    cur.count += 1;
    if (agg === 'count') cur.value = new Dec(cur.count);
    out.set(key, cur);
  }
  return new Map([...out].map(([k, v]) => [k, { value: v.value.toFixed(), count: v.count }]));
}

describe('rollups equal the aggregation of raw events (property)', () => {
  // Deltas are folded only where a test says so (compactRollups), so reads meet them unfolded.
  const { request, db, app } = useApp({ env: { ROLLUP_COMPACT_INTERVAL_MS: '0' } });
  let run = 0;


  // Ingest writes minute rows for any timestamp; the sweep deletes those older than 72 hours and a
  // rebuild makes only the ones the sweep keeps.
  const KEPT = `(granularity <> 'i' OR bucket_start >= now() - interval '71 hours')`;

  /**
   * A tenant's rollup rows, one per key: `usage_rollups` (the totals and the deltas not folded
   * yet, which may hold several rows of a key) added up per key, or the totals alone.
   */
  async function snapshot(tenant: string, from: 'usage_rollups' | 'usage_rollup_totals' = 'usage_rollups'): Promise<string> {
    const r = await db.query(
      `SELECT metric, granularity, bucket_start, cost_center_key, resource_key, trim_scale(sum(sum))::text AS sum, sum(count)::text AS count, trim_scale(max(max))::text AS max,
         (array_agg(latest_ts ORDER BY latest_ts DESC, latest_seq DESC))[1] AS latest_ts,
         (array_agg(latest_seq ORDER BY latest_ts DESC, latest_seq DESC))[1] AS latest_seq,
         trim_scale((array_agg(latest_value ORDER BY latest_ts DESC, latest_seq DESC))[1])::text AS latest_value, sum(distinct_count)::text AS distinct_count
       FROM ${from} WHERE tenant_id = $1 AND ${KEPT} GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
      [tenant],
    );
    const u = await db.query(`SELECT metric, granularity, bucket_start, cost_center_key, resource_key, value FROM usage_unique_values WHERE tenant_id = $1 AND ${KEPT} ORDER BY 1, 2, 3, 4, 5, 6`, [
      tenant,
    ]);
    return JSON.stringify([r.rows, u.rows]);
  }

  const deltasOf = async (tenant: string) => Number((await db.query('SELECT count(*)::int AS n FROM usage_rollup_deltas WHERE tenant_id = $1', [tenant])).rows[0].n);

  /** Folding the deltas changes no key's figures: afterwards the totals alone hold them. */
  async function expectCompactionUnchanged(tenant: string): Promise<void> {
    const before = await snapshot(tenant);
    await compactRollups({ query: async (sql, params) => (await db.query(sql, params)).rows });
    expect(await deltasOf(tenant)).toBe(0);
    expect(await snapshot(tenant, 'usage_rollup_totals')).toBe(before);
  }

  /** The tenant's rollups are what a rebuild from its raw events makes (the rebuild is rolled back). */
  async function expectRebuildUnchanged(tenant: string): Promise<void> {
    const before = await snapshot(tenant);
    await db.query('BEGIN');
    await rebuildRollups(db, [tenant]);
    const rebuilt = await snapshot(tenant);
    await db.query('ROLLBACK');
    expect(rebuilt).toBe(before);
  }

  it('gives ties on timestamp to the later ingestion (greater seq), as a rebuild from raw events does', async () => {
    const tenant = 'ties';
    const timestamp = '2026-02-03T04:05:06.789Z';
    const seats = (ids: string[], quantities: string[]) =>
      request('POST', `${API}/tenants/${tenant}/usage/batch`, {
        token: serviceToken(),
        body: { events: ids.map((eventId, i) => ({ eventId, metric: 'warehouse.seats', quantity: quantities[i], timestamp, resourceType: 'vm', resourceId: 'a' })) },
      });
    // In one statement (stored in event id order: t-c last) and then across statements.
    expect((await seats(['t-b', 't-c', 't-a'], ['7', '3', '9'])).status).toBe(200);
    // The latest value of every rollup key, the deltas not folded yet counted in.
    const latestValues = async () =>
      (
        await db.query(
          `SELECT DISTINCT trim_scale((array_agg(latest_value ORDER BY latest_ts DESC, latest_seq DESC))[1])::text AS v FROM usage_rollups WHERE tenant_id = $1 GROUP BY ${ROLLUP_KEY}`,
          [tenant],
        )
      ).rows;
    expect(await latestValues()).toEqual([{ v: '3' }]);
    // Summaries pick the same winner from rollup rows (a whole hour) and from raw events (an
    // unaligned window), for every grouping.
    const summaryValues = async (from: string, to: string) => {
      const values: string[] = [];
      for (const groupBy of ['metric', 'resource', 'costCenter', 'day']) {
        const res = await request('GET', `${API}/tenants/${tenant}/usage/summary?groupBy=${groupBy}&metric=warehouse.seats&from=${from}&to=${to}`, { token: serviceToken() });
        expect(res.status).toBe(200);
        values.push(...res.body.items.map((i: { value: string }) => i.value));
      }
      return values;
    };
    expect(await summaryValues('2026-02-03T04:00:00Z', '2026-02-03T05:00:00Z')).toEqual(['3', '3', '3', '3']);
    expect(await summaryValues('2026-02-03T04:05:06.500Z', '2026-02-03T04:05:07.250Z')).toEqual(['3', '3', '3', '3']);
    // Stored as one delta (one finest bucket), not folded: nothing folds in this file unless told.
    expect(await deltasOf(tenant)).toBe(1);
    expect((await seats(['t-d'], ['5'])).status).toBe(200);
    expect(await latestValues()).toEqual([{ v: '5' }]);
    await expectCompactionUnchanged(tenant);
    await expectRebuildUnchanged(tenant);
  });

  it('folds every delta exactly once while batches and compactions on several connections race', async () => {
    const tenant = 'race';
    const now = Date.now();
    const batches = Array.from({ length: 24 }, (_, b) =>
      Array.from({ length: 25 }, (_, i) => ({
        eventId: `r${b}-${i}`,
        metric: i % 3 === 0 ? 'warehouse.seats' : 'compute.cpu_hours',
        quantity: `${i}.${b + 1}`,
        timestamp: new Date(now - ((b * 25 + i) % 180) * 61_000 - b).toISOString(),
        resourceType: 'vm',
        resourceId: `v${i % 3}`,
      })),
    );
    const dataSource = app().app.get(DataSource);
    let posting = true;
    let folded = 0;
    const compacting = Array.from({ length: 4 }, async () => {
      while (posting) folded += await compactRollups(dataSource, 7);
    });
    const results = await Promise.all(batches.map((events) => request('POST', `${API}/tenants/${tenant}/usage/batch`, { token: serviceToken(), body: { events } })));
    posting = false;
    await Promise.all(compacting);
    expect(results.map((r) => r.status)).toEqual(batches.map(() => 200));
    expect(folded).toBeGreaterThan(0);
    await expectCompactionUnchanged(tenant);
    await expectRebuildUnchanged(tenant);
    const [{ n }] = (await db.query(`SELECT sum(count)::int AS n FROM usage_rollup_totals WHERE tenant_id = $1 AND granularity = 'm' AND resource_key = '*'`, [tenant])).rows;
    expect(n).toBe(24 * 25);
  });

  it('holds for random streams', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 1, maxLength: 120 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        fc.tuple(offset, offset),
        fc.boolean(),
        async (raw, chunkSizes, [o1, o2], isRecent) => {
          const tenant = `prop${run++}`;
          const base = isRecent ? recent() : MONTH_EDGE;
          const [w1, w2] = [at(base, o1), at(base, o2)];
          const events: Ev[] = raw.map((r) => ({
            eventId: r.eventId,
            metric: r.metric,
            quantity: r.quantity,
            timestamp: at(base, r.offset),
            ...(r.resource ? { resourceType: 'vm', resourceId: r.resource } : {}),
            ...(r.metric === 'users.active' ? { properties: { userId: r.user } } : {}),
          }));
          // Send in chunks, concurrently, so batches race; the first occurrence of an id in the stream
          // is not necessarily the one stored, so the model reads back which one was.
          const chunks: Ev[][] = [];
          for (let i = 0, c = 0; i < events.length; c++) {
            const size = chunkSizes[c % chunkSizes.length];
            chunks.push(events.slice(i, i + size));
            i += size;
          }
          const results = await Promise.all(chunks.map((evs) => request('POST', `${API}/tenants/${tenant}/usage/batch`, { token: serviceToken(), body: { events: evs } })));
          expect(results.every((r) => r.status === 200)).toBe(true);
          const stored = (await db.query('SELECT event_id, metric, quantity::text, ts, resource_type, resource_id, properties FROM usage_events WHERE tenant_id = $1 ORDER BY seq', [tenant])).rows;
          expect(stored.length).toBe(new Set(events.map((e) => e.eventId)).size);
          const storedEvents: Ev[] = stored.map((s) => ({
            eventId: s.event_id,
            metric: s.metric,
            quantity: s.quantity,
            timestamp: new Date(s.ts).toISOString(),
            resourceId: s.resource_id ?? undefined,
            properties: s.properties ?? undefined,
          }));

          // Summaries, by metric, resource and day, == the model: over a random window, and over
          // windows that are exactly one bucket (read from the distinct counts kept on rows).
          const expectSummaries = async () => {
            const [from, to] = [Date.parse(w1), Date.parse(w2)].sort((a, b) => a - b);
            const hour = Math.floor(Date.parse(w1) / 3_600_000) * 3_600_000;
            const windows: Array<[number, number]> = isRecent
              ? [[hour, hour + 3_600_000], [hour + 60_000, hour + 120_000]]
              : [[Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 1)], [Date.UTC(2026, 0, 31), Date.UTC(2026, 1, 1)]];
            if (from !== to) windows.push([from, to]);
            const hasTies = new Set(storedEvents.filter((e) => e.metric === 'warehouse.seats').map((e) => e.timestamp)).size !==
              storedEvents.filter((e) => e.metric === 'warehouse.seats').length;
            for (const [from, to] of windows) for (const [groupBy, group, itemGroup] of [
              ['metric', () => '', () => ''],
              ['resource', (e: Ev) => e.resourceId ?? '', (i: any) => i.resourceId ?? ''],
              ['day', (e: Ev) => e.timestamp.slice(0, 10), (i: any) => i.day],
            ] as const) {
              const res = await request('GET', `${API}/tenants/${tenant}/usage/summary?groupBy=${groupBy}&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`, {
                token: serviceToken(),
              });
              expect(res.status).toBe(200);
              const got = new Map<string, { value: string; count: number }>(
                res.body.items.map((i: any) => [`${i.metric}|${itemGroup(i)}`, { value: i.value, count: i.eventCount }]),
              );
              const want = expected(storedEvents, from, to, group);
              if (hasTies) {
                for (const k of [...want.keys()].filter((k) => k.startsWith('warehouse.seats'))) {
                  want.delete(k);
                  got.delete(k);
                }
              }
              expect(got).toEqual(want);
            }
          };

          // 1. With the deltas not folded: rollups == rebuild from raw events, summaries == model.
          await expectRebuildUnchanged(tenant);
          await expectSummaries();
          // 2. Folded: the same figures, now from the totals alone.
          await expectCompactionUnchanged(tenant);
          await expectRebuildUnchanged(tenant);
          await expectSummaries();
        },
      ),
      { numRuns: 30 },
    );
  });
});

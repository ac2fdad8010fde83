/**
 * 4. Usage summary latency on a large table: BENCH_SUMMARY_EVENTS (10,000,000) events of
 * BENCH_SUMMARY_TENANTS tenants bulk-loaded with COPY while the service is stopped (one tenant
 * holds a tenth, 1,000,000, another a hundredth, 100,000, all in the current UTC month so
 * far), rollups rebuilt with rebuildRollups(), then sequential GET …/usage/summary; and one more
 * tenant with 1,000,000 events in the last hours, read over an unaligned window (summary-edges.bench.ts).
 */
import * as http from 'node:http';
import type { Client } from 'pg';
import { rebuildRollups } from '../src/usage/rollups/rebuild-rollups';
import { DENSE_EVENTS, DENSE_TENANT, denseChunks, denseReads, denseWindow } from './summary-edges.bench';
import { API, BenchContext } from './lib/context';
import { copyChunks, copyLine, tenantIds } from './lib/events';
import { httpRequest } from './lib/http';
import { Distribution, distribution, fmt, seconds, timeSequential, timed } from './lib/stats';

const BENCH = 'summary';
const RESOURCES = 50;
const CHUNK_LINES = 10_000;
/** Metrics in turn: sums, a count, a distinct count, a max and a latest. */
const MIX = [
  'compute.cpu_hours',
  'api.requests',
  'compute.cpu_hours',
  'query.gb_scanned',
  'api.requests',
  'storage.gb_months',
  'users.active',
  'compute.cpu_hours',
  'cluster.peak_nodes',
  'warehouse.seats',
];
const QUANTITIES = ['0.25', '0.5', '0.75', '1', '1.25', '2', '0.125', '3'];

/** Event j of n of a tenant, spread evenly over [from, from + span). */
function* tenantChunks(tenantId: string, n: number, from: number, spanMs: number): Generator<string> {
  let buf = '';
  let lines = 0;
  for (let j = 0; j < n; j++) {
    const metric = MIX[j % MIX.length];
    const quantity =
      metric === 'api.requests' ? '1' : metric === 'cluster.peak_nodes' ? String(1 + (j % 32)) : metric === 'warehouse.seats' ? String(5 + (j % 10)) : metric === 'users.active' ? '1' : QUANTITIES[j % QUANTITIES.length];
    buf += copyLine({
      tenantId,
      eventId: `e${String(j).padStart(9, '0')}`,
      metric,
      quantity,
      ts: new Date(from + Math.floor(((j + 0.5) * spanMs) / n)).toISOString(),
      resourceType: 'vm',
      resourceId: `r-${Math.floor(j / MIX.length) % RESOURCES}`,
      properties: metric === 'users.active' ? `{"userId": "u-${j % 997}"}` : null,
    });
    if (++lines === CHUNK_LINES) {
      yield buf;
      buf = '';
      lines = 0;
    }
  }
  if (buf) yield buf;
}

/** Splits items into `n` groups of about the same weight (largest first, to the lightest group). */
function balance<T>(items: T[], weight: (t: T) => number, n: number): T[][] {
  const groups = Array.from({ length: n }, () => ({ items: [] as T[], w: 0 }));
  for (const it of [...items].sort((a, b) => weight(b) - weight(a))) {
    const g = groups.reduce((min, x) => (x.w < min.w ? x : min));
    g.items.push(it);
    g.w += weight(it);
  }
  return groups.map((g) => g.items).filter((g) => g.length > 0);
}

/** Consecutive chunks of tenants of at most `max` events each (a bigger tenant is alone). */
function chunksOf(tenants: Array<{ id: string; n: number }>, max: number): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let w = 0;
  for (const t of tenants) {
    if (cur.length > 0 && w + t.n > max) {
      out.push(cur);
      cur = [];
      w = 0;
    }
    cur.push(t.id);
    w += t.n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

async function parallel<T>(ctx: BenchContext, clients: number, jobs: T[], work: (c: Client, job: T) => Promise<void>): Promise<void> {
  const queue = [...jobs];
  const conns = await Promise.all(Array.from({ length: Math.min(clients, jobs.length) }, () => ctx.db.connect()));
  try {
    await Promise.all(
      conns.map(async (c) => {
        for (let job = queue.shift(); job !== undefined; job = queue.shift()) await work(c, job);
      }),
    );
  } finally {
    await Promise.all(conns.map((c) => c.end()));
  }
}

interface SummaryItem {
  metric: string;
  eventCount: number;
}

export async function summaryBench(ctx: BenchContext): Promise<void> {
  const { cfg, report, service, db } = ctx;
  const total = cfg.summaryEvents;
  const ids = tenantIds('sum-t', cfg.summaryTenants);
  const big = Math.round(total / 10);
  const mid = Math.round(total / 100);
  const rest = total - big - mid;
  const others = ids.length - 2;
  const tenants = ids.map((id, i) => ({
    id,
    n: i === 0 ? big : i === 1 ? mid : Math.floor(rest / others) + (i - 2 < rest % others ? 1 : 0),
  }));
  const now = new Date();
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const spanMs = Math.max(60_000, now.getTime() - 60_000 - monthStart);
  console.log(
    `\n=== 4. Usage summary: ${fmt(total, 0)} events of ${ids.length} tenants (${ids[0]}: ${fmt(big, 0)}, ${ids[1]}: ${fmt(mid, 0)}), ` +
      `${new Set(MIX).size} metrics, ${RESOURCES} resources, over ${new Date(monthStart).toISOString()} … ${new Date(monthStart + spanMs).toISOString()} ===`,
  );

  await service.stop();
  const dense = denseWindow(now.getTime());
  const loads = [
    ...tenants.map((t) => ({ ...t, chunks: () => tenantChunks(t.id, t.n, monthStart, spanMs) })),
    { id: DENSE_TENANT, n: DENSE_EVENTS, chunks: () => denseChunks(dense) },
  ];
  const streams = balance(loads, (t) => t.n, cfg.copyStreams);
  const [, loadMs] = await timed(() =>
    parallel(ctx, streams.length, streams, async (c, group) => {
      await c.query('SET synchronous_commit = off');
      for (const t of group) await copyChunks(c, 'usage_events', t.chunks());
    }),
  );
  const loaded = total + DENSE_EVENTS;
  console.log(`  COPY load: ${fmt(loaded, 0)} events in ${seconds(loadMs)} (${fmt(loaded / (loadMs / 1000), 0)} rows/s, ${streams.length} streams)`);

  const chunks = chunksOf(loads, Math.max(big, 1));
  const [, rebuildMs] = await timed(() =>
    parallel(ctx, cfg.copyStreams, chunks, async (c, chunk) => {
      await c.query('BEGIN');
      try {
        await c.query("SET LOCAL work_mem = '256MB'");
        await rebuildRollups(c, chunk);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      }
    }),
  );
  console.log(`  rollups rebuilt in ${seconds(rebuildMs)} (${chunks.length} transactions)`);
  const [, analyzeMs] = await timed(() => db.with((c) => c.query('VACUUM ANALYZE usage_events, usage_rollup_totals, usage_rollup_deltas, usage_unique_values')));
  const sizes = await db.with(async (c) => {
    const { rows } = await c.query<{ events: string; rollups: string; size: string }>(
      `SELECT (SELECT count(*) FROM usage_rollup_totals)::text AS rollups, (SELECT count(*) FROM usage_events)::text AS events,
        pg_size_pretty(pg_database_size(current_database())) AS size`,
    );
    return rows[0];
  });
  console.log(`  VACUUM ANALYZE in ${seconds(analyzeMs)}; usage_events ${sizes.events} rows, usage_rollup_totals ${sizes.rollups} rows, database ${sizes.size}`);
  report.add({ bench: BENCH, name: `COPY load of ${fmt(loaded, 0)} events`, value: loadMs / 1000, unit: 's' });
  report.add({ bench: BENCH, name: 'rebuildRollups of all tenants', value: rebuildMs / 1000, unit: 's' });

  await service.start();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (tenant: string, query: string) =>
    httpRequest({ url: `${service.baseUrl}${API}/tenants/${tenant}/usage/summary${query}`, headers: ctx.auth.service, agent, timeoutMs: 30_000 });
  try {
    // The rollups are exact: the summary counts every loaded event of the window.
    for (const t of tenants.slice(0, 2)) {
      const res = await get(t.id, '');
      if (res.status !== 200) throw new Error(`summary of ${t.id}: ${res.status} ${res.body.slice(0, 300)}`);
      const items = res.json<{ items: SummaryItem[] }>().items;
      const counted = items.reduce((s, i) => s + i.eventCount, 0);
      console.log(`  ${t.id}: summary counts ${counted} events in ${items.length} metrics (loaded ${t.n})`);
      report.add({ bench: BENCH, name: `|summary eventCount − loaded| ${t.id}`, value: Math.abs(counted - t.n), unit: '', goal: { op: '<=', target: 0 } });
    }

    const variants: Array<[string, string]> = [
      ['groupBy=metric (default)', ''],
      ['groupBy=resource', '?groupBy=resource'],
      ['groupBy=day', '?groupBy=day'],
    ];
    for (const [label, query] of variants) {
      const dists: Distribution[] = [];
      for (const t of tenants.slice(0, 2)) {
        const { ms, errors, first } = await timeSequential(() => get(t.id, query), cfg.summaryRequests, 10);
        const items = first?.status === 200 ? first.json<{ items: unknown[] }>().items.length : 0;
        const d = distribution(ms);
        dists.push(d);
        const who = `${fmt(t.n, 0)}-event tenant`;
        console.log(`  ${label}, ${who}: ${items} items, ${d.n} requests, p50 ${fmt(d.p50)} ms, p95 ${fmt(d.p95)} ms, p99 ${fmt(d.p99)} ms, max ${fmt(d.max)} ms, errors ${errors}`);
        report.add({ bench: BENCH, name: `${label} ${who} p50`, value: d.p50, unit: 'ms' });
        report.add({ bench: BENCH, name: `${label} ${who} p95`, value: d.p95, unit: 'ms', goal: { op: '<=', target: 50 } });
        report.add({ bench: BENCH, name: `${label} ${who} p99`, value: d.p99, unit: 'ms' });
        if (errors > 0) report.add({ bench: BENCH, name: `${label} ${who} errors`, value: errors, unit: '', goal: { op: '<=', target: 0 } });
      }
      report.add({ bench: BENCH, name: `${label} ratio p95 big / p95 small`, value: dists[0].p95 / dists[1].p95, unit: '×', goal: { op: '<=', target: 2 } });
    }
  } finally {
    agent.destroy();
  }
  await denseReads(ctx, dense);
  console.log(`  ${service.takeLogSummary()}`);
}

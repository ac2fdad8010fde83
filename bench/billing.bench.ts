import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import { rebuildRollups } from '../src/usage/rollups/rebuild-rollups';
import { API, BenchContext } from './lib/context';
import { httpRequest } from './lib/http';
import { distribution, fmt, seconds, timeSequential } from './lib/stats';

const BENCH = 'billing';
const ROOT = path.resolve(__dirname, '..');
const DAY = 86_400_000;

interface CloseSummary {
  subscriptions: number;
  periodsClosed: number;
  invoicesFinalized: number;
  failed: number;
  durationMs: number;
}

/** `node dist/scripts/close-periods.js` against the bench database: the CronJob-style run. */
function closePeriods(ctx: BenchContext): Promise<{ summary: CloseSummary; wallMs: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let out = '';
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'close-periods.js')], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: ctx.db.url, JWT_SECRET: ctx.service.jwtSecret, LOG_LEVEL: 'warn', PERIOD_CLOSE_CRON: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = /period close: (\{.*\})/.exec(out);
      if (code !== 0 || !line) reject(new Error(`close-periods exited ${code}: ${out.slice(-1000)}`));
      else resolve({ summary: JSON.parse(line[1]) as CloseSummary, wallMs: performance.now() - started });
    });
  });
}

/**
 * Period close for N subscriptions with usage (each has one ended period); then, when the
 * summary bench loaded a million-event tenant, its billing preview and real-time current, and
 * the delay from an event's 201 to real-time current showing it under ingest load.
 */
export async function billingBench(ctx: BenchContext): Promise<void> {
  const { cfg, report, db } = ctx;
  const n = cfg.periodCloseSubscriptions;
  console.log(`\n=== 5. Period close: ${fmt(n, 0)} subscriptions with usage, one ended period each ===`);
  const start = new Date(Date.now() - 32 * DAY);
  await db.with(async (c) => {
    const tenant = (i: string) => `'pc-${ctx.runTag}-' || ${i}`;
    await c.query(
      `INSERT INTO subscriptions (tenant_id, plan_id, period_plan_id, status, interval, anchor_at, started_at, current_period_start, current_period_end, current_period_full_end)
       SELECT ${tenant('g')}, 'business-monthly', 'business-monthly', 'active', 'month', $1, $1, $1, $1::timestamptz + interval '1 month', $1::timestamptz + interval '1 month'
       FROM generate_series(1, $2) g`,
      [start, n],
    );
    await c.query(
      `INSERT INTO usage_events (tenant_id, event_id, metric, quantity, ts, resource_type, resource_id, properties)
       SELECT ${tenant('g')}, 'e' || k, (ARRAY['compute.cpu_hours', 'storage.gb_months', 'api.requests', 'query.gb_scanned', 'users.active'])[k],
         (k * 137 % 1000)::numeric / 7, $1::timestamptz + (k || ' days')::interval, 'vm', 'vm-' || (g % 10),
         CASE WHEN k = 5 THEN jsonb_build_object('userId', 'u' || (g % 50)) END
       FROM generate_series(1, $2) g, generate_series(1, 5) k`,
      [start, n],
    );
    const { rows } = await c.query<{ t: string }>(`SELECT DISTINCT tenant_id AS t FROM subscriptions WHERE tenant_id LIKE 'pc-${ctx.runTag}-%'`);
    await c.query('BEGIN');
    await rebuildRollups(c, rows.map((r) => r.t));
    await c.query('COMMIT');
    await c.query('VACUUM ANALYZE subscriptions, usage_events, usage_rollup_totals, usage_rollup_deltas, usage_unique_values');
  });
  const { summary, wallMs } = await closePeriods(ctx);
  const rate = summary.invoicesFinalized / (summary.durationMs / 1000);
  console.log(`  ${JSON.stringify(summary)}; process wall time ${seconds(wallMs)} (start-up included)`);
  report.add({ bench: BENCH, name: `period close of ${fmt(n, 0)} subscriptions: run time`, value: summary.durationMs / 1000, unit: 's' });
  report.add({ bench: BENCH, name: 'period close invoices/s', value: rate, unit: '/s', goal: { op: '>=', target: 200 } });
  report.add({ bench: BENCH, name: 'period close failures', value: summary.failed, unit: '', goal: { op: '<=', target: 0 } });
  report.add({ bench: BENCH, name: 'invoices finalized − subscriptions', value: Math.abs(summary.invoicesFinalized - n), unit: '', goal: { op: '<=', target: 0 } });

  // Preview of the summary bench's biggest tenant (its events fill the current month).
  const big = await db.with(async (c) => (await c.query<{ t: string; n: string }>("SELECT tenant_id AS t, count(*)::text AS n FROM usage_events WHERE tenant_id LIKE 'sum-t-%' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).rows[0]);
  if (!big) {
    console.log('  preview: skipped (run the summary bench in the same run to load a million-event tenant)');
    return;
  }
  const now = new Date();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const monthEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  await db.with((c) =>
    c.query(
      `INSERT INTO subscriptions (tenant_id, plan_id, period_plan_id, status, interval, anchor_at, started_at, current_period_start, current_period_end, current_period_full_end)
       VALUES ($1, 'business-monthly', 'business-monthly', 'active', 'month', $2, $2, $2, $3, $3)`,
      [big.t, monthStart, monthEnd],
    ),
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (const [label, route, goal] of [
      ['preview', 'billing/preview', 100],
      ['real-time current', 'realtime-cost/current', 50],
    ] as const) {
      const url = route.startsWith('realtime') ? `${ctx.service.baseUrl}${API}/realtime-cost/tenants/${big.t}/current` : `${ctx.service.baseUrl}${API}/tenants/${big.t}/${route}`;
      const get = () => httpRequest({ url, headers: ctx.auth.service, agent });
      const { ms, errors } = await timeSequential(get, cfg.summaryRequests, 10);
      const d = distribution(ms);
      console.log(`  ${label} of ${big.t} (${fmt(Number(big.n), 0)} events in the period): p50 ${fmt(d.p50)} ms, p95 ${fmt(d.p95)} ms, p99 ${fmt(d.p99)} ms, errors ${errors}`);
      report.add({ bench: BENCH, name: `${label} p95, ${fmt(Number(big.n), 0)} events in the period`, value: d.p95, unit: 'ms', goal: { op: '<=', target: goal } });
      if (errors > 0) report.add({ bench: BENCH, name: `${label} errors`, value: errors, unit: '', goal: { op: '<=', target: 0 } });
    }
    await ingestToVisible(ctx, big.t);
  } finally {
    agent.destroy();
  }
}

/**
 * Ingest-to-visible delay under ingest load: 20 clients keep posting events of other tenants
 * while a probe posts one event to the big tenant and polls real-time current until its
 * quantity shows it; the delay runs from the 201 to the first read that includes it.
 */
async function ingestToVisible(ctx: BenchContext, tenant: string): Promise<void> {
  const { report, service } = ctx;
  const base = `${service.baseUrl}${API}`;
  const load = new http.Agent({ keepAlive: true, maxSockets: 20 });
  const probe = new http.Agent({ keepAlive: true, maxSockets: 2 });
  let stop = false;
  let sent = 0;
  const background = Array.from({ length: 20 }, async (_, c) => {
    while (!stop) {
      await httpRequest({
        url: `${base}/tenants/vis-${c % 10}/usage`,
        method: 'POST',
        headers: ctx.auth.service,
        agent: load,
        body: { eventId: `${ctx.runTag}-vis-${c}-${sent++}`, metric: 'compute.cpu_hours', quantity: '0.01' },
      });
    }
  });
  const quantity = async () => {
    const res = await httpRequest({ url: `${base}/realtime-cost/tenants/${tenant}/current`, headers: ctx.auth.service, agent: probe });
    const m = res.json<{ byMetric: Array<{ metric: string; quantity: string }> }>().byMetric.find((x) => x.metric === 'compute.cpu_hours');
    return m ? Number(m.quantity) : 0;
  };
  const delays: number[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      const before = await quantity();
      const res = await httpRequest({
        url: `${base}/tenants/${tenant}/usage`,
        method: 'POST',
        headers: ctx.auth.service,
        agent: probe,
        body: { eventId: `${ctx.runTag}-probe-${i}`, metric: 'compute.cpu_hours', quantity: '1000' },
      });
      if (res.status !== 201) throw new Error(`probe event: ${res.status} ${res.body.slice(0, 200)}`);
      const t0 = performance.now();
      while ((await quantity()) < before + 999) {
        if (performance.now() - t0 > 5000) break;
      }
      delays.push(performance.now() - t0);
    }
  } finally {
    stop = true;
    await Promise.all(background);
    load.destroy();
    probe.destroy();
  }
  const d = distribution(delays);
  console.log(`  ingest-to-visible under load (${sent} background events): p50 ${fmt(d.p50)} ms, p99 ${fmt(d.p99)} ms, max ${fmt(d.max)} ms`);
  report.add({ bench: BENCH, name: 'ingest-to-visible delay p99 (real-time current)', value: d.p99, unit: 'ms', goal: { op: '<=', target: 1000 } });
}

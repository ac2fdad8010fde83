/**
 * Soak: a steady mixed load for BENCH_SOAK_MINUTES (default 10) against the running service,
 * sampled every 30 s (p99 of each request type in the window, requests, errors, VmRSS), then
 * checked for errors and for a growth trend of each request type's p99 and of RSS. Run only when named
 * (`npm run bench -- soak`).
 *
 * The load is paced, not flat-out: BENCH_SOAK_CLIENTS clients (default 20), each sending one
 * request at a time and pausing so that together they aim at BENCH_SOAK_RATE req/s (default
 * 1,000, about half of what the single-event ingest bench reaches on 2 cores). A client that
 * falls behind does not burst to catch up. The mix, per 20 requests: 16 single-event ingests
 * (unique eventIds), 2 quota checks, 1 billing preview, 1 real-time current, over 20 tenants
 * with a live business-monthly subscription and a hard monthly quota each.
 */
import * as http from 'node:http';
import { envInt } from './lib/config';
import { API, BenchContext } from './lib/context';
import { INGEST_METRIC, singleEvent, tenantIds } from './lib/events';
import { expectStatus, httpRequest } from './lib/http';
import { residentMb } from './lib/memory';
import { fmt, percentile } from './lib/stats';

const BENCH = 'soak';
const SAMPLE_SEC = 30;
const TENANTS = 20;
const KINDS = ['ingest', 'quota', 'preview', 'current'] as const;
type Kind = (typeof KINDS)[number];
/** One cycle of the mix: 16 ingest, 2 quota checks, 1 preview, 1 real-time current. */
const MIX: Kind[] = [...Array<Kind>(8).fill('ingest'), 'quota', 'preview', ...Array<Kind>(8).fill('ingest'), 'quota', 'current'];
const EXPECTED: Record<Kind, number> = { ingest: 201, quota: 200, preview: 200, current: 200 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Window {
  ms: Record<Kind, number[]>;
  requests: number;
  errors: number;
  /** Error descriptions of the window (status or exception), counted. */
  errorKinds: Map<string, number>;
}

function newWindow(): Window {
  return { ms: { ingest: [], quota: [], preview: [], current: [] }, requests: 0, errors: 0, errorKinds: new Map() };
}

interface Sample {
  atSec: number;
  requests: number;
  errors: number;
  rps: number;
  p99: Record<Kind, number>;
  rssMb: number;
}

const mean = (xs: readonly number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/** Mean of the last third over the mean of the first third of the samples after warm-up (the first sample). */
function trendRatio(samples: readonly Sample[], value: (s: Sample) => number): { first: number; last: number; ratio: number } {
  const steady = samples.slice(1);
  if (steady.length === 0) return { first: NaN, last: NaN, ratio: NaN };
  const k = Math.max(1, Math.floor(steady.length / 3));
  const first = mean(steady.slice(0, k).map(value));
  const last = mean(steady.slice(-k).map(value));
  return { first, last, ratio: last / first };
}

const COLUMNS = ['t (s)', 'requests', 'errors', 'req/s', 'ingest p99', 'quota p99', 'preview p99', 'current p99', 'RSS MB'];
const WIDTHS = COLUMNS.map((c) => Math.max(c.length, 8));
const row = (cells: string[]) => `  ${cells.map((c, i) => c.padStart(WIDTHS[i])).join(' | ')}`;

export async function soakBench(ctx: BenchContext): Promise<void> {
  const { report, db, service } = ctx;
  const minutes = envInt('BENCH_SOAK_MINUTES', 10, 1, 24 * 60);
  const clients = envInt('BENCH_SOAK_CLIENTS', 20, 1, 1000);
  const rate = envInt('BENCH_SOAK_RATE', 1000, 1, 100_000);
  if (minutes + 5 > ctx.cfg.timeoutMinutes) console.log(`  note: BENCH_TIMEOUT_MINUTES (${ctx.cfg.timeoutMinutes}) will stop the run before the soak ends`);
  const samplesWanted = Math.ceil((minutes * 60) / SAMPLE_SEC);
  console.log(
    `\n=== Soak: ${minutes} min steady mixed load, ${clients} clients paced at ${fmt(rate, 0)} req/s in all, ${TENANTS} tenants; a sample every ${SAMPLE_SEC} s ===`,
  );
  await service.start();
  const base = `${service.baseUrl}${API}`;
  const pid = service.pid;

  // 20 tenants: live subscription (business-monthly, no trial) and a hard monthly quota far above the load.
  const tenants = tenantIds('soak-t', TENANTS);
  for (const t of tenants) {
    await expectStatus({ url: `${base}/tenants/${t}/subscriptions`, method: 'POST', headers: ctx.auth.admin, body: { planId: 'business-monthly', trial: false } }, 201);
    await expectStatus(
      { url: `${base}/quotas`, method: 'POST', headers: ctx.auth.admin, body: { tenantId: t, metric: INGEST_METRIC, limit: '1000000000', period: 'month', enforcement: 'hard' } },
      201,
    );
  }
  console.log(`  ${TENANTS} tenants with a live business-monthly subscription and a hard monthly quota of 1e9 ${INGEST_METRIC}`);

  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let win = newWindow();
  let stop = false;
  let seq = 0;
  let events = 0;
  let created201 = 0;
  let totalRequests = 0;
  let totalErrors = 0;
  const allErrorKinds = new Map<string, number>();
  const countError = (what: string) => {
    win.errors++;
    totalErrors++;
    win.errorKinds.set(what, (win.errorKinds.get(what) ?? 0) + 1);
    allErrorKinds.set(what, (allErrorKinds.get(what) ?? 0) + 1);
  };

  const one = async (): Promise<void> => {
    const n = seq++;
    const kind = MIX[n % MIX.length];
    const tenant = tenants[Math.floor(n / MIX.length) % TENANTS];
    let url: string;
    let body: unknown;
    if (kind === 'ingest') {
      const e = singleEvent(`${ctx.runTag}-soak`, events++, tenants);
      url = `${base}/tenants/${e.tenantId}/usage`;
      body = e.body;
    } else if (kind === 'quota') url = `${base}/quotas/tenants/${tenant}/check?metric=${INGEST_METRIC}&quantity=1`;
    else if (kind === 'preview') url = `${base}/tenants/${tenant}/billing/preview`;
    else url = `${base}/realtime-cost/tenants/${tenant}/current`;
    const t0 = performance.now();
    try {
      const res = await httpRequest({ url, method: body === undefined ? 'GET' : 'POST', headers: ctx.auth.service, body, agent, timeoutMs: 10_000 });
      const w = win; // the window the answer arrives in
      w.ms[kind].push(performance.now() - t0);
      w.requests++;
      totalRequests++;
      if (kind === 'ingest' && res.status === 201) created201++;
      if (res.status !== EXPECTED[kind]) countError(`${kind} ${res.status}`);
      else if (kind === 'quota' && res.json<{ allowed: boolean }>().allowed !== true) countError('quota allowed=false');
    } catch (err) {
      win.requests++;
      totalRequests++;
      countError(`${kind} ${err instanceof Error ? err.message.replace(/:.*$/, '') : String(err)}`);
    }
  };

  const intervalMs = (1000 * clients) / rate;
  const client = async (c: number): Promise<void> => {
    let due = performance.now() + (intervalMs * c) / clients; // staggered start
    while (!stop) {
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (stop) break;
      await one();
      due = Math.max(due + intervalMs, performance.now()); // no catch-up burst
    }
  };

  console.log(row(COLUMNS));
  console.log(`  ${WIDTHS.map((w) => '-'.repeat(w)).join('-+-')}`);
  const samples: Sample[] = [];
  const t0 = performance.now();
  let winStart = t0;
  const running = Array.from({ length: clients }, (_, c) => client(c));
  const cut = (): void => {
    const now = performance.now();
    const w = win;
    win = newWindow();
    const p99 = {} as Record<Kind, number>;
    for (const k of KINDS) p99[k] = percentile([...w.ms[k]].sort((a, b) => a - b), 99);
    const s: Sample = { atSec: (now - t0) / 1000, requests: w.requests, errors: w.errors, rps: w.requests / ((now - winStart) / 1000), p99, rssMb: residentMb(pid) ?? NaN };
    winStart = now;
    samples.push(s);
    console.log(row([fmt(s.atSec, 0), fmt(s.requests, 0), fmt(s.errors, 0), fmt(s.rps, 0), ...KINDS.map((k) => `${fmt(p99[k], 1)} ms`), fmt(s.rssMb, 1)]));
    if (w.errorKinds.size > 0) console.log(`    errors: ${[...w.errorKinds].map(([m, n]) => `${m} ×${n}`).join(', ')}`);
  };
  try {
    for (let i = 1; i <= samplesWanted; i++) {
      const wait = t0 + i * SAMPLE_SEC * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      if (i === samplesWanted) {
        // the end: no new requests; the answers in flight still belong to the last window
        stop = true;
        await Promise.all(running);
      }
      cut();
    }
  } finally {
    stop = true;
    await Promise.all(running);
    agent.destroy();
  }
  const totalSec = (performance.now() - t0) / 1000;

  // Growth trend after warm-up: last third vs first third, and the RSS slope.
  const trends = Object.fromEntries(KINDS.map((k) => [k, trendRatio(samples, (s) => s.p99[k])])) as Record<Kind, ReturnType<typeof trendRatio>>;
  const ingestTrend = trends.ingest;
  const rssTrend = trendRatio(samples, (s) => s.rssMb);
  const steady = samples.slice(1);
  const rssSlope = steady.length >= 2 ? slope(steady.map((s) => s.atSec / 60), steady.map((s) => s.rssMb)) : NaN;
  const achieved = totalRequests / totalSec;
  console.log(
    `  ${fmt(totalRequests, 0)} requests in ${fmt(totalSec, 0)} s (${fmt(achieved, 0)} req/s of ${fmt(rate, 0)} aimed at), ${fmt(events, 0)} ingest events sent, ${fmt(created201, 0)} answered 201, errors ${totalErrors}` +
      (allErrorKinds.size > 0 ? `: ${[...allErrorKinds].map(([m, n]) => `${m} ×${n}`).join(', ')}` : ''),
  );
  if (achieved < 0.9 * rate) console.log(`  !! the load reached only ${fmt((100 * achieved) / rate, 0)} % of BENCH_SOAK_RATE: the service (or this machine) was saturated`);
  console.log(
    `  after warm-up (first sample skipped), mean of the last third / first third of ${steady.length} samples: ingest p99 ${fmt(ingestTrend.last)} / ${fmt(ingestTrend.first)} ms = ${fmt(ingestTrend.ratio, 3)}, ` +
      `RSS ${fmt(rssTrend.last)} / ${fmt(rssTrend.first)} MB = ${fmt(rssTrend.ratio, 3)}; RSS least-squares slope ${fmt(rssSlope, 3)} MB/min`,
  );

  const stored = await db.with(async (c) => Number((await c.query<{ n: string }>('SELECT count(*)::text AS n FROM usage_events WHERE event_id LIKE $1', [`${ctx.runTag}-soak-%`])).rows[0].n));
  console.log(`  usage_events rows of the soak: ${fmt(stored, 0)}; 201 answers: ${fmt(created201, 0)}`);

  report.add({ bench: BENCH, name: `requests in ${minutes} min (mixed)`, value: totalRequests, unit: '' });
  report.add({ bench: BENCH, name: 'achieved req/s (paced)', value: achieved, unit: 'req/s' });
  report.add({ bench: BENCH, name: 'errors (unexpected status, connection, timeout)', value: totalErrors, unit: '', goal: { op: '<=', target: 0 } });
  for (const k of KINDS) report.add({ bench: BENCH, name: `${k} p99 trend (last third / first third)`, value: trends[k].ratio, unit: '×', goal: { op: '<=', target: 1.5 } });
  report.add({ bench: BENCH, name: 'VmRSS trend (last third / first third)', value: rssTrend.ratio, unit: '×', goal: { op: '<=', target: 1.25 } });
  report.add({ bench: BENCH, name: 'VmRSS least-squares slope after warm-up', value: rssSlope, unit: 'MB/min' });
  report.add({ bench: BENCH, name: 'VmRSS max of the samples', value: Math.max(...samples.map((s) => s.rssMb)), unit: 'MB' });
  report.add({ bench: BENCH, name: '|usage_events rows − 201 answers| (exactly once: 0)', value: Math.abs(stored - created201), unit: '', goal: { op: '<=', target: 0 } });
  console.log(`  ${service.takeLogSummary()}`);
}

/**
 * 4b. Reads over a window whose edges are not on whole hours (issue #16, item 10): a tenant with
 * DENSE_EVENTS (1,000,000) events of two metrics on 50 resources, all inside
 * [from, to), about six hours ending a minute ago, loaded with the summary load (COPY, then
 * rebuildRollups). Measured: GET …/usage/summary?from&to for every grouping, and the real-time
 * by-resource and hourly timeline over the same window. Before per-resource minute rollups, a
 * per-resource read took each partial edge hour (tens of thousands of events here) from the raw events.
 */
import * as http from 'node:http';
import { API, BenchContext } from './lib/context';
import { copyLine } from './lib/events';
import { expectStatus, httpRequest } from './lib/http';
import { distribution, fmt, timeSequential } from './lib/stats';

const BENCH = 'summary';
export const DENSE_TENANT = 'sum-dense';
export const DENSE_EVENTS = 1_000_000;
const METRICS = ['compute.cpu_hours', 'cluster.peak_nodes'];
const RESOURCES = 50;
const CHUNK_LINES = 10_000;

/** [from, to): about six hours ending a minute before `now`, both edges off whole hours and minutes. */
export function denseWindow(now: number): { from: number; to: number } {
  const hour = Math.floor(now / 3_600_000) * 3_600_000;
  const minute = Math.floor(now / 60_000) * 60_000;
  return { from: hour - 6 * 3_600_000 + 7 * 60_000 + 13_250, to: minute - 60_000 + 42_875 };
}

/** The dense tenant's events, spread evenly over the window, as COPY text chunks. */
export function* denseChunks(w: { from: number; to: number }): Generator<string> {
  const span = w.to - w.from;
  let buf = '';
  for (let j = 0; j < DENSE_EVENTS; j++) {
    const metric = METRICS[j % METRICS.length];
    buf += copyLine({
      tenantId: DENSE_TENANT,
      eventId: `d${String(j).padStart(9, '0')}`,
      metric,
      quantity: metric === 'cluster.peak_nodes' ? String(1 + (j % 32)) : ['0.25', '0.5', '1.75'][j % 3],
      ts: new Date(w.from + Math.floor(((j + 0.5) * span) / DENSE_EVENTS)).toISOString(),
      resourceType: 'vm',
      resourceId: `r-${Math.floor(j / METRICS.length) % RESOURCES}`,
      properties: null,
    });
    if ((j + 1) % CHUNK_LINES === 0) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

/** Sequential GETs of each read over the window (service running, tenant loaded); p50/p95 each. */
export async function denseReads(ctx: BenchContext, w: { from: number; to: number }): Promise<void> {
  const { cfg, report, service } = ctx;
  const base = `${service.baseUrl}${API}`;
  // Real-time cost needs a live subscription; its period starts now, the window is any window.
  await expectStatus({ url: `${base}/tenants/${DENSE_TENANT}/subscriptions`, method: 'POST', headers: ctx.auth.admin, body: { planId: 'business-monthly', trial: false } }, 201);
  const window = `from=${new Date(w.from).toISOString()}&to=${new Date(w.to).toISOString()}`;
  const reads: Array<[string, string]> = [
    ['summary groupBy=resource', `/tenants/${DENSE_TENANT}/usage/summary?groupBy=resource&${window}`],
    ['summary groupBy=metric', `/tenants/${DENSE_TENANT}/usage/summary?groupBy=metric&${window}`],
    ['summary groupBy=costCenter', `/tenants/${DENSE_TENANT}/usage/summary?groupBy=costCenter&${window}`],
    ['summary groupBy=day', `/tenants/${DENSE_TENANT}/usage/summary?groupBy=day&${window}`],
    ['real-time by-resource', `/realtime-cost/tenants/${DENSE_TENANT}/by-resource?${window}`],
    ['real-time timeline (hour)', `/realtime-cost/tenants/${DENSE_TENANT}/timeline?granularity=hour&${window}`],
  ];
  console.log(`  ${DENSE_TENANT}: ${fmt(DENSE_EVENTS, 0)} events (${METRICS.join(', ')}; ${RESOURCES} resources) in ${new Date(w.from).toISOString()} … ${new Date(w.to).toISOString()}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const counted = await httpRequest({ url: `${base}${reads[1][1]}`, headers: ctx.auth.service, agent, timeoutMs: 60_000 });
    const events = counted.json<{ items: Array<{ eventCount: number }> }>().items.reduce((n, i) => n + i.eventCount, 0);
    report.add({ bench: BENCH, name: `|unaligned window eventCount − loaded| ${DENSE_TENANT}`, value: Math.abs(events - DENSE_EVENTS), unit: '', goal: { op: '<=', target: 0 } });
    for (const [label, path] of reads) {
      const get = () => httpRequest({ url: `${base}${path}`, headers: ctx.auth.service, agent, timeoutMs: 60_000 });
      const { ms, errors } = await timeSequential(get, cfg.summaryRequests, 5);
      const d = distribution(ms);
      const name = `unaligned window, 1M-event tenant, ${label}`;
      console.log(`  ${name}: ${d.n} requests, p50 ${fmt(d.p50)} ms, p95 ${fmt(d.p95)} ms, p99 ${fmt(d.p99)} ms, max ${fmt(d.max)} ms, errors ${errors}`);
      report.add({ bench: BENCH, name: `${name} p50`, value: d.p50, unit: 'ms' });
      report.add({ bench: BENCH, name: `${name} p95`, value: d.p95, unit: 'ms', goal: { op: '<=', target: 50 } });
      if (errors > 0) report.add({ bench: BENCH, name: `${name} errors`, value: errors, unit: '', goal: { op: '<=', target: 0 } });
    }
  } finally {
    agent.destroy();
  }
}

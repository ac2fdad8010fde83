/**
 * 3. Quota check (a hot path) through the full stack vs a bare Fastify JSON route.
 */
import { startBaseline } from './lib/baseline-server';
import { API, BenchContext } from './lib/context';
import { batchEvents } from './lib/events';
import { expectStatus } from './lib/http';
import { LoadResult, describeLoad, warmedLoad } from './lib/load';

const BENCH = 'quota';
const TENANT = 'quota-t-000';
const CHECK_PATH = `${API}/quotas/tenants/${TENANT}/check?metric=compute.cpu_hours&quantity=1`;

function checkLoad(ctx: BenchContext, baseUrl: string, headers: Record<string, string>): Promise<LoadResult> {
  return warmedLoad({ baseUrl, method: 'GET', path: CHECK_PATH, headers, connections: ctx.cfg.connections, durationSec: ctx.cfg.durationSec, expectStatus: 200 }, ctx.cfg.warmupSec);
}

export async function quotaBench(ctx: BenchContext): Promise<void> {
  const { report, service } = ctx;
  console.log(`\n=== 3. Quota check (${ctx.cfg.connections} connections, ${ctx.cfg.durationSec} s) ===`);
  await service.start();
  const base = service.baseUrl;
  await expectStatus(
    { url: `${base}${API}/quotas`, method: 'POST', headers: ctx.auth.admin, body: { tenantId: TENANT, metric: 'compute.cpu_hours', limit: '1000000', period: 'month', enforcement: 'hard' } },
    201,
  );
  const usage = batchEvents(`${ctx.runTag}-quota`, 0, 1000, [TENANT]);
  await expectStatus({ url: `${base}${API}/tenants/${TENANT}/usage/batch`, method: 'POST', headers: ctx.auth.service, body: { events: usage.events } }, 200);
  const probe = (await expectStatus({ url: `${base}${CHECK_PATH}`, headers: ctx.auth.service }, 200)).json<{ allowed: boolean; items: Array<{ used: string; limit: string }> }>();
  console.log(`  check answers allowed=${probe.allowed}, ${probe.items.length} quota(s), used ${probe.items[0]?.used} of ${probe.items[0]?.limit}`);
  if (!probe.allowed || probe.items.length !== 1) throw new Error(`unexpected quota check answer: ${JSON.stringify(probe)}`);

  const bare = await startBaseline('bare-json-server');
  let bareRes: LoadResult;
  try {
    bareRes = await checkLoad(ctx, bare.baseUrl, {});
  } finally {
    await bare.stop();
  }
  console.log(`  bare Fastify JSON: ${describeLoad(bareRes)}`);
  const svc = await checkLoad(ctx, base, ctx.auth.service);
  console.log(`  service: ${describeLoad(svc)}`);

  report.add({ bench: BENCH, name: 'bare Fastify JSON req/s', value: bareRes.rps, unit: 'req/s' });
  report.add({ bench: BENCH, name: 'service quota check req/s', value: svc.rps, unit: 'req/s' });
  report.add({ bench: BENCH, name: 'service quota check p50 latency', value: svc.p50, unit: 'ms' });
  report.add({ bench: BENCH, name: 'service quota check p99 latency', value: svc.p99, unit: 'ms', goal: { op: '<=', target: 20 } });
  report.add({ bench: BENCH, name: 'service errors (non-200, connection, timeout)', value: svc.errors, unit: '', goal: { op: '<=', target: 0 } });
  report.add({ bench: BENCH, name: 'ratio service / bare req/s', value: svc.rps / bareRes.rps, unit: '×', goal: { op: '>=', target: 0.4 } });
  console.log(`  ${service.takeLogSummary()}`);
}

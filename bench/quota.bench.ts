/**
 * 3. Quota check (a hot path) through the full stack vs a bare Fastify JSON route.
 */
import { startBaseline } from './lib/baseline-server';
import { API, BenchContext } from './lib/context';
import { batchEvents } from './lib/events';
import { expectStatus } from './lib/http';
import { LoadResult, SideLoad, alternatingRounds, combineLoads, describeLoad, describeRounds, warmedLoad } from './lib/load';

const BENCH = 'quota';
const TENANT = 'quota-t-000';
const CHECK_PATH = `${API}/quotas/tenants/${TENANT}/check?metric=compute.cpu_hours&quantity=1`;

function checkLoad(ctx: BenchContext, baseUrl: string, headers: Record<string, string>): SideLoad {
  return (durationSec, warmupSec) =>
    warmedLoad({ baseUrl, method: 'GET', path: CHECK_PATH, headers, connections: ctx.cfg.connections, durationSec, expectStatus: 200, keepLatencies: true }, warmupSec);
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

  // The two sides in alternating rounds, the service idle while the bare route is loaded.
  const bare = await startBaseline('bare-json-server');
  let rounds: { baseline: LoadResult[]; service: LoadResult[] };
  try {
    rounds = await alternatingRounds(ctx.cfg.rounds, ctx.cfg.durationSec, ctx.cfg.warmupSec, checkLoad(ctx, bare.baseUrl, {}), checkLoad(ctx, base, ctx.auth.service));
  } finally {
    await bare.stop();
  }
  const bareRes = combineLoads(rounds.baseline);
  const svc = combineLoads(rounds.service);
  console.log(`  bare Fastify JSON: ${describeLoad(bareRes)}`);
  console.log(`  service: ${describeLoad(svc)}`);
  console.log(`  ${describeRounds(rounds.baseline, rounds.service)}`);
  report.add({ bench: BENCH, name: 'bare Fastify JSON req/s', value: bareRes.rps, unit: 'req/s' });
  report.add({ bench: BENCH, name: 'service quota check req/s', value: svc.rps, unit: 'req/s' });
  report.add({ bench: BENCH, name: 'service quota check p50 latency', value: svc.p50, unit: 'ms' });
  report.add({ bench: BENCH, name: 'service quota check p99 latency', value: svc.p99, unit: 'ms', goal: { op: '<=', target: 20 } });
  report.add({ bench: BENCH, name: 'service errors (non-200, connection, timeout)', value: svc.errors, unit: '', goal: { op: '<=', target: 0 } });
  report.add({ bench: BENCH, name: 'ratio service / bare req/s', value: svc.rps / bareRes.rps, unit: '×', goal: { op: '>=', target: 0.4 } });
  console.log(`  ${service.takeLogSummary()}`);
}

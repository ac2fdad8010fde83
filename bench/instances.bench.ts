/**
 * Scale-out: single-event ingest req/s with 1 and with 3 service instances on the same database.
 * With 3, the connections are spread round-robin over the instances' ports (connection i goes to
 * instance i mod 3, as a load balancer with keep-alive does) and the three loads run at once over
 * the same window; their completed responses are summed. Prints both figures and the ratio.
 */
import { API, BenchContext } from './lib/context';
import { singleEvent, tenantIds } from './lib/events';
import { LoadResult, describeLoad, warmedLoad } from './lib/load';
import { ServiceProcess } from './lib/service';
import { fmt } from './lib/stats';

const BENCH = 'instances';

function load(baseUrl: string, connections: number, ctx: BenchContext, tag: string): Promise<LoadResult> {
  const tenants = tenantIds(`${tag}-t`, ctx.cfg.tenants);
  let n = 0;
  return warmedLoad(
    {
      baseUrl,
      method: 'POST',
      connections,
      durationSec: ctx.cfg.durationSec,
      headers: ctx.auth.service,
      expectStatus: 201,
      next: () => {
        const e = singleEvent(`${ctx.runTag}-${tag}`, n++, tenants);
        return { path: `${API}/tenants/${e.tenantId}/usage`, body: JSON.stringify(e.body), tag: e.body.eventId };
      },
    },
    ctx.cfg.warmupSec,
  );
}

/** Connections per instance, round-robin: the first instances take the remainder. */
function spread(connections: number, instances: number): number[] {
  return Array.from({ length: instances }, (_, i) => Math.floor(connections / instances) + (i < connections % instances ? 1 : 0));
}

export async function instancesBench(ctx: BenchContext): Promise<void> {
  const { report, db, service, cfg } = ctx;
  console.log(`\n=== Scale-out: single-event ingest, 1 vs 3 instances on one database (${cfg.connections} connections, ${cfg.durationSec} s) ===`);
  await service.start();
  const one = await load(service.baseUrl, cfg.connections, ctx, 'inst1');
  console.log(`  1 instance: ${describeLoad(one)}`);

  const extra = [new ServiceProcess(db.url, service.jwtSecret), new ServiceProcess(db.url, service.jwtSecret)];
  let three: LoadResult[];
  try {
    await Promise.all(extra.map((s) => s.start()));
    const all = [service, ...extra];
    three = await Promise.all(spread(cfg.connections, all.length).map((c, i) => load(all[i].baseUrl, c, ctx, `inst3-${i}`)));
  } finally {
    await Promise.all(extra.map((s) => s.stop()));
  }
  three.forEach((r, i) => console.log(`  3 instances, instance ${i + 1}: ${describeLoad(r)}`));
  const rps3 = three.reduce((n, r) => n + r.rps, 0);
  const errors3 = three.reduce((n, r) => n + r.errors, 0);
  const ratio = one.rps > 0 ? rps3 / one.rps : 0;
  console.log(`  ingest req/s: 1 instance ${fmt(one.rps)}, 3 instances ${fmt(rps3)}, ratio ${ratio.toFixed(2)}`);
  report.add({ bench: BENCH, name: 'ingest req/s, 1 instance', value: one.rps, unit: 'req/s' });
  report.add({ bench: BENCH, name: 'ingest req/s, 3 instances', value: rps3, unit: 'req/s' });
  report.add({ bench: BENCH, name: 'ratio 3 / 1 instances', value: Number(ratio.toFixed(2)), unit: '×' });
  report.add({ bench: BENCH, name: 'errors (non-201, connection, timeout), 1 + 3 instances', value: one.errors + errors3, unit: '', goal: { op: '<=', target: 0 } });
}

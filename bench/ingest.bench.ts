/**
 * 1. Single-event ingest through the full stack vs a bare Fastify + pg single-row INSERT.
 * 5. Resident memory of the service during that load.
 * Then: every event is stored exactly once (201 count = rows stored), after the client
 * retries what the end of the run cut off (and anything that did not answer 201).
 */
import { startBaseline } from './lib/baseline-server';
import { API, BenchContext } from './lib/context';
import { copyUsageEventsTable } from './lib/db';
import { UsageBody, singleEvent, tenantIds } from './lib/events';
import { httpRequest } from './lib/http';
import { LoadResult, alternatingRounds, combineLoads, describeLoad, describeRounds, warmedLoad } from './lib/load';
import { sampleResidentMemory } from './lib/memory';
import { distribution, fmt } from './lib/stats';

const BENCH = 'ingest';
const BASELINE_SCHEMA = 'bench_bare_single';

interface Sent {
  tenantId: string;
  body: UsageBody;
}

/**
 * The single-event load of one side (bare or service): each call runs it for `durationSec`
 * (after `warmupSec` unmeasured), continuing the side's event numbering, and tracks each event
 * until it is answered.
 */
function ingestSide(baseUrl: string, headers: Record<string, string>, ctx: BenchContext, tag: string, track: Map<string, Sent> | null, onStatus: (s: number, id: string) => void) {
  const tenants = tenantIds(`${tag}-t`, ctx.cfg.tenants);
  let n = 0;
  return (durationSec: number, warmupSec: number): Promise<LoadResult> =>
    warmedLoad(
      {
        baseUrl,
        method: 'POST',
        connections: ctx.cfg.connections,
        durationSec,
        headers,
        expectStatus: 201,
        keepLatencies: true,
        next: () => {
          const e = singleEvent(`${ctx.runTag}-${tag}`, n++, tenants);
          track?.set(e.body.eventId, e);
          return { path: `${API}/tenants/${e.tenantId}/usage`, body: JSON.stringify(e.body), tag: e.body.eventId };
        },
        onResponse: (status, _body, id) => onStatus(status, id as string),
      },
      warmupSec,
    );
}

/** Commits and events per commit so far, from the service's Prometheus metrics. */
async function groupCommits(baseUrl: string): Promise<{ commits: number; eventsPerCommit: number; msPerCommit: number }> {
  const text = (await httpRequest({ url: `${baseUrl}/metrics`, method: 'GET' })).body;
  const value = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)`, 'm').exec(text)?.[1] ?? NaN);
  const commits = value('usage_ingest_commits_total');
  return { commits, eventsPerCommit: value('usage_ingest_commit_events_sum') / commits, msPerCommit: (value('usage_ingest_commit_seconds_sum') * 1000) / commits };
}

export async function ingestBench(ctx: BenchContext): Promise<void> {
  const { report, db, service } = ctx;
  console.log(`\n=== 1. Single-event ingest (${ctx.cfg.connections} connections, ${ctx.cfg.durationSec} s) and 5. service memory ===`);

  // The bare route writes into a fresh copy of the table; the two sides run in alternating rounds.
  await db.with((c) => copyUsageEventsTable(c, BASELINE_SCHEMA));
  const bare = await startBaseline('bare-insert-server', { DATABASE_URL: db.url, SEARCH_PATH: BASELINE_SCHEMA });
  const sent = new Map<string, Sent>();
  const statusOf = new Map<string, number>();
  let rounds: { baseline: LoadResult[]; service: LoadResult[] };
  let rss: number[] = [];
  try {
    await service.start();
    const bareLoad = ingestSide(bare.baseUrl, {}, ctx, 'bare', null, () => undefined);
    const svcLoad = ingestSide(service.baseUrl, ctx.auth.service, ctx, 'ing', sent, (status, id) => statusOf.set(id, status));
    const sampler = sampleResidentMemory(service.pid);
    try {
      rounds = await alternatingRounds(ctx.cfg.rounds, ctx.cfg.durationSec, ctx.cfg.warmupSec, bareLoad, svcLoad);
    } finally {
      rss = sampler.stop();
    }
  } finally {
    await bare.stop();
  }
  await db.with((c) => c.query(`DROP SCHEMA ${BASELINE_SCHEMA} CASCADE`));
  const bareRes = combineLoads(rounds.baseline);
  const svc = combineLoads(rounds.service);
  console.log(`  bare Fastify + pg INSERT: ${describeLoad(bareRes)}`);
  console.log(`  service: ${describeLoad(svc)}`);
  console.log(`  ${describeRounds(rounds.baseline, rounds.service)}`);
  const commits = await groupCommits(service.baseUrl);
  console.log(`  group commit: ${commits.commits} commits, ${fmt(commits.eventsPerCommit, 1)} events per commit, ${fmt(commits.msPerCommit, 2)} ms per commit (warm-up included)`);
  report.add({ bench: BENCH, name: 'service events per commit (group commit)', value: commits.eventsPerCommit, unit: 'ev' });
  const created = [...statusOf.values()].filter((s) => s === 201).length;
  const unexpected = new Map<number, number>();
  for (const s of statusOf.values()) if (s !== 201) unexpected.set(s, (unexpected.get(s) ?? 0) + 1);
  if (unexpected.size > 0) console.log(`  non-201 answers: ${[...unexpected].map(([s, n]) => `${s}×${n}`).join(', ')}`);

  report.add({ bench: BENCH, name: 'bare Fastify+pg single INSERT req/s', value: bareRes.rps, unit: 'req/s' });
  report.add({ bench: BENCH, name: 'bare errors (non-201, connection, timeout)', value: bareRes.errors, unit: '' });
  report.add({ bench: BENCH, name: 'service req/s', value: svc.rps, unit: 'req/s' });
  report.add({ bench: BENCH, name: 'service p50 latency', value: svc.p50, unit: 'ms' });
  report.add({ bench: BENCH, name: 'service p99 latency', value: svc.p99, unit: 'ms', goal: { op: '<=', target: 50 } });
  report.add({ bench: BENCH, name: 'service errors (non-201, connection, timeout)', value: svc.errors, unit: '', goal: { op: '<=', target: 0 } });
  report.add({ bench: BENCH, name: 'ratio service / bare req/s', value: svc.rps / bareRes.rps, unit: '×', goal: { op: '>=', target: 1 } });

  const mem = distribution(rss);
  console.log(`  service VmRSS: ${mem.n} samples, mean ${fmt(mem.mean)} MB, max ${fmt(mem.max)} MB`);
  report.add({ bench: 'memory', name: 'service VmRSS max during ingest load', value: mem.max, unit: 'MB', goal: { op: '<=', target: 300 } });
  report.add({ bench: 'memory', name: 'service VmRSS mean during ingest load', value: mem.mean, unit: 'MB' });

  // A client retries what it got no 201 for: cut off at the end of the run, or errors.
  await new Promise((r) => setTimeout(r, 1000));
  const retry = [...sent.values()].filter((e) => statusOf.get(e.body.eventId) !== 201);
  const retried = { created: 0, duplicate: 0, other: 0 };
  for (const e of retry) {
    const res = await httpRequest({ url: `${service.baseUrl}${API}/tenants/${e.tenantId}/usage`, method: 'POST', headers: ctx.auth.service, body: e.body });
    if (res.status === 201) retried.created++;
    else if (res.status === 200 && res.json<{ duplicate?: boolean }>().duplicate === true) retried.duplicate++;
    else retried.other++;
  }
  const prefix = `${ctx.runTag}-ing-%`;
  const stored = await db.with(async (c) => {
    const events = await c.query<{ n: string; q: string }>('SELECT count(*)::text AS n, coalesce(sum(quantity), 0)::text AS q FROM usage_events WHERE event_id LIKE $1', [prefix]);
    const monthRows = (table: string) =>
      c.query<{ n: string; q: string }>(
        `SELECT coalesce(sum(count), 0)::text AS n, coalesce(sum(sum), 0)::text AS q FROM ${table}
         WHERE tenant_id LIKE $1 AND granularity = 'm' AND resource_key = '*'`,
        ['ing-t-%'],
      );
    // Right after the load (deltas not folded yet counted in), then once the service's
    // compactor has folded every delta (it runs every second): the totals alone.
    const rollups = await monthRows('usage_rollups');
    const deadline = Date.now() + 15_000;
    const deltasLeft = async () => Number((await c.query<{ n: string }>('SELECT count(*)::text AS n FROM usage_rollup_deltas')).rows[0].n);
    while ((await deltasLeft()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const totals = await monthRows('usage_rollup_totals');
    return {
      events: Number(events.rows[0].n),
      quantity: events.rows[0].q,
      rollupCount: Number(rollups.rows[0].n),
      rollupSum: rollups.rows[0].q,
      totalsCount: Number(totals.rows[0].n),
      totalsSum: totals.rows[0].q,
      deltasLeft: await deltasLeft(),
    };
  });
  console.log(
    `  sent ${sent.size} events (warm-up included); answered 201 during the loads: ${created}; without 201 (cut off at the end or errors): ${retry.length}, ` +
      `retried: 201 ${retried.created}, 200 duplicate ${retried.duplicate} (committed before the cut), other ${retried.other}`,
  );
  console.log(`  stored ${stored.events} events (sum ${stored.quantity}); month rollups count ${stored.rollupCount} (sum ${stored.rollupSum})`);
  console.log(`  after compaction: month totals count ${stored.totalsCount} (sum ${stored.totalsSum}), deltas left ${stored.deltasLeft}`);
  const exact = stored.events === created + retried.created && stored.events === sent.size && retried.other === 0 && stored.totalsSum === stored.rollupSum && stored.rollupSum === stored.quantity;
  report.add({ bench: BENCH, name: '201 answers (warm-up, run, retries)', value: created + retried.created, unit: '' });
  report.add({ bench: BENCH, name: 'events stored', value: stored.events, unit: '' });
  report.add({ bench: BENCH, name: '|stored − 201 answers| (exactly once: 0)', value: Math.abs(stored.events - created - retried.created), unit: '', goal: { op: '<=', target: 0 } });
  report.add({ bench: BENCH, name: '|rollup count − stored| (exact rollups: 0)', value: Math.abs(stored.rollupCount - stored.events), unit: '', goal: { op: '<=', target: 0 } });
  report.add({ bench: BENCH, name: '|compacted count − stored| (deltas folded once: 0)', value: Math.abs(stored.totalsCount - stored.events) + stored.deltasLeft, unit: '', goal: { op: '<=', target: 0 } });
  if (!exact) console.log('  !! exactly-once check failed: see the counts above');
  console.log(`  ${service.takeLogSummary()}`);
}

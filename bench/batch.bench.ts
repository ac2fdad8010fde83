/**
 * 2. Batch ingest (1,000 events per request) through the full stack vs the same rows written
 * with `pg` directly: multi-row INSERT (1,000 rows per statement, several clients) and COPY,
 * the three in alternating rounds.
 */
import type { Client } from 'pg';
import { API, BenchContext } from './lib/context';
import { copyUsageEventsTable } from './lib/db';
import { BatchShape, EventRow, batchBody, batchEvents, copyChunks, copyLine, tenantIds, toRows } from './lib/events';
import { LoadResult, LoadSpec, combineLoads, describeLoad, runLoad } from './lib/load';
import { fmt, timed } from './lib/stats';

const BENCH = 'batch';
const ACCEPTED = /"accepted":(\d+)/;
const DUPLICATES = /"duplicates":(\d+)/;
const INSERT_COLUMNS = '(tenant_id, event_id, metric, quantity, ts, resource_type, resource_id)';

/** INSERT … VALUES ($1, …, $7), … for `rows` rows, ON CONFLICT DO NOTHING like the service. */
function multiRowInsert(table: string, rows: number): string {
  const values: string[] = [];
  for (let r = 0; r < rows; r++) {
    const b = r * 7;
    values.push(`($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7})`);
  }
  return `INSERT INTO ${table} ${INSERT_COLUMNS} VALUES ${values.join(', ')} ON CONFLICT (tenant_id, event_id) DO NOTHING`;
}

/** Runs `work(client, k)` for k = first … first+batches−1 on `clients` connections, each taking the next k. */
async function onClients(ctx: BenchContext, clients: number, first: number, batches: number, work: (c: Client, ks: () => number | null) => Promise<void>): Promise<void> {
  let next = first;
  const take = () => (next < first + batches ? next++ : null);
  const conns = await Promise.all(Array.from({ length: clients }, () => ctx.db.connect()));
  try {
    await Promise.all(conns.map((c) => work(c, take)));
  } finally {
    await Promise.all(conns.map((c) => c.end()));
  }
}

export async function batchBench(ctx: BenchContext): Promise<void> {
  // Both shapes carry the goals: the service shares what a batch repeats, which is not always much.
  // BENCH_BATCH_SHAPES=distinct runs one of them (while working on it; a full run needs both).
  const shapes = (process.env.BENCH_BATCH_SHAPES ?? 'repeated,distinct').split(',').map((s) => s.trim());
  for (const shape of ['repeated', 'distinct'] as const) if (shapes.includes(shape)) await batchShape(ctx, shape);
}

async function batchShape(ctx: BenchContext, shape: BatchShape): Promise<void> {
  const { cfg, report, service } = ctx;
  const size = cfg.batchSize;
  const label = shape === 'repeated' ? 'stamped by the service, 8 quantities' : 'own timestamps and quantities';
  console.log(`\n=== 2. Batch ingest (${size} events per request, ${label}, ${cfg.batchConnections} connections, ${cfg.durationSec} s) ===`);
  await service.start();
  const tenants = tenantIds('bat-t', cfg.tenants);
  const tag = `${ctx.runTag}-bat-${shape}`;
  const now = Date.now();
  if (batchBody(tag, 1, size, tenants, shape, now).body !== JSON.stringify({ events: batchEvents(tag, 1, size, tenants, shape, now).events })) throw new Error('batchBody does not write what batchEvents makes');
  let k = 0;
  let accepted = 0;
  let duplicates = 0;
  const spec: LoadSpec = {
    baseUrl: service.baseUrl,
    method: 'POST',
    connections: cfg.batchConnections,
    durationSec: cfg.durationSec,
    headers: ctx.auth.service,
    expectStatus: 200,
    keepLatencies: true,
    next: () => {
      const b = batchBody(tag, k++, size, tenants, shape);
      return { path: `${API}/tenants/${b.tenantId}/usage/batch`, body: b.body };
    },
    // The two counts, without parsing the 1,000 per-event answers (the load generator's CPU is the service's loss).
    onResponse: (status, body) => {
      if (status !== 200) return;
      accepted += Number(ACCEPTED.exec(body)![1]);
      duplicates += Number(DUPLICATES.exec(body)![1]);
    },
  };
  // The same rows with pg (same generator, batches 0, 1, …), into fresh copies of the table.
  const ts = new Date().toISOString();
  const rowsOf = (b: number): EventRow[] => {
    const { tenantId, events } = batchEvents(tag, b, size, tenants, shape);
    return toRows(tenantId, events, ts);
  };
  await ctx.db.with((c) => copyUsageEventsTable(c, 'bench_multi'));
  await ctx.db.with((c) => copyUsageEventsTable(c, 'bench_copy'));
  const sql = multiRowInsert('bench_multi.usage_events', size);
  let insertNext = 0;
  let copyNext = 0;
  /** `batches` more batches with multi-row INSERTs; returns the milliseconds taken. */
  const insertRound = async (batches: number): Promise<number> => {
    const first = insertNext;
    insertNext += batches;
    const [, ms] = await timed(() =>
      onClients(ctx, cfg.batchConnections, first, batches, async (c, take) => {
        for (let b = take(); b !== null; b = take()) {
          const params: unknown[] = [];
          for (const r of rowsOf(b)) params.push(r.tenantId, r.eventId, r.metric, r.quantity, r.ts, r.resourceType, r.resourceId);
          await c.query(sql, params);
        }
      }),
    );
    return ms;
  };
  /** `batches` more batches with COPY, one per stream fed with batches taken in turn; returns the milliseconds taken. */
  const copyRound = async (batches: number): Promise<number> => {
    const first = copyNext;
    copyNext += batches;
    const [, ms] = await timed(() =>
      onClients(ctx, cfg.copyStreams, first, batches, async (c, take) => {
        function* chunks(): Generator<string> {
          for (let b = take(); b !== null; b = take()) yield rowsOf(b).map(copyLine).join('');
        }
        await copyChunks(c, 'bench_copy.usage_events', chunks());
      }),
    );
    return ms;
  };

  // Rounds alternate the three (service, INSERT, COPY; then COPY, INSERT, service; …), so a slow
  // spell of the shared machine weighs on all of them. Each baseline round writes as many rows
  // as the service's round accepted, and at least its share of baselineMinRows.
  if (cfg.warmupSec > 0) await runLoad({ ...spec, durationSec: cfg.warmupSec });
  const rounds = cfg.rounds;
  const svcRounds: LoadResult[] = [];
  const per = { service: [] as number[], insert: [] as number[], copy: [] as number[] };
  let serviceEvents = 0;
  let serviceDuplicates = 0;
  let serviceSec = 0;
  let insertMs = 0;
  let copyMs = 0;
  for (let r = 0; r < rounds; r++) {
    const baselineBatches = () => Math.max(1, Math.ceil(Math.max(accepted, cfg.baselineMinRows / rounds) / size));
    const runService = async () => {
      accepted = 0;
      duplicates = 0;
      const res = await runLoad({ ...spec, durationSec: cfg.durationSec / rounds });
      svcRounds.push(res);
      serviceEvents += accepted;
      serviceDuplicates += duplicates;
      serviceSec += res.durationSec;
      per.service.push(accepted / res.durationSec);
      return res;
    };
    const runBaselines = async (order: Array<'insert' | 'copy'>) => {
      const batches = baselineBatches();
      for (const side of order) {
        const ms = await (side === 'insert' ? insertRound : copyRound)(batches);
        if (side === 'insert') insertMs += ms;
        else copyMs += ms;
        per[side].push((batches * size) / (ms / 1000));
      }
    };
    if (r % 2 === 0) {
      await runService();
      await runBaselines(['insert', 'copy']);
    } else {
      // The baselines go first, sized by the previous service round.
      await runBaselines(['copy', 'insert']);
      await runService();
    }
  }
  const svc = combineLoads(svcRounds);
  const serviceRate = serviceEvents / serviceSec;
  const insertRate = (insertNext * size) / (insertMs / 1000);
  const copyRate = (copyNext * size) / (copyMs / 1000);
  const rates = (xs: number[]) => xs.map((x) => fmt(x, 0)).join(' / ');
  console.log(`  service: ${describeLoad(svc)}; events accepted ${serviceEvents}, duplicates ${serviceDuplicates}`);
  console.log(`  pg multi-row INSERT: ${insertNext * size} rows, ${size} per statement, ${cfg.batchConnections} clients, ${fmt(insertMs / 1000, 2)} s`);
  console.log(`  pg COPY: ${copyNext * size} rows, ${cfg.copyStreams} streams, ${fmt(copyMs / 1000, 2)} s`);
  console.log(`  ${rounds} rounds: service ${rates(per.service)} ev/s, INSERT ${rates(per.insert)} rows/s, COPY ${rates(per.copy)} rows/s`);

  report.add({ bench: BENCH, name: `service events/s (1,000-event batches) (${shape})`, value: serviceRate, unit: 'ev/s' });
  report.add({ bench: BENCH, name: `service batch p99 latency (${shape})`, value: svc.p99, unit: 'ms' });
  report.add({ bench: BENCH, name: `service errors (non-200, connection, timeout) (${shape})`, value: svc.errors, unit: '', goal: { op: '<=', target: 0 } });
  report.add({ bench: BENCH, name: `pg multi-row INSERT rows/s (${shape})`, value: insertRate, unit: 'rows/s' });
  report.add({ bench: BENCH, name: `pg COPY rows/s (${shape})`, value: copyRate, unit: 'rows/s' });
  report.add({ bench: BENCH, name: `ratio service / multi-row INSERT (${shape})`, value: serviceRate / insertRate, unit: '×', goal: { op: '>=', target: 1 } });
  report.add({ bench: BENCH, name: `ratio service / COPY (${shape})`, value: serviceRate / copyRate, unit: '×', goal: { op: '>=', target: 0.5 } });
  await ctx.db.with((c) => c.query('DROP SCHEMA bench_multi CASCADE; DROP SCHEMA bench_copy CASCADE'));
  console.log(`  ${service.takeLogSummary()}`);
}

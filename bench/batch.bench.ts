/**
 * 2. Batch ingest (1,000 events per request) through the full stack vs the same rows written
 * with `pg` directly: multi-row INSERT (1,000 rows per statement, several clients) and COPY.
 */
import type { Client } from 'pg';
import { API, BenchContext } from './lib/context';
import { copyUsageEventsTable } from './lib/db';
import { BatchShape, EventRow, batchBody, batchEvents, copyChunks, copyLine, tenantIds, toRows } from './lib/events';
import { LoadSpec, describeLoad, runLoad } from './lib/load';
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

/** Runs `work(client, k)` for k = 0 … batches−1 on `clients` connections, each taking the next k. */
async function onClients(ctx: BenchContext, clients: number, batches: number, work: (c: Client, ks: () => number | null) => Promise<void>): Promise<void> {
  let next = 0;
  const take = () => (next < batches ? next++ : null);
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
  if (cfg.warmupSec > 0) await runLoad({ ...spec, durationSec: cfg.warmupSec });
  accepted = 0;
  duplicates = 0;
  const svc = await runLoad(spec);
  console.log(`  service: ${describeLoad(svc)}; events accepted ${accepted}, duplicates ${duplicates}`);
  const serviceRate = accepted / svc.durationSec;

  // The same rows (same generator, batches 0, 1, …), at least baselineMinRows of them.
  const batches = Math.max(Math.ceil(accepted / size), Math.ceil(cfg.baselineMinRows / size));
  const ts = new Date().toISOString();
  const rowsOf = (b: number): EventRow[] => {
    const { tenantId, events } = batchEvents(tag, b, size, tenants, shape);
    return toRows(tenantId, events, ts);
  };
  const rows = batches * size;

  await ctx.db.with((c) => copyUsageEventsTable(c, 'bench_multi'));
  const sql = multiRowInsert('bench_multi.usage_events', size);
  const [, insertMs] = await timed(() =>
    onClients(ctx, cfg.batchConnections, batches, async (c, take) => {
      for (let b = take(); b !== null; b = take()) {
        const params: unknown[] = [];
        for (const r of rowsOf(b)) params.push(r.tenantId, r.eventId, r.metric, r.quantity, r.ts, r.resourceType, r.resourceId);
        await c.query(sql, params);
      }
    }),
  );
  const insertRate = rows / (insertMs / 1000);
  console.log(`  pg multi-row INSERT: ${rows} rows, ${size} per statement, ${cfg.batchConnections} clients, ${fmt(insertMs / 1000, 2)} s`);

  await ctx.db.with((c) => copyUsageEventsTable(c, 'bench_copy'));
  const [, copyMs] = await timed(() =>
    onClients(ctx, cfg.copyStreams, batches, async (c, take) => {
      // One COPY per stream, fed with batches taken in turn until none is left.
      function* chunks(): Generator<string> {
        for (let b = take(); b !== null; b = take()) yield rowsOf(b).map(copyLine).join('');
      }
      await copyChunks(c, 'bench_copy.usage_events', chunks());
    }),
  );
  const copyRate = rows / (copyMs / 1000);
  console.log(`  pg COPY: ${rows} rows, ${cfg.copyStreams} streams, ${fmt(copyMs / 1000, 2)} s`);

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

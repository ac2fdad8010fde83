import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A usage_events row as the baselines and the bulk load write it. */
export interface EventRow {
  tenantId: string;
  eventId: string;
  metric: string;
  quantity: string;
  /** ISO-8601 instant. */
  ts: string;
  resourceType: string | null;
  resourceId: string | null;
  /** JSON text or null. */
  properties: string | null;
}

export const INGEST_METRIC = 'compute.cpu_hours';
const QUANTITIES = ['0.25', '0.5', '0.75', '1', '1.25', '2', '0.125', '3'];
const INGEST_RESOURCES = 8;

export function tenantIds(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
}

/** The body of one usage event as a client sends it (no timestamp: the service stamps it). */
export interface UsageBody {
  eventId: string;
  metric: string;
  quantity: string;
  resourceType: string;
  resourceId: string;
  /** ISO-8601 instant; absent: the service stamps the event. */
  timestamp?: string;
}

/** The n-th single event of a load: unique eventId, ~100 tenants, a few resources. */
export function singleEvent(runTag: string, n: number, tenants: readonly string[]): { tenantId: string; body: UsageBody } {
  return {
    tenantId: tenants[n % tenants.length],
    body: {
      eventId: `${runTag}-${n}`,
      metric: INGEST_METRIC,
      quantity: QUANTITIES[n % QUANTITIES.length],
      resourceType: 'vm',
      resourceId: `vm-${Math.floor(n / tenants.length) % INGEST_RESOURCES}`,
    },
  };
}

/**
 * What the events of a batch repeat: 'repeated' (no timestamp, so the service stamps them all
 * with the request's time; 8 quantities) or 'distinct' (each event its own timestamp, a
 * millisecond apart, and its own quantity).
 */
export type BatchShape = 'repeated' | 'distinct';

/**
 * The distinct shape's timestamps: a second-aligned start a minute ago, event i at +i ms (a
 * batch holds at most 1,000 events, so the ISO text is the start's second and i as milliseconds).
 */
function distinctTimes(now: number): (i: number) => string {
  const second = new Date(Math.floor((now - 60_000) / 1000) * 1000).toISOString().slice(0, 19);
  return (i) => `${second}.${String(i).padStart(3, '0')}Z`;
}

function batchQuantity(shape: BatchShape, k: number, i: number): string {
  return shape === 'repeated' ? QUANTITIES[i % QUANTITIES.length] : `${i}.${(k % 999) + 1}`;
}

/** Batch k of a batch load: `size` (≤ 1,000) events of one tenant (tenants in turn), unique eventIds. */
export function batchEvents(runTag: string, k: number, size: number, tenants: readonly string[], shape: BatchShape = 'repeated', now = Date.now()): { tenantId: string; events: UsageBody[] } {
  const events: UsageBody[] = [];
  const time = distinctTimes(now);
  for (let i = 0; i < size; i++) {
    events.push({
      eventId: `${runTag}-b${k}-${i}`,
      metric: INGEST_METRIC,
      quantity: batchQuantity(shape, k, i),
      ...(shape === 'distinct' ? { timestamp: time(i) } : {}),
      resourceType: 'vm',
      resourceId: `vm-${i % INGEST_RESOURCES}`,
    });
  }
  return { tenantId: tenants[k % tenants.length], events };
}

/**
 * The request body of batchEvents(…) (`{"events":[…]}`, the same text JSON.stringify writes),
 * written straight out: the load generator shares the machine's cores with the service, and
 * building 1,000 objects to stringify them took CPU the service then lacked.
 */
export function batchBody(runTag: string, k: number, size: number, tenants: readonly string[], shape: BatchShape = 'repeated', now = Date.now()): { tenantId: string; body: string } {
  const time = distinctTimes(now);
  let body = '{"events":[';
  for (let i = 0; i < size; i++) {
    if (i > 0) body += ',';
    body += `{"eventId":"${runTag}-b${k}-${i}","metric":"${INGEST_METRIC}","quantity":"${batchQuantity(shape, k, i)}",`;
    if (shape === 'distinct') body += `"timestamp":"${time(i)}",`;
    body += `"resourceType":"vm","resourceId":"vm-${i % INGEST_RESOURCES}"}`;
  }
  return { tenantId: tenants[k % tenants.length], body: body + ']}' };
}

/** Rows of a batch as the baselines write them; `ts` for events without a timestamp. */
export function toRows(tenantId: string, events: readonly UsageBody[], ts: string): EventRow[] {
  return events.map((e) => ({ tenantId, eventId: e.eventId, metric: e.metric, quantity: e.quantity, ts: e.timestamp ?? ts, resourceType: e.resourceType, resourceId: e.resourceId, properties: null }));
}

export const COPY_COLUMNS = '(tenant_id, event_id, metric, quantity, ts, resource_type, resource_id, properties)';

/** One line of COPY text format (the generated values hold no tab, newline or backslash). */
export function copyLine(r: EventRow): string {
  return `${r.tenantId}\t${r.eventId}\t${r.metric}\t${r.quantity}\t${r.ts}\t${r.resourceType ?? '\\N'}\t${r.resourceId ?? '\\N'}\t${r.properties ?? '\\N'}\n`;
}

/** COPY <table> FROM STDIN of text chunks (pg-copy-streams), with backpressure. */
export async function copyChunks(client: Client, table: string, chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
  await pipeline(Readable.from(chunks), client.query(copyFrom(`COPY ${table} ${COPY_COLUMNS} FROM STDIN`)));
}

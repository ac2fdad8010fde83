import { Dec } from '../../common/money/decimal';
import { Granularity, bucketStarts } from './window-segments';

/** resource_key of rows that hold every resource together. */
export const ALL_RESOURCES = '*';

/** An event as stored, with its ingestion sequence and its attributed cost center. */
export interface StoredEvent {
  tenantId: string;
  metric: string;
  quantity: Dec;
  timestamp: Date;
  seq: bigint;
  costCenterId: string | null;
  resourceType: string | null;
  resourceId: string | null;
  /** For unique_count metrics: the counted property's value, as text. */
  uniqueValue: string | null;
}

export interface RollupRow {
  tenantId: string;
  metric: string;
  granularity: Granularity;
  bucketStart: Date;
  costCenterKey: string;
  resourceKey: string;
  sum: Dec;
  count: number;
  max: Dec;
  latestTs: Date;
  latestSeq: bigint;
  latestValue: Dec;
}

export interface UniqueRow {
  tenantId: string;
  metric: string;
  granularity: Granularity;
  bucketStart: Date;
  costCenterKey: string;
  resourceKey: string;
  value: string;
}

/** `vm/vm-42`, or '' without a resource. resourceType never holds '/', so the first one splits. */
export function resourceKey(type: string | null, id: string | null): string {
  return type === null || id === null ? '' : `${type}/${id}`;
}

export function splitResourceKey(key: string): { resourceType: string | null; resourceId: string | null } {
  if (key === '' || key === ALL_RESOURCES) return { resourceType: null, resourceId: null };
  const i = key.indexOf('/');
  return { resourceType: key.slice(0, i), resourceId: key.slice(i + 1) };
}

const GRANULARITIES: Granularity[] = ['h', 'd', 'm'];
/** Per-resource rows stop at days: months of them would be as many rows as days, for no gain. */
const RESOURCE_GRANULARITIES: Granularity[] = ['h', 'd'];

function isLater(ts: Date, seq: bigint, thanTs: Date, thanSeq: bigint): boolean {
  return ts.getTime() > thanTs.getTime() || (ts.getTime() === thanTs.getTime() && seq > thanSeq);
}

const compareRows = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * The rollup rows a set of new events adds, merged per key and sorted by key (concurrent
 * writers lock rows in the same order, so they wait for each other instead of deadlocking).
 */
export function rollupRows(events: readonly StoredEvent[]): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  const add = (e: StoredEvent, g: Granularity, bucketStart: Date, resource: string) => {
    const costCenterKey = e.costCenterId ?? '';
    const key = [e.tenantId, e.metric, g, bucketStart.toISOString(), costCenterKey, resource].join('\u0000');
    const row = rows.get(key);
    if (!row) {
      rows.set(key, {
        tenantId: e.tenantId,
        metric: e.metric,
        granularity: g,
        bucketStart,
        costCenterKey,
        resourceKey: resource,
        sum: e.quantity,
        count: 1,
        max: e.quantity,
        latestTs: e.timestamp,
        latestSeq: e.seq,
        latestValue: e.quantity,
      });
      return;
    }
    row.sum = row.sum.plus(e.quantity);
    row.count += 1;
    if (e.quantity.gt(row.max)) row.max = e.quantity;
    if (isLater(e.timestamp, e.seq, row.latestTs, row.latestSeq)) {
      row.latestTs = e.timestamp;
      row.latestSeq = e.seq;
      row.latestValue = e.quantity;
    }
  };
  for (const e of events) {
    const buckets = bucketStarts(e.timestamp);
    for (const g of GRANULARITIES) add(e, g, buckets[g], ALL_RESOURCES);
    const resource = resourceKey(e.resourceType, e.resourceId);
    for (const g of RESOURCE_GRANULARITIES) add(e, g, buckets[g], resource);
  }
  return [...rows.entries()].map(([key, row]) => ({ key, row })).sort(compareRows).map((r) => r.row);
}

/** Distinct (bucket, value) rows for unique_count metrics, in both families, sorted by key. */
export function uniqueRows(events: readonly StoredEvent[]): UniqueRow[] {
  const rows = new Map<string, UniqueRow>();
  const add = (e: StoredEvent, g: Granularity, bucketStart: Date, resource: string) => {
    const costCenterKey = e.costCenterId ?? '';
    const key = [e.tenantId, e.metric, g, bucketStart.toISOString(), costCenterKey, resource, e.uniqueValue].join('\u0000');
    if (!rows.has(key)) rows.set(key, { tenantId: e.tenantId, metric: e.metric, granularity: g, bucketStart, costCenterKey, resourceKey: resource, value: e.uniqueValue! });
  };
  for (const e of events) {
    if (e.uniqueValue === null) continue;
    const buckets = bucketStarts(e.timestamp);
    for (const g of GRANULARITIES) add(e, g, buckets[g], ALL_RESOURCES);
    const resource = resourceKey(e.resourceType, e.resourceId);
    for (const g of RESOURCE_GRANULARITIES) add(e, g, buckets[g], resource);
  }
  return [...rows.entries()].map(([key, row]) => ({ key, row })).sort(compareRows).map((r) => r.row);
}

import { Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import { ChannelSubscriber, PgListener } from '../common/database/pg-listener';
import { Metrics } from '../common/metrics/metrics';
import type { Dec } from '../common/money/decimal';
import type { Quota, QuotaItem } from './quota-state';

/** Channel of "the quota state of these (tenant, metric) changed" notifications. */
export const QUOTA_CHANGES_CHANNEL = 'billing_quota_changes';
/** PostgreSQL refuses payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7_900;
/** Past this many payloads for one commit, one "everything changed" is cheaper for every listener. */
const MAX_PAYLOADS = 8;
const EVERYTHING = '*';
const MAX_ENTRIES = 100_000;

export interface QuotaKey {
  tenantId: string;
  metric: string;
}

/** Day and month quotas of a (tenant, metric) with their usage in the windows starting at dayStart and monthStart. */
export interface CalendarQuotas {
  dayStart: number;
  monthStart: number;
  rows: ReadonlyArray<{ quota: Quota; used: Dec }>;
  /** The answer's items, computed once: only `allowed` depends on the quantity checked. */
  items: readonly QuotaItem[];
}

/** A cache slot; a load keeps its result only if the slot is still the one in the map when it ends. */
export interface QuotaCacheSlot {
  value: CalendarQuotas | null;
}

function keyOf(tenantId: string, metric: string): string {
  return `${tenantId}\u0000${metric}`;
}

/**
 * NOTIFY payloads naming the changed (tenant, metric) pairs: JSON arrays of [tenantId, metric],
 * each under PostgreSQL's payload limit, or a single "*" (everything) when there are too many.
 */
export function quotaChangePayloads(keys: Iterable<QuotaKey>): string[] {
  const seen = new Set<string>();
  const payloads: string[] = [];
  let chunk: string[] = [];
  let bytes = 2;
  for (const { tenantId, metric } of keys) {
    const key = keyOf(tenantId, metric);
    if (seen.has(key)) continue;
    seen.add(key);
    const item = JSON.stringify([tenantId, metric]);
    const size = Buffer.byteLength(item) + 1;
    if (bytes + size > MAX_PAYLOAD_BYTES && chunk.length > 0) {
      payloads.push(`[${chunk.join(',')}]`);
      if (payloads.length >= MAX_PAYLOADS) return [EVERYTHING];
      chunk = [];
      bytes = 2;
    }
    chunk.push(item);
    bytes += size;
  }
  if (chunk.length > 0) payloads.push(`[${chunk.join(',')}]`);
  return payloads;
}

/**
 * Per instance: the day and month quotas of a (tenant, metric) with their current usage, so a
 * quota check answers without a database round trip. An entry is dropped
 * - in this instance, by the ingest batcher after each commit, before its requests are answered,
 *   and by quota create, update and delete;
 * - from other instances, by the NOTIFY their commits send in the same transaction (heard here a
 *   few milliseconds after the commit);
 * and the whole cache is dropped and bypassed while the LISTEN connection is down, since
 * notifications may be missed then. A load that started before an invalidation never stores its
 * (possibly older) answer: it holds the slot it started from, and the invalidation removed it.
 */
@Injectable()
export class QuotaCache implements ChannelSubscriber {
  private readonly logger = new Logger(QuotaCache.name);
  private entries = new Map<string, QuotaCacheSlot>();
  private enabled = false;
  private readonly hits: Counter;
  private readonly misses: Counter;

  constructor(listener: PgListener, metrics: Metrics) {
    listener.subscribe(QUOTA_CHANGES_CHANNEL, this);
    this.hits = new Counter({ name: 'quota_cache_hits_total', help: 'Quota checks answered from the in-memory quota state', registers: [metrics.registry] });
    this.misses = new Counter({ name: 'quota_cache_misses_total', help: 'Quota checks that read the database (miss, or cache bypassed)', registers: [metrics.registry] });
  }

  /** Whether the cache is in use (the listener is up). */
  get active(): boolean {
    return this.enabled;
  }

  get size(): number {
    return this.entries.size;
  }

  get(tenantId: string, metric: string, dayStart: Date, monthStart: Date): CalendarQuotas | null {
    const value = this.entries.get(keyOf(tenantId, metric))?.value;
    // A new day or month is a miss: the windows are part of what is cached.
    if (value && value.dayStart === dayStart.getTime() && value.monthStart === monthStart.getTime()) {
      this.hits.inc();
      return value;
    }
    this.misses.inc();
    return null;
  }

  /** Call before reading the database; hand the slot to `fill` with what was read. Null when the cache is bypassed. */
  slot(tenantId: string, metric: string): QuotaCacheSlot | null {
    if (!this.enabled) return null;
    const key = keyOf(tenantId, metric);
    let slot = this.entries.get(key);
    if (!slot) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      slot = { value: null };
      this.entries.set(key, slot);
    }
    return slot;
  }

  /** Keeps `value` unless the (tenant, metric) was invalidated since `slot` was taken. */
  fill(tenantId: string, metric: string, slot: QuotaCacheSlot, value: CalendarQuotas): void {
    if (this.enabled && this.entries.get(keyOf(tenantId, metric)) === slot) slot.value = value;
  }

  /** Gives back a slot that will not be filled (state the cache does not keep), unless another load filled it. */
  release(tenantId: string, metric: string, slot: QuotaCacheSlot): void {
    const key = keyOf(tenantId, metric);
    if (this.entries.get(key) === slot && slot.value === null) this.entries.delete(key);
  }

  invalidate(keys: Iterable<QuotaKey>): void {
    for (const { tenantId, metric } of keys) this.entries.delete(keyOf(tenantId, metric));
  }

  clear(): void {
    this.entries = new Map();
  }

  notified(payload: string): void {
    if (payload === EVERYTHING) return this.clear();
    try {
      for (const [tenantId, metric] of JSON.parse(payload) as Array<[string, string]>) this.entries.delete(keyOf(tenantId, metric));
    } catch {
      this.logger.warn(`unreadable ${QUOTA_CHANGES_CHANNEL} payload: the quota cache is dropped`);
      this.clear();
    }
  }

  listening(up: boolean): void {
    const was = this.enabled;
    this.enabled = up;
    this.clear();
    if (was && !up) this.logger.warn('quota change notifications lost: quota checks read the database until the listener is back');
  }
}

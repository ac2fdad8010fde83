import { Metrics } from '../../common/metrics/metrics';
import type { UsageEvent } from '../usage-event.schema';
import { IngestContextRepository } from '../../cost-centers/ingest-context.repository';
import { IngestBatcher, IngestJob, distinctQuotaKeys } from './ingest-batcher';
import { TenantIngestContexts } from './tenant-contexts';

/** The elements of a text array parameter (test ids hold no comma, quote or backslash). */
const elements = (literal: unknown): string[] => (literal as string).slice(1, -1).split(',').map((e) => e.replace(/^"|"$/g, ''));

/** A PgPool whose storing statement waits until released, recording how many run at once. */
function fakePool() {
  const running: Array<{ events: number; release: () => void }> = [];
  let maxSmallAtOnce = 0;
  const pool = {
    prepared: async (name: string, _sql: string, params: unknown[]) => {
      if (name === 'ingest_tenant_context') return [{ centers: null, quotas: null, versions: null }];
      const tenants = elements(params[0]);
      const ids = elements(params[1]);
      const entry: { events: number; release: () => void } = { events: ids.length, release: () => undefined };
      const done = new Promise<void>((r) => (entry.release = r));
      running.push(entry);
      maxSmallAtOnce = Math.max(maxSmallAtOnce, running.filter((r) => r.events < 100).length);
      await done;
      running.splice(running.indexOf(entry), 1);
      if (name === 'ingest_store_events_new') return [{ stale: false, stored: ids.length }];
      return ids.map((id, i) => ({ tenant_id: tenants[i], event_id: id }));
    },
  };
  return { pool, running, maxSmall: () => maxSmallAtOnce };
}

const event = (id: string): UsageEvent => ({
  eventId: id,
  generatedId: false,
  metric: 'api.requests',
  quantity: '1',
  timestampMs: Date.parse('2026-11-20T00:00:00Z'),
  resourceType: null,
  resourceId: null,
  costCenterId: null,
  properties: null,
});
const job = (tenantId: string, n: number, tag: string): IngestJob => ({ tenantId, events: Array.from({ length: n }, (_, i) => event(`${tag}-${i}`)), pathPrefix: () => '' });
const tick = () => new Promise((r) => setImmediate(r));

function batcher(pool: unknown): IngestBatcher {
  const catalog = { metric: () => ({ aggregation: 'sum' }) };
  const quotaCache = { invalidate: () => undefined };
  return new IngestBatcher(pool as never, catalog as never, new Metrics(), quotaCache as never, new TenantIngestContexts(new IngestContextRepository()));
}

describe('IngestBatcher scheduling', () => {
  it('commits small groups one at a time, the requests that arrive meanwhile together in the next', async () => {
    const { pool, running, maxSmall } = fakePool();
    const b = batcher(pool);
    const first = b.submit(job('t1', 1, 'a'));
    await tick();
    const rest = Array.from({ length: 10 }, (_, i) => b.submit(job(`t${i}`, 1, `b${i}`)));
    await tick();
    expect(running.map((r) => r.events)).toEqual([1]);
    running[0].release();
    await first;
    await tick();
    await tick();
    expect(running.map((r) => r.events)).toEqual([10]);
    running[0].release();
    const outcomes = await Promise.all(rest);
    expect(outcomes.every((o) => o.stored[0] === true)).toBe(true);
    expect(maxSmall()).toBe(1);
  });

  it('runs a second commit beside a big one, so a batch never holds up single events', async () => {
    const { pool, running } = fakePool();
    const b = batcher(pool);
    const big = b.submit(job('t1', 1000, 'big'));
    await tick();
    const small = b.submit(job('t2', 1, 'small'));
    await tick();
    await tick();
    expect(running.map((r) => r.events).sort((x, y) => x - y)).toEqual([1, 1000]);
    running.find((r) => r.events === 1)!.release();
    expect((await small).stored).toEqual([true]);
    running[0].release();
    expect((await big).stored.every(Boolean)).toBe(true);
  });
});

describe('IngestBatcher when a tenant context keeps changing', () => {
  it('redoes a stale group once, then stores it in a transaction holding the context versions', async () => {
    const calls: string[] = [];
    const answer = (name: string, params: unknown[], stale: boolean) => {
      calls.push(name);
      if (name === 'ingest_tenant_context') return [{ centers: null, quotas: null, versions: [{ tenant_id: 't1', version: String(calls.length) }] }];
      if (name === 'ingest_lock_contexts') return [{ tenant_id: 't1' }];
      if (name === 'ingest_store_events_new') return [{ stale, stored: stale ? 0 : (elements(params[1])).length }];
      if (stale) return [{ tenant_id: null, event_id: null }];
      return (elements(params[1])).map((id) => ({ tenant_id: 't1', event_id: id }));
    };
    const pool = {
      prepared: async (name: string, _sql: string, params: unknown[]) => answer(name, params, true),
      transaction: async <T>(work: (db: (name: string, sql: string, params: unknown[]) => Promise<unknown[]>) => Promise<T>) => {
        calls.push('BEGIN');
        const result = await work(async (name, _sql, params) => answer(name, params, false));
        calls.push('COMMIT');
        return result;
      },
    };
    const outcome = await batcher(pool).submit(job('t1', 2, 'churn'));
    expect(outcome.stored).toEqual([true, true]);
    expect(calls).toEqual([
      'ingest_tenant_context',
      'ingest_store_events_new',
      'ingest_tenant_context',
      'ingest_store_events_new',
      'BEGIN',
      'ingest_lock_contexts',
      'ingest_tenant_context',
      'ingest_store_events_dedupe',
      'COMMIT',
    ]);
  });
});

describe('IngestBatcher with events already recorded', () => {
  /** A pool where the given keys are recorded: the plain INSERT fails on them as PostgreSQL does. */
  function recordedPool(recorded: Set<string>) {
    const calls: string[] = [];
    const pool = {
      prepared: async (name: string, _sql: string, params: unknown[]) => {
        calls.push(name);
        if (name === 'ingest_tenant_context') return [{ centers: null, quotas: null, versions: null }];
        const ids = elements(params[1]);
        const fresh = ids.filter((id) => !recorded.has(id));
        if (name === 'ingest_store_events_new') {
          if (fresh.length < ids.length) throw Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
          return [{ stale: false, stored: ids.length }];
        }
        return fresh.map((id) => ({ tenant_id: 't1', event_id: id }));
      },
    };
    return { pool, calls };
  }

  it('stores a group with a recorded event again with ON CONFLICT, and says which events were new', async () => {
    const { pool, calls } = recordedPool(new Set(['dup-1']));
    const outcome = await batcher(pool).submit(job('t1', 3, 'dup'));
    expect(outcome.stored).toEqual([true, false, true]);
    expect(calls).toEqual(['ingest_tenant_context', 'ingest_store_events_new', 'ingest_store_events_dedupe']);
  });

  it('goes straight to ON CONFLICT for the next 100 commits after a duplicate, then tries the plain INSERT again', async () => {
    const { pool, calls } = recordedPool(new Set(['first-0']));
    const b = batcher(pool);
    await b.submit(job('t1', 1, 'first'));
    for (let i = 0; i < 101; i++) expect((await b.submit(job('t1', 1, `later${i}`))).stored).toEqual([true]);
    const stores = calls.filter((c) => c.startsWith('ingest_store_events'));
    expect(stores.slice(0, 2)).toEqual(['ingest_store_events_new', 'ingest_store_events_dedupe']);
    expect(stores.slice(2, 102).every((c) => c === 'ingest_store_events_dedupe')).toBe(true);
    expect(stores[102]).toBe('ingest_store_events_new');
  });

  it('does not redo a group that failed for another reason', async () => {
    const calls: string[] = [];
    const pool = {
      prepared: async (name: string) => {
        calls.push(name);
        if (name === 'ingest_tenant_context') return [{ centers: null, quotas: null, versions: null }];
        throw Object.assign(new Error('check constraint'), { code: '23514' });
      },
    };
    await expect(batcher(pool).submit(job('t1', 1, 'bad'))).rejects.toMatchObject({ code: '23514' });
    expect(calls).toEqual(['ingest_tenant_context', 'ingest_store_events_new']);
  });
});

describe('distinctQuotaKeys', () => {
  it('names each (tenant, metric) of a group once, in first-seen order, whatever the order of events', () => {
    const e = (metric: string): UsageEvent => ({ ...event('x'), metric });
    const items = [
      { tenantId: 't1', event: e('a') },
      { tenantId: 't1', event: e('a') },
      { tenantId: 't1', event: e('b') },
      { tenantId: 't2', event: e('a') },
      { tenantId: 't1', event: e('a') },
      { tenantId: 't2', event: e('b') },
      { tenantId: 't1', event: e('b') },
    ];
    expect(distinctQuotaKeys(items)).toEqual([
      { tenantId: 't1', metric: 'a' },
      { tenantId: 't1', metric: 'b' },
      { tenantId: 't2', metric: 'a' },
      { tenantId: 't2', metric: 'b' },
    ]);
  });
});

import type { PgListener } from '../common/database/pg-listener';
import { Metrics } from '../common/metrics/metrics';
import { Dec } from '../common/money/decimal';
import { CalendarQuotas, QuotaCache, quotaChangePayloads } from './quota-cache';
import type { Quota } from './quota-state';

const DAY = new Date('2026-11-26T00:00:00Z');
const MONTH = new Date('2026-11-01T00:00:00Z');

function cache(): QuotaCache {
  const c = new QuotaCache({ subscribe: () => undefined } as unknown as PgListener, new Metrics());
  c.listening(true);
  return c;
}

function value(used: string, dayStart = DAY): CalendarQuotas {
  const quota = { id: 'q', tenantId: 't1', metric: 'm', limit: new Dec(10), period: 'month', enforcement: 'hard', costCenterId: null } as Quota;
  return { dayStart: dayStart.getTime(), monthStart: MONTH.getTime(), rows: [{ quota, used: new Dec(used) }], items: [] };
}

describe('QuotaCache', () => {
  it('answers what was filled, for the same day and month windows only', () => {
    const c = cache();
    c.fill('t1', 'm', c.slot('t1', 'm')!, value('3'));
    expect(c.get('t1', 'm', DAY, MONTH)?.rows[0].used.toFixed()).toBe('3');
    expect(c.get('t1', 'm', new Date('2026-11-27T00:00:00Z'), MONTH)).toBeNull();
    expect(c.get('t1', 'other', DAY, MONTH)).toBeNull();
  });

  it('gives back a slot that is not filled, never a filled one', () => {
    const c = cache();
    c.release('t1', 'm', c.slot('t1', 'm')!);
    expect(c.size).toBe(0);
    const slot = c.slot('t1', 'm')!;
    c.fill('t1', 'm', slot, value('2'));
    c.release('t1', 'm', slot);
    expect(c.get('t1', 'm', DAY, MONTH)).not.toBeNull();
  });

  it('never keeps a load that an invalidation overtook', () => {
    const c = cache();
    const slot = c.slot('t1', 'm')!;
    c.invalidate([{ tenantId: 't1', metric: 'm' }]); // a commit lands while the load reads
    c.fill('t1', 'm', slot, value('1'));
    expect(c.get('t1', 'm', DAY, MONTH)).toBeNull();
  });

  it('drops entries named by a notification, and everything on "*" or an unreadable payload', () => {
    const c = cache();
    for (const t of ['t1', 't2']) c.fill(t, 'm', c.slot(t, 'm')!, value('1'));
    c.notified(JSON.stringify([['t1', 'm']]));
    expect(c.get('t1', 'm', DAY, MONTH)).toBeNull();
    expect(c.get('t2', 'm', DAY, MONTH)).not.toBeNull();
    c.notified('*');
    expect(c.size).toBe(0);
    c.fill('t2', 'm', c.slot('t2', 'm')!, value('1'));
    c.notified('not json');
    expect(c.size).toBe(0);
  });

  it('is bypassed while the listener is down, and loads begun before the loss are not kept', () => {
    const c = cache();
    const slot = c.slot('t1', 'm')!;
    c.listening(false);
    c.fill('t1', 'm', slot, value('1'));
    expect(c.slot('t1', 'm')).toBeNull();
    expect(c.get('t1', 'm', DAY, MONTH)).toBeNull();
    c.listening(true);
    c.fill('t1', 'm', slot, value('1'));
    expect(c.get('t1', 'm', DAY, MONTH)).toBeNull();
  });
});

describe('quotaChangePayloads', () => {
  it('names each pair once, in payloads under the 8000-byte limit', () => {
    expect(quotaChangePayloads([{ tenantId: 't1', metric: 'a' }, { tenantId: 't1', metric: 'a' }, { tenantId: 't2', metric: 'a' }])).toEqual(['[["t1","a"],["t2","a"]]']);
    const many = Array.from({ length: 200 }, (_, i) => ({ tenantId: `tenant-${'x'.repeat(50)}-${i}`, metric: 'compute.cpu_hours' }));
    const payloads = quotaChangePayloads(many);
    expect(payloads.length).toBeGreaterThan(1);
    expect(payloads.every((p) => Buffer.byteLength(p) < 8000)).toBe(true);
    expect(payloads.flatMap((p) => JSON.parse(p) as unknown[])).toHaveLength(200);
  });

  it('says "everything" when a commit touches too many pairs for a few payloads', () => {
    const huge = Array.from({ length: 5000 }, (_, i) => ({ tenantId: `tenant-${'x'.repeat(50)}-${i}`, metric: 'compute.cpu_hours' }));
    expect(quotaChangePayloads(huge)).toEqual(['*']);
  });
});

import { Dec } from '../../src/common/money/decimal';
import { PeriodCloseService } from '../../src/invoices/period-close.service';
import { TestApp, bootApp } from '../support/app';
import { API, expectProblem, httpClient } from '../support/http';
import { platformAdmin, serviceToken, tenantAdmin, tenantViewer } from '../support/tokens';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** team-monthly compute, by hand: 50 included; 1000 @ 0.12, 9000 @ 0.10, rest @ 0.08 (graduated), in cents, rounded once. */
function teamComputeCents(quantity: number): number {
  let billable = new Dec(Math.max(quantity - 50, 0));
  let amount = new Dec(0);
  for (const [size, price] of [[1000, '0.12'], [9000, '0.10'], [Infinity, '0.08']] as const) {
    const units = Dec.min(billable, size === Infinity ? billable : size);
    amount = amount.plus(units.times(price));
    billable = billable.minus(units);
  }
  return amount.times(100).toDecimalPlaces(0, Dec.ROUND_HALF_UP).toNumber();
}

describe('real-time cost', () => {
  let t: TestApp;
  let request: ReturnType<typeof httpClient>;
  const subscribe = async (tenant: string, body: object) => {
    const res = await request('POST', `${API}/tenants/${tenant}/subscriptions`, { token: tenantAdmin(tenant), body });
    expect(res.status).toBe(201);
    return res.body;
  };
  const usage = async (tenant: string, events: object[]) => {
    const res = await request('POST', `${API}/tenants/${tenant}/usage/batch`, { token: serviceToken(), body: { events } });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(events.length);
  };
  const get = (tenant: string, what: string, query = '') => request('GET', `${API}/realtime-cost/tenants/${tenant}/${what}${query}`, { token: tenantViewer(tenant) });
  const preview = async (tenant: string) => (await request('GET', `${API}/tenants/${tenant}/billing/preview`, { token: tenantViewer(tenant) })).body;

  beforeAll(async () => {
    // No scheduled compaction: every read meets the usage as rollup deltas not folded yet.
    t = await bootApp({ env: { ROLLUP_COMPACT_INTERVAL_MS: '0' } });
    request = httpClient(t.baseUrl);
  });
  afterAll(() => t.close());

  describe('GET /realtime-cost/tenants/:tenantId/current', () => {
    it("equals the billing preview's subtotal with tiers, allowances and an immediate plan change's proration", async () => {
      const s = await subscribe('rc-p', { planId: 'team-monthly', trial: false, startDate: new Date(Date.now() - 2 * DAY).toISOString() });
      const change = await request('POST', `${API}/subscriptions/${s.id}/change-plan`, {
        token: tenantAdmin('rc-p'),
        body: { planId: 'business-monthly', effective: 'immediately' },
      });
      expect(change.status).toBe(200);
      await usage('rc-p', [
        { metric: 'compute.cpu_hours', quantity: '2500' },
        { metric: 'query.gb_scanned', quantity: 100001 },
        { metric: 'storage.gb_months', quantity: '1234.5' },
        { metric: 'cluster.peak_nodes', quantity: 6 },
        { metric: 'cluster.peak_nodes', quantity: 3 },
        ...Array.from({ length: 27 }, (_, i) => ({ metric: 'users.active', quantity: 1, properties: { userId: `u${i}` } })),
        ...Array.from({ length: 3 }, () => ({ metric: 'api.requests', quantity: 1 })),
      ]);
      const res = await get('rc-p', 'current');
      expect(res.status).toBe(200);
      const p = await preview('rc-p');
      const c = res.body;
      expect(c.accruedCents).toBe(p.subtotalCents);
      const sum = (types: string[]) => p.lines.filter((l: any) => types.includes(l.type)).reduce((n: number, l: any) => n + l.amountCents, 0);
      expect(p.lines.filter((l: any) => l.type === 'proration')).toHaveLength(2);
      expect(c).toMatchObject({
        currency: 'USD',
        periodStart: p.periodStart,
        periodEnd: p.periodEnd,
        baseFeeCents: sum(['base', 'proration']),
        usageCents: sum(['usage', 'late_usage']),
      });
      expect(c.accruedCents).toBe(c.baseFeeCents + c.usageCents);
      // business-monthly by hand: compute volume 2500 × 0.09 + 25 = 250.00; query graduated 90000 × 0.004 + 1 × 0.003 + 50
      // = 410.003; storage (1234.5 − 1000) × 0.021 = 4.9245; users (27 − 25) × 6 = 12; peak nodes (6 − 4) × 40 = 80.
      const byMetric = Object.fromEntries(c.byMetric.map((m: any) => [m.metric, [m.quantity, m.costCents]]));
      expect(byMetric).toEqual({
        'compute.cpu_hours': ['2500', 25000],
        'storage.gb_months': ['1234.5', 492],
        'api.requests': ['3', 0],
        'query.gb_scanned': ['100001', 41000],
        'users.active': ['27', 1200],
        'cluster.peak_nodes': ['6', 8000],
      });
      expect(c.usageCents).toBe(75692);
      expect(Date.parse(c.asOf)).toBeGreaterThan(Date.now() - 60_000);
    });

    it('reflects an event within a second of its 201', async () => {
      await subscribe('rc-live', { planId: 'team-monthly', trial: false });
      const before = (await get('rc-live', 'current')).body;
      const posted = await request('POST', `${API}/tenants/rc-live/usage`, { token: serviceToken(), body: { metric: 'compute.cpu_hours', quantity: 1050 } });
      expect(posted.status).toBe(201);
      const answeredAt = Date.now();
      let seen: any;
      while (Date.now() - answeredAt < 1000) {
        seen = (await get('rc-live', 'current')).body;
        if (seen.usageCents !== before.usageCents) break;
      }
      expect(Date.now() - answeredAt).toBeLessThan(1000);
      expect(seen.byMetric.find((m: any) => m.metric === 'compute.cpu_hours')).toMatchObject({ quantity: '1050', costCents: 12000 });
      expect(seen.usageCents - before.usageCents).toBe(12000);
    });

    it('bills no usage in a trial, like the preview', async () => {
      await subscribe('rc-trial', { planId: 'team-monthly' });
      await usage('rc-trial', [{ metric: 'compute.cpu_hours', quantity: 5000 }]);
      const c = (await get('rc-trial', 'current')).body;
      expect(c).toMatchObject({ baseFeeCents: 0, usageCents: 0, accruedCents: (await preview('rc-trial')).subtotalCents });
      expect(c.byMetric.find((m: any) => m.metric === 'compute.cpu_hours')).toMatchObject({ quantity: '5000', costCents: 0 });
    });

    it('answers 409 NO_LIVE_SUBSCRIPTION without a live subscription, for every cost read', async () => {
      for (const what of ['current', 'by-resource', 'timeline']) expectProblem(await get('rc-none', what), 409, 'NO_LIVE_SUBSCRIPTION');
    });

    it('refuses another tenant (403), a missing token (401), and lets platform callers in', async () => {
      expectProblem(await request('GET', `${API}/realtime-cost/tenants/rc-p/current`, { token: tenantViewer('other') }), 403, 'FORBIDDEN');
      expectProblem(await request('GET', `${API}/realtime-cost/tenants/rc-p/by-resource`, { token: tenantAdmin('other') }), 403, 'FORBIDDEN');
      expectProblem(await request('GET', `${API}/realtime-cost/tenants/rc-p/timeline`), 401, 'UNAUTHORIZED');
      expect((await request('GET', `${API}/realtime-cost/tenants/rc-p/current`, { token: platformAdmin() })).status).toBe(200);
      expect((await request('GET', `${API}/realtime-cost/tenants/rc-p/current`, { token: serviceToken() })).status).toBe(200);
    });
  });

  describe('GET /realtime-cost/tenants/:tenantId/by-resource', () => {
    let costCenterId: string;

    beforeAll(async () => {
      const cc = await request('POST', `${API}/cost-centers`, { token: tenantAdmin('rc-r'), body: { tenantId: 'rc-r', code: 'platform', name: 'Platform' } });
      costCenterId = cc.body.id;
      await subscribe('rc-r', { planId: 'team-monthly', trial: false });
      await usage('rc-r', [
        { metric: 'compute.cpu_hours', quantity: 600, resourceType: 'vm', resourceId: 'vm-1', costCenterId },
        { metric: 'compute.cpu_hours', quantity: 300, resourceType: 'vm', resourceId: 'vm-2' },
        { metric: 'compute.cpu_hours', quantity: 100, resourceType: 'vm', resourceId: 'vm-2' },
        { metric: 'compute.cpu_hours', quantity: 101, resourceType: 'vm', resourceId: 'vm-3' },
        { metric: 'storage.gb_months', quantity: 150 },
      ]);
    });

    it('splits a graduated charge over three resources pro rata, adding up to current.usageCents', async () => {
      const res = await get('rc-r', 'by-resource');
      expect(res.status).toBe(200);
      const current = (await get('rc-r', 'current')).body;
      // compute 1101 − 50 = 1051: 1000 × 0.12 + 51 × 0.10 = 125.10; shares of 12510 by 600 : 400 : 101
      // are 6817.44, 4544.96, 1147.60 → 6817, 4545, 1148 (remainder 2 to the largest fractions).
      // storage (150 − 100) × 0.023 = 1.15, used by no resource.
      expect(res.body).toEqual({
        currency: 'USD',
        from: current.periodStart,
        to: current.periodEnd,
        totalCents: 12625,
        data: [
          { resourceType: 'vm', resourceId: 'vm-1', costCenterId, costCents: 6817, usage: [{ metric: 'compute.cpu_hours', quantity: '600' }] },
          { resourceType: 'vm', resourceId: 'vm-2', costCenterId: null, costCents: 4545, usage: [{ metric: 'compute.cpu_hours', quantity: '400' }] },
          { resourceType: 'vm', resourceId: 'vm-3', costCenterId: null, costCents: 1148, usage: [{ metric: 'compute.cpu_hours', quantity: '101' }] },
          { resourceType: null, resourceId: null, costCenterId: null, costCents: 115, usage: [{ metric: 'storage.gb_months', quantity: '150' }] },
        ],
      });
      expect(res.body.data.reduce((n: number, r: any) => n + r.costCents, 0)).toBe(current.usageCents);
    });

    it('refuses a window that ends before it starts, and unknown parameters', async () => {
      expectProblem(await get('rc-r', 'by-resource', '?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z'), 400, 'VALIDATION_FAILED');
      expectProblem(await get('rc-r', 'by-resource', '?from=yesterday'), 400, 'VALIDATION_FAILED');
      expectProblem(await get('rc-r', 'by-resource', '?foo=1'), 400, 'VALIDATION_FAILED');
    });
  });

  describe('late usage of an invoiced period', () => {
    it('counts in current, is attributed to the late events’ resources, and starts the timeline', async () => {
      const begin = new Date(Date.now() - 40 * DAY);
      await subscribe('rc-late', { planId: 'team-monthly', trial: false, startDate: begin.toISOString() });
      const old = (ts: number) => new Date(begin.getTime() + ts).toISOString();
      await usage('rc-late', [{ eventId: 'on-time', metric: 'compute.cpu_hours', quantity: 1000, timestamp: old(DAY), resourceType: 'vm', resourceId: 'vm-a' }]);
      await t.app.get(PeriodCloseService).run(new Date());
      await usage('rc-late', [
        { eventId: 'late', metric: 'compute.cpu_hours', quantity: 100, timestamp: old(2 * DAY), resourceType: 'vm', resourceId: 'vm-b' },
        { eventId: 'now', metric: 'compute.cpu_hours', quantity: 60 },
      ]);
      // Late: billed 950 × 0.12 = 114.00, re-rated 1000 × 0.12 + 50 × 0.10 = 125.00 → 11.00. This period: 10 × 0.12 = 1.20.
      const current = (await get('rc-late', 'current')).body;
      expect(current.accruedCents).toBe((await preview('rc-late')).subtotalCents);
      expect(current.usageCents).toBe(1220);
      expect(current.byMetric.find((m: any) => m.metric === 'compute.cpu_hours')).toMatchObject({ quantity: '60', costCents: 1220, lateUsageCents: 1100 });
      const byResource = (await get('rc-late', 'by-resource')).body;
      expect(byResource.data.map((r: any) => [r.resourceId, r.costCents])).toEqual([
        ['vm-b', 1100],
        [null, 120],
      ]);
      expect(byResource.totalCents).toBe(current.usageCents);
      const timeline = (await get('rc-late', 'timeline')).body;
      expect(timeline.lateUsageCents).toBe(1100);
      expect(timeline.buckets[0].cumulativeCents).toBeGreaterThanOrEqual(1100);
      expect(timeline.buckets[timeline.buckets.length - 1].cumulativeCents).toBe(current.usageCents);
    });
  });

  describe('GET /realtime-cost/tenants/:tenantId/timeline', () => {
    let start: number;
    const events: Array<[number, number]> = [];

    beforeAll(async () => {
      const s = await subscribe('rc-t', { planId: 'team-monthly', trial: false, startDate: new Date(Date.now() - 2 * DAY).toISOString() });
      start = Date.parse(s.currentPeriodStart);
      events.push([start + HOUR, 500], [start + 25 * HOUR, 600], [Date.now() - 60_000, 100]);
      await usage('rc-t', events.map(([ts, quantity]) => ({ metric: 'compute.cpu_hours', quantity, timestamp: new Date(ts).toISOString() })));
    });

    const expectCumulative = (buckets: any[], from: number, to: number) => {
      let previous = 0;
      buckets.forEach((b, i) => {
        const end = i + 1 < buckets.length ? Date.parse(buckets[i + 1].start) : to;
        const expected = teamComputeCents(events.filter(([ts]) => ts >= from && ts < end).reduce((n, [, q]) => n + q, 0));
        expect({ i, cumulative: b.cumulativeCents, cost: b.costCents }).toEqual({ i, cumulative: expected, cost: expected - previous });
        previous = expected;
      });
    };

    it('gives the cumulative usage cost by day, ending at current.usageCents (tiers make cost non-additive)', async () => {
      const current = (await get('rc-t', 'current')).body;
      const res = await get('rc-t', 'timeline');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ currency: 'USD', granularity: 'day', from: current.periodStart, to: current.periodEnd, lateUsageCents: 0 });
      const buckets = res.body.buckets;
      expect(buckets[0].start).toBe(current.periodStart);
      expect(buckets.slice(1).every((b: any) => b.start.endsWith('T00:00:00.000Z'))).toBe(true);
      // 1200 cpu-hours: 1000 × 0.12 + 150 × 0.10 = 135.00, as current says.
      expect(buckets[buckets.length - 1].cumulativeCents).toBe(current.usageCents);
      expect(current.usageCents).toBe(13500);
      expectCumulative(buckets, start, Date.parse(current.periodEnd));
      expect(buckets.reduce((n: number, b: any) => n + b.costCents, 0)).toBe(13500);
    });

    it('gives hours too, with the same end', async () => {
      const current = (await get('rc-t', 'current')).body;
      const res = await get('rc-t', 'timeline', '?granularity=hour');
      const buckets = res.body.buckets;
      expect(buckets.length).toBe(Math.floor((Date.parse(current.periodEnd) - 1) / HOUR) - Math.floor(start / HOUR) + 1);
      expect(buckets[buckets.length - 1].cumulativeCents).toBe(current.usageCents);
      expectCumulative(buckets, start, Date.parse(current.periodEnd));
    });

    it('prices a window from its start: allowance and tiers apply from `from`', async () => {
      const from = new Date(start + DAY).toISOString();
      const to = new Date(Date.now() + HOUR).toISOString();
      const res = await get('rc-t', 'timeline', `?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&granularity=day`);
      // 700 cpu-hours from `from`: (700 − 50) × 0.12 = 78.00
      expect(res.body.buckets[res.body.buckets.length - 1].cumulativeCents).toBe(7800);
      expectCumulative(res.body.buckets, Date.parse(from), Date.parse(to));
    });

    it('attributes another window by resource, priced as its own period', async () => {
      const to = new Date(start + 2 * HOUR).toISOString();
      const res = await get('rc-t', 'by-resource', `?from=${encodeURIComponent(new Date(start).toISOString())}&to=${encodeURIComponent(to)}`);
      // Only the first 500 cpu-hours: (500 − 50) × 0.12 = 54.00, used by no resource.
      expect(res.body).toMatchObject({ to, totalCents: 5400, data: [{ resourceType: null, costCents: 5400, usage: [{ metric: 'compute.cpu_hours', quantity: '500' }] }] });
    });

    it('refuses a bad granularity, a reversed window and too many buckets', async () => {
      expectProblem(await get('rc-t', 'timeline', '?granularity=week'), 400, 'VALIDATION_FAILED');
      expectProblem(await get('rc-t', 'timeline', '?from=2025-02-01T00:00:00Z&to=2025-02-01T00:00:00Z'), 400, 'VALIDATION_FAILED');
      expectProblem(await get('rc-t', 'timeline', '?from=2020-01-01T00:00:00Z&to=2024-01-01T00:00:00Z&granularity=hour'), 400, 'VALIDATION_FAILED');
    });
  });
});

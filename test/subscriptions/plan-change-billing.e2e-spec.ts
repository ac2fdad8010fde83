import { Dec } from '../../src/common/money/decimal';
import { PeriodCloseService } from '../../src/invoices/period-close.service';
import { API } from '../support/http';
import { serviceToken, tenantAdmin, tenantViewer } from '../support/tokens';
import { useApp } from '../support/suite';

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A plan's base fee for [from, to) out of a full period, in whole seconds, rounded once half away from zero. */
function fee(price: string, from: number, to: number, periodStart: number, periodFullEnd: number): number {
  const seconds = Math.floor(to / 1000) - Math.floor(from / 1000);
  const full = Math.floor(periodFullEnd / 1000) - Math.floor(periodStart / 1000);
  return new Dec(price).times(seconds).div(full).times(100).toDecimalPlaces(0, Dec.ROUND_HALF_UP).toNumber();
}

const monthsAgo = (months: number, extraMs = 0) => {
  const d = new Date(Date.now() - extraMs);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d;
};

/** CONTRACT.md, Settled details: plan changes, cancels and the period-close gap (issue: money defects). */
describe('billing across plan changes, cancels and ended periods', () => {
  const { app, request, db } = useApp({ env: { PERIOD_CLOSE_CRON: 'off' } });
  const closePeriods = () => app().app.get(PeriodCloseService).run(new Date());

  const subscribe = async (tenant: string, body: object) => {
    const res = await request('POST', `${API}/tenants/${tenant}/subscriptions`, { token: tenantAdmin(tenant), body: { trial: false, ...body } });
    expect(res.status).toBe(201);
    return res.body;
  };
  const act = async (tenant: string, id: string, action: string, body: object = {}) => {
    const res = await request('POST', `${API}/subscriptions/${id}/${action}`, { token: tenantAdmin(tenant), body });
    expect(res.status).toBe(200);
    return res.body;
  };
  const usage = async (tenant: string, events: object[]) => {
    const res = await request('POST', `${API}/tenants/${tenant}/usage/batch`, { token: serviceToken(), body: { events } });
    expect(res.status).toBe(200);
  };
  const invoices = async (tenant: string): Promise<any[]> => {
    const res = await request('GET', `${API}/tenants/${tenant}/invoices?limit=100`, { token: tenantViewer(tenant) });
    expect(res.status).toBe(200);
    return [...res.body.data].sort((a: any, b: any) => Date.parse(a.periodStart) - Date.parse(b.periodStart));
  };
  const preview = async (tenant: string) => (await request('GET', `${API}/tenants/${tenant}/billing/preview`, { token: tenantViewer(tenant) })).body;
  const changes = async (subscriptionId: string): Promise<number[]> =>
    (await db.query('SELECT changed_at FROM subscription_plan_changes WHERE subscription_id = $1 ORDER BY changed_at', [subscriptionId])).rows.map((r: any) => r.changed_at.getTime());
  const baseCents = (lines: any[]) => lines.filter((l) => l.type === 'base' || l.type === 'proration').reduce((n, l) => n + l.amountCents, 0);
  const expectLinesInside = (invoice: any) => {
    for (const l of invoice.lines.filter((x: any) => x.type !== 'late_usage')) {
      expect(Date.parse(l.periodStart)).toBeGreaterThanOrEqual(Date.parse(invoice.periodStart));
      expect(Date.parse(l.periodEnd)).toBeLessThanOrEqual(Date.parse(invoice.periodEnd));
    }
  };

  describe('proration lines stay inside their invoice (item 1)', () => {
    it('bills the old plan for its days and the new one for one second when a cancel follows a change', async () => {
      const s = await subscribe('pc-cancel', { planId: 'team-monthly', startDate: new Date(Date.now() - 10 * DAY).toISOString() });
      await act('pc-cancel', s.id, 'change-plan', { planId: 'business-monthly', effective: 'immediately' });
      await sleep(1100);
      const canceled = await act('pc-cancel', s.id, 'cancel', { atPeriodEnd: false });
      expect((await closePeriods()).failed).toBe(0);
      const [invoice, ...rest] = await invoices('pc-cancel');
      expect(rest).toHaveLength(0);
      expect(invoice.periodEnd).toBe(canceled.canceledAt);
      expectLinesInside(invoice);
      const [change] = await changes(s.id);
      const start = Date.parse(s.currentPeriodStart);
      const full = Date.parse(s.currentPeriodEnd);
      const expected = fee('49', start, change, start, full) + fee('499', change, Date.parse(canceled.canceledAt), start, full);
      expect(baseCents(invoice.lines)).toBe(expected);
      // Ten days of team-monthly (about 16.33) and a second or two of business-monthly: nowhere near the rest of the month.
      expect(invoice.subtotalCents).toBeLessThan(1700);
    });

    it('bills each plan for its own time when an interval change follows a change, and nothing past the cut', async () => {
      const s = await subscribe('pc-interval', { planId: 'team-monthly', startDate: new Date(Date.now() - 10 * DAY).toISOString() });
      await act('pc-interval', s.id, 'change-plan', { planId: 'business-monthly', effective: 'immediately' });
      await sleep(1100);
      const after = await act('pc-interval', s.id, 'change-plan', { planId: 'team-yearly', effective: 'immediately' });
      const [first, second] = await changes(s.id);
      expect(after.currentPeriodStart).toBe(new Date(second).toISOString());
      const [cut, ...rest] = await invoices('pc-interval');
      expect(rest).toHaveLength(0);
      expect(cut).toMatchObject({ status: 'open', periodStart: s.currentPeriodStart, periodEnd: after.currentPeriodStart });
      expectLinesInside(cut);
      const start = Date.parse(s.currentPeriodStart);
      const full = Date.parse(s.currentPeriodEnd);
      expect(baseCents(cut.lines)).toBe(fee('49', start, first, start, full) + fee('499', first, second, start, full));
      // The yearly period starts clean: its preview bills team-yearly from the change, nothing of the old plans.
      const p = await preview('pc-interval');
      expect(p.periodStart).toBe(after.currentPeriodStart);
      expect(p.lines.filter((l: any) => l.type === 'proration')).toEqual([]);
    });

    it('bills no plan for paused time after a change, in the preview and in real-time cost', async () => {
      const s = await subscribe('pc-pause', { planId: 'team-monthly', startDate: new Date(Date.now() - 10 * DAY).toISOString() });
      await act('pc-pause', s.id, 'change-plan', { planId: 'business-monthly', effective: 'immediately' });
      await sleep(1100);
      const paused = await act('pc-pause', s.id, 'pause', {});
      const [change] = await changes(s.id);
      const start = Date.parse(s.currentPeriodStart);
      const full = Date.parse(s.currentPeriodEnd);
      const expected = fee('49', start, change, start, full) + fee('499', change, Date.parse(paused.pausedAt), start, full);
      const p = await preview('pc-pause');
      expect(baseCents(p.lines)).toBe(expected);
      expectLinesInside(p);
      const current = (await request('GET', `${API}/realtime-cost/tenants/pc-pause/current`, { token: tenantViewer('pc-pause') })).body;
      expect(current.baseFeeCents).toBe(expected);
    });
  });

  describe('usage of each part is billed on its own plan (items 2 and 3)', () => {
    it('invoices the part before an interval change with its usage on the old plan', async () => {
      const s = await subscribe('pc-usage-int', { planId: 'team-monthly', startDate: new Date(Date.now() - 10 * DAY).toISOString() });
      const before = new Date(Date.now() - 3_600_000).toISOString();
      await usage('pc-usage-int', [
        { metric: 'compute.cpu_hours', quantity: 150, timestamp: before },
        { metric: 'storage.gb_months', quantity: 300, timestamp: before },
        ...Array.from({ length: 7 }, (_, i) => ({ metric: 'users.active', quantity: 1, timestamp: before, properties: { userId: `u${i}` } })),
      ]);
      const usageLines = (lines: any[]) => lines.filter((l) => l.type === 'usage').map((l) => [l.metric, l.quantity, l.amountCents]);
      const shown = usageLines((await preview('pc-usage-int')).lines);
      // team-monthly: storage (300 − 100) × 0.023 = 4.60, users (7 − 5) × 8.00 = 16.00: both would be lost on team-yearly.
      expect(shown).toEqual(expect.arrayContaining([['storage.gb_months', '300', 460], ['users.active', '7', 1600]]));
      await act('pc-usage-int', s.id, 'change-plan', { planId: 'team-yearly', effective: 'immediately' });
      const [cut] = await invoices('pc-usage-int');
      expect(usageLines(cut.lines)).toEqual(shown);
    });

    it('prices the usage before a mid-period change on the old plan and after it on the new one', async () => {
      const s = await subscribe('pc-usage-mid', { planId: 'team-monthly', startDate: new Date(Date.now() - 10 * DAY).toISOString() });
      const before = new Date(Date.now() - 3_600_000).toISOString();
      await usage('pc-usage-mid', [
        { metric: 'storage.gb_months', quantity: 300, timestamp: before },
        ...Array.from({ length: 7 }, (_, i) => ({ metric: 'users.active', quantity: 1, timestamp: before, properties: { userId: `u${i}` } })),
      ]);
      await act('pc-usage-mid', s.id, 'change-plan', { planId: 'business-monthly', effective: 'immediately' });
      await usage('pc-usage-mid', [
        { metric: 'storage.gb_months', quantity: 1500 },
        ...Array.from({ length: 3 }, (_, i) => ({ metric: 'users.active', quantity: 1, properties: { userId: `v${i}` } })),
      ]);
      const [change] = await changes(s.id);
      const p = await preview('pc-usage-mid');
      const line = (metric: string, from: number) => p.lines.find((l: any) => l.type === 'usage' && l.metric === metric && Date.parse(l.periodStart) === from);
      const start = Date.parse(s.currentPeriodStart);
      // Before, team-monthly: storage (300 − 100) × 0.023 = 4.60; users (7 − 5) × 8.00 = 16.00.
      expect(line('storage.gb_months', start)).toMatchObject({ quantity: '300', amountCents: 460 });
      expect(line('users.active', start)).toMatchObject({ quantity: '7', amountCents: 1600 });
      // After, business-monthly: storage (1500 − 1000) × 0.021 = 10.50; 3 users are within its 25.
      expect(line('storage.gb_months', change)).toMatchObject({ quantity: '1500', amountCents: 1050 });
      expect(line('users.active', change)).toMatchObject({ quantity: '3', amountCents: 0 });
      expectLinesInside(p);
      // And the invoice bills the same.
      await act('pc-usage-mid', s.id, 'cancel', { atPeriodEnd: false });
      await closePeriods();
      const [invoice] = await invoices('pc-usage-mid');
      const usageOf = (lines: any[]) => lines.filter((l) => l.type === 'usage').reduce((n, l) => n + l.amountCents, 0);
      expect(usageOf(invoice.lines)).toBe(usageOf(p.lines));
    });
  });

  describe('an action first closes the ended periods (item 4)', () => {
    it('invoices every ended period of a backdated subscription before an immediate cancel', async () => {
      const s = await subscribe('pc-backdated', { planId: 'team-monthly', startDate: monthsAgo(2, DAY).toISOString() });
      const canceled = await act('pc-backdated', s.id, 'cancel', { atPeriodEnd: false });
      expect(Date.parse(canceled.canceledAt)).toBeGreaterThan(Date.now() - 60_000);
      const closedByAction = await invoices('pc-backdated');
      expect(closedByAction).toHaveLength(2);
      expect((await closePeriods()).failed).toBe(0);
      const all = await invoices('pc-backdated');
      expect(all).toHaveLength(3);
      expect(all[0].periodStart).toBe(s.currentPeriodStart);
      for (let i = 1; i < all.length; i++) expect(all[i].periodStart).toBe(all[i - 1].periodEnd);
      expect(all[2].periodEnd).toBe(canceled.canceledAt);
      expect(all.map((i) => i.status)).toEqual(['open', 'open', 'open']);
    });

    it('bills the ended period with its usage, then sets the cancel on the current one, never dated before the request', async () => {
      const s = await subscribe('pc-gap', { planId: 'team-monthly', startDate: monthsAgo(1, 2_000).toISOString() });
      await usage('pc-gap', [{ metric: 'storage.gb_months', quantity: 300, timestamp: new Date(Date.now() - 3_600_000).toISOString() }]);
      const requested = Date.now();
      const after = await act('pc-gap', s.id, 'cancel', { atPeriodEnd: true });
      expect(after).toMatchObject({ status: 'active', cancelAtPeriodEnd: true, canceledAt: null, currentPeriodStart: s.currentPeriodEnd });
      expect(Date.parse(after.currentPeriodStart)).toBeLessThanOrEqual(requested);
      const [ended, ...rest] = await invoices('pc-gap');
      expect(rest).toHaveLength(0);
      expect(ended).toMatchObject({ periodStart: s.currentPeriodStart, periodEnd: s.currentPeriodEnd, status: 'open' });
      expect(ended.lines.find((l: any) => l.metric === 'storage.gb_months')).toMatchObject({ quantity: '300', amountCents: 460 });
    });
  });

  describe('catching up under concurrency', () => {
    it('invoices each ended period once when actions and the period-close job race on a stale subscription', async () => {
      const s = await subscribe('pc-race', { planId: 'team-monthly', startDate: monthsAgo(3, DAY).toISOString() });
      const post = (action: string, body: object) => request('POST', `${API}/subscriptions/${s.id}/${action}`, { token: tenantAdmin('pc-race'), body });
      const [summary, ...answers] = await Promise.all([
        closePeriods(),
        ...Array.from({ length: 4 }, () => post('cancel', { atPeriodEnd: true })),
        ...Array.from({ length: 4 }, () => post('change-plan', { planId: 'business-monthly', effective: 'period_end' })),
      ]);
      expect(summary.failed).toBe(0);
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
      const all = await invoices('pc-race');
      expect(all).toHaveLength(3);
      expect(new Set(all.map((i) => i.number)).size).toBe(3);
      for (let i = 1; i < all.length; i++) expect(all[i].periodStart).toBe(all[i - 1].periodEnd);
      const live = (await request('GET', `${API}/tenants/pc-race/subscription`, { token: tenantViewer('pc-race') })).body;
      expect(live).toMatchObject({ cancelAtPeriodEnd: true, currentPeriodStart: all[2].periodEnd });
      expect(Date.parse(live.currentPeriodEnd)).toBeGreaterThan(Date.now());
    });
  });

  describe('a period under a second is invoiced (item 5)', () => {
    it('invoices the usage of a subscription canceled 30 ms after it began', async () => {
      const s = await subscribe('pc-short', { planId: 'team-monthly' });
      await usage('pc-short', [{ metric: 'compute.cpu_hours', quantity: 100 }]);
      const due = (await preview('pc-short')).lines.filter((l: any) => l.type === 'usage').reduce((n: number, l: any) => n + l.amountCents, 0);
      expect(due).toBeGreaterThan(0);
      const canceled = await act('pc-short', s.id, 'cancel', { atPeriodEnd: false });
      expect(Date.parse(canceled.canceledAt) - Date.parse(s.currentPeriodStart)).toBeLessThan(60_000);
      const summary = await closePeriods();
      expect(summary.failed).toBe(0);
      const [invoice] = await invoices('pc-short');
      expect(invoice).toMatchObject({ periodStart: s.currentPeriodStart, periodEnd: canceled.canceledAt, status: 'open' });
      expect(invoice.subtotalCents).toBe(due + baseCents(invoice.lines));
      expect((await closePeriods()).subscriptions).toBe(0);
    });
  });

  describe('estimate right after a period starts', () => {
    it('extrapolates from at least an hour, not from the first milliseconds', async () => {
      await subscribe('pc-estimate', { planId: 'team-monthly' });
      await usage('pc-estimate', [{ metric: 'compute.cpu_hours', quantity: 51 }]);
      const e = (await request('GET', `${API}/tenants/pc-estimate/billing/estimate`, { token: tenantViewer('pc-estimate') })).body;
      const cpu = e.byMetric.find((m: any) => m.metric === 'compute.cpu_hours');
      const periodHours = (Date.parse(e.periodEnd) - Date.parse(e.periodStart)) / 3_600_000;
      // 51 cpu-hours over at least one hour: at most 51 × the period's hours.
      expect(Number(cpu.projectedQuantity)).toBeLessThanOrEqual(51 * periodHours + 1e-9);
      expect(Number(cpu.projectedQuantity)).toBeGreaterThan(51);
    });
  });
});

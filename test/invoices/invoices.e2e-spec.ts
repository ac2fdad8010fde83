import { PeriodCloseService } from '../../src/invoices/period-close.service';
import { connect, count } from '../support/db-client';
import { readPdfText } from '../support/pdf-text';
import { API, expectProblem, httpClient } from '../support/http';
import { platformAdmin, serviceToken, tenantAdmin, tenantViewer } from '../support/tokens';
import { useApp } from '../support/suite';
import { bootApp } from '../support/app';

const DAY = 86_400_000;

describe('invoices, billing and period close', () => {
  const { app, request, db } = useApp();
  const subscribe = async (tenant: string, body: object) => {
    const res = await request('POST', `${API}/tenants/${tenant}/subscriptions`, { token: tenantAdmin(tenant), body });
    expect(res.status).toBe(201);
    return res.body;
  };
  const usage = (tenant: string, events: object[]) => request('POST', `${API}/tenants/${tenant}/usage/batch`, { token: serviceToken(), body: { events } });
  const generate = (tenant: string, body: object = {}) => request('POST', `${API}/tenants/${tenant}/invoices`, { token: tenantAdmin(tenant), body });
  const finalize = (tenant: string, id: string) => request('POST', `${API}/invoices/${id}/finalize`, { token: tenantAdmin(tenant), body: {} });
  const closePeriods = () => app().app.get(PeriodCloseService).run(new Date());


  describe('generate, finalize, void', () => {
    let draft: any;

    beforeAll(async () => {
      await subscribe('i1', { planId: 'team-monthly', trial: false });
      const res = await usage('i1', [
        { metric: 'compute.cpu_hours', quantity: '1000.5' },
        { metric: 'users.active', quantity: 1, properties: { userId: 'a' } },
      ]);
      expect(res.body.accepted).toBe(2);
    });

    it('makes the draft of the current period (201), then refreshes it (200)', async () => {
      const res = await generate('i1');
      expect(res.status).toBe(201);
      draft = res.body;
      expect(draft).toMatchObject({ tenantId: 'i1', status: 'draft', number: null, currency: 'USD', finalizedAt: null });
      // 49.00 base + compute 950.5 × 0.12 = 114.06; the single active user is within the 5 included.
      const byMetric = Object.fromEntries(draft.lines.map((l: any) => [l.metric ?? l.type, l.amountCents]));
      expect(byMetric).toMatchObject({ base: 4900, 'compute.cpu_hours': 11406, 'users.active': 0 });
      expect(draft.subtotalCents).toBe(draft.lines.reduce((n: number, l: any) => n + l.amountCents, 0));
      expect(draft.totalCents).toBe(16306);
      const again = await generate('i1');
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(draft.id);
      expect(await count(db, "SELECT count(*) FROM invoices WHERE tenant_id = 'i1'")).toBe(1);
    });

    it('agrees with the billing preview', async () => {
      const preview = await request('GET', `${API}/tenants/i1/billing/preview`, { token: tenantViewer('i1') });
      expect(preview.status).toBe(200);
      expect(preview.body).toMatchObject({ subtotalCents: 16306, totalCents: 16306, currency: 'USD', periodStart: draft.periodStart });
      const estimate = await request('GET', `${API}/tenants/i1/billing/estimate`, { token: tenantViewer('i1') });
      expect(estimate.body).toMatchObject({ currency: 'USD', periodToDateCents: 16306, method: 'linear_run_rate' });
      expect(estimate.body.projectedTotalCents).toBeGreaterThanOrEqual(16306);
      expect(estimate.body.byMetric.find((m: any) => m.metric === 'compute.cpu_hours')).toMatchObject({ quantityToDate: '1000.5', costToDateCents: 11406 });
    });

    it('finalizes: frozen, numbered, credits drawn, open; a second finalize is 409', async () => {
      const sub = (await request('GET', `${API}/tenants/i1/subscription`, { token: tenantViewer('i1') })).body;
      await request('POST', `${API}/subscriptions/${sub.id}/credits`, { token: tenantAdmin('i1'), body: { amountCents: 5000, reason: 'goodwill' } });
      const res = await finalize('i1', draft.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'open', number: 'INV-i1-000001', totalCents: 16306, creditAppliedCents: 5000, amountDueCents: 11306 });
      expect(res.body.finalizedAt).toEqual(expect.any(String));
      expect((await request('GET', `${API}/tenants/i1/subscription`, { token: tenantViewer('i1') })).body.creditBalanceCents).toBe(0);
      expectProblem(await finalize('i1', draft.id), 409, 'INVALID_STATE');
      expectProblem(await generate('i1'), 409, 'INVALID_STATE');
    });

    it('serves a real PDF with the number and the total', async () => {
      const res = await fetch(`${app().baseUrl}${API}/invoices/${draft.id}/pdf`, { headers: { authorization: `Bearer ${tenantViewer('i1')}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.subarray(0, 4).toString()).toBe('%PDF');
      const text = (await readPdfText(bytes)).text;
      expect(text).toContain('INV-i1-000001');
      expect(text).toContain('163.06');
    });

    it('voids (platform-admin only), returning drawn credits', async () => {
      expectProblem(await request('POST', `${API}/invoices/${draft.id}/void`, { token: tenantAdmin('i1'), body: {} }), 403, 'FORBIDDEN');
      const res = await request('POST', `${API}/invoices/${draft.id}/void`, { token: platformAdmin(), body: {} });
      expect(res.body).toMatchObject({ status: 'void', number: 'INV-i1-000001' });
      expect((await request('GET', `${API}/tenants/i1/subscription`, { token: tenantViewer('i1') })).body.creditBalanceCents).toBe(5000);
      expectProblem(await request('POST', `${API}/invoices/${draft.id}/void`, { token: platformAdmin(), body: {} }), 409, 'INVALID_STATE');
      // The period can be invoiced again, with the next number: void keeps its number, no gap.
      const again = await generate('i1');
      expect(again.status).toBe(201);
      expect((await finalize('i1', again.body.id)).body.number).toBe('INV-i1-000002');
    });

    it("hides another tenant's invoice and refuses malformed ids", async () => {
      expectProblem(await request('GET', `${API}/invoices/${draft.id}`, { token: tenantViewer('other') }), 404, 'NOT_FOUND');
      expectProblem(await request('GET', `${API}/invoices/nope`, { token: tenantViewer('i1') }), 404, 'NOT_FOUND');
      const list = await request('GET', `${API}/tenants/i1/invoices?status=void`, { token: tenantViewer('i1') });
      expect(list.body.data.map((i: any) => i.id)).toEqual([draft.id]);
    });
  });

  it('voids a draft without a number, so the sequence keeps no gap', async () => {
    await subscribe('i-void-draft', { planId: 'business-monthly' });
    const first = (await generate('i-void-draft')).body;
    const voided = await request('POST', `${API}/invoices/${first.id}/void`, { token: platformAdmin(), body: {} });
    expect(voided.status).toBe(200);
    expect(voided.body).toMatchObject({ status: 'void', number: null });
    expect(voided.body.voidedAt).not.toBeNull();
    expectProblem(await finalize('i-void-draft', first.id), 409, 'INVALID_STATE');
    // The period can be drafted again; its invoice takes the first number.
    const again = await generate('i-void-draft');
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.id);
    expect((await finalize('i-void-draft', again.body.id)).body.number).toBe('INV-i-void-draft-000001');
  });

  it('numbers once when finalize is fired 10 times at once', async () => {
    await subscribe('i2', { planId: 'business-monthly' });
    const d = (await generate('i2')).body;
    const results = await Promise.all(Array.from({ length: 10 }, () => finalize('i2', d.id)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    results.filter((r) => r.status !== 200).forEach((r) => expectProblem(r, 409, 'INVALID_STATE'));
    expect((await db.query("SELECT number FROM invoices WHERE tenant_id = 'i2'")).rows).toEqual([{ number: 'INV-i2-000001' }]);
  });

  it('answers 409 NO_LIVE_SUBSCRIPTION for preview, estimate and generate without a subscription', async () => {
    expectProblem(await request('GET', `${API}/tenants/none/billing/preview`, { token: tenantViewer('none') }), 409, 'NO_LIVE_SUBSCRIPTION');
    expectProblem(await request('GET', `${API}/tenants/none/billing/estimate`, { token: tenantViewer('none') }), 409, 'NO_LIVE_SUBSCRIPTION');
    expectProblem(await generate('none'), 409, 'NO_LIVE_SUBSCRIPTION');
  });

  describe('period close', () => {
    it('invoices every ended period of a backdated subscription once, with gapless numbers, and catches up to now', async () => {
      const start = new Date(Date.now() - 70 * DAY);
      const sub = await subscribe('pc1', { planId: 'business-monthly', startDate: start.toISOString() });
      await usage('pc1', [{ metric: 'compute.cpu_hours', quantity: '100', timestamp: new Date(start.getTime() + DAY).toISOString() }]);
      const first = await closePeriods();
      expect(first.failed).toBe(0);
      const invoices = (await db.query("SELECT number, status, period_start, period_end, total_cents FROM invoices WHERE tenant_id = 'pc1' ORDER BY period_start")).rows;
      expect(invoices.map((i) => i.number)).toEqual(['INV-pc1-000001', 'INV-pc1-000002']);
      expect(invoices.every((i) => i.status === 'open')).toBe(true);
      expect(invoices[0].period_start).toEqual(start);
      expect(invoices[1].period_start).toEqual(invoices[0].period_end);
      // 499.00 base + 100 cpu-hours × 0.11 (volume, first tier) = 510.00
      expect(Number(invoices[0].total_cents)).toBe(51000);
      const after = (await request('GET', `${API}/tenants/pc1/subscription`, { token: tenantViewer('pc1') })).body;
      expect(Date.parse(after.currentPeriodStart)).toBeLessThanOrEqual(Date.now());
      expect(Date.parse(after.currentPeriodEnd)).toBeGreaterThan(Date.now());
      expect(after.id).toBe(sub.id);
      await closePeriods();
      expect(await count(db, "SELECT count(*) FROM invoices WHERE tenant_id = 'pc1'")).toBe(2);
    });

    it('bills late usage of an invoiced period on the next invoice, for the difference', async () => {
      const start = new Date(Date.now() - 40 * DAY);
      await subscribe('pc2', { planId: 'team-monthly', trial: false, startDate: start.toISOString() });
      await usage('pc2', [{ eventId: 'on-time', metric: 'compute.cpu_hours', quantity: '1000', timestamp: new Date(start.getTime() + DAY).toISOString() }]);
      await closePeriods();
      // 100 more cpu-hours arrive for the closed period: 950 → 1050 billable crosses into tier 2.
      await usage('pc2', [{ eventId: 'late', metric: 'compute.cpu_hours', quantity: '100', timestamp: new Date(start.getTime() + 2 * DAY).toISOString() }]);
      const draft = (await generate('pc2')).body;
      const late = draft.lines.filter((l: any) => l.type === 'late_usage');
      // Billed: 950 × 0.12 = 114.00. Re-rated: 1000 × 0.12 + 50 × 0.10 = 125.00. Difference 11.00.
      expect(late).toEqual([expect.objectContaining({ metric: 'compute.cpu_hours', quantity: '100', amountCents: 1100, periodStart: new Date(start).toISOString() })]);
      await finalize('pc2', draft.id);
      const next = (await request('GET', `${API}/tenants/pc2/billing/preview`, { token: tenantViewer('pc2') })).body;
      expect(next.lines.filter((l: any) => l.type === 'late_usage')).toEqual([]);
    });

    it('applies a cancel at period end and a scheduled plan change at the boundary', async () => {
      const start = new Date(Date.now() - 35 * DAY);
      const a = await subscribe('pc3', { planId: 'business-monthly', startDate: start.toISOString() });
      const b = await subscribe('pc4', { planId: 'business-monthly', startDate: start.toISOString() });
      // These act on the stored (ended) period: close first brings them to the current one.
      await closePeriods();
      await request('POST', `${API}/subscriptions/${a.id}/cancel`, { token: tenantAdmin('pc3'), body: { atPeriodEnd: true } });
      await request('POST', `${API}/subscriptions/${b.id}/change-plan`, { token: tenantAdmin('pc4'), body: { planId: 'team-monthly', effective: 'period_end' } });
      await db.query("UPDATE subscriptions SET current_period_end = now() - interval '1 second', current_period_full_end = now() - interval '1 second' WHERE tenant_id IN ('pc3', 'pc4')");
      await closePeriods();
      const sa = (await db.query('SELECT status, billing_closed FROM subscriptions WHERE id = $1', [a.id])).rows[0];
      expect(sa).toEqual({ status: 'canceled', billing_closed: true });
      const sb = (await request('GET', `${API}/tenants/pc4/subscription`, { token: tenantViewer('pc4') })).body;
      expect(sb).toMatchObject({ planId: 'team-monthly', pendingChange: null, status: 'active' });
      expect(await count(db, "SELECT count(*) FROM invoices WHERE tenant_id IN ('pc3', 'pc4')")).toBe(4);
    });

    it('ends a trial without an invoice and resumes a pause whose time has come', async () => {
      const trial = await subscribe('pc5', { planId: 'team-monthly', startDate: new Date(Date.now() - 20 * DAY).toISOString() });
      await closePeriods();
      const after = (await request('GET', `${API}/tenants/pc5/subscription`, { token: tenantViewer('pc5') })).body;
      expect(after).toMatchObject({ status: 'active', currentPeriodStart: trial.trialEnd });
      expect(await count(db, "SELECT count(*) FROM invoices WHERE tenant_id = 'pc5'")).toBe(0);
      await request('POST', `${API}/subscriptions/${trial.id}/pause`, { token: tenantAdmin('pc5'), body: { resumesAt: new Date(Date.now() + 60_000).toISOString() } });
      // Time passes: the pause began a minute ago and was due to end a second ago.
      await db.query("UPDATE subscription_pauses SET paused_at = now() - interval '1 minute' WHERE subscription_id = $1", [trial.id]);
      await db.query("UPDATE subscriptions SET paused_at = now() - interval '1 minute', resumes_at = now() - interval '1 second' WHERE id = $1", [trial.id]);
      const run = await closePeriods();
      expect(run.resumed).toBe(1);
      expect((await request('GET', `${API}/tenants/pc5/subscription`, { token: tenantViewer('pc5') })).body.status).toBe('active');
    });
  });
});

describe('period close with two instances on one database', () => {
  it('invoices each subscription-period exactly once, numbers gapless', async () => {
    const a = await bootApp();
    const b = await bootApp({ databaseUrl: a.databaseUrl });
    const db = await connect(a.databaseUrl);
    try {
      const request = httpClient(a.baseUrl);
      const tenants = Array.from({ length: 12 }, (_, i) => `mi${i}`);
      for (const tenant of tenants) {
        const res = await request('POST', `${API}/tenants/${tenant}/subscriptions`, {
          token: tenantAdmin(tenant),
          body: { planId: 'business-monthly', startDate: new Date(Date.now() - 95 * DAY).toISOString() },
        });
        expect(res.status).toBe(201);
      }
      const [ra, rb] = await Promise.all([a.app.get(PeriodCloseService).run(), b.app.get(PeriodCloseService).run()]);
      expect(ra.failed + rb.failed).toBe(0);
      expect(ra.invoicesFinalized + rb.invoicesFinalized).toBe(36);
      const rows = (await db.query('SELECT tenant_id, number, period_start FROM invoices ORDER BY tenant_id, number')).rows;
      expect(rows).toHaveLength(36);
      for (const tenant of tenants) {
        const numbers = rows.filter((r) => r.tenant_id === tenant).map((r) => r.number);
        expect(numbers).toEqual([`INV-${tenant}-000001`, `INV-${tenant}-000002`, `INV-${tenant}-000003`]);
      }
      expect(await count(db, 'SELECT count(*) FROM (SELECT subscription_id, period_start FROM invoices GROUP BY 1, 2 HAVING count(*) > 1) d')).toBe(0);
    } finally {
      await db.end();
      await b.app.close();
      await a.close();
    }
  });
});

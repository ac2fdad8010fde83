import { Dec } from '../../src/common/money/decimal';
import { count } from '../support/db-client';
import { API, expectProblem } from '../support/http';
import { platformAdmin, tenantAdmin, tenantViewer } from '../support/tokens';
import { useApp } from '../support/suite';

describe('subscriptions', () => {
  const { request, db } = useApp();
  const create = (tenant: string, body: object, headers: Record<string, string> = {}) =>
    request('POST', `${API}/tenants/${tenant}/subscriptions`, { token: tenantAdmin(tenant), body, headers });
  const act = (tenant: string, id: string, action: string, body: object = {}) =>
    request('POST', `${API}/subscriptions/${id}/${action}`, { token: tenantAdmin(tenant), body });


  describe('POST /tenants/:tenantId/subscriptions', () => {
    it('starts with the trial when the plan has trial days', async () => {
      const res = await create('s1', { planId: 'team-monthly' });
      expect(res.status).toBe(201);
      const b = res.body;
      expect(b).toMatchObject({ tenantId: 's1', planId: 'team-monthly', status: 'trialing', currency: 'USD', interval: 'month', cancelAtPeriodEnd: false, canceledAt: null, discount: null, pendingChange: null, creditBalanceCents: 0, costCenterId: null, pendingLines: [] });
      expect(Date.parse(b.trialEnd) - Date.parse(b.startedAt)).toBe(14 * 86_400_000);
      expect(b.currentPeriodStart).toBe(b.startedAt);
      expect(b.currentPeriodEnd).toBe(b.trialEnd);
    });

    it('skips the trial on request and anchors monthly periods on the start, clamped at month end', async () => {
      const res = await create('s2', { planId: 'team-monthly', trial: false, startDate: '2026-01-31T09:30:00Z' });
      expect(res.body).toMatchObject({
        status: 'active',
        trialEnd: null,
        anchorDay: 31,
        currentPeriodStart: '2026-01-31T09:30:00.000Z',
        currentPeriodEnd: '2026-02-28T09:30:00.000Z',
      });
    });

    it('refuses an unknown or inactive plan, and a start in the future', async () => {
      expectProblem(await create('s3', { planId: 'nope' }), 422, 'UNKNOWN_PLAN');
      expectProblem(await create('s3', { planId: 'starter-legacy' }), 422, 'PLAN_INACTIVE');
      expectProblem(await create('s3', { planId: 'free', startDate: new Date(Date.now() + 86_400_000).toISOString() }), 400, 'VALIDATION_FAILED');
      expectProblem(await create('s3', { planId: 'free', extra: 1 }), 400, 'VALIDATION_FAILED');
      expect(await count(db, "SELECT count(*) FROM subscriptions WHERE tenant_id = 's3'")).toBe(0);
    });

    it('allows one live subscription per tenant: 20 concurrent creates give exactly one 201', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => create('s4', { planId: 'business-monthly' })));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      results.filter((r) => r.status !== 201).forEach((r) => expectProblem(r, 409, 'SUBSCRIPTION_EXISTS'));
      expect(await count(db, "SELECT count(*) FROM subscriptions WHERE tenant_id = 's4' AND status <> 'canceled'")).toBe(1);
    });

    it('replays a create sent twice with the same Idempotency-Key', async () => {
      const a = await create('s5', { planId: 'free' }, { 'idempotency-key': 'sub-1' });
      const b = await create('s5', { planId: 'free' }, { 'idempotency-key': 'sub-1' });
      expect(b.status).toBe(201);
      expect(b.body.id).toBe(a.body.id);
      expect(b.headers.get('idempotent-replayed')).toBe('true');
      expect(await count(db, "SELECT count(*) FROM subscriptions WHERE tenant_id = 's5'")).toBe(1);
    });

    it('checks the tenant and the role', async () => {
      expectProblem(await request('POST', `${API}/tenants/s6/subscriptions`, { token: tenantAdmin('other'), body: { planId: 'free' } }), 403, 'FORBIDDEN');
      expectProblem(await request('POST', `${API}/tenants/s6/subscriptions`, { token: tenantViewer('s6'), body: { planId: 'free' } }), 403, 'FORBIDDEN');
    });
  });

  describe('GET', () => {
    it('answers 404 without a live subscription, and lists newest first', async () => {
      expectProblem(await request('GET', `${API}/tenants/g1/subscription`, { token: tenantViewer('g1') }), 404, 'NOT_FOUND');
      const first = (await create('g1', { planId: 'free' })).body;
      await act('g1', first.id, 'cancel', { atPeriodEnd: false });
      const second = (await create('g1', { planId: 'team-monthly', trial: false })).body;
      expect((await request('GET', `${API}/tenants/g1/subscription`, { token: tenantViewer('g1') })).body.id).toBe(second.id);
      const list = await request('GET', `${API}/tenants/g1/subscriptions?limit=1`, { token: tenantViewer('g1') });
      expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([second.id]);
      const next = await request('GET', `${API}/tenants/g1/subscriptions?limit=1&cursor=${list.body.nextCursor}`, { token: tenantViewer('g1') });
      expect(next.body).toMatchObject({ data: [expect.objectContaining({ id: first.id, status: 'canceled' })], nextCursor: null });
    });

    it("hides another tenant's subscription behind 404", async () => {
      const s = (await create('g2', { planId: 'free' })).body;
      expectProblem(await request('POST', `${API}/subscriptions/${s.id}/pause`, { token: tenantAdmin('g3'), body: {} }), 404, 'NOT_FOUND');
      expectProblem(await request('POST', `${API}/subscriptions/not-a-uuid/pause`, { token: tenantAdmin('g3'), body: {} }), 404, 'NOT_FOUND');
      expect((await request('POST', `${API}/subscriptions/${s.id}/pause`, { token: platformAdmin(), body: {} })).status).toBe(200);
    });
  });

  describe('change-plan', () => {
    it('prorates an immediate upgrade by the second: a credit and a charge pending for the next invoice', async () => {
      const s = (await create('c1', { planId: 'team-monthly', trial: false })).body;
      const res = await act('c1', s.id, 'change-plan', { planId: 'business-monthly', effective: 'immediately' });
      expect(res.status).toBe(200);
      expect(res.body.planId).toBe('business-monthly');
      const credit = res.body.pendingLines.find((l: { amountCents: number }) => l.amountCents < 0);
      const charge = res.body.pendingLines.find((l: { amountCents: number }) => l.amountCents > 0);
      expect(res.body.pendingLines).toHaveLength(2);
      // Recompute from the stored computations: each plan's fee × its active seconds / the period's seconds,
      // rounded once; the credit takes back what the base line charged the old plan past the change.
      const periodSeconds = (Date.parse(s.currentPeriodEnd) - Date.parse(s.currentPeriodStart)) / 1000;
      const c = credit.computation;
      expect(c.fullPeriodSeconds).toBe(periodSeconds);
      expect(c.chargedCents).toBe(4900);
      expect(c.usedCents).toBe(Math.round(new Dec('49').times(c.usedActiveSeconds).div(periodSeconds).times(100).toNumber()));
      expect(credit.amountCents).toBe(c.usedCents - 4900);
      expect(charge.computation.fullPeriodSeconds).toBe(periodSeconds);
      expect(charge.amountCents).toBe(Math.round(new Dec('499').times(charge.computation.activeSeconds).div(periodSeconds).times(100).toNumber()));
      expect(c.usedActiveSeconds + charge.computation.activeSeconds).toBe(periodSeconds);
      expect(credit.periodStart).toBe(charge.periodStart);
      expect(charge.periodEnd).toBe(s.currentPeriodEnd);
      expect(await count(db, "SELECT count(*) FROM subscription_plan_changes WHERE subscription_id = $1 AND from_plan_id = 'team-monthly' AND to_plan_id = 'business-monthly'", [s.id])).toBe(1);
    });

    it('schedules a change at period end', async () => {
      const s = (await create('c2', { planId: 'business-monthly' })).body;
      const res = await act('c2', s.id, 'change-plan', { planId: 'team-monthly', effective: 'period_end' });
      expect(res.body).toMatchObject({ planId: 'business-monthly', pendingChange: { planId: 'team-monthly', effectiveAt: s.currentPeriodEnd }, pendingLines: [] });
    });

    it('restarts the period at the change for a new interval and invoices the part before at once', async () => {
      const s = (await create('c3', { planId: 'team-monthly', trial: false, startDate: new Date(Date.now() - 3 * 86_400_000).toISOString() })).body;
      const before = Date.now();
      const res = await act('c3', s.id, 'change-plan', { planId: 'team-yearly', effective: 'immediately' });
      const after = Date.now();
      expect(res.body).toMatchObject({ planId: 'team-yearly', interval: 'year', pendingLines: [] });
      const start = Date.parse(res.body.currentPeriodStart);
      expect(start).toBeGreaterThanOrEqual(before);
      expect(start).toBeLessThanOrEqual(after);
      const end = new Date(start);
      end.setUTCFullYear(end.getUTCFullYear() + 1);
      expect(res.body.currentPeriodEnd).toBe(end.toISOString());
      expect(res.body.anchorDay).toBe(new Date(start).getUTCDate());
      const invoices = await db.query('SELECT status, period_start, period_end FROM invoices WHERE subscription_id = $1', [s.id]);
      expect(invoices.rows).toHaveLength(1);
      expect(invoices.rows[0]).toMatchObject({ status: 'open', period_start: new Date(s.currentPeriodStart), period_end: new Date(start) });
    });

    it('refuses another currency, unknown and inactive plans, and the same plan', async () => {
      const s = (await create('c4', { planId: 'business-monthly' })).body;
      expectProblem(await act('c4', s.id, 'change-plan', { planId: 'business-monthly-eur', effective: 'immediately' }), 422, 'CURRENCY_MISMATCH');
      expectProblem(await act('c4', s.id, 'change-plan', { planId: 'nope', effective: 'immediately' }), 422, 'UNKNOWN_PLAN');
      expectProblem(await act('c4', s.id, 'change-plan', { planId: 'starter-legacy', effective: 'immediately' }), 422, 'PLAN_INACTIVE');
      expectProblem(await act('c4', s.id, 'change-plan', { planId: 'business-monthly', effective: 'immediately' }), 409, 'INVALID_STATE');
      expectProblem(await act('c4', s.id, 'change-plan', { planId: 'team-monthly', effective: 'tomorrow' }), 400, 'VALIDATION_FAILED');
      expect(await count(db, 'SELECT count(*) FROM subscription_plan_changes WHERE subscription_id = $1', [s.id])).toBe(0);
    });
  });

  describe('cancel and reactivate', () => {
    it('cancels at period end, and reactivate undoes it', async () => {
      const s = (await create('r1', { planId: 'free' })).body;
      expect((await act('r1', s.id, 'cancel', {})).body).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
      expect((await act('r1', s.id, 'reactivate')).body).toMatchObject({ status: 'active', cancelAtPeriodEnd: false });
      expectProblem(await act('r1', s.id, 'reactivate'), 409, 'INVALID_STATE');
    });

    it('cancels now: the period ends now, and a new subscription may start', async () => {
      const s = (await create('r2', { planId: 'business-monthly' })).body;
      const res = await act('r2', s.id, 'cancel', { atPeriodEnd: false });
      expect(res.body).toMatchObject({ status: 'canceled' });
      expect(Math.abs(Date.parse(res.body.currentPeriodEnd) - Date.now())).toBeLessThan(60_000);
      expectProblem(await act('r2', s.id, 'cancel', { atPeriodEnd: false }), 409, 'INVALID_STATE');
      expect((await create('r2', { planId: 'free' })).status).toBe(201);
      expectProblem(await act('r2', s.id, 'reactivate'), 409, 'SUBSCRIPTION_EXISTS');
    });

    it('reactivates a canceled subscription whose last period is not invoiced: the period runs to its full end', async () => {
      const s = (await create('r3', { planId: 'business-monthly' })).body;
      await act('r3', s.id, 'cancel', { atPeriodEnd: false });
      const res = await act('r3', s.id, 'reactivate');
      expect(res.body).toMatchObject({ status: 'active', canceledAt: null, currentPeriodEnd: s.currentPeriodEnd });
    });
  });

  describe('pause and resume', () => {
    it('pauses, refuses a second pause, resumes', async () => {
      const s = (await create('p1', { planId: 'business-monthly' })).body;
      const resumesAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
      const paused = await act('p1', s.id, 'pause', { resumesAt });
      expect(paused.body.status).toBe('paused');
      expect(Date.parse(paused.body.resumesAt)).toBe(Date.parse(resumesAt));
      expect(paused.body.pausedAt).toEqual(expect.any(String));
      expectProblem(await act('p1', s.id, 'pause'), 409, 'INVALID_STATE');
      expectProblem(await act('p1', s.id, 'change-plan', { planId: 'team-monthly', effective: 'immediately' }), 409, 'INVALID_STATE');
      expect((await act('p1', s.id, 'resume')).body).toMatchObject({ status: 'active', pausedAt: null, resumesAt: null });
      expectProblem(await act('p1', s.id, 'resume'), 409, 'INVALID_STATE');
      const pauses = await db.query('SELECT resumed_at IS NOT NULL AS closed FROM subscription_pauses WHERE subscription_id = $1', [s.id]);
      expect(pauses.rows).toEqual([{ closed: true }]);
    });

    it('refuses to pause a trial or to resume in the past', async () => {
      const trial = (await create('p2', { planId: 'team-monthly' })).body;
      expectProblem(await act('p2', trial.id, 'pause'), 409, 'INVALID_STATE');
      expectProblem(await act('p2', trial.id, 'pause', { resumesAt: '2020-01-01T00:00:00Z' }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('discount and credits', () => {
    it('applies an ad-hoc discount and says which one it replaced', async () => {
      const s = (await create('d1', { planId: 'business-monthly' })).body;
      const first = await act('d1', s.id, 'discount', { percentOff: 20, duration: 'repeating', durationInPeriods: 3 });
      expect(first.status).toBe(200);
      expect(first.body.discount).toMatchObject({ source: 'ad_hoc', percentOff: '20', amountOffCents: null, duration: 'repeating', durationInPeriods: 3, periodsRemaining: 3 });
      expect(first.body.replacedDiscount).toBeNull();
      const second = await act('d1', s.id, 'discount', { amountOffCents: 1000, duration: 'once' });
      expect(second.body.discount).toMatchObject({ amountOffCents: 1000, currency: 'USD', periodsRemaining: 1 });
      expect(second.body.replacedDiscount).toMatchObject({ percentOff: '20' });
    });

    it.each([
      [{ percentOff: 20 }],
      [{ percentOff: 0, duration: 'once' }],
      [{ percentOff: 101, duration: 'once' }],
      [{ percentOff: 10, amountOffCents: 5, duration: 'once' }],
      [{ amountOffCents: 5, duration: 'repeating' }],
      [{ amountOffCents: 5, duration: 'once', durationInPeriods: 2 }],
      [{ amountOffCents: -5, duration: 'once' }],
    ])('refuses discount %j with 400', async (body) => {
      const s = (await request('GET', `${API}/tenants/d1/subscription`, { token: tenantViewer('d1') })).body;
      expectProblem(await act('d1', s.id, 'discount', body), 400, 'VALIDATION_FAILED');
    });

    it('grants credits into the ledger and derives the balance', async () => {
      const s = (await create('k1', { planId: 'business-monthly' })).body;
      const a = await act('k1', s.id, 'credits', { amountCents: 2500, reason: 'goodwill' });
      expect(a.status).toBe(201);
      expect(a.body).toMatchObject({ kind: 'grant', amountCents: 2500, currency: 'USD', creditBalanceCents: 2500, expiresAt: null });
      const b = await act('k1', s.id, 'credits', { amountCents: 500, reason: 'promo', expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
      expect(b.body.creditBalanceCents).toBe(3000);
      expect((await request('GET', `${API}/tenants/k1/subscription`, { token: tenantViewer('k1') })).body.creditBalanceCents).toBe(3000);
      expectProblem(await act('k1', s.id, 'credits', { amountCents: 0, reason: 'x' }), 400, 'VALIDATION_FAILED');
      expectProblem(await act('k1', s.id, 'credits', { amountCents: 1.5, reason: 'x' }), 400, 'VALIDATION_FAILED');
      expectProblem(await act('k1', s.id, 'credits', { amountCents: 5, reason: 'x', expiresAt: '2020-01-01T00:00:00Z' }), 400, 'VALIDATION_FAILED');
      expect(await count(db, 'SELECT count(*) FROM credit_entries WHERE subscription_id = $1', [s.id])).toBe(2);
    });

    it('honours expiry in the balance', async () => {
      const s = (await request('GET', `${API}/tenants/k1/subscription`, { token: tenantViewer('k1') })).body;
      await db.query("UPDATE credit_entries SET expires_at = now() - interval '1 second' WHERE subscription_id = $1 AND amount_cents = 500", [s.id]);
      expect((await request('GET', `${API}/tenants/k1/subscription`, { token: tenantViewer('k1') })).body.creditBalanceCents).toBe(2500);
    });
  });
});

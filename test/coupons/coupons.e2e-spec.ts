import { count } from '../support/db-client';
import { API, HttpResult, expectProblem } from '../support/http';
import { platformAdmin, serviceToken, tenantAdmin, tenantViewer } from '../support/tokens';
import { useApp } from '../support/suite';

describe('coupons', () => {
  const { request, db } = useApp();
  let seq = 0;

  /** A code no other test uses. */
  const code = (prefix = 'C') => `${prefix}${++seq}-${Date.now().toString(36)}`;
  const create = (body: object, token = platformAdmin(), headers?: Record<string, string>) =>
    request('POST', `${API}/coupons`, { token, body, headers });
  const percentCoupon = async (over: object = {}) => {
    const res = await create({ code: code(), name: 'Ten percent', percentOff: '10', duration: 'forever', ...over });
    expect(res.status).toBe(201);
    return res.body;
  };
  const validate = (body: object, token = tenantAdmin(String((body as { tenantId: string }).tenantId))) =>
    request('POST', `${API}/coupons/validate`, { token, body });
  const redeem = (body: { code: string; tenantId: string }, token = tenantAdmin(body.tenantId), headers?: Record<string, string>) =>
    request('POST', `${API}/coupons/redeem`, { token, body, headers });
  const deactivate = (id: string, token = platformAdmin()) => request('POST', `${API}/coupons/${id}/deactivate`, { token });

  /** A live subscription made in SQL (the subscriptions API is built elsewhere). */
  async function liveSubscription(tenantId: string, opts: { planId?: string; status?: string; discount?: object } = {}): Promise<string> {
    const planId = opts.planId ?? 'team-monthly';
    const [row] = (
      await db.query(
        `INSERT INTO subscriptions (tenant_id, plan_id, period_plan_id, status, interval, anchor_at, started_at, current_period_start,
           current_period_end, current_period_full_end, discount, canceled_at)
         VALUES ($1, $2, $2, $3, 'month', now(), now(), now(), now() + interval '1 month', now() + interval '1 month', $4,
           CASE WHEN $3 = 'canceled' THEN now() END)
         RETURNING id`,
        [tenantId, planId, opts.status ?? 'active', opts.discount ? JSON.stringify(opts.discount) : null],
      )
    ).rows;
    return row.id as string;
  }
  const discountOf = async (subscriptionId: string) => (await db.query('SELECT discount FROM subscriptions WHERE id = $1', [subscriptionId])).rows[0].discount;
  const timesRedeemed = async (id: string) => count(db, 'SELECT times_redeemed FROM coupons WHERE id = $1', [id]);


  describe('POST /coupons', () => {
    it('creates a percent-off coupon (201) with every optional field null', async () => {
      const c = code('Pct');
      const res = await create({ code: c, name: 'Launch', percentOff: 12.5, duration: 'once' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        code: c,
        name: 'Launch',
        percentOff: '12.5',
        amountOffCents: null,
        currency: null,
        duration: 'once',
        durationInPeriods: null,
        maxRedemptions: null,
        timesRedeemed: 0,
        redeemBy: null,
        appliesToPlans: null,
        active: true,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
    });

    it('creates an amount-off coupon with duration, limits, expiry and plans', async () => {
      const redeemBy = new Date(Date.now() + 86_400_000).toISOString();
      const res = await create({
        code: code('Amt'),
        name: '5 off',
        amountOffCents: 500,
        currency: 'USD',
        duration: 'repeating',
        durationInPeriods: 3,
        maxRedemptions: 10,
        redeemBy,
        appliesToPlans: ['team-monthly', 'team-yearly'],
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        percentOff: null,
        amountOffCents: 500,
        currency: 'USD',
        duration: 'repeating',
        durationInPeriods: 3,
        maxRedemptions: 10,
        timesRedeemed: 0,
        redeemBy,
        appliesToPlans: ['team-monthly', 'team-yearly'],
      });
      expect((await create({ code: code(), name: 'Pct str', percentOff: '33.3333', duration: 'forever' })).body.percentOff).toBe('33.3333');
    });

    it('refuses malformed terms with 400 and stores nothing', async () => {
      const before = await count(db, 'SELECT count(*) FROM coupons');
      const base = { name: 'Bad', duration: 'forever' };
      const cases: Array<[object, string]> = [
        [{ ...base, percentOff: '10', amountOffCents: 100, currency: 'USD' }, 'amountOffCents'],
        [{ ...base }, 'percentOff'],
        [{ ...base, percentOff: 0 }, 'percentOff'],
        [{ ...base, percentOff: '101' }, 'percentOff'],
        [{ ...base, percentOff: -5 }, 'percentOff'],
        [{ ...base, percentOff: '10.12345' }, 'percentOff'],
        [{ ...base, percentOff: true }, 'percentOff'],
        [{ ...base, amountOffCents: 100 }, 'currency'],
        [{ ...base, amountOffCents: 0, currency: 'USD' }, 'amountOffCents'],
        [{ ...base, amountOffCents: 1.5, currency: 'USD' }, 'amountOffCents'],
        [{ ...base, percentOff: '10', currency: 'USD' }, 'currency'],
        [{ ...base, amountOffCents: 100, currency: 'usd' }, 'currency'],
        [{ ...base, percentOff: '10', duration: 'repeating' }, 'durationInPeriods'],
        [{ ...base, percentOff: '10', duration: 'repeating', durationInPeriods: 121 }, 'durationInPeriods'],
        [{ ...base, percentOff: '10', duration: 'once', durationInPeriods: 2 }, 'durationInPeriods'],
        [{ ...base, percentOff: '10', duration: 'weekly' }, 'duration'],
        [{ ...base, percentOff: '10', maxRedemptions: 0 }, 'maxRedemptions'],
        [{ ...base, percentOff: '10', redeemBy: '2020-01-01T00:00:00Z' }, 'redeemBy'],
        [{ ...base, percentOff: '10', redeemBy: 'tomorrow' }, 'redeemBy'],
        [{ ...base, percentOff: '10', appliesToPlans: [] }, 'appliesToPlans'],
        [{ ...base, percentOff: '10', extra: 1 }, 'extra'],
        [{ ...base, percentOff: '10', name: '  ' }, 'name'],
      ];
      for (const [body, path] of cases) {
        const problem = expectProblem(await create({ code: code(), ...body }), 400, 'VALIDATION_FAILED');
        expect(problem.errors.map((e: { path: string }) => e.path)).toContain(path);
      }
      for (const bad of ['', 'has space', 'x'.repeat(65), 'dot.ted']) {
        expectProblem(await create({ ...base, code: bad, percentOff: '10' }), 400, 'VALIDATION_FAILED');
      }
      expect(await count(db, 'SELECT count(*) FROM coupons')).toBe(before);
    });

    it('answers 422 for a plan not in the catalog, or an amount off in another currency than a plan', async () => {
      const unknown = expectProblem(
        await create({ code: code(), name: 'X', percentOff: '5', duration: 'once', appliesToPlans: ['team-monthly', 'nope'] }),
        422,
        'UNKNOWN_PLAN',
      );
      expect(unknown.errors).toEqual([{ path: 'appliesToPlans[1]', message: expect.any(String) }]);
      expectProblem(
        await create({ code: code(), name: 'X', amountOffCents: 100, currency: 'EUR', duration: 'once', appliesToPlans: ['team-monthly'] }),
        422,
        'CURRENCY_MISMATCH',
      );
    });

    it('is for platform-admin only', async () => {
      const body = { code: code(), name: 'X', percentOff: '5', duration: 'once' };
      expectProblem(await create(body, tenantAdmin('t1')), 403, 'FORBIDDEN');
      expectProblem(await create(body, serviceToken()), 403, 'FORBIDDEN');
      expectProblem(await create(body, tenantViewer('t1')), 403, 'FORBIDDEN');
      expectProblem(await request('POST', `${API}/coupons`, { body }), 401, 'UNAUTHORIZED');
    });

    it('refuses a code taken in any case with 409 DUPLICATE_CODE', async () => {
      const c = code('Dup');
      await percentCoupon({ code: c.toUpperCase() });
      expectProblem(await create({ code: c.toLowerCase(), name: 'Again', percentOff: '5', duration: 'once' }), 409, 'DUPLICATE_CODE');
    });

    it('lets exactly one of two concurrent creates of SAVE10 and save10 through', async () => {
      const c = code('Race');
      const results = await Promise.all(
        [c.toUpperCase(), c.toLowerCase()].map((x) => create({ code: x, name: 'Race', percentOff: '10', duration: 'once' })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expectProblem(results.find((r) => r.status === 409)!, 409, 'DUPLICATE_CODE');
      expect(await count(db, 'SELECT count(*) FROM coupons WHERE lower(code) = lower($1)', [c])).toBe(1);
    });

    it('replays a create with the same Idempotency-Key and refuses the key with another body', async () => {
      const body = { code: code('Idem'), name: 'Idem', percentOff: '15', duration: 'forever' };
      const first = await create(body, platformAdmin(), { 'Idempotency-Key': `create-${body.code}` });
      const again = await create(body, platformAdmin(), { 'Idempotency-Key': `create-${body.code}` });
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await count(db, 'SELECT count(*) FROM coupons WHERE code = $1', [body.code])).toBe(1);
      expectProblem(
        await create({ ...body, percentOff: '16' }, platformAdmin(), { 'Idempotency-Key': `create-${body.code}` }),
        409,
        'IDEMPOTENCY_CONFLICT',
      );
    });
  });

  describe('GET /coupons and /coupons/:couponId', () => {
    it('lists newest first in pages that cover every coupon once', async () => {
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await percentCoupon()).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: HttpResult = await request('GET', `${API}/coupons?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: platformAdmin() });
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.data.map((c: { id: string }) => c.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBe(await count(db, 'SELECT count(*) FROM coupons'));
      // The five made last come first, newest first.
      expect(seen.slice(0, 5)).toEqual([...made].reverse());
    });

    it('filters by active', async () => {
      const gone = await percentCoupon();
      await deactivate(gone.id);
      const inactive = await request('GET', `${API}/coupons?active=false&limit=100`, { token: serviceToken() });
      expect(inactive.status).toBe(200);
      expect(inactive.body.data.map((c: { id: string }) => c.id)).toContain(gone.id);
      expect(inactive.body.data.every((c: { active: boolean }) => !c.active)).toBe(true);
      const active = await request('GET', `${API}/coupons?active=true&limit=100`, { token: serviceToken() });
      expect(active.body.data.map((c: { id: string }) => c.id)).not.toContain(gone.id);
      expect(active.body.data.every((c: { active: boolean }) => c.active)).toBe(true);
    });

    it('refuses bad query parameters and tenant roles', async () => {
      expectProblem(await request('GET', `${API}/coupons?active=maybe`, { token: platformAdmin() }), 400, 'VALIDATION_FAILED');
      expectProblem(await request('GET', `${API}/coupons?cursor=bm9wZQ`, { token: platformAdmin() }), 400, 'VALIDATION_FAILED');
      expectProblem(await request('GET', `${API}/coupons?limit=101`, { token: platformAdmin() }), 400, 'VALIDATION_FAILED');
      expectProblem(await request('GET', `${API}/coupons`, { token: tenantAdmin('t1') }), 403, 'FORBIDDEN');
    });

    it('gets one coupon; 404 for an unknown or malformed id; 403 for tenant roles', async () => {
      const c = await percentCoupon();
      const res = await request('GET', `${API}/coupons/${c.id}`, { token: serviceToken() });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(c);
      expectProblem(await request('GET', `${API}/coupons/00000000-0000-4000-8000-000000000000`, { token: platformAdmin() }), 404, 'NOT_FOUND');
      expectProblem(await request('GET', `${API}/coupons/not-a-uuid`, { token: platformAdmin() }), 404, 'NOT_FOUND');
      expectProblem(await request('GET', `${API}/coupons/${c.id}`, { token: tenantAdmin('t1') }), 403, 'FORBIDDEN');
    });
  });

  describe('POST /coupons/:couponId/deactivate', () => {
    it('answers 200 with the coupon inactive, and again unchanged', async () => {
      const c = await percentCoupon();
      const first = await deactivate(c.id);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ id: c.id, active: false });
      const again = await deactivate(c.id);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
    });

    it('is for platform-admin only; 404 for unknown and malformed ids', async () => {
      const c = await percentCoupon();
      expectProblem(await deactivate(c.id, tenantAdmin('t1')), 403, 'FORBIDDEN');
      expectProblem(await deactivate(c.id, serviceToken()), 403, 'FORBIDDEN');
      expect((await request('GET', `${API}/coupons/${c.id}`, { token: platformAdmin() })).body.active).toBe(true);
      expectProblem(await deactivate('00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
      expectProblem(await deactivate('nope'), 404, 'NOT_FOUND');
    });
  });

  describe('POST /coupons/validate', () => {
    it('says valid, case-insensitively, with the coupon and a null reason', async () => {
      const c = await percentCoupon({ code: code('Val').toUpperCase() });
      const res = await validate({ code: c.code.toLowerCase(), tenantId: 'val1' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ valid: true, reason: null, coupon: c });
      expect((await validate({ code: c.code, tenantId: 'val1' }, serviceToken())).body.valid).toBe(true);
    });

    it('gives NOT_FOUND with a null coupon', async () => {
      expect((await validate({ code: 'no-such-code', tenantId: 'val1' })).body).toEqual({ valid: false, reason: 'NOT_FOUND', coupon: null });
    });

    it('gives INACTIVE, then EXPIRED, then EXHAUSTED, then ALREADY_REDEEMED, in that order', async () => {
      const c = await percentCoupon({ maxRedemptions: 1 });
      await liveSubscription('val2');
      expect((await redeem({ code: c.code, tenantId: 'val2' })).status).toBe(201);
      // val2 redeemed it and it is exhausted: EXHAUSTED comes first, for val2 as for anyone.
      expect((await validate({ code: c.code, tenantId: 'val2' })).body).toMatchObject({ valid: false, reason: 'EXHAUSTED' });
      expect((await validate({ code: c.code, tenantId: 'val3' })).body).toMatchObject({ valid: false, reason: 'EXHAUSTED' });
      await db.query("UPDATE coupons SET redeem_by = now() - interval '1 second' WHERE id = $1", [c.id]);
      expect((await validate({ code: c.code, tenantId: 'val3' })).body).toMatchObject({ valid: false, reason: 'EXPIRED' });
      await deactivate(c.id);
      const res = await validate({ code: c.code, tenantId: 'val3' });
      expect(res.body).toMatchObject({ valid: false, reason: 'INACTIVE', coupon: { id: c.id, active: false } });

      const once = await percentCoupon();
      await liveSubscription('val4');
      await redeem({ code: once.code, tenantId: 'val4' });
      expect((await validate({ code: once.code, tenantId: 'val4' })).body).toMatchObject({ valid: false, reason: 'ALREADY_REDEEMED' });
      expect((await validate({ code: once.code, tenantId: 'val5' })).body).toMatchObject({ valid: true, reason: null });
    });

    it("gives NOT_APPLICABLE for planId, else the live subscription's plan, and for an amount off in another currency", async () => {
      const teamOnly = await percentCoupon({ appliesToPlans: ['team-monthly'] });
      expect((await validate({ code: teamOnly.code, tenantId: 'val6', planId: 'business-monthly' })).body.reason).toBe('NOT_APPLICABLE');
      expect((await validate({ code: teamOnly.code, tenantId: 'val6', planId: 'team-monthly' })).body.valid).toBe(true);
      // No planId and no live subscription: nothing to check the plan against.
      expect((await validate({ code: teamOnly.code, tenantId: 'val6' })).body.valid).toBe(true);
      await liveSubscription('val6', { planId: 'business-monthly' });
      expect((await validate({ code: teamOnly.code, tenantId: 'val6' })).body).toMatchObject({ valid: false, reason: 'NOT_APPLICABLE' });

      const usdOff = await percentCoupon({ percentOff: null, amountOffCents: 1000, currency: 'USD' });
      expect((await validate({ code: usdOff.code, tenantId: 'val6', planId: 'business-monthly-eur' })).body.reason).toBe('NOT_APPLICABLE');
      expect((await validate({ code: usdOff.code, tenantId: 'val6' })).body.valid).toBe(true);
    });

    it('refuses an unknown planId, bad bodies, other tenants and viewers', async () => {
      const c = await percentCoupon();
      expectProblem(await validate({ code: c.code, tenantId: 'val7', planId: 'nope' }), 422, 'UNKNOWN_PLAN');
      expectProblem(await validate({ code: c.code, tenantId: 'val7', extra: true }), 400, 'VALIDATION_FAILED');
      expectProblem(await validate({ tenantId: 'val7' }), 400, 'VALIDATION_FAILED');
      expectProblem(await validate({ code: c.code, tenantId: 'val8' }, tenantAdmin('val7')), 403, 'FORBIDDEN');
      expectProblem(await validate({ code: c.code, tenantId: 'val7' }, tenantViewer('val7')), 403, 'FORBIDDEN');
    });
  });

  describe('POST /coupons/redeem', () => {
    it("applies the coupon to the live subscription (201) and counts it", async () => {
      const c = await percentCoupon({ code: code('Red').toUpperCase(), duration: 'repeating', durationInPeriods: 3, maxRedemptions: 10 });
      const subscriptionId = await liveSubscription('red1');
      const res = await redeem({ code: c.code.toLowerCase(), tenantId: 'red1' });
      expect(res.status).toBe(201);
      const discount = {
        source: 'coupon',
        couponId: c.id,
        couponCode: c.code,
        percentOff: '10',
        amountOffCents: null,
        currency: null,
        duration: 'repeating',
        durationInPeriods: 3,
        periodsRemaining: 3,
        appliedAt: expect.any(String),
      };
      expect(res.body).toEqual({
        redemption: { id: expect.any(String), couponId: c.id, tenantId: 'red1', subscriptionId, createdAt: expect.any(String) },
        subscription: expect.objectContaining({ id: subscriptionId, tenantId: 'red1', planId: 'team-monthly', status: 'active', discount, currency: 'USD' }),
        replacedDiscount: null,
      });
      expect(await discountOf(subscriptionId)).toEqual(res.body.subscription.discount);
      expect(await timesRedeemed(c.id)).toBe(1);
      expect(await count(db, 'SELECT count(*) FROM coupon_redemptions WHERE coupon_id = $1', [c.id])).toBe(1);
    });

    it('replaces the discount the subscription had and reports it', async () => {
      const adHoc = {
        source: 'ad_hoc', couponId: null, couponCode: null, percentOff: '50', amountOffCents: null, currency: null,
        duration: 'forever', durationInPeriods: null, periodsRemaining: null, appliedAt: '2026-01-01T00:00:00.000Z',
      };
      const subscriptionId = await liveSubscription('red2', { discount: adHoc });
      const first = await percentCoupon({ percentOff: null, amountOffCents: 700, currency: 'USD', duration: 'once' });
      const one = await redeem({ code: first.code, tenantId: 'red2' });
      expect(one.status).toBe(201);
      expect(one.body.replacedDiscount).toEqual(adHoc);
      expect(one.body.subscription.discount).toMatchObject({ couponId: first.id, amountOffCents: 700, currency: 'USD', periodsRemaining: 1 });

      const second = await percentCoupon();
      const two = await redeem({ code: second.code, tenantId: 'red2' });
      expect(two.body.replacedDiscount).toEqual(one.body.subscription.discount);
      expect(await discountOf(subscriptionId)).toMatchObject({ couponId: second.id, duration: 'forever', periodsRemaining: null });
    });

    it('answers 404 for an unknown code and 409 INVALID_STATE for inactive or expired coupons', async () => {
      await liveSubscription('red3');
      expectProblem(await redeem({ code: 'never-made', tenantId: 'red3' }), 404, 'NOT_FOUND');
      const inactive = await percentCoupon();
      await deactivate(inactive.id);
      expect(expectProblem(await redeem({ code: inactive.code, tenantId: 'red3' }), 409, 'INVALID_STATE').reason).toBe('INACTIVE');
      const expired = await percentCoupon();
      await db.query("UPDATE coupons SET redeem_by = now() - interval '1 minute' WHERE id = $1", [expired.id]);
      expect(expectProblem(await redeem({ code: expired.code, tenantId: 'red3' }), 409, 'INVALID_STATE').reason).toBe('EXPIRED');
      expect(await count(db, "SELECT count(*) FROM coupon_redemptions WHERE tenant_id = 'red3'")).toBe(0);
    });

    it('answers 409 NO_LIVE_SUBSCRIPTION without one (a canceled one does not count)', async () => {
      const c = await percentCoupon();
      expectProblem(await redeem({ code: c.code, tenantId: 'red4' }), 409, 'NO_LIVE_SUBSCRIPTION');
      await liveSubscription('red4', { status: 'canceled' });
      expectProblem(await redeem({ code: c.code, tenantId: 'red4' }), 409, 'NO_LIVE_SUBSCRIPTION');
      expect(await timesRedeemed(c.id)).toBe(0);
    });

    it('answers 409 INVALID_STATE (NOT_APPLICABLE) for another plan, 422 CURRENCY_MISMATCH for another currency, and changes nothing', async () => {
      const subscriptionId = await liveSubscription('red5', { planId: 'business-monthly-eur' });
      const teamOnly = await percentCoupon({ appliesToPlans: ['team-monthly'] });
      const usdOff = await percentCoupon({ percentOff: null, amountOffCents: 100, currency: 'USD' });
      const problem = expectProblem(await redeem({ code: teamOnly.code, tenantId: 'red5' }), 409, 'INVALID_STATE');
      expect(problem).toMatchObject({ reason: 'NOT_APPLICABLE', detail: expect.stringContaining('NOT_APPLICABLE') });
      expect(expectProblem(await redeem({ code: usdOff.code, tenantId: 'red5' }), 422, 'CURRENCY_MISMATCH')).toMatchObject({ reason: 'NOT_APPLICABLE' });
      // The same through the subscription's discount route.
      expectProblem(
        await request('POST', `${API}/subscriptions/${subscriptionId}/discount`, { token: tenantAdmin('red5'), body: { couponCode: usdOff.code } }),
        422,
        'CURRENCY_MISMATCH',
      );
      for (const c of [teamOnly, usdOff]) expect(await timesRedeemed(c.id)).toBe(0);
      expect(await discountOf(subscriptionId)).toBeNull();
    });

    it('answers 409 ALREADY_REDEEMED the second time and 409 COUPON_EXHAUSTED past maxRedemptions', async () => {
      const c = await percentCoupon({ maxRedemptions: 2 });
      for (const tenant of ['red6', 'red7', 'red8']) await liveSubscription(tenant);
      expect((await redeem({ code: c.code, tenantId: 'red6' })).status).toBe(201);
      expectProblem(await redeem({ code: c.code, tenantId: 'red6' }), 409, 'ALREADY_REDEEMED');
      expect((await redeem({ code: c.code, tenantId: 'red7' })).status).toBe(201);
      expectProblem(await redeem({ code: c.code, tenantId: 'red8' }), 409, 'COUPON_EXHAUSTED');
      expect(await timesRedeemed(c.id)).toBe(2);
    });

    it('refuses other tenants, viewers, the service role and bad bodies', async () => {
      const c = await percentCoupon();
      await liveSubscription('red9');
      expectProblem(await redeem({ code: c.code, tenantId: 'red9' }, tenantAdmin('red10')), 403, 'FORBIDDEN');
      expectProblem(await redeem({ code: c.code, tenantId: 'red9' }, tenantViewer('red9')), 403, 'FORBIDDEN');
      expectProblem(await redeem({ code: c.code, tenantId: 'red9' }, serviceToken()), 403, 'FORBIDDEN');
      expectProblem(
        await request('POST', `${API}/coupons/redeem`, { token: tenantAdmin('red9'), body: { code: c.code, tenantId: 'red9', planId: 'x' } }),
        400,
        'VALIDATION_FAILED',
      );
      expect(await timesRedeemed(c.id)).toBe(0);
      // platform-admin may redeem for any tenant.
      expect((await redeem({ code: c.code, tenantId: 'red9' }, platformAdmin())).status).toBe(201);
    });

    it('replays a redeem with the same Idempotency-Key without redeeming twice', async () => {
      const c = await percentCoupon();
      await liveSubscription('red11');
      const headers = { 'Idempotency-Key': `redeem-${c.code}` };
      const first = await redeem({ code: c.code, tenantId: 'red11' }, tenantAdmin('red11'), headers);
      const again = await redeem({ code: c.code, tenantId: 'red11' }, tenantAdmin('red11'), headers);
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await timesRedeemed(c.id)).toBe(1);
      // Without the key, the same request is a second attempt.
      expectProblem(await redeem({ code: c.code, tenantId: 'red11' }), 409, 'ALREADY_REDEEMED');
    });
  });

  describe('through the subscriptions domain (discount with couponCode)', () => {
    const applyDiscount = (subscriptionId: string, couponCode: string, tenantId: string) =>
      request('POST', `${API}/subscriptions/${subscriptionId}/discount`, { token: tenantAdmin(tenantId), body: { couponCode } });

    it('redeems the coupon with the same rules and counts it', async () => {
      const c = await percentCoupon({ maxRedemptions: 1 });
      const subscriptionId = await liveSubscription('sub1');
      const res = await applyDiscount(subscriptionId, c.code.toLowerCase(), 'sub1');
      expect(res.status).toBe(200);
      expect(await discountOf(subscriptionId)).toMatchObject({ source: 'coupon', couponId: c.id });
      expect(await timesRedeemed(c.id)).toBe(1);
      expectProblem(await applyDiscount(subscriptionId, c.code, 'sub1'), 409, 'ALREADY_REDEEMED');
      expectProblem(await redeem({ code: c.code, tenantId: 'sub1' }), 409, 'ALREADY_REDEEMED');
    });

    it('takes the same locks in the same order as redeem: racing both paths gives one redemption, no deadlock', async () => {
      for (let i = 0; i < 5; i++) {
        const c = await percentCoupon();
        const tenantId = `sub-race-${i}`;
        const subscriptionId = await liveSubscription(tenantId);
        const results = await Promise.all([
          redeem({ code: c.code, tenantId }),
          applyDiscount(subscriptionId, c.code, tenantId),
          redeem({ code: c.code, tenantId }),
          applyDiscount(subscriptionId, c.code, tenantId),
        ]);
        expect(results.filter((r) => r.status === 200 || r.status === 201)).toHaveLength(1);
        for (const r of results.filter((x) => x.status >= 400)) expectProblem(r, 409, 'ALREADY_REDEEMED');
        expect(await timesRedeemed(c.id)).toBe(1);
      }
    });
  });

  describe('concurrency', () => {
    it('holds maxRedemptions: 20 tenants at once on a coupon of 5 give 5 × 201 and 15 × COUPON_EXHAUSTED', async () => {
      const c = await percentCoupon({ maxRedemptions: 5 });
      const tenants = Array.from({ length: 20 }, (_, i) => `race-${i}`);
      for (const tenant of tenants) await liveSubscription(tenant);
      const results = await Promise.all(tenants.map((tenantId) => redeem({ code: c.code, tenantId })));
      const created = results.filter((r) => r.status === 201);
      const refused = results.filter((r) => r.status !== 201);
      expect(created).toHaveLength(5);
      expect(refused).toHaveLength(15);
      for (const r of refused) expectProblem(r, 409, 'COUPON_EXHAUSTED');
      expect(await count(db, 'SELECT count(*) FROM coupon_redemptions WHERE coupon_id = $1', [c.id])).toBe(5);
      expect(await timesRedeemed(c.id)).toBe(5);
      expect(await count(db, "SELECT count(*) FROM subscriptions WHERE discount->>'couponId' = $1", [c.id])).toBe(5);
    });

    it('lets one tenant redeem once: 10 at once give one 201 and nine ALREADY_REDEEMED', async () => {
      const c = await percentCoupon();
      await liveSubscription('race-same');
      const results = await Promise.all(Array.from({ length: 10 }, () => redeem({ code: c.code, tenantId: 'race-same' })));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      const refused = results.filter((r) => r.status !== 201);
      expect(refused).toHaveLength(9);
      for (const r of refused) expectProblem(r, 409, 'ALREADY_REDEEMED');
      expect(await timesRedeemed(c.id)).toBe(1);
      expect(await count(db, 'SELECT count(*) FROM coupon_redemptions WHERE coupon_id = $1', [c.id])).toBe(1);
    });
  });
});

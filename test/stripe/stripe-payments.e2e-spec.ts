import { Client } from 'pg';
import { TestApp, bootApp } from '../support/app';
import { connect, count } from '../support/db-client';
import { API, expectProblem, httpClient } from '../support/http';
import { StripeStub, startStripeStub } from '../support/stripe-stub';
import { platformAdmin, tenantAdmin, tenantViewer } from '../support/tokens';
import { WEBHOOK_SECRET } from './stripe-events';

const URLS = { successUrl: 'https://app.example.com/billing/success', cancelUrl: 'https://app.example.com/billing' };

describe('Stripe checkout, portal and payment intents', () => {
  let stub: StripeStub;
  let t: TestApp;
  let db: Client;
  let request: ReturnType<typeof httpClient>;

  const checkout = (tenant: string, body: object = {}, headers: Record<string, string> = {}, token = tenantAdmin(tenant)) =>
    request('POST', `${API}/stripe/checkout`, { token, body: { tenantId: tenant, planId: 'business-monthly', ...URLS, ...body }, headers });
  const portal = (tenant: string, headers: Record<string, string> = {}) =>
    request('POST', `${API}/stripe/portal`, { token: tenantAdmin(tenant), body: { tenantId: tenant, returnUrl: 'https://app.example.com/billing' }, headers });
  const paymentIntent = (tenant: string, invoiceId: string, token = tenantAdmin(tenant)) =>
    request('POST', `${API}/invoices/${invoiceId}/payment-intent`, { token, body: {} });

  /** An open invoice (business-monthly: 499.00 base, nothing drawn) made through the API. */
  const openInvoice = async (tenant: string) => {
    expect((await request('POST', `${API}/tenants/${tenant}/subscriptions`, { token: tenantAdmin(tenant), body: { planId: 'business-monthly' } })).status).toBe(201);
    const draft = await request('POST', `${API}/tenants/${tenant}/invoices`, { token: tenantAdmin(tenant), body: {} });
    expect(draft.status).toBe(201);
    const open = await request('POST', `${API}/invoices/${draft.body.id}/finalize`, { token: tenantAdmin(tenant), body: {} });
    expect(open.body).toMatchObject({ status: 'open' });
    expect(open.body.amountDueCents).toBeGreaterThan(0);
    return open.body;
  };

  beforeAll(async () => {
    stub = await startStripeStub();
    t = await bootApp({ env: { ...stub.env(), STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, LOG_LEVEL: 'debug' } });
    request = httpClient(t.baseUrl);
    db = await connect(t.databaseUrl);
  });
  afterEach(() => stub.reset());
  afterAll(async () => {
    await db.end();
    await t.close();
    await stub.close();
  });

  describe('POST /stripe/checkout', () => {
    it("opens a subscription-mode session for the plan, on the tenant's customer, with tenant and plan in metadata", async () => {
      const res = await checkout('co1');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ sessionId: expect.stringMatching(/^cs_test_/), url: expect.stringMatching(/^https:\/\/checkout\.stripe\.test\//) });
      const session = stub.checkoutSessions.get(res.body.sessionId)!;
      const customer = (await db.query("SELECT customer_id FROM stripe_customers WHERE tenant_id = 'co1'")).rows[0].customer_id;
      expect(session).toMatchObject({
        mode: 'subscription',
        customer,
        success_url: URLS.successUrl,
        cancel_url: URLS.cancelUrl,
        metadata: { tenantId: 'co1', planId: 'business-monthly' },
        subscription_data: { metadata: { tenantId: 'co1', planId: 'business-monthly' } },
      });
      // 499.00 USD a month, as the catalog says.
      expect(session.line_items['0']).toMatchObject({ quantity: '1', price_data: { currency: 'usd', unit_amount: '49900', recurring: { interval: 'month' } } });
      const [sent] = stub.requestsTo('POST', '/v1/checkout/sessions').slice(-1);
      expect(sent.idempotencyKey).toMatch(/^checkout:co1:[0-9a-f]{40}$/);
    });

    it('passes the trial to Stripe for a plan with trial days', async () => {
      const res = await checkout('co1', { planId: 'team-monthly' });
      expect(stub.checkoutSessions.get(res.body.sessionId)!.subscription_data).toMatchObject({ trial_period_days: '14' });
    });

    it('answers 422 UNKNOWN_PLAN and PLAN_INACTIVE without calling Stripe', async () => {
      const before = stub.requests.length;
      expectProblem(await checkout('co2', { planId: 'nope' }), 422, 'UNKNOWN_PLAN');
      expectProblem(await checkout('co2', { planId: 'starter-legacy' }), 422, 'PLAN_INACTIVE');
      expect(stub.requests.length).toBe(before);
    });

    it("refuses another tenant (403), a viewer (403), no token (401) and a malformed body (400)", async () => {
      expectProblem(await checkout('co3', {}, {}, tenantAdmin('someone-else')), 403, 'FORBIDDEN');
      expectProblem(await checkout('co3', {}, {}, tenantViewer('co3')), 403, 'FORBIDDEN');
      expectProblem(await request('POST', `${API}/stripe/checkout`, { body: { tenantId: 'co3', planId: 'business-monthly', ...URLS } }), 401, 'UNAUTHORIZED');
      const bad = expectProblem(await checkout('co3', { successUrl: 'not a url', extra: 1 }), 400, 'VALIDATION_FAILED');
      expect(bad.errors.map((e: any) => e.path).sort()).toEqual(['extra', 'successUrl']);
      expect(await count(db, "SELECT count(*) FROM stripe_customers WHERE tenant_id = 'co3'")).toBe(0);
    });

    it('lets a platform-admin open a session for any tenant', async () => {
      expect((await checkout('co4', {}, {}, platformAdmin())).status).toBe(200);
    });

    it('replays a retried request with the same Idempotency-Key: one session in Stripe', async () => {
      const before = stub.checkoutSessions.size;
      const first = await checkout('co5', {}, { 'Idempotency-Key': 'checkout-co5-1' });
      const again = await checkout('co5', {}, { 'Idempotency-Key': 'checkout-co5-1' });
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(stub.checkoutSessions.size).toBe(before + 1);
    });

    it("retries a Stripe 500 with the same idempotency key and never makes two sessions", async () => {
      const before = stub.checkoutSessions.size;
      stub.fail({ path: '/v1/checkout/sessions', status: 500, type: 'api_error', message: 'Transient failure', retryable: true });
      const res = await checkout('co6');
      expect(res.status).toBe(200);
      const attempts = stub.requestsTo('POST', '/v1/checkout/sessions').slice(-2);
      expect(attempts.map((a) => a.status)).toEqual([500, 200]);
      expect(attempts[0].idempotencyKey).toBe(attempts[1].idempotencyKey);
      expect(stub.checkoutSessions.size).toBe(before + 1);
    });

    it("turns a Stripe error into 502 problem+json with Stripe's message, never 500", async () => {
      stub.fail({ path: '/v1/checkout/sessions', status: 500, type: 'api_error', message: 'Stripe is having a very bad day' });
      const body = expectProblem(await checkout('co7'), 502, 'STRIPE_ERROR');
      expect(body.detail).toBe('Stripe is having a very bad day');
      expect(body.stripe).toMatchObject({ type: 'api_error', statusCode: 500 });
      stub.fail({ path: '/v1/checkout/sessions', status: 400, type: 'invalid_request_error', message: 'Not a valid URL', code: 'url_invalid' });
      expect(expectProblem(await checkout('co7'), 502, 'STRIPE_ERROR')).toMatchObject({ detail: 'Not a valid URL', stripe: { code: 'url_invalid' } });
    });

    it('answers 502 when Stripe throttles us (429 rate_limit_error), storing nothing', async () => {
      stub.fail({ path: '/v1/customers', status: 429, type: 'rate_limit_error', message: 'Too many requests hit the API too quickly.' });
      expectProblem(await checkout('co8'), 502, 'STRIPE_ERROR');
      expect(await count(db, "SELECT count(*) FROM stripe_customers WHERE tenant_id = 'co8'")).toBe(0);
    });

    it('never echoes the API key Stripe quotes in an error, in the answer or the logs', async () => {
      stub.fail({ path: '/v1/customers', status: 401, type: 'authentication_error', message: 'Invalid API Key provided: sk_test_x' });
      const body = expectProblem(await checkout('co9'), 502, 'STRIPE_ERROR');
      expect(body.detail).toBe('Invalid API Key provided: [redacted key]');
      expect(t.logs.some((l) => l.includes('Invalid API Key provided: [redacted key]'))).toBe(true);
    });
  });

  describe('POST /stripe/portal', () => {
    it("opens a portal session for the tenant's customer", async () => {
      const res = await portal('po1');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ url: expect.stringMatching(/^https:\/\/billing\.stripe\.test\/p\/session\/bps_/) });
      const [sent] = stub.requestsTo('POST', '/v1/billing_portal/sessions').slice(-1);
      expect(sent.form).toMatchObject({ return_url: 'https://app.example.com/billing' });
      expect(sent.form.customer).toBe((await db.query("SELECT customer_id FROM stripe_customers WHERE tenant_id = 'po1'")).rows[0].customer_id);
      expect(sent.idempotencyKey).toMatch(/^portal:po1:/);
    });

    it('creates one customer when first calls race (slow Stripe, five at once)', async () => {
      stub.slow(250, '/v1/customers');
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => portal('po2', { 'Idempotency-Key': `po2-${i}` })));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const created = [...stub.customers.values()].filter((c) => c.metadata.tenantId === 'po2');
      expect(created).toHaveLength(1);
      const attempts = stub.requestsTo('POST', '/v1/customers').filter((r) => r.form['metadata[tenantId]'] === 'po2');
      expect(attempts.every((r) => r.idempotencyKey === 'customer:po2')).toBe(true);
      // They did race: Stripe answered 409 to keys in flight, the SDK retried and got the first customer back.
      expect(attempts.some((r) => r.status === 409)).toBe(true);
      expect(attempts.some((r) => r.replayed)).toBe(true);
      expect((await db.query("SELECT customer_id FROM stripe_customers WHERE tenant_id = 'po2'")).rows).toEqual([{ customer_id: created[0].id }]);
    });
  });

  describe('POST /invoices/:invoiceId/payment-intent', () => {
    let invoice: any;

    beforeAll(async () => {
      invoice = await openInvoice('pi1');
    });

    it('creates one for the amount due, stores it on the invoice, and reuses it on a second call', async () => {
      const res = await paymentIntent('pi1', invoice.id);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        paymentIntentId: expect.stringMatching(/^pi_/),
        clientSecret: expect.stringMatching(/_secret_/),
        amountCents: invoice.amountDueCents,
        currency: 'USD',
        invoiceId: invoice.id,
        status: 'requires_payment_method',
      });
      const [sent] = stub.requestsTo('POST', '/v1/payment_intents').slice(-1);
      expect(sent.idempotencyKey).toBe(`payment-intent:${invoice.id}:${invoice.amountDueCents}`);
      expect(sent.form).toMatchObject({ amount: String(invoice.amountDueCents), currency: 'usd', 'metadata[invoiceId]': invoice.id, 'metadata[tenantId]': 'pi1' });
      const stored = (await db.query('SELECT payment_intent_id, payment_intent_amount_cents FROM invoices WHERE id = $1', [invoice.id])).rows[0];
      expect(stored).toEqual({ payment_intent_id: res.body.paymentIntentId, payment_intent_amount_cents: String(invoice.amountDueCents) });

      const creates = stub.requestsTo('POST', '/v1/payment_intents').length;
      const again = await paymentIntent('pi1', invoice.id);
      expect(again.body).toEqual(res.body);
      expect(stub.requestsTo('POST', '/v1/payment_intents')).toHaveLength(creates);
    });

    it('recreates it when the amount due changed, canceling the stale one', async () => {
      const old = (await paymentIntent('pi1', invoice.id)).body;
      // Credit drawn after the intent was made: the invoice now owes 10.00 less.
      await db.query('UPDATE invoices SET credit_applied_cents = credit_applied_cents + 1000, amount_due_cents = amount_due_cents - 1000 WHERE id = $1', [invoice.id]);
      const res = await paymentIntent('pi1', invoice.id);
      expect(res.body.paymentIntentId).not.toBe(old.paymentIntentId);
      expect(res.body.amountCents).toBe(invoice.amountDueCents - 1000);
      expect(stub.paymentIntents.get(old.paymentIntentId)!.status).toBe('canceled');
      expect(stub.requestsTo('POST', `/v1/payment_intents/${old.paymentIntentId}/cancel`)[0].idempotencyKey).toBe(`cancel-payment-intent:${old.paymentIntentId}`);
      const [sent] = stub.requestsTo('POST', '/v1/payment_intents').slice(-1);
      expect(sent.idempotencyKey).toBe(`payment-intent:${invoice.id}:${invoice.amountDueCents - 1000}:replaces:${old.paymentIntentId}`);
      expect((await db.query('SELECT payment_intent_id FROM invoices WHERE id = $1', [invoice.id])).rows[0].payment_intent_id).toBe(res.body.paymentIntentId);
    });

    it('recreates it when it was canceled in Stripe', async () => {
      const old = (await paymentIntent('pi1', invoice.id)).body;
      stub.updatePaymentIntentDirectly(old.paymentIntentId, { status: 'canceled' });
      const res = await paymentIntent('pi1', invoice.id);
      expect(res.body.paymentIntentId).not.toBe(old.paymentIntentId);
      expect(res.body.amountCents).toBe(old.amountCents);
      expect(stub.requestsTo('POST', `/v1/payment_intents/${old.paymentIntentId}/cancel`)).toHaveLength(0);
    });

    it('replaces one Stripe no longer knows (404 resource_missing)', async () => {
      const old = (await paymentIntent('pi1', invoice.id)).body;
      stub.paymentIntents.delete(old.paymentIntentId);
      const res = await paymentIntent('pi1', invoice.id);
      expect(res.status).toBe(200);
      expect(res.body.paymentIntentId).not.toBe(old.paymentIntentId);
      expect(stub.paymentIntents.has(res.body.paymentIntentId)).toBe(true);
    });

    it('refuses draft, paid and void invoices (409 INVALID_STATE) without calling Stripe', async () => {
      expect((await request('POST', `${API}/tenants/pi2/subscriptions`, { token: tenantAdmin('pi2'), body: { planId: 'business-monthly' } })).status).toBe(201);
      const draft = (await request('POST', `${API}/tenants/pi2/invoices`, { token: tenantAdmin('pi2'), body: {} })).body;
      const before = stub.requests.length;
      expectProblem(await paymentIntent('pi2', draft.id), 409, 'INVALID_STATE');
      await request('POST', `${API}/invoices/${draft.id}/finalize`, { token: tenantAdmin('pi2'), body: {} });
      await db.query("UPDATE invoices SET status = 'paid', paid_at = now() WHERE id = $1", [draft.id]);
      expectProblem(await paymentIntent('pi2', draft.id), 409, 'INVALID_STATE');
      const other = await openInvoice('pi3');
      expect((await request('POST', `${API}/invoices/${other.id}/void`, { token: platformAdmin(), body: {} })).body.status).toBe('void');
      expectProblem(await paymentIntent('pi3', other.id), 409, 'INVALID_STATE');
      expect(stub.requests.length).toBe(before);
    });

    it("hides another tenant's invoice (404), refuses malformed ids (404) and viewers (403)", async () => {
      expectProblem(await paymentIntent('intruder', invoice.id), 404, 'NOT_FOUND');
      expectProblem(await paymentIntent('pi1', 'not-a-uuid'), 404, 'NOT_FOUND');
      expectProblem(await paymentIntent('pi1', invoice.id, tenantViewer('pi1')), 403, 'FORBIDDEN');
      expectProblem(await request('POST', `${API}/invoices/${invoice.id}/payment-intent`, { token: tenantAdmin('pi1'), body: { amount: 1 } }), 400, 'VALIDATION_FAILED');
    });

    it('answers a declined card (Stripe 402 card_error) with 422 UNPROCESSABLE carrying the decline', async () => {
      const inv = await openInvoice('pi4');
      stub.fail({ path: '/v1/payment_intents', status: 402, type: 'card_error', message: 'Your card was declined.', code: 'card_declined', declineCode: 'insufficient_funds' });
      const body = expectProblem(await paymentIntent('pi4', inv.id), 422, 'UNPROCESSABLE');
      expect(body).toMatchObject({ detail: 'Your card was declined.', stripe: { type: 'card_error', code: 'card_declined', declineCode: 'insufficient_funds', statusCode: 402 } });
      expect((await db.query('SELECT payment_intent_id FROM invoices WHERE id = $1', [inv.id])).rows[0].payment_intent_id).toBeNull();
    });
  });

  it('creates one Stripe customer per tenant across checkout, portal and payment intent, and keys every create', async () => {
    const inv = await openInvoice('cu1');
    expect((await checkout('cu1')).status).toBe(200);
    expect((await portal('cu1')).status).toBe(200);
    expect((await paymentIntent('cu1', inv.id)).status).toBe(200);
    const customerCreates = stub.requestsTo('POST', '/v1/customers').filter((r) => r.form['metadata[tenantId]'] === 'cu1');
    expect(customerCreates).toHaveLength(1);
    expect(customerCreates[0].idempotencyKey).toBe('customer:cu1');
    const customer = (await db.query("SELECT customer_id FROM stripe_customers WHERE tenant_id = 'cu1'")).rows[0].customer_id;
    const sessions = [...stub.checkoutSessions.values()].filter((s) => s.metadata.tenantId === 'cu1');
    expect(sessions.map((s) => s.customer)).toEqual([customer]);
    expect(stub.requestsTo('POST', /^\/v1\/payment_intents$/).slice(-1)[0].form.customer).toBe(customer);
    // Every create the SDK sent carried a key derived from our ids, never the SDK's random one.
    for (const r of stub.requests.filter((q) => q.method === 'POST')) expect(r.idempotencyKey).toMatch(/^(customer|checkout|portal|payment-intent|cancel-payment-intent):/);
  });

  it('keeps other JSON routes as they were (raw body kept for the webhook only matters there)', async () => {
    const malformed = await request('POST', `${API}/tenants/rb1/subscriptions`, { token: tenantAdmin('rb1'), rawBody: '{"planId": ', headers: { 'content-type': 'application/json' } });
    expectProblem(malformed, 400, 'VALIDATION_FAILED');
    const huge = await request('POST', `${API}/tenants/rb1/subscriptions`, { token: tenantAdmin('rb1'), rawBody: JSON.stringify({ planId: 'x'.repeat(1_100_000) }), headers: { 'content-type': 'application/json' } });
    expectProblem(huge, 413, 'PAYLOAD_TOO_LARGE');
    const poisoned = await request('POST', `${API}/tenants/rb1/subscriptions`, { token: tenantAdmin('rb1'), rawBody: '{"planId":"free","__proto__":{"x":1}}', headers: { 'content-type': 'application/json' } });
    expectProblem(poisoned, 400, 'VALIDATION_FAILED');
    const ok = await request('POST', `${API}/tenants/rb1/subscriptions`, { token: tenantAdmin('rb1'), body: { planId: 'free' } });
    expect(ok.status).toBe(201);
  });

  it('never writes the Stripe secret key or webhook secret to the logs', () => {
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.some((l) => l.includes('"context":"Stripe"'))).toBe(true); // Stripe failures were logged …
    expect(t.logs.filter((l) => /sk_test_|whsec_/.test(l))).toEqual([]); // … without any secret
  });
});

describe('Stripe when not configured', () => {
  let t: TestApp;
  let request: ReturnType<typeof httpClient>;

  beforeAll(async () => {
    t = await bootApp();
    request = httpClient(t.baseUrl);
  });
  afterAll(() => t.close());

  it('answers 503 STRIPE_NOT_CONFIGURED on checkout, portal, payment intent and webhook; the rest works', async () => {
    const token = tenantAdmin('nc1');
    expectProblem(await request('POST', `${API}/stripe/checkout`, { token, body: { tenantId: 'nc1', planId: 'business-monthly', ...URLS } }), 503, 'STRIPE_NOT_CONFIGURED');
    expectProblem(await request('POST', `${API}/stripe/portal`, { token, body: { tenantId: 'nc1', returnUrl: URLS.cancelUrl } }), 503, 'STRIPE_NOT_CONFIGURED');
    expectProblem(await request('POST', `${API}/invoices/8f0c3f7e-7a43-4d0e-9a55-3b8a3f0f2a11/payment-intent`, { token, body: {} }), 503, 'STRIPE_NOT_CONFIGURED');
    expectProblem(await request('POST', `${API}/stripe/webhook`, { body: { id: 'evt_1', type: 'ping' }, headers: { 'stripe-signature': 't=1,v1=00' } }), 503, 'STRIPE_NOT_CONFIGURED');
    // Auth still comes first.
    expectProblem(await request('POST', `${API}/stripe/checkout`, { body: { tenantId: 'nc1' } }), 401, 'UNAUTHORIZED');
    expect((await request('GET', `${API}/plans`, { token: tenantViewer('nc1') })).status).toBe(200);
    expect((await request('POST', `${API}/tenants/nc1/subscriptions`, { token, body: { planId: 'business-monthly' } })).status).toBe(201);
  });
});

import { Client } from 'pg';
import { TestApp, bootApp } from '../support/app';
import { connect, count } from '../support/db-client';
import { API, expectProblem, httpClient } from '../support/http';
import { StripeStub, startStripeStub } from '../support/stripe-stub';
import { tenantAdmin, tenantViewer } from '../support/tokens';
import { SignedEvent, WEBHOOK_SECRET, signedEvent } from './stripe-events';

describe('POST /stripe/webhook', () => {
  let stub: StripeStub;
  let t: TestApp;
  let db: Client;
  let request: ReturnType<typeof httpClient>;

  const deliver = (e: SignedEvent, headers: Record<string, string> = e.headers) => request('POST', `${API}/stripe/webhook`, { rawBody: e.payload, headers });
  const subscription = async (tenant: string) => (await request('GET', `${API}/tenants/${tenant}/subscription`, { token: tenantViewer(tenant) })).body;
  const invoiceRow = async (id: string) => (await db.query('SELECT status, paid_at, payment_intent_id FROM invoices WHERE id = $1', [id])).rows[0];

  /** An open invoice with its payment intent, made through the API: what Stripe's payment events are about. */
  const payable = async (tenant: string) => {
    expect((await request('POST', `${API}/tenants/${tenant}/subscriptions`, { token: tenantAdmin(tenant), body: { planId: 'business-monthly' } })).status).toBe(201);
    const draft = (await request('POST', `${API}/tenants/${tenant}/invoices`, { token: tenantAdmin(tenant), body: {} })).body;
    const invoice = (await request('POST', `${API}/invoices/${draft.id}/finalize`, { token: tenantAdmin(tenant), body: {} })).body;
    const pi = (await request('POST', `${API}/invoices/${invoice.id}/payment-intent`, { token: tenantAdmin(tenant), body: {} })).body;
    expect(pi.paymentIntentId).toMatch(/^pi_/);
    return { invoice, pi };
  };
  const intentEvent = (type: string, p: { invoice: any; pi: any }, extra: Record<string, unknown> = {}, opts: { id?: string; timestamp?: number } = {}) =>
    signedEvent(
      type,
      {
        id: p.pi.paymentIntentId,
        object: 'payment_intent',
        amount: p.pi.amountCents,
        amount_received: type === 'payment_intent.succeeded' ? p.pi.amountCents : 0,
        currency: 'usd',
        status: type === 'payment_intent.succeeded' ? 'succeeded' : 'requires_payment_method',
        metadata: { invoiceId: p.invoice.id, tenantId: p.invoice.tenantId },
        ...extra,
      },
      opts,
    );
  const checkoutCompleted = (tenant: string, planId: string, ids: { customer?: string; subscription?: string } = {}) =>
    signedEvent('checkout.session.completed', {
      id: `cs_test_${tenant}`,
      object: 'checkout.session',
      mode: 'subscription',
      status: 'complete',
      customer: ids.customer ?? `cus_${tenant}`,
      subscription: ids.subscription ?? `sub_${tenant}`,
      metadata: { tenantId: tenant, planId },
    });

  beforeAll(async () => {
    stub = await startStripeStub();
    t = await bootApp({ env: { ...stub.env(), STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, LOG_LEVEL: 'debug' } });
    request = httpClient(t.baseUrl);
    db = await connect(t.databaseUrl);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await stub.close();
  });

  describe('signature', () => {
    let p: { invoice: any; pi: any };

    beforeAll(async () => {
      p = await payable('sig1');
    });

    const refused = async (res: Awaited<ReturnType<typeof deliver>>, eventId: string) => {
      expectProblem(res, 400, 'INVALID_SIGNATURE');
      expect(await count(db, 'SELECT count(*) FROM stripe_events WHERE id = $1', [eventId])).toBe(0);
      expect((await invoiceRow(p.invoice.id)).status).toBe('open');
    };

    it('refuses a missing Stripe-Signature header (400 INVALID_SIGNATURE), changing nothing', async () => {
      const e = intentEvent('payment_intent.succeeded', p);
      await refused(await deliver(e, { 'content-type': 'application/json' }), e.id);
    });

    it('refuses a signature made with another secret', async () => {
      const e = signedEvent('payment_intent.succeeded', JSON.parse(intentEvent('payment_intent.succeeded', p).payload).data.object, { secret: 'whsec_not_ours' });
      await refused(await deliver(e), e.id);
    });

    it('refuses a stale signature (older than 300 s): no replay of captured events', async () => {
      const e = intentEvent('payment_intent.succeeded', p, {}, { timestamp: Math.floor(Date.now() / 1000) - 301 });
      const body = expectProblem(await deliver(e), 400, 'INVALID_SIGNATURE');
      expect(body.detail).toContain('300 s');
      await refused(await deliver(e), e.id);
    });

    it('refuses a body changed after signing, even only its whitespace (verified over the raw bytes)', async () => {
      const e = intentEvent('payment_intent.succeeded', p);
      await refused(await deliver({ ...e, payload: e.payload.replace(/\n\s*/g, '') }), e.id);
      await refused(await deliver({ ...e, payload: e.payload.replace('"usd"', '"eur"') }), e.id);
    });

    it('refuses garbage signatures and non-JSON bodies with 400, never 500', async () => {
      const e = intentEvent('payment_intent.succeeded', p);
      await refused(await deliver(e, { ...e.headers, 'stripe-signature': 'garbage' }), e.id);
      await refused(await deliver(e, { ...e.headers, 'content-type': 'text/plain' }), e.id);
      expectProblem(await request('POST', `${API}/stripe/webhook`, { rawBody: '{"id": ', headers: e.headers }), 400, 'VALIDATION_FAILED');
    });

    it('accepts the same event correctly signed', async () => {
      const res = await deliver(intentEvent('payment_intent.succeeded', p));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ received: true, duplicate: false, outcome: 'invoice_paid' });
    });
  });

  describe('payment_intent.succeeded', () => {
    it('marks the invoice paid at the time Stripe reports', async () => {
      const p = await payable('ps1');
      const at = Math.floor(Date.now() / 1000) - 60;
      expect((await deliver(intentEvent('payment_intent.succeeded', p, {}, { timestamp: at }))).body.outcome).toBe('invoice_paid');
      const row = await invoiceRow(p.invoice.id);
      expect(row.status).toBe('paid');
      expect(row.paid_at).toEqual(new Date(at * 1000));
      const api = (await request('GET', `${API}/invoices/${p.invoice.id}`, { token: tenantViewer('ps1') })).body;
      expect(api).toMatchObject({ status: 'paid', paidAt: new Date(at * 1000).toISOString() });
    });

    it('finds the invoice by metadata.invoiceId when the intent is not the stored one', async () => {
      const p = await payable('ps2');
      const e = intentEvent('payment_intent.succeeded', p, { id: 'pi_made_elsewhere' });
      expect((await deliver(e)).body.outcome).toBe('invoice_paid');
      expect(await invoiceRow(p.invoice.id)).toMatchObject({ status: 'paid', payment_intent_id: 'pi_made_elsewhere' });
    });

    it('does not mark paid for less than the amount due, nor for an unknown invoice', async () => {
      const p = await payable('ps3');
      expect((await deliver(intentEvent('payment_intent.succeeded', p, { amount_received: 100 }))).body.outcome).toMatch(/^ignored: received 100 USD/);
      expect((await invoiceRow(p.invoice.id)).status).toBe('open');
      const stray = signedEvent('payment_intent.succeeded', { id: 'pi_unknown', object: 'payment_intent', amount: 5, amount_received: 5, currency: 'usd', metadata: {} });
      expect((await deliver(stray)).body).toEqual({ received: true, duplicate: false, outcome: 'ignored: no invoice for this payment intent' });
    });
  });

  describe('exactly once', () => {
    it('processes a replayed event once: the second delivery is a duplicate and changes nothing', async () => {
      const p = await payable('once1');
      const e = intentEvent('payment_intent.succeeded', p);
      expect((await deliver(e)).body).toEqual({ received: true, duplicate: false, outcome: 'invoice_paid' });
      const paidAt = (await invoiceRow(p.invoice.id)).paid_at;
      expect((await deliver(e)).body).toEqual({ received: true, duplicate: true, outcome: 'invoice_paid' });
      expect((await invoiceRow(p.invoice.id)).paid_at).toEqual(paidAt);
      expect((await db.query('SELECT type, outcome, tenant_id, processed_at IS NOT NULL AS done FROM stripe_events WHERE id = $1', [e.id])).rows).toEqual([
        { type: 'payment_intent.succeeded', outcome: 'invoice_paid', tenant_id: 'once1', done: true },
      ]);
    });

    it('processes an event delivered 10 times at once exactly once', async () => {
      const e = checkoutCompleted('once2', 'business-monthly');
      const results = await Promise.all(Array.from({ length: 10 }, () => deliver(e)));
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(results.filter((r) => r.body.duplicate === false).map((r) => r.body.outcome)).toEqual(['subscription_created']);
      expect(results.filter((r) => r.body.duplicate === true)).toHaveLength(9);
      expect(await count(db, 'SELECT count(*) FROM stripe_events WHERE id = $1', [e.id])).toBe(1);
      expect(await count(db, "SELECT count(*) FROM subscriptions WHERE tenant_id = 'once2'")).toBe(1);
    });

    it('processes concurrent payment-failure duplicates once', async () => {
      const p = await payable('once3');
      const e = intentEvent('payment_intent.payment_failed', p);
      const results = await Promise.all(Array.from({ length: 10 }, () => deliver(e)));
      expect(results.filter((r) => r.body.duplicate === false).map((r) => r.body.outcome)).toEqual(['subscription_past_due']);
      expect(await count(db, 'SELECT count(*) FROM stripe_events WHERE id = $1', [e.id])).toBe(1);
    });
  });

  describe('payment_intent.payment_failed and out-of-order delivery', () => {
    it('puts the subscription past_due and leaves the invoice open; a later success makes it active and paid', async () => {
      const p = await payable('pf1');
      expect((await deliver(intentEvent('payment_intent.payment_failed', p))).body.outcome).toBe('subscription_past_due');
      expect((await subscription('pf1')).status).toBe('past_due');
      expect((await invoiceRow(p.invoice.id)).status).toBe('open');
      expect((await deliver(intentEvent('payment_intent.succeeded', p))).body.outcome).toBe('invoice_paid');
      expect((await subscription('pf1')).status).toBe('active');
      expect((await invoiceRow(p.invoice.id)).status).toBe('paid');
    });

    it('a failure delivered after the success undoes nothing and does not make the subscription past_due', async () => {
      const p = await payable('pf2');
      const failedFirst = Math.floor(Date.now() / 1000) - 30;
      const failed = intentEvent('payment_intent.payment_failed', p, {}, { timestamp: failedFirst });
      expect((await deliver(intentEvent('payment_intent.succeeded', p))).body.outcome).toBe('invoice_paid');
      expect((await deliver(failed)).body.outcome).toBe('ignored: invoice is already paid');
      expect((await invoiceRow(p.invoice.id)).status).toBe('paid');
      expect((await subscription('pf2')).status).toBe('active');
    });

    it('ignores the failure of a payment intent that has since been replaced', async () => {
      const p = await payable('pf3');
      const stale = intentEvent('payment_intent.payment_failed', p, { id: 'pi_replaced_long_ago' });
      expect((await deliver(stale)).body.outcome).toBe('ignored: the payment intent was replaced');
      expect((await subscription('pf3')).status).toBe('active');
    });
  });

  describe('checkout.session.completed', () => {
    it("creates the tenant's subscription from the metadata and stores the Stripe ids", async () => {
      expect((await deliver(checkoutCompleted('cc1', 'business-monthly'))).body.outcome).toBe('subscription_created');
      const sub = await subscription('cc1');
      expect(sub).toMatchObject({ planId: 'business-monthly', status: 'active' });
      expect((await db.query('SELECT stripe_customer_id, stripe_subscription_id FROM subscriptions WHERE id = $1', [sub.id])).rows[0]).toEqual({
        stripe_customer_id: 'cus_cc1',
        stripe_subscription_id: 'sub_cc1',
      });
      expect((await db.query("SELECT customer_id FROM stripe_customers WHERE tenant_id = 'cc1'")).rows).toEqual([{ customer_id: 'cus_cc1' }]);
    });

    it('stores the ids on the live subscription when there is one', async () => {
      const live = (await request('POST', `${API}/tenants/cc2/subscriptions`, { token: tenantAdmin('cc2'), body: { planId: 'team-monthly' } })).body;
      expect((await deliver(checkoutCompleted('cc2', 'business-monthly'))).body.outcome).toBe('subscription_linked');
      expect(await count(db, "SELECT count(*) FROM subscriptions WHERE tenant_id = 'cc2'")).toBe(1);
      expect((await db.query('SELECT plan_id, stripe_subscription_id FROM subscriptions WHERE id = $1', [live.id])).rows[0]).toEqual({ plan_id: 'team-monthly', stripe_subscription_id: 'sub_cc2' });
    });

    it('records a refusal (unknown plan) as rejected and answers 200 so Stripe stops retrying', async () => {
      const e = checkoutCompleted('cc3', 'no-such-plan');
      expect((await deliver(e)).body).toEqual({ received: true, duplicate: false, outcome: 'rejected: UNKNOWN_PLAN' });
      expect(await count(db, "SELECT count(*) FROM subscriptions WHERE tenant_id = 'cc3'")).toBe(0);
      // The rejected handler's writes were rolled back (the customer link too), the event is recorded.
      expect(await count(db, "SELECT count(*) FROM stripe_customers WHERE tenant_id = 'cc3'")).toBe(0);
      expect((await db.query('SELECT outcome FROM stripe_events WHERE id = $1', [e.id])).rows[0].outcome).toBe('rejected: UNKNOWN_PLAN');
    });
  });

  describe('customer.subscription.deleted', () => {
    it('cancels the linked live subscription now', async () => {
      await deliver(checkoutCompleted('sd1', 'business-monthly', { subscription: 'sub_sd1' }));
      const e = signedEvent('customer.subscription.deleted', { id: 'sub_sd1', object: 'subscription', customer: 'cus_sd1', status: 'canceled', metadata: {} });
      expect((await deliver(e)).body.outcome).toBe('subscription_canceled');
      const row = (await db.query("SELECT status, canceled_at FROM subscriptions WHERE tenant_id = 'sd1'")).rows[0];
      expect(row.status).toBe('canceled');
      expect(row.canceled_at.getTime()).toBeGreaterThan(Date.now() - 60_000);
    });

    it('leaves a subscription alone that is not linked to the deleted Stripe subscription', async () => {
      await deliver(checkoutCompleted('sd2', 'business-monthly', { subscription: 'sub_sd2' }));
      const e = signedEvent('customer.subscription.deleted', { id: 'sub_other', object: 'subscription', customer: 'cus_sd2', metadata: { tenantId: 'sd2' } });
      expect((await deliver(e)).body.outcome).toBe('ignored: no live subscription linked to sub_other');
      expect((await subscription('sd2')).status).toBe('active');
    });
  });

  it('acknowledges event types it does not handle with 200 { received: true }', async () => {
    const e = signedEvent('customer.updated', { id: 'cus_x', object: 'customer' });
    const res = await deliver(e);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, duplicate: false, outcome: 'ignored: type not handled' });
    expect((await db.query('SELECT type, outcome FROM stripe_events WHERE id = $1', [e.id])).rows).toEqual([{ type: 'customer.updated', outcome: 'ignored: type not handled' }]);
  });

  it('never writes the webhook secret or the API key to the logs', () => {
    expect(t.logs.some((l) => l.includes('"context":"StripeWebhook"'))).toBe(true);
    expect(t.logs.filter((l) => /sk_test_|whsec_/.test(l))).toEqual([]);
  });
});

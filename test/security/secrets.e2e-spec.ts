import * as jwt from 'jsonwebtoken';
import Stripe from 'stripe';
import { TestApp, bootApp } from '../support/app';
import { API, HttpResult, httpClient } from '../support/http';
import { StripeStub, startStripeStub } from '../support/stripe-stub';
import { token } from '../support/tokens';

const JWT_SECRET = 'jwt_secret_value_0123456789abcdef';
const STRIPE_SECRET_KEY = 'sk_test_secret123';
const STRIPE_WEBHOOK_SECRET = 'whsec_secret456';
const WEBHOOK_SIGNING_SECRET = 'sig_secret789';
const SECRETS = [JWT_SECRET, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET];

describe('no secret in any log line or response', () => {
  let stub: StripeStub;
  let t: TestApp;
  let request: ReturnType<typeof httpClient>;
  const responses: HttpResult[] = [];

  const call = async (method: string, path: string, opts: Parameters<typeof request>[2] = {}) => {
    const res = await request(method, path, opts);
    responses.push(res);
    return res;
  };

  beforeAll(async () => {
    stub = await startStripeStub(STRIPE_SECRET_KEY);
    t = await bootApp({
      env: {
        ...stub.env(),
        JWT_SECRET,
        STRIPE_WEBHOOK_SECRET,
        WEBHOOK_SIGNING_SECRET,
        LOG_LEVEL: 'debug',
      },
    });
    request = httpClient(t.baseUrl);
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  it('drives successful and failing requests, then finds no secret value anywhere', async () => {
    const admin = token({ tenantId: 'sec', roles: ['tenant-admin'], secret: JWT_SECRET });
    const platform = token({ tenantId: null, roles: ['platform-admin'], sub: 'admin', secret: JWT_SECRET });

    // Successes.
    expect((await call('GET', `${API}/plans`, { token: admin })).status).toBe(200);
    expect((await call('POST', `${API}/tenants/sec/subscriptions`, { token: admin, body: { planId: 'business-monthly' } })).status).toBe(201);
    expect((await call('POST', `${API}/tenants/sec/usage`, { token: admin, body: { metric: 'api.requests', quantity: 3 } })).status).toBeLessThan(500);
    const urls = { successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/no' };
    expect((await call('POST', `${API}/stripe/checkout`, { token: admin, body: { tenantId: 'sec', planId: 'business-monthly', ...urls } })).status).toBeLessThan(300);

    // Bad tokens: wrong key, expired, alg none, the secret itself as a bearer, garbage.
    const bad = [
      token({ tenantId: 'sec', secret: 'not-the-secret-0123456789abcdef' }),
      token({ tenantId: 'sec', secret: JWT_SECRET, expiresIn: -60 }),
      jwt.sign({ sub: 'x', roles: ['platform-admin'], exp: Math.floor(Date.now() / 1000) + 60 }, '', { algorithm: 'none' }),
      JWT_SECRET,
      STRIPE_SECRET_KEY,
      'a.b.c',
    ];
    for (const b of bad) expect((await call('GET', `${API}/plans`, { token: b })).status).toBe(401);
    expect((await call('GET', `${API}/plans`, { headers: { authorization: `Basic ${Buffer.from(`u:${JWT_SECRET}`).toString('base64')}` } })).status).toBe(401);
    expect((await call('GET', `${API}/coupons`, { token: admin })).status).toBe(403);

    // Stripe failing upstream, with the key in Stripe's own error message (the service must not relay it).
    stub.fail({ status: 401, type: 'authentication_error', message: `Invalid API Key provided: ${STRIPE_SECRET_KEY}`, times: 5 });
    const failed = await call('POST', `${API}/stripe/checkout`, { token: admin, body: { tenantId: 'other', planId: 'business-monthly', ...urls } });
    expect(failed.status).toBeGreaterThanOrEqual(400);
    const failed2 = await call('POST', `${API}/stripe/checkout`, { token: platform, body: { tenantId: 'sec2', planId: 'business-monthly', ...urls } });
    expect(failed2.status).toBeGreaterThanOrEqual(400);

    // Webhooks: missing, wrong and good signatures.
    const payload = JSON.stringify({ id: 'evt_sec_1', object: 'event', type: 'customer.created', created: Math.floor(Date.now() / 1000), data: { object: { id: 'cus_x', object: 'customer' } } });
    expect((await call('POST', `${API}/stripe/webhook`, { rawBody: payload, headers: { 'content-type': 'application/json' } })).status).toBe(400);
    const wrong = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_wrong' });
    expect((await call('POST', `${API}/stripe/webhook`, { rawBody: payload, headers: { 'content-type': 'application/json', 'stripe-signature': wrong } })).status).toBe(400);
    const good = Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_WEBHOOK_SECRET });
    expect((await call('POST', `${API}/stripe/webhook`, { rawBody: payload, headers: { 'content-type': 'application/json', 'stripe-signature': good } })).status).toBeLessThan(500);

    // Alert webhooks (signed with WEBHOOK_SIGNING_SECRET): a private URL is refused.
    expect((await call('POST', `${API}/realtime-cost/tenants/sec/alerts`, { token: admin, body: { name: 'a', type: 'threshold', thresholdCents: 100, webhookUrl: 'http://127.0.0.1:9/hook' } })).status).toBeLessThan(500);
    // Validation failures and malformed JSON.
    expect((await call('POST', `${API}/tenants/sec/usage`, { token: admin, rawBody: '{"metric":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await call('GET', `${API}/invoices/not-a-uuid`, { token: admin })).status).toBe(404);

    // Let the asynchronous pino sink flush.
    await new Promise((r) => setTimeout(r, 200));
    expect(t.logs.length).toBeGreaterThan(20);
    // LOG_LEVEL=debug adds a line per request (incoming and completed).
    expect(t.logs.some((l) => /incoming request/.test(l))).toBe(true);

    const leaks: string[] = [];
    for (const line of t.logs) {
      for (const s of SECRETS) if (line.includes(s)) leaks.push(`log: ${line.slice(0, 300)}`);
    }
    for (const res of responses) {
      const headers = [...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
      for (const s of SECRETS) {
        if (res.text.includes(s) || headers.includes(s)) leaks.push(`response ${res.status}: ${res.text.slice(0, 300)}`);
      }
    }
    expect(leaks).toEqual([]);
    // The Stripe failure was answered (502) without Stripe's message.
    expect(responses.filter((r) => r.status === 502).length).toBeGreaterThan(0);
  });
});

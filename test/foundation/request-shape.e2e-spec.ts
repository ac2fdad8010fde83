import { count } from '../support/db-client';
import { API, expectProblem } from '../support/http';
import { platformAdmin, serviceToken, tenantAdmin } from '../support/tokens';
import { useApp } from '../support/suite';

/** CONTRACT.md, Conventions and Settled details: what a request must look like, on every route. */
describe('request shape', () => {
  // Stripe configured (never reached: every Stripe request here fails validation first).
  const { request, db } = useApp({ env: { STRIPE_SECRET_KEY: 'sk_test_shape', STRIPE_API_HOST: '127.0.0.1', STRIPE_API_PORT: '9', STRIPE_API_PROTOCOL: 'http' } });
  const T = 'shape';
  let subscriptionId: string;
  let quotaId: string;
  let costCenterId: string;

  beforeAll(async () => {
    const s = await request('POST', `${API}/tenants/${T}/subscriptions`, { token: tenantAdmin(T), body: { planId: 'team-monthly', trial: false } });
    subscriptionId = s.body.id;
    const q = await request('POST', `${API}/quotas`, { token: tenantAdmin(T), body: { tenantId: T, metric: 'compute.cpu_hours', limit: 10, period: 'month', enforcement: 'soft' } });
    quotaId = q.body.id;
    const cc = await request('POST', `${API}/cost-centers`, { token: tenantAdmin(T), body: { tenantId: T, code: 'base', name: 'Base' } });
    costCenterId = cc.body.id;
    expect([s.status, q.status, cc.status]).toEqual([201, 201, 201]);
  });

  describe('unknown fields named like built-in properties', () => {
    const routes = (): Array<[string, string, object]> => [
      ['POST', `${API}/cost-centers`, { tenantId: T, code: 'x1', name: 'X' }],
      ['PUT', `${API}/cost-centers/${costCenterId}`, { name: 'Y' }],
      ['PUT', `${API}/quotas/${quotaId}`, { limit: 20 }],
      ['POST', `${API}/subscriptions/${subscriptionId}/credits`, { amountCents: 100, reason: 'r' }],
      ['POST', `${API}/subscriptions/${subscriptionId}/change-plan`, { planId: 'business-monthly', effective: 'period_end' }],
      ['POST', `${API}/subscriptions/${subscriptionId}/discount`, { percentOff: '10', duration: 'once' }],
      ['POST', `${API}/stripe/checkout`, { tenantId: T, planId: 'team-monthly', successUrl: 'https://example.com/ok', cancelUrl: 'https://example.com/no' }],
      ['POST', `${API}/stripe/portal`, { tenantId: T, returnUrl: 'https://example.com/back' }],
      ['POST', `${API}/realtime-cost/tenants/${T}/alerts`, { name: 'A', type: 'spend', thresholdCents: 100 }],
    ];

    it.each(['prototype', 'toString', 'constructor', 'valueOf', 'hasOwnProperty'])('refuses %s beside valid fields with 400 naming it, changing nothing', async (name) => {
      const before = await count(db, `SELECT (SELECT count(*) FROM cost_centers) + (SELECT count(*) FROM credit_entries) + (SELECT count(*) FROM cost_alerts)`);
      for (const [method, path, body] of routes()) {
        const res = await request(method, path, { token: tenantAdmin(T), rawBody: JSON.stringify({ ...body, [name]: 'x' }), headers: { 'content-type': 'application/json' } });
        const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(problem.errors).toEqual([expect.objectContaining({ path: name })]);
      }
      expect(await count(db, `SELECT (SELECT count(*) FROM cost_centers) + (SELECT count(*) FROM credit_entries) + (SELECT count(*) FROM cost_alerts)`)).toBe(before);
      const s = await request('GET', `${API}/tenants/${T}/subscription`, { token: tenantAdmin(T) });
      expect(s.body).toMatchObject({ pendingChange: null, discount: null });
    });

    it('refuses __proto__ with 400 naming it, at the top or nested, on Nest and hot routes', async () => {
      for (const [path, raw, where] of [
        [`${API}/cost-centers`, `{"tenantId":"${T}","code":"p1","name":"P","__proto__":{"x":1}}`, '__proto__'],
        [`${API}/cost-centers`, `{"tenantId":"${T}","code":"p2","name":"P","rules":[{"__proto__":{"x":1}}]}`, 'rules[0].__proto__'],
        [`${API}/tenants/${T}/usage`, `{"metric":"compute.cpu_hours","quantity":1,"properties":{"__proto__":"x"}}`, 'properties.__proto__'],
        [`${API}/tenants/${T}/usage`, `{"metric":"compute.cpu_hours","quantity":1,"constructor":{"prototype":{"x":1}}}`, 'constructor'],
      ] as const) {
        const res = await request('POST', path, { token: tenantAdmin(T), rawBody: raw, headers: { 'content-type': 'application/json' } });
        expect(expectProblem(res, 400, 'VALIDATION_FAILED').errors).toEqual([expect.objectContaining({ path: where })]);
      }
      expect(await count(db, `SELECT count(*) FROM cost_centers WHERE code IN ('p1', 'p2')`)).toBe(0);
      expect(await count(db, `SELECT count(*) FROM usage_events WHERE tenant_id = $1`, [T])).toBe(0);
    });
  });

  describe('media types', () => {
    it('answers 415 UNSUPPORTED_MEDIA_TYPE for a form body on usage and stores nothing', async () => {
      const res = await request('POST', `${API}/tenants/${T}/usage`, {
        token: serviceToken(),
        rawBody: 'metric=compute.cpu_hours&quantity=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await count(db, `SELECT count(*) FROM usage_events WHERE tenant_id = $1`, [T])).toBe(0);
    });

    it('answers 415 for JSON sent as text/plain, another charset, or without a content type', async () => {
      const body = JSON.stringify({ tenantId: T, code: 'm1', name: 'M' });
      for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/json; charset=latin1' }, { 'content-type': 'application/jsonx' }, {}] as Array<Record<string, string>>) {
        expectProblem(await request('POST', `${API}/cost-centers`, { token: tenantAdmin(T), rawBody: body, headers }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
      expect(await count(db, `SELECT count(*) FROM cost_centers WHERE code = 'm1'`)).toBe(0);
    });

    it('takes application/json with or without a UTF-8 charset, and actions without a body', async () => {
      for (const [code, type] of [['j1', 'application/json'], ['j2', 'application/json; charset=utf-8'], ['j3', 'Application/JSON;charset=UTF-8']]) {
        const res = await request('POST', `${API}/cost-centers`, { token: tenantAdmin(T), rawBody: JSON.stringify({ tenantId: T, code, name: 'J' }), headers: { 'content-type': type } });
        expect(res.status).toBe(201);
      }
      const usage = await request('POST', `${API}/tenants/${T}/usage`, { token: serviceToken(), rawBody: '{"metric":"compute.cpu_hours","quantity":"1"}', headers: { 'content-type': 'application/json; charset=utf-8' } });
      expect(usage.status).toBe(201);
      const noBody = await request('POST', `${API}/subscriptions/${subscriptionId}/reactivate`, { token: tenantAdmin(T) });
      expect(noBody.status).not.toBe(415);
    });
  });

  describe('numbers and caps', () => {
    const postUsage = (raw: string) => request('POST', `${API}/tenants/${T}-n/usage`, { token: serviceToken(), rawBody: raw, headers: { 'content-type': 'application/json' } });

    it('refuses a JSON number a double cannot hold as written, and stores a decimal string exactly', async () => {
      for (const [raw, path] of [
        ['{"metric":"compute.cpu_hours","quantity":9007199254740993}', 'quantity'],
        ['{"metric":"compute.cpu_hours","quantity":0.12345678901234567890}', 'quantity'],
        ['{"events":[{"metric":"compute.cpu_hours","quantity":1},{"metric":"compute.cpu_hours","quantity":12345678901234567}]}', 'events[1].quantity'],
      ]) {
        const res = raw.startsWith('{"events"')
          ? await request('POST', `${API}/tenants/${T}-n/usage/batch`, { token: serviceToken(), rawBody: raw, headers: { 'content-type': 'application/json' } })
          : await postUsage(raw);
        expect(expectProblem(res, 400, 'VALIDATION_FAILED').errors).toEqual([{ path, message: expect.stringContaining('send it as a decimal string') }]);
      }
      expect(await count(db, 'SELECT count(*) FROM usage_events WHERE tenant_id = $1', [`${T}-n`])).toBe(0);
      const exact = await postUsage('{"metric":"compute.cpu_hours","quantity":"9007199254740993.000000000001"}');
      expect(exact.status).toBe(201);
      expect(exact.body.quantity).toBe('9007199254740993.000000000001');
      expect((await postUsage('{"metric":"compute.cpu_hours","quantity":123456789.012345}')).body.quantity).toBe('123456789.012345');
    });

    it('refuses lossy numbers on other routes too (money in cents)', async () => {
      const res = await request('POST', `${API}/subscriptions/${subscriptionId}/credits`, {
        token: tenantAdmin(T),
        rawBody: '{"amountCents":9007199254740993,"reason":"r"}',
        headers: { 'content-type': 'application/json' },
      });
      expect(expectProblem(res, 400, 'VALIDATION_FAILED').errors).toEqual([expect.objectContaining({ path: 'amountCents' })]);
    });

    it('says what the cap of a property value is', async () => {
      const res = await postUsage(JSON.stringify({ metric: 'compute.cpu_hours', quantity: 1, properties: { note: 'x'.repeat(257) } }));
      expect(expectProblem(res, 400, 'VALIDATION_FAILED').errors).toEqual([{ path: 'properties.note', message: 'must be a string of at most 256 characters, a number, a boolean or null' }]);
    });
  });

  describe('malformed ids in a path', () => {
    it.each([`bad'quote`, 'semi;colon', 'with space', 'x'.repeat(3000), 'x'.repeat(65), 'dot.ted'])('answers 404 NOT_FOUND for tenant id %#', async (tenant) => {
      const path = `${API}/tenants/${encodeURIComponent(tenant)}`;
      for (const [method, url, token] of [
        ['GET', `${path}/subscription`, platformAdmin()],
        ['GET', `${path}/usage/summary`, serviceToken()],
        ['POST', `${path}/usage`, serviceToken()],
        ['GET', `${path}/quotas/check?metric=compute.cpu_hours&quantity=1`, serviceToken()],
        ['GET', `${API}/cost-centers/tenants/${encodeURIComponent(tenant)}`, platformAdmin()],
      ] as const) {
        const res = await request(method, url, { token, body: method === 'POST' ? { metric: 'compute.cpu_hours', quantity: 1 } : undefined });
        expectProblem(res, 404, 'NOT_FOUND');
      }
    });

    it('answers 404 NOT_FOUND for over-long and malformed resource ids', async () => {
      for (const id of ['x'.repeat(3000), 'not-a-uuid', '00000000-0000-4000-8000-00000000000g']) {
        for (const url of [`${API}/invoices/${id}`, `${API}/cost-centers/${id}`, `${API}/quotas/${id}`]) {
          expectProblem(await request('GET', url, { token: platformAdmin() }), 404, 'NOT_FOUND');
        }
      }
    });
  });
});

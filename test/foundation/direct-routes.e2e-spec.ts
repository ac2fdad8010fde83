import { API, expectProblem, httpClient } from '../support/http';
import { TestApp, bootApp } from '../support/app';
import { Client } from 'pg';
import { serviceToken, tenantAdmin, tenantViewer, token } from '../support/tokens';

const LIMIT = 4;

/**
 * The hot routes (POST …/usage, GET …/quotas/…/check) run without Nest's per-request pipeline
 * (src/common/http/direct-routes.ts). They must answer exactly as the Nest pipeline would:
 * the same guards in the same order (and the same instances: one rate-limit bucket per caller
 * across both kinds of route), the same parameter pipe, the same statuses, the same problem+json.
 */
describe('direct routes', () => {
  let t: TestApp;
  let request: ReturnType<typeof httpClient>;
  const usage = (tenant: string, tok: string | undefined, body: unknown = { metric: 'api.requests', quantity: '1' }) =>
    request('POST', `${API}/tenants/${tenant}/usage`, { token: tok, body });
  const check = (tenant: string, tok: string | undefined, query = 'metric=api.requests') => request('GET', `${API}/quotas/tenants/${tenant}/check?${query}`, { token: tok });

  beforeAll(async () => {
    t = await bootApp({ env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
    request = httpClient(t.baseUrl);
  });
  afterAll(() => t.close());

  it('are installed in place of the Nest handlers of the two hot routes', () => {
    const fastify = t.app.getHttpAdapter().getInstance() as unknown as { directRoutes: () => string[] };
    expect(fastify.directRoutes().sort()).toEqual([`GET /${API.slice(1)}/quotas/tenants/:tenantId/check`, `POST /${API.slice(1)}/tenants/:tenantId/usage`]);
  });

  it('answer 201 then 200 for a repeated event, and 200 for a check, with the headers every route carries', async () => {
    const first = await usage('dr1', serviceToken(), { eventId: 'e-1', metric: 'api.requests', quantity: '2' });
    expect(first.status).toBe(201);
    expect(first.body).toEqual(expect.objectContaining({ eventId: 'e-1', duplicate: false }));
    const again = await usage('dr1', serviceToken(), { eventId: 'e-1', metric: 'api.requests', quantity: '2' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(expect.objectContaining({ eventId: 'e-1', duplicate: true }));
    const res = await check('dr1', serviceToken());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ allowed: true, items: [] });
    for (const r of [first, res]) {
      expect(r.headers.get('x-request-id')).toEqual(expect.any(String));
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });

  it('refuse a missing, forged or expired token with 401 and store nothing', async () => {
    for (const tok of [undefined, token({ tenantId: 'dr2', secret: 'another-secret-0123456789-abcdefgh' }), token({ tenantId: 'dr2', expiresIn: -10 })]) {
      expectProblem(await usage('dr2', tok), 401, 'UNAUTHORIZED');
      expectProblem(await check('dr2', tok), 401, 'UNAUTHORIZED');
    }
    const db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query("SELECT count(*)::int AS n FROM usage_events WHERE tenant_id = 'dr2'");
      expect(rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
  });

  it("refuse another tenant's caller and a role without access with 403", async () => {
    expectProblem(await usage('dr3', tenantAdmin('someone-else')), 403, 'FORBIDDEN');
    expectProblem(await usage('dr3', tenantViewer('dr3')), 403, 'FORBIDDEN');
    expectProblem(await check('dr3', tenantViewer('someone-else')), 403, 'FORBIDDEN');
  });

  it('validate the tenant id and the body or query as the Nest route did', async () => {
    // A malformed id in a path names no resource: 404 (CONTRACT.md, Settled details).
    const bad = expectProblem(await usage('bad%20tenant', serviceToken()), 404, 'NOT_FOUND');
    expect(bad.instance).toBe(`${API}/tenants/bad%20tenant/usage`);
    expect(bad.requestId).toEqual(expect.any(String));
    expectProblem(await usage('dr4', serviceToken(), { metric: 'api.requests', quantity: '-1' }), 400, 'VALIDATION_FAILED');
    expectProblem(await usage('dr4', serviceToken(), { metric: 'no.such.metric', quantity: '1' }), 422, 'UNKNOWN_METRIC');
    expectProblem(await check('dr4', serviceToken(), 'metric=no.such.metric'), 422, 'UNKNOWN_METRIC');
    expectProblem(await check('dr4', serviceToken(), 'quantity=1'), 400, 'VALIDATION_FAILED');
  });

  it('share the rate-limit buckets with the Nest routes (the same guard instance)', async () => {
    const caller = tenantAdmin('dr5');
    // LIMIT requests in all, spread over a Nest route and both direct routes, then 429 on each.
    expect((await request('GET', `${API}/cost-centers/tenants/dr5`, { token: caller })).status).toBe(200);
    expect((await usage('dr5', caller)).status).toBe(201);
    expect((await check('dr5', caller)).status).toBe(200);
    expect((await request('GET', `${API}/cost-centers/tenants/dr5`, { token: caller })).status).toBe(200);
    const limited = await usage('dr5', caller);
    expectProblem(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expectProblem(await check('dr5', caller), 429, 'RATE_LIMITED');
    expectProblem(await request('GET', `${API}/cost-centers/tenants/dr5`, { token: caller }), 429, 'RATE_LIMITED');
  });
});

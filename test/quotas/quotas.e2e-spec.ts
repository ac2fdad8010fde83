import { count } from '../support/db-client';
import { API, expectProblem } from '../support/http';
import { platformAdmin, serviceToken, tenantAdmin, tenantViewer } from '../support/tokens';
import { useApp } from '../support/suite';

describe('quotas', () => {
  const { request, db } = useApp();
  const create = (body: object, token = tenantAdmin('q1')) => request('POST', `${API}/quotas`, { token, body });
  const check = (tenant: string, query: string, token = serviceToken()) => request('GET', `${API}/quotas/tenants/${tenant}/check?${query}`, { token });
  const record = (tenant: string, body: object) => request('POST', `${API}/tenants/${tenant}/usage`, { token: serviceToken(), body });


  describe('POST /quotas', () => {
    it('creates a quota (201) with decimal strings and nulls', async () => {
      const res = await create({ tenantId: 'q1', metric: 'compute.cpu_hours', limit: 10, period: 'month', enforcement: 'hard' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        tenantId: 'q1',
        metric: 'compute.cpu_hours',
        limit: '10',
        period: 'month',
        enforcement: 'hard',
        costCenterId: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
    });

    it('refuses bad input with 400 and stores nothing', async () => {
      const before = await count(db, 'SELECT count(*) FROM quotas');
      for (const body of [
        { tenantId: 'q1', metric: 'compute.cpu_hours', limit: -1, period: 'month', enforcement: 'hard' },
        { tenantId: 'q1', metric: 'compute.cpu_hours', limit: '1.5.5', period: 'month', enforcement: 'hard' },
        { tenantId: 'q1', metric: 'compute.cpu_hours', limit: 1, period: 'week', enforcement: 'hard' },
        { tenantId: 'q1', metric: 'compute.cpu_hours', limit: 1, period: 'month', enforcement: 'strict' },
        { tenantId: 'q1', metric: 'compute.cpu_hours', limit: 1, period: 'month', enforcement: 'hard', extra: true },
        { tenantId: 'q1', metric: 'compute.cpu_hours', limit: 1, period: 'month' },
      ]) {
        expectProblem(await create(body), 400, 'VALIDATION_FAILED');
      }
      expect(await count(db, 'SELECT count(*) FROM quotas')).toBe(before);
    });

    it('answers 422 for an unknown metric or cost center', async () => {
      expectProblem(await create({ tenantId: 'q1', metric: 'nope', limit: 1, period: 'day', enforcement: 'soft' }), 422, 'UNKNOWN_METRIC');
      const [cc] = (await db.query("INSERT INTO cost_centers (tenant_id, code, name) VALUES ('q-other', 'c', 'C') RETURNING id")).rows;
      expectProblem(await create({ tenantId: 'q1', metric: 'api.requests', limit: 1, period: 'day', enforcement: 'soft', costCenterId: cc.id }), 422, 'UNKNOWN_COST_CENTER');
    });

    it('answers 403 for another tenant in the body and for viewers', async () => {
      expectProblem(await create({ tenantId: 'q2', metric: 'api.requests', limit: 1, period: 'day', enforcement: 'soft' }), 403, 'FORBIDDEN');
      expectProblem(await create({ tenantId: 'q1', metric: 'api.requests', limit: 1, period: 'day', enforcement: 'soft' }, tenantViewer('q1')), 403, 'FORBIDDEN');
    });
  });

  describe('GET /quotas/tenants/:tenantId/check', () => {
    it('reports used, remaining and utilization from committed usage, hard and soft', async () => {
      const hard = (await create({ tenantId: 'q3', metric: 'compute.cpu_hours', limit: '10', period: 'month', enforcement: 'hard' }, platformAdmin())).body;
      const soft = (await create({ tenantId: 'q3', metric: 'compute.cpu_hours', limit: '5', period: 'day', enforcement: 'soft' }, platformAdmin())).body;
      await record('q3', { metric: 'compute.cpu_hours', quantity: '4' });
      await record('q3', { metric: 'compute.cpu_hours', quantity: '2.5' });
      const res = await check('q3', 'metric=compute.cpu_hours&quantity=3');
      expect(res.status).toBe(200);
      expect(res.body.allowed).toBe(true);
      const now = new Date();
      const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
      const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
      expect(res.body.items).toEqual([
        expect.objectContaining({ quotaId: hard.id, limit: '10', used: '6.5', remaining: '3.5', utilization: 0.65, enforcement: 'hard', period: 'month', periodStart: monthStart }),
        expect.objectContaining({ quotaId: soft.id, limit: '5', used: '6.5', remaining: '0', utilization: 1.3, enforcement: 'soft', period: 'day', periodStart: dayStart }),
      ]);
      // 6.5 + 3.5 = 10 is at the limit; 3.6 more would pass it.
      expect((await check('q3', 'metric=compute.cpu_hours&quantity=3.5')).body.allowed).toBe(true);
      expect((await check('q3', 'metric=compute.cpu_hours&quantity=3.6')).body.allowed).toBe(false);
    });

    it('never refuses usage because of a quota; the ingest answer carries the state', async () => {
      const res = await record('q3', { metric: 'compute.cpu_hours', quantity: '20' });
      expect(res.status).toBe(201);
      expect(res.body.quota.allowed).toBe(false);
      expect(res.body.quota.items[0]).toMatchObject({ used: '26.5', remaining: '0' });
    });

    it('allows when only soft quotas are exceeded, and with no quota at all', async () => {
      await create({ tenantId: 'q4', metric: 'api.requests', limit: '1', period: 'day', enforcement: 'soft' }, platformAdmin());
      await record('q4', { metric: 'api.requests', quantity: 1 });
      await record('q4', { metric: 'api.requests', quantity: 1 });
      expect((await check('q4', 'metric=api.requests&quantity=1')).body).toMatchObject({ allowed: true, items: [expect.objectContaining({ used: '2', utilization: 2 })] });
      expect((await check('q5', 'metric=api.requests')).body).toEqual({ allowed: true, items: [] });
    });

    it('counts by the metric aggregation (max) and only the quota cost center', async () => {
      const [cc] = (await db.query("INSERT INTO cost_centers (tenant_id, code, name) VALUES ('q6', 'eng', 'Eng') RETURNING id")).rows;
      await create({ tenantId: 'q6', metric: 'cluster.peak_nodes', limit: '8', period: 'month', enforcement: 'hard', costCenterId: cc.id }, platformAdmin());
      await record('q6', { metric: 'cluster.peak_nodes', quantity: 6, costCenterId: cc.id });
      await record('q6', { metric: 'cluster.peak_nodes', quantity: 12 });
      const res = await check('q6', 'metric=cluster.peak_nodes&quantity=7');
      expect(res.body).toMatchObject({ allowed: true, items: [expect.objectContaining({ used: '6', costCenterId: cc.id })] });
      expect((await check('q6', 'metric=cluster.peak_nodes&quantity=9')).body.allowed).toBe(false);
    });

    it('refuses bad parameters and other tenants', async () => {
      expectProblem(await check('q3', 'metric=nope'), 422, 'UNKNOWN_METRIC');
      expectProblem(await check('q3', 'quantity=1'), 400, 'VALIDATION_FAILED');
      expectProblem(await check('q3', 'metric=api.requests&quantity=-1'), 400, 'VALIDATION_FAILED');
      expectProblem(await check('q3', 'metric=api.requests', tenantViewer('q4')), 403, 'FORBIDDEN');
      expect((await check('q3', 'metric=api.requests', tenantViewer('q3'))).status).toBe(200);
    });
  });

  describe('list, update, delete', () => {
    let id: string;
    beforeAll(async () => {
      id = (await create({ tenantId: 'q7', metric: 'api.requests', limit: '100', period: 'day', enforcement: 'soft' }, tenantAdmin('q7'))).body.id;
      await create({ tenantId: 'q7', metric: 'compute.cpu_hours', limit: '1', period: 'month', enforcement: 'hard' }, tenantAdmin('q7'));
      await create({ tenantId: 'q7', metric: 'storage.gb_months', limit: '1', period: 'billing_period', enforcement: 'hard' }, tenantAdmin('q7'));
    });

    it('lists a tenant quotas oldest first, paged', async () => {
      const first = await request('GET', `${API}/quotas/tenants/q7?limit=2`, { token: tenantViewer('q7') });
      expect(first.body.data.map((q: { metric: string }) => q.metric)).toEqual(['api.requests', 'compute.cpu_hours']);
      const second = await request('GET', `${API}/quotas/tenants/q7?limit=2&cursor=${first.body.nextCursor}`, { token: tenantViewer('q7') });
      expect(second.body).toEqual({ data: [expect.objectContaining({ metric: 'storage.gb_months', period: 'billing_period' })], nextCursor: null });
    });

    it('updates partially and refuses immutable fields', async () => {
      const res = await request('PUT', `${API}/quotas/${id}`, { token: tenantAdmin('q7'), body: { limit: 250, enforcement: 'hard' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, limit: '250', enforcement: 'hard', period: 'day', metric: 'api.requests' });
      expectProblem(await request('PUT', `${API}/quotas/${id}`, { token: tenantAdmin('q7'), body: { tenantId: 'q7' } }), 400, 'VALIDATION_FAILED');
      expectProblem(await request('PUT', `${API}/quotas/${id}`, { token: tenantAdmin('q7'), body: { tenantId: 'q8' } }), 400, 'VALIDATION_FAILED');
      expectProblem(await request('PUT', `${API}/quotas/${id}`, { token: tenantAdmin('q7'), body: { metric: 'compute.cpu_hours' } }), 400, 'VALIDATION_FAILED');
    });

    it("answers 404 for another tenant's quota, a malformed id and an unknown id", async () => {
      expectProblem(await request('PUT', `${API}/quotas/${id}`, { token: tenantAdmin('q8'), body: { limit: 1 } }), 404, 'NOT_FOUND');
      expectProblem(await request('DELETE', `${API}/quotas/${id}`, { token: tenantAdmin('q8') }), 404, 'NOT_FOUND');
      expectProblem(await request('DELETE', `${API}/quotas/not-a-uuid`, { token: tenantAdmin('q7') }), 404, 'NOT_FOUND');
      expectProblem(await request('DELETE', `${API}/quotas/00000000-0000-4000-8000-000000000000`, { token: tenantAdmin('q7') }), 404, 'NOT_FOUND');
      expect((await db.query('SELECT "limit"::text FROM quotas WHERE id = $1', [id])).rows).toEqual([{ limit: '250' }]);
    });

    it('deletes (204)', async () => {
      const res = await request('DELETE', `${API}/quotas/${id}`, { token: tenantAdmin('q7') });
      expect(res.status).toBe(204);
      expect(await count(db, 'SELECT count(*) FROM quotas WHERE id = $1', [id])).toBe(0);
    });
  });
});

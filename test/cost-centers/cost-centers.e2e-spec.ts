import { Client } from 'pg';
import { CostCentersService } from '../../src/cost-centers/cost-centers.service';
import { TestApp, bootApp } from '../support/app';
import { API, HttpResult, expectProblem, httpClient } from '../support/http';
import { platformAdmin, serviceToken, tenantAdmin, tenantViewer } from '../support/tokens';

const UNKNOWN_ID = '2f1c7a52-0d0b-4c7e-9a55-3b1d7e0c9f10';

describe('cost centers', () => {
  let t: TestApp;
  let request: ReturnType<typeof httpClient>;
  let db: Client;
  let seq = 0;

  /** Creates a cost center as the tenant's admin; fails the test unless it is 201. */
  async function create(tenantId: string, body: Record<string, unknown> = {}): Promise<any> {
    const res = await request('POST', `${API}/cost-centers`, {
      token: tenantAdmin(tenantId),
      body: { tenantId, code: `cc-${++seq}`, name: `Cost center ${seq}`, ...body },
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  const post = (tk: string, body: unknown): Promise<HttpResult> => request('POST', `${API}/cost-centers`, { token: tk, body });
  const get = (tk: string, id: string): Promise<HttpResult> => request('GET', `${API}/cost-centers/${id}`, { token: tk });
  const put = (tk: string, id: string, body: unknown): Promise<HttpResult> => request('PUT', `${API}/cost-centers/${id}`, { token: tk, body });
  const del = (tk: string, id: string): Promise<HttpResult> => request('DELETE', `${API}/cost-centers/${id}`, { token: tk });
  const list = (tk: string, tenantId: string, q = ''): Promise<HttpResult> => request('GET', `${API}/cost-centers/tenants/${tenantId}${q}`, { token: tk });
  /** The distinct paths of a 400 (a path may carry one message per broken constraint). */
  const paths = (res: HttpResult): string[] => [
    ...new Set<string>(expectProblem(res, 400, 'VALIDATION_FAILED').errors.map((e: { path: string }) => e.path)),
  ];

  beforeAll(async () => {
    t = await bootApp();
    request = httpClient(t.baseUrl);
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  describe('POST /cost-centers', () => {
    it('creates with 201 and answers every field, unset optionals as null', async () => {
      const res = await post(tenantAdmin('t1'), { tenantId: 't1', code: 'eng.platform_1-a', name: 'Platform' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        tenantId: 't1',
        code: 'eng.platform_1-a',
        name: 'Platform',
        description: null,
        budgetCents: null,
        parentId: null,
        rules: [],
        archived: false,
        archivedAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
    });

    it('stores description, budget, parent and rules as given', async () => {
      const parent = await create('t1');
      const rules = [
        { resourceType: 'vm' },
        { resourceIdPrefix: 'db-prod-', property: { key: 'env', value: 'prod' } },
        { resourceType: 'bucket', resourceIdPrefix: 'logs-', property: { key: 'team', value: '' } },
      ];
      const res = await post(tenantAdmin('t1'), {
        tenantId: 't1',
        code: 'data',
        name: 'Data',
        description: 'Warehouses',
        budgetCents: 250_000,
        parentId: parent.id,
        rules,
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ description: 'Warehouses', budgetCents: 250_000, parentId: parent.id, rules });
      expect((await get(tenantViewer('t1'), res.body.id)).body).toEqual(res.body);
    });

    it('accepts 0 as a budget and up to 50 rules', async () => {
      const cc = await create('t1', { budgetCents: 0, rules: Array.from({ length: 50 }, (_, i) => ({ resourceType: `r${i}` })) });
      expect(cc.budgetCents).toBe(0);
      expect(cc.rules).toHaveLength(50);
    });

    it('refuses unknown fields, with their paths', async () => {
      const tk = tenantAdmin('t1');
      expect(paths(await post(tk, { tenantId: 't1', code: 'x1', name: 'X', color: 'red' }))).toEqual(['color']);
      expect(paths(await post(tk, { tenantId: 't1', code: 'x1', name: 'X', rules: [{ resourceType: 'vm' }, { resourceType: 'vm', foo: 1 }] }))).toEqual([
        'rules[1].foo',
      ]);
      expect(paths(await post(tk, { tenantId: 't1', code: 'x1', name: 'X', rules: [{ property: { key: 'a', value: 'b', op: 'eq' } }] }))).toEqual([
        'rules[0].property.op',
      ]);
    });

    it('refuses a bad code', async () => {
      const tk = tenantAdmin('t1');
      for (const code of ['', 'has space', 'x'.repeat(65), 'slash/no', 'ümlaut', 42, null]) {
        expect(paths(await post(tk, { tenantId: 't1', code, name: 'X' }))).toContain('code');
      }
      expect(paths(await post(tk, { tenantId: 't1', name: 'X' }))).toContain('code');
      expect((await post(tk, { tenantId: 't1', code: 'x'.repeat(64), name: 'X' })).status).toBe(201);
    });

    it('refuses a negative, fractional or string budget', async () => {
      const tk = tenantAdmin('t1');
      for (const budgetCents of [-1, 1.5, '100', Number.MAX_SAFE_INTEGER + 2]) {
        expect(paths(await post(tk, { tenantId: 't1', code: 'b1', name: 'B', budgetCents }))).toEqual(['budgetCents']);
      }
    });

    it('refuses an empty rule, an incomplete property and too many rules', async () => {
      const tk = tenantAdmin('t1');
      expect(paths(await post(tk, { tenantId: 't1', code: 'r1', name: 'R', rules: [{ resourceType: 'vm' }, {}] }))).toEqual(['rules[1]']);
      expect(paths(await post(tk, { tenantId: 't1', code: 'r1', name: 'R', rules: [{ resourceType: null }] }))).toEqual(['rules[0]']);
      expect(paths(await post(tk, { tenantId: 't1', code: 'r1', name: 'R', rules: [{ property: { value: 'x' } }] }))).toEqual(['rules[0].property.key']);
      expect(paths(await post(tk, { tenantId: 't1', code: 'r1', name: 'R', rules: [{ resourceType: '' }] }))).toEqual(['rules[0].resourceType']);
      expect(paths(await post(tk, { tenantId: 't1', code: 'r1', name: 'R', rules: ['vm'] }))).toContain('rules');
      expect(paths(await post(tk, { tenantId: 't1', code: 'r1', name: 'R', rules: { resourceType: 'vm' } }))).toContain('rules');
      const many = Array.from({ length: 51 }, () => ({ resourceType: 'vm' }));
      expect(paths(await post(tk, { tenantId: 't1', code: 'r1', name: 'R', rules: many }))).toEqual(['rules']);
      const count = await db.query("SELECT count(*)::int AS n FROM cost_centers WHERE code = 'r1'");
      expect(count.rows[0].n).toBe(0);
    });

    it('refuses a missing or blank name, a malformed parentId and a missing tenantId', async () => {
      const tk = tenantAdmin('t1');
      expect(paths(await post(tk, { tenantId: 't1', code: 'n1' }))).toContain('name');
      expect(paths(await post(tk, { tenantId: 't1', code: 'n1', name: '   ' }))).toEqual(['name']);
      expect(paths(await post(tk, { tenantId: 't1', code: 'n1', name: 'N', parentId: 'nope' }))).toEqual(['parentId']);
      expect(paths(await post(platformAdmin(), { code: 'n1', name: 'N' }))).toContain('tenantId');
    });

    it('answers 403 for another tenant in the body, a viewer and the service role; 401 without a token', async () => {
      expectProblem(await post(tenantAdmin('t1'), { tenantId: 't2', code: 'f1', name: 'F' }), 403, 'FORBIDDEN');
      expectProblem(await post(tenantViewer('t1'), { tenantId: 't1', code: 'f1', name: 'F' }), 403, 'FORBIDDEN');
      expectProblem(await post(serviceToken(), { tenantId: 't1', code: 'f1', name: 'F' }), 403, 'FORBIDDEN');
      expectProblem(await request('POST', `${API}/cost-centers`, { body: { tenantId: 't1', code: 'f1', name: 'F' } }), 401, 'UNAUTHORIZED');
      const count = await db.query("SELECT count(*)::int AS n FROM cost_centers WHERE code = 'f1'");
      expect(count.rows[0].n).toBe(0);
    });

    it('lets platform-admin create for any tenant', async () => {
      const res = await post(platformAdmin(), { tenantId: 'pa-tenant', code: 'pa', name: 'PA' });
      expect(res.status).toBe(201);
      expect(res.body.tenantId).toBe('pa-tenant');
    });

    it('answers 409 DUPLICATE_CODE for a code the tenant already uses, case-sensitively, per tenant', async () => {
      await create('dup', { code: 'ops' });
      expectProblem(await post(tenantAdmin('dup'), { tenantId: 'dup', code: 'ops', name: 'Again' }), 409, 'DUPLICATE_CODE');
      expect((await post(tenantAdmin('dup'), { tenantId: 'dup', code: 'OPS', name: 'Upper' })).status).toBe(201);
      expect((await post(tenantAdmin('dup2'), { tenantId: 'dup2', code: 'ops', name: 'Other tenant' })).status).toBe(201);
    });

    it('gives exactly one 201 for 10 concurrent creates with the same code', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => post(tenantAdmin('race'), { tenantId: 'race', code: 'same', name: `Racer ${i}` })),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 201)) expectProblem(r, 409, 'DUPLICATE_CODE');
      const rows = await db.query("SELECT id FROM cost_centers WHERE tenant_id = 'race' AND code = 'same'");
      expect(rows.rows).toEqual([{ id: results.find((r) => r.status === 201)!.body.id }]);
    });

    it('frees the code of an archived cost center', async () => {
      const first = await create('reuse', { code: 'shared' });
      expect((await del(tenantAdmin('reuse'), first.id)).status).toBe(204);
      const second = await post(tenantAdmin('reuse'), { tenantId: 'reuse', code: 'shared', name: 'Second' });
      expect(second.status).toBe(201);
      expect(second.body.id).not.toBe(first.id);
      expect((await get(tenantAdmin('reuse'), first.id)).body).toMatchObject({ code: 'shared', archived: true });
    });

    it('needs the parent to be a live cost center of the same tenant (422 UNKNOWN_COST_CENTER)', async () => {
      const foreign = await create('t2');
      const archived = await create('t1');
      await del(tenantAdmin('t1'), archived.id);
      for (const parentId of [UNKNOWN_ID, foreign.id, archived.id]) {
        const res = await post(tenantAdmin('t1'), { tenantId: 't1', code: 'child-x', name: 'Child', parentId });
        expect(expectProblem(res, 422, 'UNKNOWN_COST_CENTER').detail).not.toContain(foreign.name);
      }
      const parent = await create('t1');
      const child = await post(tenantAdmin('t1'), { tenantId: 't1', code: 'child-x', name: 'Child', parentId: parent.id.toUpperCase() });
      expect(child.status).toBe(201);
      expect(child.body.parentId).toBe(parent.id);
    });
  });

  describe('GET /cost-centers/tenants/:tenantId', () => {
    const tenant = 'lister';
    let made: any[];

    beforeAll(async () => {
      made = [];
      for (let i = 0; i < 5; i++) made.push(await create(tenant));
      await del(tenantAdmin(tenant), made[1].id);
      await create('lister-other');
    });

    it('lists the tenant’s live cost centers oldest first', async () => {
      const res = await list(tenantViewer(tenant), tenant);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: [made[0], made[2], made[3], made[4]], nextCursor: null });
    });

    it('includes archived ones with includeArchived=true', async () => {
      const res = await list(tenantAdmin(tenant), tenant, '?includeArchived=true');
      expect(res.body.data.map((c: { id: string }) => c.id)).toEqual(made.map((c) => c.id));
      expect(res.body.data[1]).toMatchObject({ archived: true, archivedAt: expect.any(String) });
      expect((await list(tenantAdmin(tenant), tenant, '?includeArchived=false')).body.data).toHaveLength(4);
    });

    it('pages with limit and cursor without gaps or repeats', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = `?limit=2&includeArchived=true${cursor ? `&cursor=${cursor}` : ''}`;
        const page: HttpResult = await list(tenantViewer(tenant), tenant, q);
        expect(page.status).toBe(200);
        expect(page.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.data.map((c: { id: string }) => c.id));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(made.map((c) => c.id));
    });

    it('orders cost centers created in one instant by id, and pages through them', async () => {
      await db.query(
        `INSERT INTO cost_centers (tenant_id, code, name, created_at)
         SELECT 'same-instant', 'c' || g, 'C', '2024-01-01T00:00:00.123456Z' FROM generate_series(1, 5) g`,
      );
      const ids = (await db.query("SELECT id FROM cost_centers WHERE tenant_id = 'same-instant' ORDER BY id")).rows.map((r) => r.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: HttpResult = await list(tenantViewer('same-instant'), 'same-instant', `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.body.data.map((c: { id: string }) => c.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(ids);
    });

    it('answers an empty page for a tenant without cost centers', async () => {
      expect((await list(tenantViewer('nobody'), 'nobody')).body).toEqual({ data: [], nextCursor: null });
    });

    it('refuses a bad limit, a forged cursor, a bad includeArchived and unknown parameters', async () => {
      const tk = tenantViewer(tenant);
      expect(paths(await list(tk, tenant, '?limit=0'))).toEqual(['limit']);
      expect(paths(await list(tk, tenant, '?limit=101'))).toEqual(['limit']);
      expect(paths(await list(tk, tenant, '?cursor=abc'))).toEqual(['cursor']);
      const forged = Buffer.from(JSON.stringify(["2024-01-01'; DROP TABLE cost_centers; --", 'x'])).toString('base64url');
      expect(paths(await list(tk, tenant, `?cursor=${forged}`))).toEqual(['cursor']);
      expect(paths(await list(tk, tenant, '?includeArchived=yes'))).toEqual(['includeArchived']);
      expect(paths(await list(tk, tenant, '?color=red'))).toEqual(['color']);
    });

    it('answers 403 for another tenant in the path', async () => {
      expectProblem(await list(tenantViewer('lister-other'), tenant), 403, 'FORBIDDEN');
      expectProblem(await list(tenantAdmin('lister-other'), tenant), 403, 'FORBIDDEN');
    });

    it('lets the service role and platform-admin read any tenant', async () => {
      expect((await list(serviceToken(), tenant)).body.data).toHaveLength(4);
      expect((await list(platformAdmin(), tenant)).body.data).toHaveLength(4);
    });

    it('answers 404 for a malformed tenant id (a malformed id in a path names no resource)', async () => {
      expectProblem(await list(platformAdmin(), 'bad.tenant'), 404, 'NOT_FOUND');
    });
  });

  describe('GET /cost-centers/:costCenterId', () => {
    it('answers the cost center to its tenant, the service role and platform-admin', async () => {
      const cc = await create('getter', { description: 'D' });
      for (const tk of [tenantViewer('getter'), tenantAdmin('getter'), serviceToken(), platformAdmin()]) {
        const res = await get(tk, cc.id);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(cc);
      }
    });

    it('answers 404 for another tenant’s cost center, never its contents', async () => {
      const secret = await create('t2', { name: 'Top secret project', description: 'classified' });
      for (const tk of [tenantViewer('t1'), tenantAdmin('t1')]) {
        const res = await get(tk, secret.id);
        expectProblem(res, 404, 'NOT_FOUND');
        expect(res.text).not.toContain('secret');
        expect(res.text).not.toContain('classified');
      }
    });

    it('answers 404 for a malformed or unknown id', async () => {
      expectProblem(await get(tenantViewer('t1'), 'not-a-uuid'), 404, 'NOT_FOUND');
      expectProblem(await get(tenantViewer('t1'), encodeURIComponent("1' OR '1'='1")), 404, 'NOT_FOUND');
      expectProblem(await get(tenantViewer('t1'), UNKNOWN_ID), 404, 'NOT_FOUND');
      expectProblem(await get(platformAdmin(), UNKNOWN_ID), 404, 'NOT_FOUND');
    });

    it('still answers an archived cost center, with archived: true', async () => {
      const cc = await create('getter');
      await del(tenantAdmin('getter'), cc.id);
      const res = await get(tenantViewer('getter'), cc.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: cc.id, code: cc.code, archived: true, archivedAt: expect.any(String) });
    });
  });

  describe('PUT /cost-centers/:costCenterId', () => {
    const tk = tenantAdmin('putter');

    it('changes only the fields given and answers 200 with the resource', async () => {
      const cc = await create('putter', { description: 'Old', budgetCents: 100, rules: [{ resourceType: 'vm' }] });
      const res = await put(tk, cc.id, { name: 'Renamed' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...cc, name: 'Renamed', updatedAt: expect.any(String) });
      expect(res.body.updatedAt > cc.updatedAt).toBe(true);
      expect((await get(tk, cc.id)).body).toEqual(res.body);
    });

    it('sets and clears description, budget and parent; replaces rules; changes the code', async () => {
      const parent = await create('putter');
      const cc = await create('putter', { description: 'D', budgetCents: 5, rules: [{ resourceType: 'vm' }] });
      const set = await put(tk, cc.id, {
        code: 'renamed-code',
        budgetCents: 999,
        parentId: parent.id,
        rules: [{ property: { key: 'team', value: 'data' } }],
      });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ code: 'renamed-code', budgetCents: 999, parentId: parent.id, rules: [{ property: { key: 'team', value: 'data' } }], description: 'D' });
      const cleared = await put(tk, cc.id, { description: null, budgetCents: null, parentId: null, rules: [] });
      expect(cleared.body).toMatchObject({ description: null, budgetCents: null, parentId: null, rules: [], code: 'renamed-code' });
    });

    it('answers the resource unchanged for an empty body', async () => {
      const cc = await create('putter');
      const res = await put(tk, cc.id, {});
      expect(res.status).toBe(200);
      expect(res.body).toEqual(cc);
    });

    it('refuses tenantId and id in the body (immutable), null for required fields and unknown fields', async () => {
      const cc = await create('putter');
      const own = expectProblem(await put(tk, cc.id, { tenantId: 'putter', name: 'X' }), 400, 'VALIDATION_FAILED');
      expect(own.errors).toEqual([{ path: 'tenantId', message: expect.stringMatching(/immutable/) }]);
      expect(paths(await put(tk, cc.id, { id: cc.id }))).toEqual(['id']);
      expect(paths(await put(tk, cc.id, { name: null, code: null, rules: null }))).toEqual(expect.arrayContaining(['name', 'code', 'rules']));
      expect(paths(await put(tk, cc.id, { archived: false }))).toEqual(['archived']);
      expect(paths(await put(tk, cc.id, { rules: [{}] }))).toEqual(['rules[0]']);
      expect(paths(await put(tk, cc.id, { code: 'bad code', budgetCents: -5 }))).toEqual(expect.arrayContaining(['code', 'budgetCents']));
      expect((await get(tk, cc.id)).body).toEqual(cc);
    });

    it('answers 400 for another tenant in the body (tenantId is immutable), 403 to a viewer and the service role', async () => {
      const cc = await create('putter');
      expect(paths(await put(tk, cc.id, { tenantId: 'elsewhere' }))).toEqual(['tenantId']);
      expect((await get(tk, cc.id)).body).toEqual(cc);
      expectProblem(await put(tenantViewer('putter'), cc.id, { name: 'V' }), 403, 'FORBIDDEN');
      expectProblem(await put(serviceToken(), cc.id, { name: 'S' }), 403, 'FORBIDDEN');
    });

    it('answers 404 for another tenant’s, a malformed or an unknown id', async () => {
      const foreign = await create('t2');
      expectProblem(await put(tk, foreign.id, { name: 'Hijacked' }), 404, 'NOT_FOUND');
      expect((await get(tenantAdmin('t2'), foreign.id)).body.name).toBe(foreign.name);
      expectProblem(await put(tk, 'nope', { name: 'X' }), 404, 'NOT_FOUND');
      expectProblem(await put(tk, UNKNOWN_ID, { name: 'X' }), 404, 'NOT_FOUND');
    });

    it('lets platform-admin update any tenant’s cost center', async () => {
      const cc = await create('putter');
      expect((await put(platformAdmin(), cc.id, { name: 'By admin' })).body).toMatchObject({ tenantId: 'putter', name: 'By admin' });
    });

    it('answers 409 DUPLICATE_CODE for a code another live cost center uses, and allows keeping its own', async () => {
      const a = await create('putter', { code: 'taken' });
      const b = await create('putter');
      expectProblem(await put(tk, b.id, { code: 'taken' }), 409, 'DUPLICATE_CODE');
      expect((await put(tk, a.id, { code: 'taken', name: 'Same code' })).status).toBe(200);
      await del(tk, a.id);
      expect((await put(tk, b.id, { code: 'taken' })).body.code).toBe('taken');
    });

    it('answers 409 INVALID_STATE for an archived cost center', async () => {
      const cc = await create('putter');
      await del(tk, cc.id);
      expectProblem(await put(tk, cc.id, { name: 'Too late' }), 409, 'INVALID_STATE');
    });

    it('refuses a parent that is unknown, another tenant’s or archived (422) and one that closes a cycle (409)', async () => {
      const root = await create('putter');
      const mid = await create('putter', { parentId: root.id });
      const leaf = await create('putter', { parentId: mid.id });
      const foreign = await create('t2');
      const gone = await create('putter');
      await del(tk, gone.id);
      for (const parentId of [UNKNOWN_ID, foreign.id, gone.id]) expectProblem(await put(tk, root.id, { parentId }), 422, 'UNKNOWN_COST_CENTER');
      expectProblem(await put(tk, root.id, { parentId: root.id }), 409, 'INVALID_STATE');
      expectProblem(await put(tk, root.id, { parentId: leaf.id }), 409, 'INVALID_STATE');
      expectProblem(await put(tk, mid.id, { parentId: leaf.id }), 409, 'INVALID_STATE');
      expect((await put(tk, leaf.id, { parentId: root.id })).body.parentId).toBe(root.id);
      expect((await get(tk, root.id)).body.parentId).toBeNull();
    });

    it('never lets two concurrent moves close a cycle', async () => {
      for (let round = 0; round < 5; round++) {
        const a = await create('putter');
        const b = await create('putter');
        const [ab, ba] = await Promise.all([put(tk, a.id, { parentId: b.id }), put(tk, b.id, { parentId: a.id })]);
        expect([ab.status, ba.status].sort()).toEqual([200, 409]);
      }
    });
  });

  describe('DELETE /cost-centers/:costCenterId', () => {
    const tk = tenantAdmin('deleter');

    it('archives with 204: out of the list, still readable, code freed; again 204', async () => {
      const cc = await create('deleter');
      const res = await del(tk, cc.id);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await list(tk, 'deleter')).body.data.map((c: { id: string }) => c.id)).not.toContain(cc.id);
      const archived = (await get(tk, cc.id)).body;
      expect(archived).toMatchObject({ archived: true, archivedAt: expect.any(String) });
      expect((await del(tk, cc.id)).status).toBe(204);
      expect((await get(tk, cc.id)).body.archivedAt).toBe(archived.archivedAt);
    });

    it('keeps the row (history points at it) and its children', async () => {
      const parent = await create('deleter');
      const child = await create('deleter', { parentId: parent.id });
      await del(tk, parent.id);
      const rows = await db.query('SELECT archived_at IS NOT NULL AS archived FROM cost_centers WHERE id = $1', [parent.id]);
      expect(rows.rows).toEqual([{ archived: true }]);
      expect((await get(tk, child.id)).body).toMatchObject({ parentId: parent.id, archived: false });
    });

    it('answers 404 for another tenant’s cost center and leaves it alone', async () => {
      const foreign = await create('t2');
      expectProblem(await del(tk, foreign.id), 404, 'NOT_FOUND');
      expect((await get(tenantAdmin('t2'), foreign.id)).body.archived).toBe(false);
    });

    it('answers 404 for a malformed or unknown id', async () => {
      expectProblem(await del(tk, 'zzz'), 404, 'NOT_FOUND');
      expectProblem(await del(tk, UNKNOWN_ID), 404, 'NOT_FOUND');
    });

    it('answers 403 to a viewer and the service role', async () => {
      const cc = await create('deleter');
      expectProblem(await del(tenantViewer('deleter'), cc.id), 403, 'FORBIDDEN');
      expectProblem(await del(serviceToken(), cc.id), 403, 'FORBIDDEN');
      expect((await get(tk, cc.id)).body.archived).toBe(false);
    });
  });

  describe('CostCentersService for usage and quotas', () => {
    let service: CostCentersService;
    beforeAll(() => {
      service = t.app.get(CostCentersService);
    });

    it('usage is attributed to the oldest live cost center whose rule matches, or to none', async () => {
      const archived = await create('svc-a', { rules: [{ resourceType: 'vm' }] });
      await del(tenantAdmin('svc-a'), archived.id);
      const first = await create('svc-a', { rules: [{ resourceType: 'vm', resourceIdPrefix: 'vm-prod-' }] });
      const second = await create('svc-a', { rules: [{ resourceType: 'vm' }] });
      const byProperty = await create('svc-a', { rules: [{ property: { key: 'team', value: 'data' } }] });
      const record = async (body: object) =>
        (await request('POST', `${API}/tenants/svc-a/usage`, { token: serviceToken(), body: { metric: 'compute.cpu_hours', quantity: 1, ...body } })).body.costCenterId;
      expect(await record({ resourceType: 'vm', resourceId: 'vm-prod-1' })).toBe(first.id);
      expect(await record({ resourceType: 'vm', resourceId: 'vm-dev-1' })).toBe(second.id); // the archived one is older, and skipped
      expect(await record({ resourceType: 'db', resourceId: 'db-1', properties: { team: 'data' } })).toBe(byProperty.id);
      expect(await record({ resourceType: 'db', resourceId: 'db-1' })).toBeNull();
      expect(await record({ resourceType: 'vm', resourceId: 'vm-prod-2', costCenterId: byProperty.id })).toBe(byProperty.id);
    });

    it('belongsToTenant is true only for a live cost center of that tenant', async () => {
      const live = await create('svc-c');
      const gone = await create('svc-c');
      await del(tenantAdmin('svc-c'), gone.id);
      expect(await service.belongsToTenant(live.id, 'svc-c')).toBe(true);
      expect(await service.belongsToTenant(live.id.toUpperCase(), 'svc-c')).toBe(true);
      expect(await service.belongsToTenant(live.id, 'svc-d')).toBe(false);
      expect(await service.belongsToTenant(gone.id, 'svc-c')).toBe(false);
      expect(await service.belongsToTenant(UNKNOWN_ID, 'svc-c')).toBe(false);
      expect(await service.belongsToTenant('not-a-uuid', 'svc-c')).toBe(false);
    });
  });
});

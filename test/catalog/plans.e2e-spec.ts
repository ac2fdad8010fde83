import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { TestApp, bootApp } from '../support/app';
import { API, expectProblem, httpClient } from '../support/http';
import { tenantViewer } from '../support/tokens';

describe('GET /plans and /plans/:planId', () => {
  let t: TestApp;
  let request: ReturnType<typeof httpClient>;

  beforeAll(async () => {
    t = await bootApp();
    request = httpClient(t.baseUrl);
  });
  afterAll(() => t.close());

  it('lists active plans only, ordered by id, with prices in minor units beside the currency', async () => {
    const res = await request('GET', `${API}/plans?limit=100`, { token: tenantViewer() });
    expect(res.status).toBe(200);
    const ids = res.body.data.map((p: { id: string }) => p.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).not.toContain('starter-legacy');
    expect(ids).toEqual(expect.arrayContaining(['free', 'team-monthly', 'team-yearly', 'business-monthly', 'enterprise-yearly']));
    expect(res.body.nextCursor).toBeNull();
    const team = res.body.data.find((p: { id: string }) => p.id === 'team-monthly');
    expect(team).toMatchObject({ currency: 'USD', interval: 'month', basePrice: '49.00', basePriceCents: 4900, trialDays: 14, active: true });
    expect(team.charges[0]).toMatchObject({
      metric: 'compute.cpu_hours',
      model: 'graduated',
      includedQuantity: '50',
      tiers: [
        { upTo: '1000', unitPrice: '0.12', flatFee: '0' },
        { upTo: '10000', unitPrice: '0.10', flatFee: '0' },
        { upTo: null, unitPrice: '0.08', flatFee: '0' },
      ],
      unitPrice: null,
      packageSize: null,
    });
    expect(team.limits).toEqual({ 'compute.cpu_hours': '20000', 'users.active': '50' });
  });

  it('pages with limit and cursor, without gaps or repeats', async () => {
    const all = (await request('GET', `${API}/plans?limit=100`, { token: tenantViewer() })).body.data.map((p: { id: string }) => p.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const page: any = (await request('GET', `${API}/plans?limit=2${q}`, { token: tenantViewer() })).body;
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((p: { id: string }) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
  });

  it('refuses a bad limit or a forged cursor', async () => {
    expectProblem(await request('GET', `${API}/plans?limit=0`, { token: tenantViewer() }), 400, 'VALIDATION_FAILED');
    expectProblem(await request('GET', `${API}/plans?limit=abc`, { token: tenantViewer() }), 400, 'VALIDATION_FAILED');
    expectProblem(await request('GET', `${API}/plans?cursor=bm9wZQ`, { token: tenantViewer() }), 400, 'VALIDATION_FAILED');
  });

  it('gets one plan, inactive ones too', async () => {
    const res = await request('GET', `${API}/plans/business-monthly-eur`, { token: tenantViewer() });
    expect(res.body).toMatchObject({ id: 'business-monthly-eur', currency: 'EUR', basePriceCents: 45900 });
    expect((await request('GET', `${API}/plans/starter-legacy`, { token: tenantViewer() })).body).toMatchObject({ active: false });
  });

  it('answers 404 for an unknown plan', async () => {
    expectProblem(await request('GET', `${API}/plans/does-not-exist`, { token: tenantViewer() }), 404, 'NOT_FOUND');
    expectProblem(await request('GET', `${API}/plans/${encodeURIComponent("x' OR 1=1 --")}`, { token: tenantViewer() }), 404, 'NOT_FOUND');
  });

  it('has upserted the catalog into the database', async () => {
    const db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    const plans = await db.query('SELECT id, active, base_price FROM plans ORDER BY id');
    const metrics = await db.query('SELECT key FROM metrics');
    await db.end();
    expect(plans.rows).toContainEqual({ id: 'team-monthly', active: true, base_price: '49.00' });
    expect(plans.rows).toContainEqual(expect.objectContaining({ id: 'starter-legacy', active: false }));
    expect(metrics.rowCount).toBe(7);
  });
});

describe('catalog loading', () => {
  const write = (content: unknown): string => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-')), 'catalog.json');
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  it('stops the start with a clear message for an invalid file', async () => {
    const file = write({ metrics: [{ key: 'a.b', name: 'A', unit: 'u', aggregation: 'median' }], plans: [] });
    await expect(bootApp({ env: { CATALOG_PATH: file } })).rejects.toThrow(/catalog .*invalid[\s\S]*aggregation/);
  });

  it('stops the start when the file is not JSON', async () => {
    await expect(bootApp({ env: { CATALOG_PATH: write('{ nope') } })).rejects.toThrow(/not valid JSON/);
  });

  it('deactivates plans that left the file, keeps their rows', async () => {
    const first = await bootApp();
    const small = JSON.parse(fs.readFileSync(path.join(__dirname, '../../catalog/default.json'), 'utf8'));
    small.plans = small.plans.filter((p: { id: string }) => p.id !== 'team-yearly');
    const second = await bootApp({ databaseUrl: first.databaseUrl, env: { CATALOG_PATH: write(small) } });
    const res = await httpClient(second.baseUrl)('GET', `${API}/plans?limit=100`, { token: tenantViewer() });
    expect(res.body.data.map((p: { id: string }) => p.id)).not.toContain('team-yearly');
    const db = new Client({ connectionString: first.databaseUrl });
    await db.connect();
    expect((await db.query("SELECT active FROM plans WHERE id = 'team-yearly'")).rows).toEqual([{ active: false }]);
    await db.end();
    await second.app.close();
    await first.close();
  });
});

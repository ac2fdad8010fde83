import { Client } from 'pg';
import { PeriodCloseService } from '../../src/invoices/period-close.service';
import { TestApp, bootApp } from '../support/app';
import { createTestDatabase } from '../support/database';
import { connect, count } from '../support/db-client';
import { API, HttpResult, RequestOptions, httpClient } from '../support/http';
import { platformAdmin, serviceToken, tenantAdmin } from '../support/tokens';

const DAY = 86_400_000;

/** Three instances on one database, requests spread round-robin: every invariant holds across them. */
describe('several instances on one database', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Client;
  const apps: TestApp[] = [];
  let next = 0;
  /** Round-robin over the instances, like a load balancer. */
  const request = (method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult> =>
    httpClient(apps[next++ % apps.length].baseUrl)(method, path, opts);
  const statuses = (rs: HttpResult[]) => rs.map((r) => r.status).sort();

  beforeAll(async () => {
    database = await createTestDatabase();
    apps.push(await bootApp({ databaseUrl: database.url })); // migrations once, then two more
    apps.push(...(await Promise.all([bootApp({ databaseUrl: database.url }), bootApp({ databaseUrl: database.url })])));
    db = await connect(database.url);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await db?.end();
    await database.drop();
  });

  it('stores one row for one eventId sent concurrently to all instances', async () => {
    const body = { eventId: 'same-event', metric: 'api.requests', quantity: 1 };
    const rs = await Promise.all(Array.from({ length: 30 }, () => request('POST', `${API}/tenants/m-ingest/usage`, { token: serviceToken(), body })));
    expect(statuses(rs)).toEqual([...Array(29).fill(200), 201]);
    expect(rs.filter((r) => r.status === 200).every((r) => r.body.duplicate === true)).toBe(true);
    expect(await count(db, `SELECT count(*) FROM usage_events WHERE tenant_id = 'm-ingest'`)).toBe(1);
  });

  it('creates one live subscription out of 20 concurrent creates', async () => {
    const rs = await Promise.all(
      Array.from({ length: 20 }, () => request('POST', `${API}/tenants/m-sub/subscriptions`, { token: tenantAdmin('m-sub'), body: { planId: 'team-monthly' } })),
    );
    expect(statuses(rs)).toEqual([201, ...Array(19).fill(409)]);
    expect(rs.filter((r) => r.status === 409).every((r) => r.body.code === 'SUBSCRIPTION_EXISTS')).toBe(true);
    expect(await count(db, `SELECT count(*) FROM subscriptions WHERE tenant_id = 'm-sub'`)).toBe(1);
  });

  it('ingests with the cost centers and quotas just written through another instance (the remembered context is version-checked)', async () => {
    const writer = httpClient(apps[0].baseUrl);
    const ingester = httpClient(apps[1].baseUrl);
    const tenant = 'm-ctx';
    const ingest = (extra: Record<string, unknown> = {}) =>
      ingester('POST', `${API}/tenants/${tenant}/usage`, { token: serviceToken(), body: { metric: 'api.requests', quantity: 1, resourceType: 'vm', resourceId: 'vm-1', ...extra } });
    // The ingesting instance reads and remembers the tenant's context: no cost centers, no quotas.
    const before = await ingest();
    expect(before.status).toBe(201);
    expect(before.body.costCenterId).toBeNull();
    expect(before.body.quota.items).toEqual([]);
    const vms = await writer('POST', `${API}/cost-centers`, { token: platformAdmin(), body: { tenantId: tenant, code: 'vms', name: 'VMs', rules: [{ resourceType: 'vm' }] } });
    expect(vms.status).toBe(201);
    const quota = await writer('POST', `${API}/quotas`, { token: platformAdmin(), body: { tenantId: tenant, metric: 'api.requests', limit: '100', period: 'month', enforcement: 'soft' } });
    expect(quota.status).toBe(201);
    // At once, not eventually: the next event follows the new rule and carries the new quota.
    const after = await ingest();
    expect(after.status).toBe(201);
    expect(after.body.costCenterId).toBe(vms.body.id);
    expect(after.body.quota.items).toEqual([expect.objectContaining({ quotaId: quota.body.id })]);
    // An explicit cost center created, then archived, through the other instance.
    const other = await writer('POST', `${API}/cost-centers`, { token: platformAdmin(), body: { tenantId: tenant, code: 'other', name: 'Other' } });
    expect(other.status).toBe(201);
    expect((await ingest({ costCenterId: other.body.id })).status).toBe(201);
    expect((await writer('DELETE', `${API}/cost-centers/${other.body.id}`, { token: platformAdmin() })).status).toBe(204);
    const refused = await ingest({ costCenterId: other.body.id });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('UNKNOWN_COST_CENTER');
    expect(await count(db, `SELECT count(*) FROM usage_events WHERE tenant_id = '${tenant}'`)).toBe(3);
    expect(await count(db, `SELECT count(*) FROM usage_events WHERE tenant_id = '${tenant}' AND cost_center_id = '${vms.body.id}'`)).toBe(1);
  });

  it('stores every event exactly once while cost centers change under concurrent ingest on the other instances', async () => {
    const writer = httpClient(apps[0].baseUrl);
    const tenant = 'm-churn';
    const ingestOn = (i: number) =>
      httpClient(apps[1 + (i % 2)].baseUrl)('POST', `${API}/tenants/${tenant}/usage`, {
        token: serviceToken(),
        body: { eventId: `churn-${i}`, metric: 'api.requests', quantity: 1, resourceType: 'vm', resourceId: `vm-${i}` },
      });
    const changes = Array.from({ length: 6 }, (_, k) =>
      writer('POST', `${API}/cost-centers`, { token: platformAdmin(), body: { tenantId: tenant, code: `c${k}`, name: `C${k}`, rules: [{ resourceIdPrefix: `vm-${k}` }] } }),
    );
    const [rs, created] = await Promise.all([Promise.all(Array.from({ length: 60 }, (_, i) => ingestOn(i))), Promise.all(changes)]);
    expect(created.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(statuses(rs)).toEqual(Array(60).fill(201));
    expect(await count(db, `SELECT count(*) FROM usage_events WHERE tenant_id = '${tenant}'`)).toBe(60);
    // Rollups hold every stored event once (day rows of the whole tenant).
    expect(await count(db, `SELECT coalesce(sum(count), 0) FROM usage_rollups WHERE tenant_id = '${tenant}' AND granularity = 'd' AND resource_key = '*'`)).toBe(60);
    // Each event's cost center is one its rules matched when it was stored, or none.
    const ids = new Map(created.map((r) => [r.body.id as string, r.body.rules[0].resourceIdPrefix as string]));
    const { rows } = await db.query(`SELECT resource_id, cost_center_id FROM usage_events WHERE tenant_id = $1`, [tenant]);
    for (const row of rows as Array<{ resource_id: string; cost_center_id: string | null }>) {
      if (row.cost_center_id !== null) expect(row.resource_id.startsWith(ids.get(row.cost_center_id)!)).toBe(true);
    }
  });

  it('holds maxRedemptions when redemptions are spread across instances', async () => {
    const tenants = Array.from({ length: 15 }, (_, i) => `m-cpn${i}`);
    for (const t of tenants) expect((await request('POST', `${API}/tenants/${t}/subscriptions`, { token: tenantAdmin(t), body: { planId: 'free' } })).status).toBe(201);
    const created = await request('POST', `${API}/coupons`, {
      token: platformAdmin(),
      body: { code: `MULTI${Date.now().toString(36)}`, name: 'Five only', percentOff: '10', duration: 'forever', maxRedemptions: 5 },
    });
    expect(created.status).toBe(201);
    const rs = await Promise.all(tenants.map((t) => request('POST', `${API}/coupons/redeem`, { token: tenantAdmin(t), body: { code: created.body.code, tenantId: t } })));
    expect(statuses(rs)).toEqual([...Array(5).fill(201), ...Array(10).fill(409)]);
    expect(rs.filter((r) => r.status === 409).every((r) => r.body.code === 'COUPON_EXHAUSTED')).toBe(true);
    expect(await count(db, 'SELECT times_redeemed FROM coupons WHERE id = $1', [created.body.id])).toBe(5);
  });

  describe('period close and invoice numbers', () => {
    const TENANTS = 30;

    beforeAll(async () => {
      // Subscriptions whose last periods ended: 3 ended periods each (95 days), 2 for m-fin (65 days).
      const insert = `INSERT INTO subscriptions (tenant_id, plan_id, period_plan_id, status, interval, anchor_at, started_at, current_period_start, current_period_end, current_period_full_end)
         SELECT $3 || g, 'business-monthly', 'business-monthly', 'active', 'month', $1, $1, $1, $1::timestamptz + interval '1 month', $1::timestamptz + interval '1 month'
         FROM generate_series(1, $2) g`;
      await db.query(insert, [new Date(Date.now() - 95 * DAY), TENANTS, 'm-pc']);
      await db.query(insert, [new Date(Date.now() - 65 * DAY), 1, 'm-fin']);
    });

    it('closes each subscription-period once when all three instances run period close at once', async () => {
      const summaries = await Promise.all(apps.map((a) => a.app.get(PeriodCloseService).run()));
      expect(summaries.reduce((n, s) => n + s.failed, 0)).toBe(0);
      expect(await count(db, `SELECT count(*) FROM invoices WHERE tenant_id LIKE 'm-pc%'`)).toBe(TENANTS * 3);
      expect(await count(db, 'SELECT count(*) FROM (SELECT subscription_id, period_start FROM invoices GROUP BY 1, 2 HAVING count(*) > 1) d')).toBe(0);
      const gaps = await db.query(
        `SELECT tenant_id FROM invoices WHERE tenant_id LIKE 'm-pc%' GROUP BY tenant_id
         HAVING array_agg(number ORDER BY number) <> ARRAY['INV-' || tenant_id || '-000001', 'INV-' || tenant_id || '-000002', 'INV-' || tenant_id || '-000003']`,
      );
      expect(gaps.rows).toEqual([]);
      expect(await count(db, `SELECT count(*) FROM subscriptions WHERE tenant_id LIKE 'm-%' AND current_period_end <= now()`)).toBe(0);
    });

    it('numbers an invoice finalized concurrently on all instances once, next in the gapless sequence', async () => {
      const draft = await request('POST', `${API}/tenants/m-fin1/invoices`, { token: tenantAdmin('m-fin1'), body: {} });
      expect(draft.status).toBe(201);
      const rs = await Promise.all(
        Array.from({ length: 15 }, () => request('POST', `${API}/invoices/${draft.body.id}/finalize`, { token: tenantAdmin('m-fin1'), body: {} })),
      );
      expect(statuses(rs)).toEqual([...Array(1).fill(200), ...Array(14).fill(409)]);
      const numbers = (await db.query(`SELECT number FROM invoices WHERE tenant_id = 'm-fin1' ORDER BY number`)).rows.map((r) => r.number);
      expect(numbers).toEqual(['INV-m-fin1-000001', 'INV-m-fin1-000002', 'INV-m-fin1-000003']);
    });
  });
});

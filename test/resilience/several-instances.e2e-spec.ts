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

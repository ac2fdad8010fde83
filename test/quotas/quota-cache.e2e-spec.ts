import type { Client } from 'pg';
import { PgListener } from '../../src/common/database/pg-listener';
import { TestApp, bootApp } from '../support/app';
import { createTestDatabase } from '../support/database';
import { connect } from '../support/db-client';
import { API, HttpResult, httpClient } from '../support/http';
import { platformAdmin, serviceToken } from '../support/tokens';

const METRIC = 'compute.cpu_hours';

/**
 * The in-memory quota state: checks answer from it (no database round trip), and it is current
 * to the last committed event on the instance that committed it and, once the NOTIFY arrives,
 * on every other instance on the same database.
 */
describe('quota check state across instances', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Client;
  let a: TestApp;
  let b: TestApp;
  const on = (app: TestApp) => httpClient(app.baseUrl);
  const check = (app: TestApp, tenant: string, quantity = '0'): Promise<HttpResult> =>
    on(app)('GET', `${API}/quotas/tenants/${tenant}/check?metric=${METRIC}&quantity=${quantity}`, { token: serviceToken() });
  const record = (app: TestApp, tenant: string, quantity: string) => on(app)('POST', `${API}/tenants/${tenant}/usage`, { token: serviceToken(), body: { metric: METRIC, quantity } });
  const createQuota = (app: TestApp, tenant: string, limit: string) =>
    on(app)('POST', `${API}/quotas`, { token: platformAdmin(), body: { tenantId: tenant, metric: METRIC, limit, period: 'month', enforcement: 'hard' } });
  const used = async (app: TestApp, tenant: string) => ((await check(app, tenant)).body.items as Array<{ used: string }>).map((i) => i.used);
  /** Quota checks this instance answered from memory so far. */
  const hits = async (app: TestApp) => Number(/^quota_cache_hits_total (\d+)/m.exec((await on(app)('GET', '/metrics')).text)?.[1] ?? NaN);
  /** Polls until `read` gives `expected` (a NOTIFY takes a few milliseconds to arrive). */
  async function eventually<T>(read: () => Promise<T>, expected: T, ms = 3_000): Promise<void> {
    const deadline = Date.now() + ms;
    let last: T = await read();
    while (JSON.stringify(last) !== JSON.stringify(expected) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      last = await read();
    }
    expect(last).toEqual(expected);
  }
  const listening = (app: TestApp) => async () => app.app.get(PgListener).listening;
  /**
   * A check answered twice: the second must come from memory. The NOTIFY of the quota just made
   * may still arrive between the two (it drops the state, rightly) under load: then once more.
   */
  async function expectCached(app: TestApp, tenant: string): Promise<void> {
    let gained = 0;
    for (let attempt = 0; attempt < 3 && gained !== 1; attempt++) {
      await check(app, tenant);
      const before = await hits(app);
      expect((await check(app, tenant)).status).toBe(200);
      gained = (await hits(app)) - before;
    }
    expect(gained).toBe(1);
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    a = await bootApp({ databaseUrl: database.url });
    b = await bootApp({ databaseUrl: database.url });
    db = await connect(database.url);
    await eventually(listening(a), true);
    await eventually(listening(b), true);
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.end();
    await database?.drop();
  });

  it('answers a repeated check from memory', async () => {
    expect((await createQuota(a, 'qc-hit', '100')).status).toBe(201);
    await expectCached(a, 'qc-hit');
  });

  it('reflects a 201 ingest at once on the instance that stored it (answer and next check)', async () => {
    expect((await createQuota(a, 'qc-same', '100')).status).toBe(201);
    await expectCached(a, 'qc-same');
    for (let i = 1; i <= 5; i++) {
      const res = await record(a, 'qc-same', '2');
      expect(res.status).toBe(201);
      // The answer's quota state is read microseconds after the commit, before any NOTIFY can be heard.
      expect(res.body.quota.items[0].used).toBe(String(2 * i));
      expect(await used(a, 'qc-same')).toEqual([String(2 * i)]);
    }
  });

  it('reflects an ingest on A in a check on B once the notification arrives', async () => {
    expect((await createQuota(a, 'qc-cross', '10')).status).toBe(201);
    await expectCached(b, 'qc-cross');
    expect(await used(b, 'qc-cross')).toEqual(['0']);
    expect((await record(a, 'qc-cross', '7.5')).status).toBe(201);
    await eventually(() => used(b, 'qc-cross'), ['7.5']);
    await expectCached(b, 'qc-cross');
    // A batch on B is seen on A the same way.
    const batch = await on(b)('POST', `${API}/tenants/qc-cross/usage/batch`, { token: serviceToken(), body: { events: [{ metric: METRIC, quantity: 1 }, { metric: METRIC, quantity: 1 }] } });
    expect(batch.status).toBe(200);
    await eventually(() => used(a, 'qc-cross'), ['9.5']);
    await eventually(async () => (await check(b, 'qc-cross', '1')).body.allowed, false);
  });

  it('sees quota create, update and delete on A from B', async () => {
    await expectCached(b, 'qc-edit');
    expect((await check(b, 'qc-edit')).body.items).toEqual([]);
    const quota = (await createQuota(a, 'qc-edit', '5')).body;
    await eventually(async () => (await check(b, 'qc-edit')).body.items.map((i: { limit: string }) => i.limit), ['5']);
    await expectCached(b, 'qc-edit');
    expect((await on(a)('PUT', `${API}/quotas/${quota.id}`, { token: platformAdmin(), body: { limit: 50 } })).status).toBe(200);
    await eventually(async () => (await check(b, 'qc-edit')).body.items.map((i: { limit: string }) => i.limit), ['50']);
    await expectCached(b, 'qc-edit');
    expect((await on(a)('DELETE', `${API}/quotas/${quota.id}`, { token: platformAdmin() })).status).toBe(204);
    await eventually(async () => (await check(b, 'qc-edit')).body.items, []);
  });

  it('falls back to the database while the listener is lost, and caches again once it is back', async () => {
    expect((await createQuota(a, 'qc-lost', '100')).status).toBe(201);
    await expectCached(b, 'qc-lost');
    const pid = b.app.get(PgListener).backendPid;
    expect(pid).toEqual(expect.any(Number));
    await db.query('SELECT pg_terminate_backend($1)', [pid]);
    await eventually(listening(b), false, 1_000);
    // Notifications sent now are never heard by B: its answers must come from the database.
    expect((await record(a, 'qc-lost', '3')).status).toBe(201);
    const before = await hits(b);
    expect(await used(b, 'qc-lost')).toEqual(['3']);
    expect((await record(a, 'qc-lost', '4')).status).toBe(201);
    expect(await used(b, 'qc-lost')).toEqual(['7']);
    expect(await hits(b)).toBe(before);
    // Reconnected (with backoff): cached and notified again.
    await eventually(listening(b), true, 10_000);
    expect(b.app.get(PgListener).backendPid).not.toBe(pid);
    await expectCached(b, 'qc-lost');
    expect((await record(a, 'qc-lost', '1')).status).toBe(201);
    await eventually(() => used(b, 'qc-lost'), ['8']);
  });
});

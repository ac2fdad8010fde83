import { Client } from 'pg';
import { TestApp, bootApp } from '../support/app';
import { API, expectProblem, httpClient } from '../support/http';
import { PROBE_TABLE_SQL, ProbeModule } from '../support/probe.module';
import { platformAdmin, tenantAdmin } from '../support/tokens';

describe('Idempotency-Key', () => {
  let t: TestApp;
  let request: ReturnType<typeof httpClient>;
  let db: Client;
  const effects = async (tenant: string) =>
    Number((await db.query('SELECT count(*) AS n FROM probe_effects WHERE tenant_id = $1', [tenant])).rows[0].n);
  const post = (tenant: string, key: string | undefined, body: unknown, tk = tenantAdmin(tenant)) =>
    request('POST', `${API}/probe/tenants/${tenant}/effects`, { token: tk, body, headers: key ? { 'idempotency-key': key } : {} });

  beforeAll(async () => {
    t = await bootApp({ imports: [ProbeModule] });
    request = httpClient(t.baseUrl);
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    await db.query(PROBE_TABLE_SQL);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  it('runs every request without a key', async () => {
    await post('a', undefined, { amountCents: 5 });
    await post('a', undefined, { amountCents: 5 });
    expect(await effects('a')).toBe(2);
  });

  it('replays the stored response for the same key and body, without running again', async () => {
    const first = await post('b', 'k1', { amountCents: 7 });
    expect(first.status).toBe(201);
    const second = await post('b', 'k1', { amountCents: 7 });
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await effects('b')).toBe(1);
  });

  it('treats key order in the body as the same body', async () => {
    await request('POST', `${API}/probe/tenants/b2/effects`, { token: tenantAdmin('b2'), rawBody: '{"note":"n","amountCents":3}', headers: { 'content-type': 'application/json', 'idempotency-key': 'ko' } });
    const again = await post('b2', 'ko', { amountCents: 3, note: 'n' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await effects('b2')).toBe(1);
  });

  it('answers 409 IDEMPOTENCY_CONFLICT for the same key with another body', async () => {
    await post('c', 'k1', { amountCents: 1 });
    expectProblem(await post('c', 'k1', { amountCents: 2 }), 409, 'IDEMPOTENCY_CONFLICT');
    expect(await effects('c')).toBe(1);
  });

  it('scopes keys by tenant: the same key in two tenants runs twice', async () => {
    await post('d1', 'shared', { amountCents: 1 });
    await post('d2', 'shared', { amountCents: 1 });
    expect((await effects('d1')) + (await effects('d2'))).toBe(2);
  });

  it('runs concurrent duplicates once: the others wait and replay', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => post('e', 'burst', { amountCents: 9 })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(await effects('e')).toBe(1);
  });

  it('stores nothing for a request rejected at validation', async () => {
    expectProblem(await post('f', 'v1', { amountCents: -1 }), 400, 'VALIDATION_FAILED');
    const ok = await post('f', 'v1', { amountCents: 4 });
    expect(ok.status).toBe(201);
    expect(ok.headers.get('idempotent-replayed')).toBeNull();
    expect(await effects('f')).toBe(1);
  });

  it('stores a 4xx after validation and replays it, with the effects rolled back', async () => {
    expectProblem(await post('g', 'x1', { amountCents: 4, fail: 'conflict' }), 409, 'INVALID_STATE');
    const replay = await post('g', 'x1', { amountCents: 4, fail: 'conflict' });
    expectProblem(replay, 409, 'INVALID_STATE');
    expect(await effects('g')).toBe(0);
    const stored = await db.query("SELECT response_status FROM idempotency_keys WHERE key = 'x1'");
    expect(stored.rows).toEqual([{ response_status: 409 }]);
  });

  it('stores nothing for a 5xx, so a retry runs', async () => {
    const crash = await post('h', 'c1', { amountCents: 4, fail: 'crash' });
    expectProblem(crash, 500, 'INTERNAL');
    expect(await effects('h')).toBe(0);
    expect(t.logs.some((l) => l.includes(crash.body.requestId) && l.includes('probe crashed'))).toBe(true);
    expect((await db.query("SELECT 1 FROM idempotency_keys WHERE key = 'c1'")).rowCount).toBe(0);
  });

  it('treats an expired key as new', async () => {
    await post('i', 'old', { amountCents: 1 });
    await db.query("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'old'");
    const again = await post('i', 'old', { amountCents: 1 });
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(await effects('i')).toBe(2);
  });

  it('refuses a malformed key', async () => {
    expectProblem(await post('j', 'x'.repeat(300), { amountCents: 1 }), 400, 'VALIDATION_FAILED');
    expect(await effects('j')).toBe(0);
  });

  it('scopes platform callers by subject', async () => {
    await post('k', 'p1', { amountCents: 1 }, platformAdmin());
    const again = await post('k', 'p1', { amountCents: 1 }, platformAdmin());
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const scopes = await db.query("SELECT scope FROM idempotency_keys WHERE key = 'p1'");
    expect(scopes.rows).toEqual([{ scope: 'sub:admin' }]);
  });
});

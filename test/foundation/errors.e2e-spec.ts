import { TestApp, bootApp } from '../support/app';
import { API, expectProblem, httpClient } from '../support/http';
import { Client } from 'pg';
import { PROBE_TABLE_SQL, ProbeModule } from '../support/probe.module';
import { tenantAdmin } from '../support/tokens';

describe('errors are problem+json', () => {
  let t: TestApp;
  let request: ReturnType<typeof httpClient>;

  beforeAll(async () => {
    t = await bootApp({ imports: [ProbeModule], env: { BODY_LIMIT: '4kb' } });
    request = httpClient(t.baseUrl);
    const db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    await db.query(PROBE_TABLE_SQL);
    await db.end();
  });
  afterAll(() => t.close());

  it('answers 404 NOT_FOUND for an unknown route', async () => {
    const body = expectProblem(await request('GET', `${API}/nowhere`, { token: tenantAdmin() }), 404, 'NOT_FOUND');
    expect(body.instance).toBe(`${API}/nowhere`);
    expect(body.requestId).toEqual(expect.any(String));
  });

  it('lists every invalid field with its path and refuses unknown fields', async () => {
    const res = await request('POST', `${API}/probe/tenants/t1/effects`, {
      token: tenantAdmin(),
      body: { amountCents: 'seven', fail: 'explode', extra: 1 },
    });
    const body = expectProblem(res, 400, 'VALIDATION_FAILED');
    const paths = body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['amountCents', 'fail', 'extra']));
    expect(body.errors.every((e: { message: string }) => typeof e.message === 'string' && e.message.length > 0)).toBe(true);
  });

  it('refuses unknown query parameters', async () => {
    const body = expectProblem(await request('GET', `${API}/plans?limit=5&evil=1`, { token: tenantAdmin() }), 400, 'VALIDATION_FAILED');
    expect(body.errors).toEqual([expect.objectContaining({ path: 'evil' })]);
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await request('POST', `${API}/probe/bodies`, { token: tenantAdmin(), rawBody: '{"tenantId":', headers: { 'content-type': 'application/json' } });
    expectProblem(res, 400, 'VALIDATION_FAILED');
  });

  it('answers 413 PAYLOAD_TOO_LARGE over BODY_LIMIT', async () => {
    const res = await request('POST', `${API}/probe/bodies`, { token: tenantAdmin(), body: { tenantId: 't1', pad: 'x'.repeat(10_000) } });
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await request('POST', `${API}/probe/bodies`, { token: tenantAdmin(), rawBody: 'tenantId=t1', headers: { 'content-type': 'text/csv' } });
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('keeps stack traces out of 500s and logs their first line with the request id', async () => {
    const res = await request('POST', `${API}/probe/tenants/t1/effects`, { token: tenantAdmin(), body: { amountCents: 1, fail: 'crash' } });
    const body = expectProblem(res, 500, 'INTERNAL');
    expect(JSON.stringify(body)).not.toContain('probe crashed');
    expect(res.headers.get('x-request-id')).toBe(body.requestId);
    const line = t.logs.find((l) => l.includes('probe crashed'));
    expect(JSON.parse(line!)).toMatchObject({ level: 'error' });
    expect(line).toContain(body.requestId);
  });

  it('echoes a caller-given x-request-id', async () => {
    const res = await request('GET', `${API}/plans/nope`, { token: tenantAdmin(), headers: { 'x-request-id': 'trace-123' } });
    expect(expectProblem(res, 404, 'NOT_FOUND').requestId).toBe('trace-123');
  });
});

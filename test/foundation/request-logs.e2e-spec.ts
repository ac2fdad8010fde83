import { TestApp, bootApp } from '../support/app';
import { API, httpClient } from '../support/http';
import { tenantAdmin } from '../support/tokens';

/** request.log is made lazily (LazyChildLogger): at debug, Fastify's request lines still carry the request id. */
describe('request logs', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ env: { LOG_LEVEL: 'debug' } });
  });
  afterAll(() => t.close());

  it('tags every request line with the request id answered in x-request-id', async () => {
    const request = httpClient(t.baseUrl);
    const res = await request('GET', `${API}/cost-centers/tenants/t1`, { token: tenantAdmin('t1'), headers: { 'x-request-id': 'logged-req-1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('logged-req-1');
    await new Promise((r) => setTimeout(r, 200));
    const lines = t.logs.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.requestId === 'logged-req-1');
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
  });
});

import { TestApp, bootApp } from '../support/app';
import { API, expectProblem, httpClient } from '../support/http';
import { platformAdmin, serviceToken, tenantAdmin, tenantViewer, token } from '../support/tokens';
import { TokenBuckets } from '../../src/common/http/rate-limit.guard';
import { loadConfig } from '../../src/config/app-config';

const LIMIT = 5;

describe('per-caller rate limiting', () => {
  let t: TestApp;
  let request: ReturnType<typeof httpClient>;

  beforeAll(async () => {
    t = await bootApp({ env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
    request = httpClient(t.baseUrl);
  });
  afterAll(() => t.close());

  const plans = (tk?: string) => request('GET', `${API}/plans`, tk ? { token: tk } : {});

  it('answers 429 RATE_LIMITED with Retry-After once a tenant exceeds its limit', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await plans(tenantAdmin('rl-a'))).status).toBe(200);
    const res = await plans(tenantAdmin('rl-a'));
    const body = expectProblem(res, 429, 'RATE_LIMITED');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    // 5 per minute refills one token every 12 s.
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(12);
    expect(body.retryAfterSeconds).toBe(retryAfter);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('keys on the verified tenant: every token of that tenant shares the bucket, other tenants are unaffected', async () => {
    // Another subject and role of the limited tenant is still limited (the key is the tenant).
    expectProblem(await plans(tenantViewer('rl-a')), 429, 'RATE_LIMITED');
    expectProblem(await plans(token({ tenantId: 'rl-a', sub: 'someone-else', roles: ['tenant-admin'] })), 429, 'RATE_LIMITED');
    for (let i = 0; i < LIMIT; i++) expect((await plans(tenantAdmin('rl-b'))).status).toBe(200);
    expectProblem(await plans(tenantAdmin('rl-b')), 429, 'RATE_LIMITED');
    expect((await plans(tenantViewer('rl-c'))).status).toBe(200);
  });

  it('keys platform callers on their sub', async () => {
    const admin1 = token({ tenantId: null, roles: ['platform-admin'], sub: 'admin-1' });
    for (let i = 0; i < LIMIT; i++) expect((await plans(admin1)).status).toBe(200);
    expectProblem(await plans(admin1), 429, 'RATE_LIMITED');
    expect((await plans(token({ tenantId: null, roles: ['platform-admin'], sub: 'admin-2' }))).status).toBe(200);
  });

  it('never limits the service role (exempt by default)', async () => {
    for (let i = 0; i < LIMIT * 4; i++) expect((await plans(serviceToken())).status).toBe(200);
  });

  it('counts only verified callers: forged or missing tokens are 401, not 429, and use no bucket', async () => {
    const forged = token({ tenantId: 'rl-d', secret: 'another-secret-0123456789abcdef' });
    for (let i = 0; i < LIMIT * 2; i++) expectProblem(await plans(forged), 401, 'UNAUTHORIZED');
    expect((await plans(tenantAdmin('rl-d'))).status).toBe(200);
  });

  it('never limits public routes', async () => {
    for (let i = 0; i < LIMIT * 3; i++) {
      expect((await request('GET', '/health/live')).status).toBe(200);
    }
    expect((await request('GET', '/api/docs-json')).status).toBe(200);
  });
});

describe('rate limiting configuration', () => {
  it('limits the service role when RATE_LIMIT_SERVICE_EXEMPT=false, and RATE_LIMIT_PER_MINUTE=0 turns it off', async () => {
    const limited = await bootApp({ env: { RATE_LIMIT_PER_MINUTE: '2', RATE_LIMIT_SERVICE_EXEMPT: 'false' } });
    try {
      const request = httpClient(limited.baseUrl);
      for (let i = 0; i < 2; i++) expect((await request('GET', `${API}/plans`, { token: serviceToken() })).status).toBe(200);
      expectProblem(await request('GET', `${API}/plans`, { token: serviceToken() }), 429, 'RATE_LIMITED');
    } finally {
      await limited.close();
    }
    const off = await bootApp({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
    try {
      const request = httpClient(off.baseUrl);
      for (let i = 0; i < 30; i++) expect((await request('GET', `${API}/plans`, { token: platformAdmin() })).status).toBe(200);
    } finally {
      await off.close();
    }
  });

  it('validates the variables', () => {
    expect(loadConfig({}).rateLimit).toEqual({ perMinute: 6000, serviceExempt: true });
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: 'lots' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
    expect(() => loadConfig({ RATE_LIMIT_SERVICE_EXEMPT: 'maybe' })).toThrow(/RATE_LIMIT_SERVICE_EXEMPT/);
  });

  it('refills the token bucket continuously', () => {
    let now = 0;
    const buckets = new TokenBuckets(60, () => now); // one token per second
    for (let i = 0; i < 60; i++) expect(buckets.take('k')).toBe(0);
    expect(buckets.take('k')).toBe(1);
    now += 999;
    expect(buckets.take('k')).toBe(1);
    now += 1;
    expect(buckets.take('k')).toBe(0);
    expect(buckets.take('other')).toBe(0);
    now += 10 * 60_000; // refilled, never above capacity
    for (let i = 0; i < 60; i++) expect(buckets.take('k')).toBe(0);
    expect(buckets.take('k')).toBeGreaterThan(0);
  });
});

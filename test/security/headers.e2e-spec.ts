import { TestApp, bootApp } from '../support/app';
import { API, HttpResult, expectProblem, httpClient } from '../support/http';
import { tenantAdmin } from '../support/tokens';

const ALLOWED = 'https://app.example.com';
const ALSO_ALLOWED = 'https://admin.example.com';
const REFUSED = 'https://evil.example.net';

function expectSecurityHeaders(res: HttpResult): void {
  const h = res.headers;
  expect(h.get('x-content-type-options')).toBe('nosniff');
  expect(h.get('x-frame-options')).toBe('DENY');
  expect(h.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  expect(h.get('strict-transport-security')).toMatch(/max-age=\d+/);
  expect(h.get('referrer-policy')).toBe('no-referrer');
  expect(h.get('cross-origin-opener-policy')).toBe('same-origin');
  expect(h.get('x-dns-prefetch-control')).toBe('off');
  expect(h.get('x-permitted-cross-domain-policies')).toBe('none');
  expect(h.get('x-powered-by')).toBeNull();
}

describe('security headers and CORS', () => {
  let t: TestApp;
  let request: ReturnType<typeof httpClient>;

  beforeAll(async () => {
    t = await bootApp({ env: { CORS_ORIGINS: `${ALLOWED}, ${ALSO_ALLOWED}` } });
    request = httpClient(t.baseUrl);
  });
  afterAll(() => t.close());

  describe('headers on every response', () => {
    it('on API successes, with a strict CSP', async () => {
      const res = await request('GET', `${API}/plans`, { token: tenantAdmin() });
      expect(res.status).toBe(200);
      expectSecurityHeaders(res);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(res.headers.get('content-security-policy')).not.toMatch(/unsafe-inline/);
    });

    it('on errors (401, 404, 400, 413) and public routes', async () => {
      const results = [
        [await request('GET', `${API}/plans`), 401, 'UNAUTHORIZED'],
        [await request('GET', `${API}/no-such-route`, { token: tenantAdmin() }), 404, 'NOT_FOUND'],
        [await request('POST', `${API}/cost-centers`, { token: tenantAdmin(), rawBody: '{"broken', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED'],
        [await request('POST', `${API}/cost-centers`, { token: tenantAdmin(), rawBody: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE'],
      ] as const;
      for (const [res, status, code] of results) {
        expectProblem(res, status, code);
        expectSecurityHeaders(res);
      }
      for (const path of ['/health/live', '/metrics', '/api/docs-json']) {
        const res = await request('GET', path);
        expect(res.status).toBe(200);
        expectSecurityHeaders(res);
      }
    });
  });

  describe('Swagger UI keeps working', () => {
    it('GET /api/docs is 200 HTML that loads swagger-ui, under a CSP that allows it', async () => {
      const res = await request('GET', '/api/docs');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.text).toContain('swagger-ui');
      expect(res.text).toMatch(/<div id="swagger-ui">/);
      expectSecurityHeaders(res);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toMatch(/script-src 'self' 'unsafe-inline'/);
      expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
      expect(csp).toMatch(/img-src 'self' data:/);
      expect(csp).toMatch(/connect-src 'self'/);
      // Every script and stylesheet the page references is served (same origin, allowed by 'self').
      const assets = [...res.text.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
      expect(assets.length).toBeGreaterThanOrEqual(3);
      for (const asset of assets) {
        const url = new URL(asset, `${t.baseUrl}/api/docs/`);
        expect(url.origin).toBe(t.baseUrl);
        const a = await fetch(url);
        expect({ asset, status: a.status }).toEqual({ asset, status: 200 });
        await a.arrayBuffer();
      }
      const init = await (await fetch(`${t.baseUrl}/api/docs/swagger-ui-init.js`)).text();
      expect(init).toContain('SwaggerUIBundle');
    });
  });

  describe('CORS', () => {
    const preflight = (origin: string) =>
      request('OPTIONS', `${API}/plans`, {
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });

    it('answers a preflight from an allowed origin', async () => {
      for (const origin of [ALLOWED, ALSO_ALLOWED]) {
        const res = await preflight(origin);
        expect(res.status).toBe(204);
        expect(res.headers.get('access-control-allow-origin')).toBe(origin);
        expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
        expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/authorization/);
        expect(res.headers.get('vary')?.toLowerCase()).toMatch(/origin/);
      }
    });

    it('gives a refused origin no CORS grant', async () => {
      const res = await preflight(REFUSED);
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const get = await request('GET', `${API}/plans`, { token: tenantAdmin(), headers: { origin: REFUSED } });
      expect(get.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('grants an allowed origin on the actual request and exposes x-request-id and Retry-After', async () => {
      const res = await request('GET', `${API}/plans`, { token: tenantAdmin(), headers: { origin: ALLOWED } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(res.headers.get('access-control-expose-headers')?.toLowerCase()).toMatch(/x-request-id.*retry-after/);
    });
  });
});

describe('CORS off by default', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp();
  });
  afterAll(() => t.close());

  it('grants no origin when CORS_ORIGINS is unset', async () => {
    const request = httpClient(t.baseUrl);
    const res = await request('OPTIONS', `${API}/plans`, { headers: { origin: ALLOWED, 'access-control-request-method': 'GET' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.status).toBeLessThan(500);
    const get = await request('GET', `${API}/plans`, { token: tenantAdmin(), headers: { origin: ALLOWED } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
    expectSecurityHeaders(get);
  });
});

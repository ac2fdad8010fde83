import { generateKeyPairSync } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import { TestApp, bootApp } from '../support/app';
import { API, expectProblem, httpClient } from '../support/http';
import { ProbeModule } from '../support/probe.module';
import { TEST_JWT_SECRET, platformAdmin, serviceToken, tenantAdmin, tenantViewer, token } from '../support/tokens';

describe('auth (JWT guard, roles, tenant scope)', () => {
  let t: TestApp;
  let request: ReturnType<typeof httpClient>;

  beforeAll(async () => {
    t = await bootApp({ imports: [ProbeModule] });
    request = httpClient(t.baseUrl);
  });
  afterAll(() => t.close());

  describe('401', () => {
    it('refuses a request without a token', async () => {
      expectProblem(await request('GET', `${API}/plans`), 401, 'UNAUTHORIZED');
    });
    it('refuses a malformed bearer', async () => {
      expectProblem(await request('GET', `${API}/plans`, { headers: { authorization: 'Bearer not.a.jwt' } }), 401, 'UNAUTHORIZED');
      expectProblem(await request('GET', `${API}/plans`, { headers: { authorization: 'Basic abc' } }), 401, 'UNAUTHORIZED');
    });
    it('refuses an expired token', async () => {
      expectProblem(await request('GET', `${API}/plans`, { token: token({ expiresIn: -10 }) }), 401, 'UNAUTHORIZED');
    });
    it('refuses a token signed with another key', async () => {
      expectProblem(await request('GET', `${API}/plans`, { token: token({ secret: 'another-secret-0123456789abcdef' }) }), 401, 'UNAUTHORIZED');
    });
    it('refuses a token without exp', async () => {
      const res = await request('GET', `${API}/plans`, { token: token({ noExp: true }) });
      expect(expectProblem(res, 401, 'UNAUTHORIZED').detail).toMatch(/exp/);
    });
    it('refuses alg none and RS256 tokens on an HS256 service', async () => {
      const none = jwt.sign({ sub: 'x', roles: ['platform-admin'], exp: Math.floor(Date.now() / 1000) + 60 }, '', { algorithm: 'none' });
      expectProblem(await request('GET', `${API}/plans`, { token: none }), 401, 'UNAUTHORIZED');
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const rs = jwt.sign({ sub: 'x', roles: ['platform-admin'] }, privateKey.export({ type: 'pkcs8', format: 'pem' }), { algorithm: 'RS256', expiresIn: 60 });
      expectProblem(await request('GET', `${API}/plans`, { token: rs }), 401, 'UNAUTHORIZED');
    });
    it('refuses tampered claims', async () => {
      const [h, , s] = tenantViewer().split('.');
      const forged = Buffer.from(JSON.stringify({ sub: 'x', roles: ['platform-admin'], exp: 9999999999 })).toString('base64url');
      expectProblem(await request('GET', `${API}/plans`, { token: `${h}.${forged}.${s}` }), 401, 'UNAUTHORIZED');
    });
    it('refuses a token whose roles claim is missing', async () => {
      const t2 = jwt.sign({ sub: 'x', tenantId: 't1' }, TEST_JWT_SECRET, { expiresIn: 60 });
      expectProblem(await request('GET', `${API}/plans`, { token: t2 }), 401, 'UNAUTHORIZED');
    });
  });

  describe('roles', () => {
    it('lets every role read plans', async () => {
      for (const tk of [tenantAdmin(), tenantViewer(), platformAdmin(), serviceToken()]) {
        expect((await request('GET', `${API}/plans`, { token: tk })).status).toBe(200);
      }
    });
    it('answers 403 when the role is too weak', async () => {
      const res = await request('POST', `${API}/probe/tenants/t1/effects`, { token: tenantViewer('t1'), body: { amountCents: 1 } });
      expectProblem(res, 403, 'FORBIDDEN');
      expectProblem(await request('POST', `${API}/probe/tenants/t1/effects`, { token: serviceToken(), body: { amountCents: 1 } }), 403, 'FORBIDDEN');
    });
    it('answers 403 with a token that has no known role', async () => {
      expectProblem(await request('GET', `${API}/probe/tenants/t1`, { token: token({ roles: ['superuser'] }) }), 403, 'FORBIDDEN');
    });
    it('refuses a route that declares no access, whoever calls (default deny)', async () => {
      expectProblem(await request('GET', `${API}/probe/no-access`, { token: tenantAdmin() }), 403, 'FORBIDDEN');
    });
  });

  describe('tenant scope', () => {
    it('lets a tenant reach its own tenant', async () => {
      expect((await request('GET', `${API}/probe/tenants/t1`, { token: tenantViewer('t1') })).status).toBe(200);
    });
    it('answers 403 for another tenant in the path', async () => {
      expectProblem(await request('GET', `${API}/probe/tenants/t2`, { token: tenantViewer('t1') }), 403, 'FORBIDDEN');
      expectProblem(await request('GET', `${API}/probe/tenants/t2`, { token: tenantAdmin('t1') }), 403, 'FORBIDDEN');
    });
    it('answers 403 for another tenant in the body', async () => {
      expectProblem(await request('POST', `${API}/probe/bodies`, { token: tenantAdmin('t1'), body: { tenantId: 't2' } }), 403, 'FORBIDDEN');
      expect((await request('POST', `${API}/probe/bodies`, { token: tenantAdmin('t1'), body: { tenantId: 't1' } })).status).toBe(201);
    });
    it('lets platform-admin and service reach every tenant', async () => {
      expect((await request('GET', `${API}/probe/tenants/t9`, { token: platformAdmin() })).status).toBe(200);
      expect((await request('GET', `${API}/probe/tenants/t9`, { token: serviceToken() })).status).toBe(200);
    });
  });

  describe('public routes', () => {
    it('serves health, metrics and docs without a token', async () => {
      expect((await request('GET', '/health/live')).status).toBe(200);
      expect((await request('GET', '/health/ready')).body).toMatchObject({ status: 'ok' });
      expect((await request('GET', '/metrics')).status).toBe(200);
      expect((await request('GET', '/api/docs-json')).status).toBe(200);
      expect((await request('GET', '/api/docs')).status).toBe(200);
    });
  });
});

describe('auth with RS256 and issuer/audience', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let t: TestApp;
  let request: ReturnType<typeof httpClient>;
  const sign = (claims: object, opts: jwt.SignOptions = {}) =>
    jwt.sign({ sub: 'u', tenantId: 't1', roles: ['tenant-viewer'], ...claims }, priv, { algorithm: 'RS256', expiresIn: 60, issuer: 'idp', audience: 'billing', ...opts });

  beforeAll(async () => {
    t = await bootApp({ env: { JWT_SECRET: '', JWT_PUBLIC_KEY: pub, JWT_ISSUER: 'idp', JWT_AUDIENCE: 'billing' } });
    request = httpClient(t.baseUrl);
  });
  afterAll(() => t.close());

  it('accepts a token signed with the private key, issuer and audience right', async () => {
    expect((await request('GET', `${API}/plans`, { token: sign({}) })).status).toBe(200);
  });
  it('refuses wrong issuer or audience', async () => {
    expectProblem(await request('GET', `${API}/plans`, { token: sign({}, { issuer: 'evil' }) }), 401, 'UNAUTHORIZED');
    expectProblem(await request('GET', `${API}/plans`, { token: sign({}, { audience: 'other' }) }), 401, 'UNAUTHORIZED');
  });
  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const forged = jwt.sign({ sub: 'u', roles: ['platform-admin'] }, pub, { algorithm: 'HS256', expiresIn: 60, issuer: 'idp', audience: 'billing' });
    expectProblem(await request('GET', `${API}/plans`, { token: forged }), 401, 'UNAUTHORIZED');
  });
});

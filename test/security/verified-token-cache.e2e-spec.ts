import * as jwt from 'jsonwebtoken';
import { API, expectProblem } from '../support/http';
import { useApp } from '../support/suite';
import { TEST_JWT_SECRET, token } from '../support/tokens';

/**
 * A verified token is remembered until its exp (the quota check's hot path verifies each token
 * once): remembering must never let through what full verification refuses.
 */
describe('remembered JWTs', () => {
  const { request } = useApp();
  const plans = (tk: string) => request('GET', `${API}/plans`, { token: tk });
  const quotasOf = (tenant: string, tk: string) => request('GET', `${API}/quotas/tenants/${tenant}`, { token: tk });

  it('refuses a remembered token once its exp has passed', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const short = jwt.sign({ sub: 'short', tenantId: 't1', roles: ['tenant-viewer'], exp }, TEST_JWT_SECRET, { algorithm: 'HS256' });
    expect((await plans(short)).status).toBe(200);
    expect((await plans(short)).status).toBe(200);
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    expectProblem(await plans(short), 401, 'UNAUTHORIZED');
  });

  it('refuses a remembered token with its claims changed, its signature stripped or its alg set to none', async () => {
    const good = token({ tenantId: 't1', roles: ['tenant-viewer'] });
    expect((await quotasOf('t1', good)).status).toBe(200);
    const [h, p, s] = good.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, tenantId: 't2', roles: ['platform-admin'] })).toString('base64url');
    expectProblem(await quotasOf('t2', `${h}.${forged}.${s}`), 401, 'UNAUTHORIZED');
    expectProblem(await quotasOf('t1', `${h}.${p}.`), 401, 'UNAUTHORIZED');
    expectProblem(await quotasOf('t1', `${h}.${p}.${s}x`), 401, 'UNAUTHORIZED');
    const none = jwt.sign(claims, '', { algorithm: 'none' });
    expectProblem(await quotasOf('t1', none), 401, 'UNAUTHORIZED');
    // The remembered principal keeps its scope: same token, another tenant is still 403.
    expectProblem(await quotasOf('t2', good), 403, 'FORBIDDEN');
    expect((await quotasOf('t1', good)).status).toBe(200);
  });

  it('keeps refusing a token that failed, even after a good one of the same claims passed', async () => {
    const bad = token({ tenantId: 't1', secret: 'another-secret-0123456789abcdef' });
    expectProblem(await plans(bad), 401, 'UNAUTHORIZED');
    expect((await plans(token({ tenantId: 't1' }))).status).toBe(200);
    expectProblem(await plans(bad), 401, 'UNAUTHORIZED');
    const noExp = token({ noExp: true });
    expectProblem(await plans(noExp), 401, 'UNAUTHORIZED');
    expectProblem(await plans(noExp), 401, 'UNAUTHORIZED');
  });
});

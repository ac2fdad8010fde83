import { ProblemError } from '../errors/problem';
import { principalFromClaims } from './jwt.strategy';
import { callerScope, canAccessTenant } from './principal';

describe('principalFromClaims', () => {
  const exp = Math.floor(Date.now() / 1000) + 60;

  it('builds a principal and drops unknown roles', () => {
    expect(principalFromClaims({ sub: 'a', tenantId: 't1', roles: ['tenant-admin', 'root'], exp })).toEqual({ sub: 'a', tenantId: 't1', roles: ['tenant-admin'] });
    expect(principalFromClaims({ sub: 'p', roles: ['platform-admin'], exp }).tenantId).toBeNull();
  });

  it.each([
    ['no exp', { sub: 'a', roles: [] }],
    ['no sub', { roles: [], exp }],
    ['roles not a list', { sub: 'a', roles: 'platform-admin', exp }],
    ['a malformed tenant', { sub: 'a', tenantId: '../etc', roles: [], exp }],
  ])('refuses %s', (_, claims) => {
    expect(() => principalFromClaims(claims)).toThrow(ProblemError);
  });
});

describe('tenant access', () => {
  it('lets tenant roles reach their tenant only and cross-tenant roles every tenant', () => {
    expect(canAccessTenant({ sub: 'a', tenantId: 't1', roles: ['tenant-admin'] }, 't1')).toBe(true);
    expect(canAccessTenant({ sub: 'a', tenantId: 't1', roles: ['tenant-admin'] }, 't2')).toBe(false);
    expect(canAccessTenant({ sub: 's', tenantId: null, roles: ['service'] }, 't2')).toBe(true);
    expect(canAccessTenant({ sub: 'p', tenantId: null, roles: ['platform-admin'] }, 't2')).toBe(true);
  });

  it('scopes idempotency by tenant, or subject for platform callers', () => {
    expect(callerScope({ sub: 'a', tenantId: 't1', roles: [] })).toBe('tenant:t1');
    expect(callerScope({ sub: 'p', tenantId: null, roles: [] })).toBe('sub:p');
  });
});

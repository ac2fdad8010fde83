export const ROLES = ['platform-admin', 'service', 'tenant-admin', 'tenant-viewer'] as const;
export type Role = (typeof ROLES)[number];

export const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Who is calling, from a verified JWT. */
export interface Principal {
  sub: string;
  /** The caller's tenant; null for platform callers. */
  tenantId: string | null;
  roles: Role[];
}

/** Roles that reach every tenant. */
const CROSS_TENANT: readonly Role[] = ['platform-admin', 'service'];

export function reachesAllTenants(p: Principal): boolean {
  return p.roles.some((r) => CROSS_TENANT.includes(r));
}

export function canAccessTenant(p: Principal, tenantId: string): boolean {
  return reachesAllTenants(p) || p.tenantId === tenantId;
}

/** The idempotency scope of a caller: its tenant, or its subject for platform callers. */
export function callerScope(p: Principal): string {
  return p.tenantId !== null ? `tenant:${p.tenantId}` : `sub:${p.sub}`;
}

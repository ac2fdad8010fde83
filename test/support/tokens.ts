import * as jwt from 'jsonwebtoken';
import type { Role } from '../../src/common/auth/principal';

export const TEST_JWT_SECRET = 'test-secret-0123456789-abcdefghij';

export interface TokenOptions {
  tenantId?: string | null;
  roles?: Role[] | string[];
  sub?: string;
  expiresIn?: number;
  secret?: string;
  extra?: Record<string, unknown>;
  noExp?: boolean;
}

/** A real HS256 JWT signed with the test secret (or another, to test rejection). */
export function token(opts: TokenOptions = {}): string {
  const claims: Record<string, unknown> = { sub: opts.sub ?? 'tester', roles: opts.roles ?? ['tenant-admin'], ...opts.extra };
  if (opts.tenantId !== null) claims.tenantId = opts.tenantId ?? 't1';
  return jwt.sign(claims, opts.secret ?? TEST_JWT_SECRET, {
    algorithm: 'HS256',
    ...(opts.noExp ? {} : { expiresIn: opts.expiresIn ?? 600 }),
  });
}

export const tenantAdmin = (tenantId = 't1'): string => token({ tenantId, roles: ['tenant-admin'] });
export const tenantViewer = (tenantId = 't1'): string => token({ tenantId, roles: ['tenant-viewer'] });
export const platformAdmin = (): string => token({ tenantId: null, roles: ['platform-admin'], sub: 'admin' });
export const serviceToken = (): string => token({ tenantId: null, roles: ['service'], sub: 'svc-ingest' });

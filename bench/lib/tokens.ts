import * as jwt from 'jsonwebtoken';

/** A real HS256 JWT with `exp`, as the service's callers send. */
export function signToken(secret: string, claims: { sub: string; roles: string[]; tenantId?: string }, ttlSeconds = 4 * 3600): string {
  return jwt.sign(claims, secret, { algorithm: 'HS256', expiresIn: ttlSeconds });
}

export const serviceClaims = { sub: 'bench-ingest', roles: ['service'] };
export const platformAdminClaims = { sub: 'bench-admin', roles: ['platform-admin'] };

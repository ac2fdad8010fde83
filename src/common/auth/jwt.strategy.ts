import { KeyObject, createPublicKey, createSecretKey } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/app-config';
import { ProblemError } from '../errors/problem';
import { Principal, ROLES, Role, TENANT_ID_PATTERN } from './principal';

interface Claims {
  sub?: unknown;
  tenantId?: unknown;
  roles?: unknown;
  exp?: unknown;
}

/** Turns verified claims into a Principal, refusing tokens that lack what the contract requires. */
export function principalFromClaims(claims: Claims): Principal {
  if (typeof claims.exp !== 'number') throw new ProblemError('UNAUTHORIZED', 'The token has no exp claim');
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) {
    throw new ProblemError('UNAUTHORIZED', 'The token has no sub claim');
  }
  const tenantId = claims.tenantId ?? null;
  if (tenantId !== null && (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId))) {
    throw new ProblemError('UNAUTHORIZED', 'The token has a malformed tenantId claim');
  }
  if (!Array.isArray(claims.roles) || !claims.roles.every((r) => typeof r === 'string')) {
    throw new ProblemError('UNAUTHORIZED', 'The token has no roles claim (string[])');
  }
  const roles = (claims.roles as string[]).filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  return { sub: claims.sub, tenantId, roles };
}

/**
 * Verification key and algorithm: RS256 with JWT_PUBLIC_KEY when set, HS256 otherwise; never
 * both. Built once as a KeyObject: given a string, jsonwebtoken tries to parse it as a public key
 * on every request before treating it as a secret, a quarter of the CPU of a hot route.
 */
export function verificationKey(config: AppConfig): { key: KeyObject; algorithms: ['RS256'] | ['HS256'] } {
  if (config.jwt.publicKey) return { key: createPublicKey(config.jwt.publicKey), algorithms: ['RS256'] };
  if (config.jwt.secret) return { key: createSecretKey(Buffer.from(config.jwt.secret, 'utf8')), algorithms: ['HS256'] };
  throw new Error('No JWT key configured');
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { key, algorithms } = verificationKey(config);
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: key as unknown as string, // passport-jwt hands it to jsonwebtoken as is
      algorithms,
      issuer: config.jwt.issuer ?? undefined,
      audience: config.jwt.audience ?? undefined,
      ignoreExpiration: false,
    });
  }

  validate(claims: Claims): Principal {
    return principalFromClaims(claims);
  }
}

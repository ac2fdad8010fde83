import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ExtractJwt } from 'passport-jwt';
import { ProblemError } from '../errors/problem';
import { ACCESS_ROLES, IS_PUBLIC } from './access.decorator';
import { Principal, Role, canAccessTenant } from './principal';
import { VerifiedTokens } from './verified-tokens';

export type AuthenticatedRequest = FastifyRequest & { user?: Principal };

interface RouteAccess {
  isPublic: boolean;
  roles: Role[] | undefined;
}

const routeAccessByHandler = new WeakMap<object, WeakMap<object, RouteAccess>>();

/** A route's @Public and @Allow, read once per (handler, class): decorator metadata is fixed after boot. */
function routeAccess(reflector: Reflector, ctx: ExecutionContext): RouteAccess {
  const handler = ctx.getHandler();
  const cls = ctx.getClass();
  let byClass = routeAccessByHandler.get(handler);
  if (!byClass) routeAccessByHandler.set(handler, (byClass = new WeakMap()));
  let access = byClass.get(cls);
  if (!access) {
    access = {
      isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, cls]) === true,
      roles: reflector.getAllAndOverride<Role[] | undefined>(ACCESS_ROLES, [handler, cls]),
    };
    byClass.set(cls, access);
  }
  return access;
}

function isPublic(reflector: Reflector, ctx: ExecutionContext): boolean {
  return routeAccess(reflector, ctx).isPublic;
}

/** The same extraction as JwtStrategy's, so the token remembered is the token verified. */
const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * Default deny: every route needs a valid JWT unless marked @Public(). A token verified once
 * (passport-jwt: signature, algorithm, exp, iss, aud, claims) is remembered until its exp.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  private readonly verified = new VerifiedTokens();

  constructor(private readonly reflector: Reflector) {
    super();
  }

  /** Synchronous when the token is known: Nest awaits only what is a promise. */
  override canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    if (isPublic(this.reflector, ctx)) return true;
    const request = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request as never);
    const known = token ? this.verified.get(token) : null;
    if (known) {
      request.user = known;
      return true;
    }
    return this.verify(ctx, request, token);
  }

  private async verify(ctx: ExecutionContext, request: AuthenticatedRequest, token: string | null): Promise<boolean> {
    const ok = (await super.canActivate(ctx)) as boolean;
    if (ok && token && request.user) this.verified.remember(token, request.user);
    return ok;
  }

  override handleRequest<T>(err: unknown, user: T, info: unknown): T {
    if (err instanceof ProblemError) throw err;
    if (err || !user) {
      const reason = info instanceof Error ? info.message : 'missing or invalid bearer token';
      throw new ProblemError('UNAUTHORIZED', `Authentication failed: ${reason}`);
    }
    return user;
  }
}

/**
 * Roles and tenant scope in one place: the route's @Allow roles (platform-admin always), then a
 * `:tenantId` in the path or a `tenantId` in the body must be the caller's unless its role
 * reaches all tenants. A route that declares no roles is refused: access is never implicit.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (isPublic(this.reflector, ctx)) return true;
    const request = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = request.user;
    if (!principal) throw new ProblemError('UNAUTHORIZED', 'Authentication required');
    const allowed = routeAccess(this.reflector, ctx).roles;
    if (!allowed) throw new ProblemError('FORBIDDEN', 'This route declares no access');
    if (!principal.roles.some((r) => r === 'platform-admin' || allowed.includes(r))) {
      throw new ProblemError('FORBIDDEN', `This action needs one of the roles: ${allowed.join(', ')}`);
    }
    const params = (request.params ?? {}) as Record<string, unknown>;
    const body = request.body as Record<string, unknown> | undefined;
    const query = (request.query ?? {}) as Record<string, unknown>;
    // A PUT never takes tenantId (immutable: validation answers 400), so only creates and actions are checked here.
    const bodyTenant = request.method === 'POST' && body && typeof body === 'object' ? body.tenantId : undefined;
    for (const tenantId of [params.tenantId, bodyTenant, query.tenantId]) {
      if (typeof tenantId === 'string' && !canAccessTenant(principal, tenantId)) {
        throw new ProblemError('FORBIDDEN', 'The caller may not act on another tenant');
      }
    }
    return true;
  }
}

import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ProblemError } from '../errors/problem';
import { ACCESS_ROLES, IS_PUBLIC } from './access.decorator';
import { Principal, Role, canAccessTenant } from './principal';

export type AuthenticatedRequest = FastifyRequest & { user?: Principal };

function isPublic(reflector: Reflector, ctx: ExecutionContext): boolean {
  return reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()]) === true;
}

/** Default deny: every route needs a valid JWT unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(ctx: ExecutionContext) {
    if (isPublic(this.reflector, ctx)) return true;
    return super.canActivate(ctx);
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
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ACCESS_ROLES, [ctx.getHandler(), ctx.getClass()]);
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

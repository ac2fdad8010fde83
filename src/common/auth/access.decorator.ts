import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ProblemDto } from '../http/problem.dto';
import type { Role } from './principal';

export const IS_PUBLIC = 'billing:public';
export const ACCESS_ROLES = 'billing:access';

/** The route needs no JWT (health, metrics, docs, the Stripe webhook). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** Who may call a route; platform-admin always may. Tenant scoping is checked by AccessGuard. */
export const Access = {
  /** Every role; tenant roles only on their own tenant. */
  read: ['platform-admin', 'service', 'tenant-admin', 'tenant-viewer'] as Role[],
  /** Recording usage and checking quotas: internal services and the tenant's admins. */
  usage: ['platform-admin', 'service', 'tenant-admin'] as Role[],
  /** Changing a tenant's state. */
  tenantWrite: ['platform-admin', 'tenant-admin'] as Role[],
  /** Platform administration only. */
  platform: ['platform-admin'] as Role[],
  /** Coupons listing: platform-admin and service. */
  platformRead: ['platform-admin', 'service'] as Role[],
};

/** Declares the roles of a route and documents bearer auth with its 401/403 answers. */
export function Allow(roles: Role[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_ROLES, roles),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, malformed, expired or wrongly signed token', type: ProblemDto }),
    ApiForbiddenResponse({ description: `Role too weak (allowed: ${roles.join(', ')}) or another tenant`, type: ProblemDto }),
  );
}

import type { FastifyRequest } from 'fastify';
import type { DirectRoute } from './common/http/direct-routes';
import { TenantIdPipe } from './common/http/tenant-param';
import { QuotasController } from './quotas/quotas.controller';
import { UsageController } from './usage/usage.controller';

const tenantId = new TenantIdPipe();
const params = (request: FastifyRequest) => request.params as Record<string, string>;

/**
 * The routes answered without Nest's per-request pipeline (src/common/http/direct-routes.ts):
 * the two the platform calls at high rates. `prefix` is the global route prefix.
 */
export function hotRoutes(prefix: string): DirectRoute[] {
  return [
    {
      method: 'POST',
      url: `/${prefix}/tenants/:tenantId/usage`,
      controller: UsageController,
      handler: 'record',
      params: ['param:tenantId', 'body'],
      invoke: (c: UsageController, request) => c.record(tenantId.transform(params(request).tenantId), request.body),
    },
    {
      method: 'GET',
      url: `/${prefix}/quotas/tenants/:tenantId/check`,
      controller: QuotasController,
      handler: 'check',
      params: ['param:tenantId', 'query'],
      invoke: (c: QuotasController, request) => c.check(tenantId.transform(params(request).tenantId), request.query),
    },
  ];
}

import type { DirectRoute } from './common/http/direct-routes';
import { QuotasController } from './quotas/quotas.controller';
import { UsageController } from './usage/usage.controller';

/**
 * The routes answered without Nest's per-request pipeline (src/common/http/direct-routes.ts):
 * the two the platform calls at high rates. `prefix` is the global route prefix. Their
 * parameters and pipes are read from the controllers' decorators.
 */
export function hotRoutes(prefix: string): DirectRoute[] {
  return [
    { method: 'POST', url: `/${prefix}/tenants/:tenantId/usage`, controller: UsageController, handler: 'record', params: ['param:tenantId', 'body'] },
    { method: 'GET', url: `/${prefix}/quotas/tenants/:tenantId/check`, controller: QuotasController, handler: 'check', params: ['param:tenantId', 'query'] },
  ];
}

import { Injectable } from '@nestjs/common';
import type { PreparedQuery } from '../common/database/pg-pool';
import type { CostCenterRule } from './cost-attribution';

/**
 * What ingest needs about a tenant: its live cost centers (rule attribution, explicit ids) and
 * the metrics it has quotas on, at `version` (tenant_ingest_versions, bumped by triggers on any
 * write to cost_centers or quotas). Ingest remembers it per instance: the storing statement checks
 * the versions, so a context changed by any instance is never used to store.
 */
export interface TenantIngestContext {
  version: string;
  centers: Array<{ id: string; rules: CostCenterRule[] }>;
  quotaMetrics: ReadonlySet<string>;
}

/**
 * The one query of the ingest context. It reads quotas beside cost centers on purpose: one
 * statement is one snapshot, so each version is the version of what was read. It runs on the
 * caller's connection (`db`): ingest reads it inside its own transaction when it must.
 */
@Injectable()
export class IngestContextRepository {
  async load(db: PreparedQuery, tenantIds: string[]): Promise<Map<string, TenantIngestContext>> {
    const [row] = await db<{
      centers: Array<{ id: string; tenant_id: string; rules: CostCenterRule[] }> | null;
      quotas: Array<{ tenant_id: string; metric: string }> | null;
      versions: Array<{ tenant_id: string; version: string }> | null;
    }>(
      'ingest_tenant_context',
      `SELECT
         (SELECT json_agg(json_build_object('id', id, 'tenant_id', tenant_id, 'rules', rules) ORDER BY created_at, id)
            FROM cost_centers WHERE tenant_id = ANY($1) AND archived_at IS NULL) AS centers,
         (SELECT json_agg(DISTINCT jsonb_build_object('tenant_id', tenant_id, 'metric', metric)) FROM quotas WHERE tenant_id = ANY($1)) AS quotas,
         (SELECT json_agg(json_build_object('tenant_id', tenant_id, 'version', version::text)) FROM tenant_ingest_versions WHERE tenant_id = ANY($1)) AS versions`,
      [tenantIds],
    );
    const contexts = new Map<string, TenantIngestContext>(tenantIds.map((t) => [t, { version: '0', centers: [], quotaMetrics: new Set<string>() }]));
    for (const c of row.centers ?? []) contexts.get(c.tenant_id)!.centers.push({ id: c.id, rules: c.rules });
    for (const q of row.quotas ?? []) (contexts.get(q.tenant_id)!.quotaMetrics as Set<string>).add(q.metric);
    for (const v of row.versions ?? []) contexts.get(v.tenant_id)!.version = v.version;
    return contexts;
  }
}

import { Injectable } from '@nestjs/common';
import { PgPool } from '../common/database/pg-pool';
import { Transactions } from '../common/database/transactions';
import { Dec } from '../common/money/decimal';
import { GRANULARITY } from '../usage/rollups/window-segments';
import { QUOTA_CHANGES_CHANNEL, QuotaKey, quotaChangePayloads } from './quota-cache';
import type { Enforcement, Quota, QuotaPeriod } from './quota-state';

interface QuotaRow {
  id: string;
  tenant_id: string;
  metric: string;
  limit: string;
  period: QuotaPeriod;
  enforcement: Enforcement;
  cost_center_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, tenant_id, metric, "limit"::text AS "limit", period, enforcement, cost_center_id, created_at, updated_at';

function toQuota(r: QuotaRow): Quota {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    metric: r.metric,
    limit: new Dec(r.limit),
    period: r.period,
    enforcement: r.enforcement,
    costCenterId: r.cost_center_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * Quotas of a metric with, for day and month quotas, their usage read from the one rollup row
 * of the window (sum, count and max aggregate across cost centers in SQL): the quota check's hot
 * path in one prepared statement.
 */
const QUOTAS_WITH_CALENDAR_USAGE = `
  SELECT q.id, q.tenant_id, q.metric, q."limit"::text AS "limit", q.period, q.enforcement, q.cost_center_id, q.created_at, q.updated_at,
    CASE WHEN q.period IN ('day', 'month') THEN (
      SELECT (CASE $3 WHEN 'max' THEN coalesce(max(r.max), 0) WHEN 'count' THEN coalesce(sum(r.count), 0) ELSE coalesce(sum(r.sum), 0) END)::text
      FROM usage_rollups r
      WHERE r.tenant_id = q.tenant_id AND r.metric = q.metric AND r.resource_key = '*'
        AND r.granularity = (CASE q.period WHEN 'day' THEN '${GRANULARITY.day}' ELSE '${GRANULARITY.month}' END)::"char"
        AND r.bucket_start = (CASE q.period WHEN 'day' THEN $4::timestamptz ELSE $5::timestamptz END)
        AND (q.cost_center_id IS NULL OR r.cost_center_key = q.cost_center_id::text)
    ) END AS used
  FROM quotas q WHERE q.tenant_id = $1 AND q.metric = $2 ORDER BY q.created_at, q.id`;

/** The only place quotas are queried (ingest's context reads their metrics in the one snapshot of cost-centers/ingest-context.repository.ts); every method is scoped by tenant. */
@Injectable()
export class QuotasRepository {
  constructor(
    private readonly tx: Transactions,
    private readonly pg: PgPool,
  ) {}

  /** `used` is set for day and month quotas of sum, count and max metrics; null where the caller must read usage itself. */
  async forMetricWithCalendarUsage(tenantId: string, metric: string, aggregation: string, dayStart: Date, monthStart: Date): Promise<Array<{ quota: Quota; used: Dec | null }>> {
    const rows = await this.pg.prepared<QuotaRow & { used: string | null }>('quota_check', QUOTAS_WITH_CALENDAR_USAGE, [tenantId, metric, aggregation, dayStart, monthStart]);
    const calendar = aggregation === 'sum' || aggregation === 'count' || aggregation === 'max';
    return rows.map((r) => ({ quota: toQuota(r), used: calendar && r.used !== null ? new Dec(r.used) : null }));
  }

  async insert(q: Omit<Quota, 'id' | 'createdAt' | 'updatedAt'>): Promise<Quota> {
    const [row] = await this.tx.manager().query(
      `INSERT INTO quotas (tenant_id, metric, "limit", period, enforcement, cost_center_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [q.tenantId, q.metric, q.limit.toFixed(), q.period, q.enforcement, q.costCenterId],
    );
    return toQuota(row);
  }

  /** A tenant-scoped lookup; `tenantId` null means the caller reaches every tenant. */
  async findById(tenantId: string | null, id: string, lock = false): Promise<Quota | null> {
    const rows: QuotaRow[] = await this.tx.manager().query(
      `SELECT ${COLUMNS} FROM quotas WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)${lock ? ' FOR UPDATE' : ''}`,
      [id, tenantId],
    );
    return rows[0] ? toQuota(rows[0]) : null;
  }

  async listForTenant(tenantId: string, after: [string, string] | null, limit: number): Promise<Quota[]> {
    const rows: QuotaRow[] = await this.tx.manager().query(
      // Cursors carry milliseconds; the order uses the same precision so no row repeats or hides.
      `SELECT ${COLUMNS} FROM quotas
       WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (date_trunc('milliseconds', created_at), id) > ($2::timestamptz, $3::uuid))
       ORDER BY date_trunc('milliseconds', created_at), id LIMIT $4`,
      [tenantId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    return rows.map(toQuota);
  }

  async update(tenantId: string, id: string, patch: Partial<Pick<Quota, 'limit' | 'period' | 'enforcement' | 'costCenterId'>>): Promise<Quota> {
    const [rows] = await this.tx.manager().query(
      `UPDATE quotas SET "limit" = coalesce($3, "limit"), period = coalesce($4, period), enforcement = coalesce($5, enforcement),
         cost_center_id = CASE WHEN $6 THEN $7::uuid ELSE cost_center_id END, updated_at = now()
       WHERE id = $1 AND tenant_id = $2 RETURNING ${COLUMNS}`,
      [id, tenantId, patch.limit?.toFixed() ?? null, patch.period ?? null, patch.enforcement ?? null, 'costCenterId' in patch, patch.costCenterId ?? null],
    );
    return toQuota(rows[0]);
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.tx.manager().query('DELETE FROM quotas WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
  }

  /** Tells every instance, when the ambient transaction commits, that these quota states changed. */
  async notifyChanged(keys: QuotaKey[]): Promise<void> {
    const payloads = quotaChangePayloads(keys);
    await this.tx.manager().query('SELECT pg_notify($1, p) FROM unnest($2::text[]) p', [QUOTA_CHANGES_CHANNEL, payloads]);
  }
}

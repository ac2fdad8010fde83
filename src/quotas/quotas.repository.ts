import { Injectable } from '@nestjs/common';
import { Transactions } from '../common/database/transactions';
import { Dec } from '../common/money/decimal';
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

/** The only place quotas are queried; every method is scoped by tenant. */
@Injectable()
export class QuotasRepository {
  constructor(private readonly tx: Transactions) {}

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

  async forMetric(tenantId: string, metric: string): Promise<Quota[]> {
    const rows: QuotaRow[] = await this.tx.manager().query(`SELECT ${COLUMNS} FROM quotas WHERE tenant_id = $1 AND metric = $2 ORDER BY created_at, id`, [
      tenantId,
      metric,
    ]);
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

  async costCenterBelongsTo(tenantId: string, costCenterId: string): Promise<boolean> {
    const rows = await this.tx.manager().query('SELECT 1 FROM cost_centers WHERE id = $1 AND tenant_id = $2 AND archived_at IS NULL', [costCenterId, tenantId]);
    return rows.length > 0;
  }
}

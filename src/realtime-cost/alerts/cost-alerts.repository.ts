import { Injectable } from '@nestjs/common';
import { Transactions } from '../../common/database/transactions';
import type { AlertStatus, AlertType } from '../dto/cost-alert.dto';

export interface CostAlertRow {
  id: string;
  tenant_id: string;
  name: string;
  type: AlertType;
  threshold_cents: string | null;
  percent: string | null;
  cost_center_id: string | null;
  metric: string | null;
  webhook_url: string | null;
  status: AlertStatus;
  period_start: Date | null;
  period_end: Date | null;
  triggered_at: Date | null;
  dismissed_at: Date | null;
  last_value_cents: string | null;
  last_evaluated_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** created_at at full (microsecond) precision, the list's keyset. */
  created_key: string;
}

export interface DeliveryRow {
  id: string;
  tenant_id: string;
  alert_id: string;
  period_start: Date;
  webhook_url: string;
  payload: Record<string, unknown>;
  attempts: number;
  next_attempt_at: Date;
  delivered_at: Date | null;
  failed_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
}

export interface NewAlert {
  name: string;
  type: AlertType;
  thresholdCents: number | null;
  percent: number | null;
  costCenterId: string | null;
  metric: string | null;
  webhookUrl: string | null;
}

const SELECTED = `id, tenant_id, name, type, threshold_cents::text, percent::text, cost_center_id, metric, webhook_url, status, period_start, period_end,
  triggered_at, dismissed_at, last_value_cents::text, last_evaluated_at, created_at, updated_at,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key`;

const DELIVERY = `id, tenant_id, alert_id, period_start, webhook_url, payload, attempts, next_attempt_at, delivered_at, failed_at, last_status, last_error, created_at`;

/** Queries of cost alerts and their outbox; every alert lookup takes the tenant (or all, for roles that reach them). */
@Injectable()
export class CostAlertsRepository {
  constructor(private readonly tx: Transactions) {}

  private query<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.tx.manager().query(sql, params) as Promise<T[]>;
  }

  /** UPDATE … RETURNING through TypeORM answers [rows, count]. */
  private async update<T>(sql: string, params: unknown[]): Promise<T[]> {
    const [rows] = (await this.tx.manager().query(sql, params)) as [T[], number];
    return rows;
  }

  async insert(tenantId: string, a: NewAlert): Promise<CostAlertRow> {
    const [row] = await this.query<CostAlertRow>(
      `INSERT INTO cost_alerts (tenant_id, name, type, threshold_cents, percent, cost_center_id, metric, webhook_url)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${SELECTED}`,
      [tenantId, a.name, a.type, a.thresholdCents, a.percent, a.costCenterId, a.metric, a.webhookUrl],
    );
    return row;
  }

  /** By id; `tenantId` null means every tenant. */
  async find(tenantId: string | null, id: string, forUpdate = false): Promise<CostAlertRow | null> {
    const rows = await this.query<CostAlertRow>(
      `SELECT ${SELECTED} FROM cost_alerts WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)${forUpdate ? ' FOR UPDATE' : ''}`,
      [id, tenantId],
    );
    return rows[0] ?? null;
  }

  /** Oldest first; `after` is the (created_key, id) of the last row of the previous page. */
  list(tenantId: string, after: [string, string] | null, limit: number): Promise<CostAlertRow[]> {
    return this.query<CostAlertRow>(
      `SELECT ${SELECTED} FROM cost_alerts
       WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid))
       ORDER BY created_at, id LIMIT $4`,
      [tenantId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
  }

  async dismiss(tenantId: string, id: string, period: { start: Date; end: Date } | null): Promise<CostAlertRow> {
    const [row] = await this.update<CostAlertRow>(
      `UPDATE cost_alerts SET status = 'dismissed', dismissed_at = now(), period_start = $3, period_end = $4, updated_at = now()
       WHERE tenant_id = $1 AND id = $2 RETURNING ${SELECTED}`,
      [tenantId, id, period?.start ?? null, period?.end ?? null],
    );
    return row;
  }

  /** A live cost center of the tenant and its budget; null when there is none. */
  async costCenter(tenantId: string, id: string): Promise<{ budgetCents: number | null } | null> {
    const rows = await this.query<{ budget_cents: string | null }>(
      'SELECT budget_cents::text FROM cost_centers WHERE tenant_id = $1 AND id = $2 AND archived_at IS NULL',
      [tenantId, id],
    );
    return rows[0] ? { budgetCents: rows[0].budget_cents === null ? null : Number(rows[0].budget_cents) } : null;
  }

  /** Budgets of the tenant's cost centers (archived ones too: an alert keeps its cost center). */
  async budgets(tenantId: string, ids: string[]): Promise<Map<string, number | null>> {
    const rows = await this.query<{ id: string; budget_cents: string | null }>(
      'SELECT id, budget_cents::text FROM cost_centers WHERE tenant_id = $1 AND id = ANY($2::uuid[])',
      [tenantId, ids],
    );
    return new Map(rows.map((r) => [r.id, r.budget_cents === null ? null : Number(r.budget_cents)]));
  }

  /** The last delivery of each alert. */
  async lastDeliveries(tenantId: string, alertIds: string[]): Promise<Map<string, DeliveryRow>> {
    if (alertIds.length === 0) return new Map();
    const rows = await this.query<DeliveryRow>(
      `SELECT DISTINCT ON (alert_id) ${DELIVERY} FROM alert_deliveries
       WHERE tenant_id = $1 AND alert_id = ANY($2::uuid[]) ORDER BY alert_id, created_at DESC`,
      [tenantId, alertIds],
    );
    return new Map(rows.map((r) => [r.alert_id, r]));
  }

  // ---- evaluation ---------------------------------------------------------------------------

  /** The database's clock: usage watermarks compare with ingested_at, which it stamps. */
  async databaseNow(): Promise<Date> {
    const [row] = await this.query<{ now: Date }>('SELECT now() AS now', []);
    return row.now;
  }

  /**
   * Tenants with a live subscription and an armed alert (ok, or triggered/dismissed in an
   * earlier period), limited to those with usage ingested since `since` or an alert never
   * evaluated; every such tenant when `since` is null (the slow cycle).
   */
  async tenantsToEvaluate(since: Date | null): Promise<string[]> {
    const rows = await this.query<{ tenant_id: string }>(
      `SELECT DISTINCT a.tenant_id FROM cost_alerts a
       JOIN subscriptions s ON s.tenant_id = a.tenant_id AND s.status <> 'canceled'
       WHERE (a.status = 'ok' OR a.period_start IS DISTINCT FROM s.current_period_start)
         AND ($1::timestamptz IS NULL OR a.last_evaluated_at IS NULL
              OR EXISTS (SELECT 1 FROM usage_events e WHERE e.tenant_id = a.tenant_id AND e.ingested_at > $1::timestamptz))`,
      [since],
    );
    return rows.map((r) => r.tenant_id);
  }

  /** Alerts triggered or dismissed in an earlier period are armed again (status ok). */
  async rearm(tenantId: string, currentPeriodStart: Date): Promise<void> {
    await this.query(
      `UPDATE cost_alerts SET status = 'ok', updated_at = now()
       WHERE tenant_id = $1 AND status <> 'ok' AND period_start IS DISTINCT FROM $2`,
      [tenantId, currentPeriodStart],
    );
  }

  armed(tenantId: string): Promise<CostAlertRow[]> {
    return this.query<CostAlertRow>(`SELECT ${SELECTED} FROM cost_alerts WHERE tenant_id = $1 AND status = 'ok' ORDER BY created_at, id`, [tenantId]);
  }

  async recordValue(tenantId: string, id: string, valueCents: number): Promise<void> {
    await this.query(
      `UPDATE cost_alerts SET last_value_cents = $3, last_evaluated_at = now()
       WHERE tenant_id = $1 AND id = $2 AND status = 'ok' AND (last_value_cents IS DISTINCT FROM $3 OR last_evaluated_at IS NULL)`,
      [tenantId, id, valueCents],
    );
  }

  /**
   * The one transition to triggered of a period: only an armed alert whose stored period is not
   * the current one moves, so of several evaluators racing, exactly one gets the row back.
   */
  async trigger(tenantId: string, id: string, period: { start: Date; end: Date }, valueCents: number): Promise<CostAlertRow | null> {
    const rows = await this.update<CostAlertRow>(
      `UPDATE cost_alerts SET status = 'triggered', triggered_at = now(), period_start = $3, period_end = $4,
         last_value_cents = $5, last_evaluated_at = now(), updated_at = now()
       WHERE tenant_id = $1 AND id = $2 AND status = 'ok' AND period_start IS DISTINCT FROM $3
       RETURNING ${SELECTED}`,
      [tenantId, id, period.start, period.end, valueCents],
    );
    return rows[0] ?? null;
  }

  async enqueueDelivery(d: { tenantId: string; alertId: string; periodStart: Date; webhookUrl: string; payload: object }): Promise<void> {
    await this.query(
      `INSERT INTO alert_deliveries (tenant_id, alert_id, period_start, webhook_url, payload) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (alert_id, period_start) DO NOTHING`,
      [d.tenantId, d.alertId, d.periodStart, d.webhookUrl, JSON.stringify(d.payload)],
    );
  }

  // ---- delivery -----------------------------------------------------------------------------

  /**
   * Claims up to `limit` due deliveries: locked with SKIP LOCKED (instances never take the same
   * row), counted as an attempt and leased until `leaseMs` from now, then committed, so the
   * HTTP call holds no transaction. Only a crash mid-attempt lets the lease expire and the
   * delivery be tried again.
   */
  claimDue(limit: number, leaseMs: number): Promise<DeliveryRow[]> {
    return this.update<DeliveryRow>(
      `UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
       WHERE id IN (
         SELECT id FROM alert_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING ${DELIVERY}`,
      [limit, leaseMs],
    );
  }

  async markDelivered(id: string, status: number): Promise<void> {
    await this.query('UPDATE alert_deliveries SET delivered_at = now(), last_status = $2, last_error = NULL, updated_at = now() WHERE id = $1', [id, status]);
  }

  async markRetry(id: string, delayMs: number, status: number | null, error: string): Promise<void> {
    await this.query(
      `UPDATE alert_deliveries SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000), last_status = $3, last_error = $4, updated_at = now()
       WHERE id = $1`,
      [id, delayMs, status, error],
    );
  }

  async markFailed(id: string, status: number | null, error: string): Promise<void> {
    await this.query('UPDATE alert_deliveries SET failed_at = now(), last_status = $2, last_error = $3, updated_at = now() WHERE id = $1', [id, status, error]);
  }
}

import { Injectable } from '@nestjs/common';
import { Transactions } from '../common/database/transactions';
import type { PlanChange } from './domain/plan-parts';
import type { Subscription } from './subscription.types';

const COLUMNS = `id, tenant_id, plan_id, period_plan_id, status, interval, anchor_at, started_at, current_period_start, current_period_end,
  current_period_full_end, trial_end, cancel_at_period_end, canceled_at, billing_closed, paused_at, resumes_at, pending_change, discount, cost_center_id,
  stripe_customer_id, stripe_subscription_id, created_at, updated_at`;

type Row = Record<string, any>;

export function toSubscription(r: Row): Subscription {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    planId: r.plan_id,
    periodPlanId: r.period_plan_id,
    status: r.status,
    interval: r.interval,
    anchorAt: r.anchor_at,
    startedAt: r.started_at,
    currentPeriodStart: r.current_period_start,
    currentPeriodEnd: r.current_period_end,
    currentPeriodFullEnd: r.current_period_full_end,
    trialEnd: r.trial_end,
    cancelAtPeriodEnd: r.cancel_at_period_end,
    canceledAt: r.canceled_at,
    billingClosed: r.billing_closed,
    pausedAt: r.paused_at,
    resumesAt: r.resumes_at,
    pendingChange: r.pending_change,
    discount: r.discount,
    costCenterId: r.cost_center_id,
    stripeCustomerId: r.stripe_customer_id,
    stripeSubscriptionId: r.stripe_subscription_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Column names of the fields a use case may write. */
const WRITABLE: Record<string, string> = {
  planId: 'plan_id',
  periodPlanId: 'period_plan_id',
  status: 'status',
  interval: 'interval',
  anchorAt: 'anchor_at',
  currentPeriodStart: 'current_period_start',
  currentPeriodEnd: 'current_period_end',
  currentPeriodFullEnd: 'current_period_full_end',
  trialEnd: 'trial_end',
  cancelAtPeriodEnd: 'cancel_at_period_end',
  canceledAt: 'canceled_at',
  billingClosed: 'billing_closed',
  pausedAt: 'paused_at',
  resumesAt: 'resumes_at',
  pendingChange: 'pending_change',
  discount: 'discount',
  stripeCustomerId: 'stripe_customer_id',
  stripeSubscriptionId: 'stripe_subscription_id',
};

const JSON_FIELDS = new Set(['pendingChange', 'discount']);

export type SubscriptionPatch = Partial<Omit<Subscription, 'id' | 'tenantId' | 'startedAt' | 'createdAt' | 'updatedAt' | 'costCenterId'>>;

/** The only place subscriptions are queried; every lookup is scoped by tenant. */
@Injectable()
export class SubscriptionsRepository {
  constructor(private readonly tx: Transactions) {}

  async insert(s: Omit<Subscription, 'id' | 'createdAt' | 'updatedAt' | 'stripeCustomerId' | 'stripeSubscriptionId' | 'currentPeriodFullEnd'>): Promise<Subscription> {
    const [row] = await this.tx.manager().query(
      `INSERT INTO subscriptions (tenant_id, plan_id, period_plan_id, status, interval, anchor_at, started_at, current_period_start,
         current_period_end, current_period_full_end, trial_end, cancel_at_period_end, canceled_at, billing_closed, paused_at, resumes_at,
         pending_change, discount, cost_center_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING ${COLUMNS}`,
      [
        s.tenantId, s.planId, s.periodPlanId, s.status, s.interval, s.anchorAt, s.startedAt, s.currentPeriodStart, s.currentPeriodEnd,
        s.trialEnd, s.cancelAtPeriodEnd, s.canceledAt, s.billingClosed, s.pausedAt, s.resumesAt,
        s.pendingChange === null ? null : JSON.stringify(s.pendingChange), s.discount === null ? null : JSON.stringify(s.discount), s.costCenterId,
      ],
    );
    return toSubscription(row);
  }

  /** By id; `tenantId` null means the caller reaches every tenant. `lock` takes the row for the transaction. */
  async findById(tenantId: string | null, id: string, lock = false): Promise<Subscription | null> {
    const rows: Row[] = await this.tx.manager().query(
      `SELECT ${COLUMNS} FROM subscriptions WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)${lock ? ' FOR UPDATE' : ''}`,
      [id, tenantId],
    );
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  async findLive(tenantId: string, lock = false): Promise<Subscription | null> {
    const rows: Row[] = await this.tx.manager().query(
      `SELECT ${COLUMNS} FROM subscriptions WHERE tenant_id = $1 AND status <> 'canceled'${lock ? ' FOR UPDATE' : ''}`,
      [tenantId],
    );
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  async list(tenantId: string, after: [string, string] | null, limit: number): Promise<Subscription[]> {
    const rows: Row[] = await this.tx.manager().query(
      `SELECT ${COLUMNS} FROM subscriptions
       WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (date_trunc('milliseconds', created_at), id) < ($2::timestamptz, $3::uuid))
       ORDER BY date_trunc('milliseconds', created_at) DESC, id DESC LIMIT $4`,
      [tenantId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    return rows.map(toSubscription);
  }

  async update(id: string, patch: SubscriptionPatch): Promise<Subscription> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const [field, value] of Object.entries(patch)) {
      const column = WRITABLE[field];
      if (!column) throw new Error(`not a writable subscription field: ${field}`);
      params.push(JSON_FIELDS.has(field) && value !== null ? JSON.stringify(value) : value);
      sets.push(`${column} = $${params.length}`);
    }
    const [rows] = await this.tx.manager().query(`UPDATE subscriptions SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, params);
    return toSubscription(rows[0]);
  }

  /** Subscriptions with an ended period to invoice, or a pause to end (period close). */
  async dueForClose(now: Date, limit: number, skip: string[]): Promise<string[]> {
    const rows: Row[] = await this.tx.manager().query(
      `SELECT id FROM subscriptions
       WHERE NOT billing_closed AND (current_period_end <= $1 OR (status = 'paused' AND resumes_at <= $1)) AND NOT (id = ANY($3::uuid[]))
       ORDER BY current_period_end LIMIT $2`,
      [now, limit, skip],
    );
    return rows.map((r) => r.id);
  }

  /** Locks one subscription for period close; null when another instance holds it (it is doing the work). */
  async lockForClose(id: string): Promise<Subscription | null> {
    const rows: Row[] = await this.tx.manager().query(`SELECT ${COLUMNS} FROM subscriptions WHERE id = $1 FOR UPDATE SKIP LOCKED`, [id]);
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  async openPause(subscriptionId: string, at: Date): Promise<void> {
    await this.tx.manager().query('INSERT INTO subscription_pauses (subscription_id, paused_at) VALUES ($1, $2)', [subscriptionId, at]);
  }

  async closePause(subscriptionId: string, at: Date): Promise<void> {
    await this.tx.manager().query('UPDATE subscription_pauses SET resumed_at = $2 WHERE subscription_id = $1 AND resumed_at IS NULL', [subscriptionId, at]);
  }

  async pausesOverlapping(subscriptionId: string, from: Date, to: Date): Promise<Array<{ from: Date; to: Date | null }>> {
    const rows: Row[] = await this.tx.manager().query(
      `SELECT paused_at, resumed_at FROM subscription_pauses
       WHERE subscription_id = $1 AND paused_at < $3 AND (resumed_at IS NULL OR resumed_at > $2) ORDER BY paused_at`,
      [subscriptionId, from, to],
    );
    return rows.map((r) => ({ from: r.paused_at, to: r.resumed_at }));
  }

  /** Records that `change.toPlanId` took over at `change.at`. */
  async insertPlanChange(tenantId: string, subscriptionId: string, change: PlanChange): Promise<void> {
    await this.tx.manager().query(
      'INSERT INTO subscription_plan_changes (tenant_id, subscription_id, changed_at, from_plan_id, to_plan_id, prorate) VALUES ($1, $2, $3, $4, $5, $6)',
      [tenantId, subscriptionId, change.at, change.fromPlanId, change.toPlanId, change.prorate],
    );
  }

  /** The plan changes after `after`, oldest first (the plan in effect at `after` is the first one's from-plan). */
  async planChangesAfter(subscriptionId: string, after: Date): Promise<PlanChange[]> {
    const rows: Row[] = await this.tx.manager().query(
      `SELECT changed_at, from_plan_id, to_plan_id, prorate FROM subscription_plan_changes
       WHERE subscription_id = $1 AND changed_at > $2 ORDER BY changed_at, created_at`,
      [subscriptionId, after],
    );
    return rows.map((r) => ({ at: r.changed_at, fromPlanId: r.from_plan_id, toPlanId: r.to_plan_id, prorate: r.prorate }));
  }
}

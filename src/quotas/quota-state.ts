import type { Aggregation } from '../catalog/catalog.types';
import { Dec } from '../common/money/decimal';

export type QuotaPeriod = 'day' | 'month' | 'billing_period';
export type Enforcement = 'hard' | 'soft';

export interface Quota {
  id: string;
  tenantId: string;
  metric: string;
  limit: Dec;
  period: QuotaPeriod;
  enforcement: Enforcement;
  costCenterId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface QuotaItem {
  quotaId: string;
  metric: string;
  limit: string;
  used: string;
  remaining: string;
  utilization: number;
  enforcement: Enforcement;
  period: QuotaPeriod;
  periodStart: Date;
  periodEnd: Date;
  costCenterId: string | null;
}

/** UTC calendar day or month holding `at`: the windows of day and month quotas. */
export function calendarWindow(period: 'day' | 'month', at: Date): { start: Date; end: Date } {
  if (period === 'day') {
    const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
    return { start, end: new Date(start.getTime() + 86_400_000) };
  }
  return {
    start: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1)),
    end: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1)),
  };
}

/** What the metric would read after recording `quantity` more (for count: that many events). */
export function usageAfter(aggregation: Aggregation, used: Dec, quantity: Dec): Dec {
  switch (aggregation) {
    case 'max':
      return Dec.max(used, quantity);
    case 'latest':
      return quantity.isZero() ? used : quantity;
    default:
      return used.plus(quantity);
  }
}

export function quotaItem(q: Quota, used: Dec, window: { start: Date; end: Date }): QuotaItem {
  const remaining = Dec.max(q.limit.minus(used), 0);
  const utilization = q.limit.isZero() ? (used.isZero() ? 0 : Number.POSITIVE_INFINITY) : used.div(q.limit).toNumber();
  return {
    quotaId: q.id,
    metric: q.metric,
    limit: q.limit.toFixed(),
    used: used.toFixed(),
    remaining: remaining.toFixed(),
    // JSON has no Infinity: a zero limit with usage reads as a very large ratio.
    utilization: Number.isFinite(utilization) ? utilization : Number.MAX_SAFE_INTEGER,
    enforcement: q.enforcement,
    period: q.period,
    periodStart: window.start,
    periodEnd: window.end,
    costCenterId: q.costCenterId,
  };
}

/** allowed is false only when a hard quota would be exceeded by the quantity. */
export function isAllowed(items: Array<{ enforcement: Enforcement; limit: Dec; after: Dec }>): boolean {
  return !items.some((i) => i.enforcement === 'hard' && i.after.gt(i.limit));
}

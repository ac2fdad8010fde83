import type { Aggregation } from '../catalog/catalog.types';
import { Dec } from '../common/money/decimal';
import { allocateCents } from '../common/money/money';

/** Where usage is attributed: a resource (or none) and a cost center (or none). */
export interface AttributionKey {
  resourceType: string | null;
  resourceId: string | null;
  costCenterId: string | null;
}

/** One metric's aggregate for one resource and cost center over the window. */
export interface AttributedUsage extends AttributionKey {
  metric: string;
  aggregation: Aggregation;
  value: Dec;
}

export interface AttributedCost extends AttributionKey {
  costCents: number;
  usage: Array<{ metric: string; quantity: Dec }>;
}

export const attributionKey = (k: AttributionKey): string => [k.resourceType ?? '', k.resourceId ?? '', k.costCenterId ?? ''].join('\u0000');

const compareKeys = (a: AttributionKey, b: AttributionKey): number => {
  const ka = attributionKey(a);
  const kb = attributionKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/**
 * Splits each metric's priced cost (one invoice line, already rounded) over the resources that
 * used it, pro rata by their own aggregate of the metric: the quantity for sum and count
 * metrics, and for max, latest and unique_count metrics the resource's own max, latest value or
 * distinct count, used as a weight (those aggregates do not add up to the tenant's, so they can
 * only weigh). A tiered charge is therefore shared at its average price. allocateCents places
 * the rounding remainder (largest remainder first), so the parts add up to the line exactly.
 * A cost with no usage to weigh it (all weights zero) goes to the first key in key order.
 */
export function splitCosts(costByMetric: ReadonlyMap<string, number>, rows: readonly AttributedUsage[]): AttributedCost[] {
  const out = new Map<string, AttributedCost>();
  const entry = (k: AttributionKey): AttributedCost => {
    const key = attributionKey(k);
    let e = out.get(key);
    if (!e) {
      e = { resourceType: k.resourceType, resourceId: k.resourceId, costCenterId: k.costCenterId, costCents: 0, usage: [] };
      out.set(key, e);
    }
    return e;
  };
  const byMetric = new Map<string, AttributedUsage[]>();
  for (const r of [...rows].sort(compareKeys)) {
    entry(r).usage.push({ metric: r.metric, quantity: r.value });
    // Appended in place: copying the list for each row made a split quadratic in the resources.
    const parts = byMetric.get(r.metric);
    if (parts) parts.push(r);
    else byMetric.set(r.metric, [r]);
  }
  for (const [metric, cents] of costByMetric) {
    const parts = byMetric.get(metric) ?? [];
    if (cents === 0) continue;
    if (parts.length === 0) {
      // Priced usage that no resource row holds (it cannot happen with consistent reads): kept visible, unattributed.
      entry({ resourceType: null, resourceId: null, costCenterId: null }).costCents += cents;
      continue;
    }
    allocateCents(cents, parts.map((p) => p.value)).forEach((c, i) => (entry(parts[i]).costCents += c));
  }
  for (const e of out.values()) e.usage.sort((a, b) => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
  return [...out.values()];
}

/** Adds an amount split over weighted keys (late usage of earlier periods) to attributed costs. */
export function addSplit(costs: AttributedCost[], cents: number, weighted: ReadonlyArray<AttributionKey & { weight: Dec }>): AttributedCost[] {
  const byKey = new Map(costs.map((c) => [attributionKey(c), c]));
  const parts = weighted.length > 0 ? [...weighted].sort(compareKeys) : [{ resourceType: null, resourceId: null, costCenterId: null, weight: new Dec(1) }];
  allocateCents(cents, parts.map((p) => p.weight)).forEach((c, i) => {
    const key = attributionKey(parts[i]);
    let e = byKey.get(key);
    if (!e) {
      e = { resourceType: parts[i].resourceType, resourceId: parts[i].resourceId, costCenterId: parts[i].costCenterId, costCents: 0, usage: [] };
      byKey.set(key, e);
      costs.push(e);
    }
    e.costCents += c;
  });
  return costs;
}

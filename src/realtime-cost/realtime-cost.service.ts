import { Injectable } from '@nestjs/common';
import type { InvoiceLine } from '../pricing/invoice-builder';
import { priceCharge } from '../pricing/price-charge';
import { CatalogService } from '../catalog/catalog.service';
import type { PlanDef } from '../catalog/catalog.types';
import { Transactions } from '../common/database/transactions';
import { ValidationFailed } from '../common/errors/problem';
import { Dec } from '../common/money/decimal';
import { InvoiceComposer } from '../invoices/invoice-composer';
import { InvoicesRepository } from '../invoices/invoices.repository';
import { noLiveSubscription } from '../subscriptions/subscriptions.errors';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import type { Subscription } from '../subscriptions/subscription.types';
import { UsageAggregate, UsageReader } from '../usage/usage-reader';
import { UsageEventsRepository } from '../usage/usage-events.repository';
import { UsageTimelineReader } from '../usage/usage-timeline.reader';
import { AttributedCost, addSplit, splitCosts } from './cost-split';
import type { CostByResourceDto, CurrentCostDto, MetricCostDto, TimelineDto, TimelineQuery, WindowQuery } from './dto/realtime-cost.dto';
import { MAX_BUCKETS, bucketBounds, bucketIndex, cumulativeUsage } from './timeline';

const MAX_WINDOW_MS = 5 * 366 * 86_400_000;

/** What the current period has accrued so far, and the late usage lines in it. */
export interface Accrual {
  current: CurrentCostDto;
  lateLines: InvoiceLine[];
  /** Each charge's usage line amount (this period's usage only). */
  usageLineCents: Map<string, number>;
}

interface Window {
  from: Date;
  to: Date;
  /** The window is the current period: costs are the invoice's own usage lines (late usage included). */
  isCurrentPeriod: boolean;
  /** Usage inside a trial period is not billed. */
  trial: boolean;
}

const sameTime = (a: Date, b: Date) => a.getTime() === b.getTime();

/**
 * Real-time cost: the live subscription's current period priced by the invoice engine
 * (InvoiceComposer, priceCharge), so current agrees with the billing preview to the cent, and
 * that cost broken down by resource and over time. Each answer reads one database snapshot.
 */
@Injectable()
export class RealtimeCostService {
  constructor(
    private readonly subscriptions: SubscriptionsRepository,
    private readonly composer: InvoiceComposer,
    private readonly usage: UsageReader,
    private readonly catalog: CatalogService,
    private readonly buckets: UsageTimelineReader,
    private readonly events: UsageEventsRepository,
    private readonly invoices: InvoicesRepository,
    private readonly tx: Transactions,
  ) {}

  /**
   * Runs reads in one REPEATABLE READ, READ ONLY transaction: the parts of an answer (the
   * invoice lines, per-resource rows, buckets) see the same events even while usage streams in.
   */
  snapshot<T>(work: () => Promise<T>): Promise<T> {
    const nested = this.tx.manager() !== this.tx.dataSource.manager;
    return this.tx.run(async (em) => {
      if (!nested) await em.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return work();
    });
  }

  async live(tenantId: string): Promise<Subscription> {
    const s = await this.subscriptions.findLive(tenantId);
    if (!s) throw noLiveSubscription(tenantId);
    return s;
  }

  current(tenantId: string, now = new Date()): Promise<CurrentCostDto> {
    return this.snapshot(async () => (await this.accrual(await this.live(tenantId), now)).current);
  }

  byResource(tenantId: string, q: WindowQuery): Promise<CostByResourceDto> {
    return this.snapshot(async () => {
      const s = await this.live(tenantId);
      const window = this.window(s, q);
      const costs = await this.attributedCosts(s, window);
      return {
        currency: this.plan(s).currency,
        from: window.from,
        to: window.to,
        totalCents: costs.reduce((n, c) => n + c.costCents, 0),
        data: costs.map((c) => ({
          resourceType: c.resourceType,
          resourceId: c.resourceId,
          costCenterId: c.costCenterId,
          costCents: c.costCents,
          usage: c.usage.map((u) => ({ metric: u.metric, quantity: u.quantity.toFixed() })),
        })),
      };
    });
  }

  /**
   * Usage cost over time. Tiers and allowances make cost non-additive (the 1001st unit costs
   * what the tier it falls in says), so each bucket's cumulativeCents is the price of all usage
   * from the window start to the bucket's end, priced as one invoice line per charge, and
   * costCents is the difference from the previous bucket. Over the current period the last
   * cumulativeCents is therefore current.usageCents.
   */
  timeline(tenantId: string, q: TimelineQuery): Promise<TimelineDto> {
    return this.snapshot(async () => {
      const s = await this.live(tenantId);
      const plan = this.plan(s);
      const granularity = q.granularity ?? 'day';
      const window = this.window(s, q);
      const bounds = bucketBounds(window.from, window.to, granularity);
      if (bounds.length > MAX_BUCKETS) {
        throw new ValidationFailed([{ path: 'granularity', message: `the window holds ${bounds.length} buckets; at most ${MAX_BUCKETS}` }]);
      }
      const metrics = [...new Set(plan.charges.map((c) => c.metric))];
      const unique = metrics.map((k) => this.catalog.metric(k)).filter((m) => m?.aggregation === 'unique_count' && m.property);
      const [rows, firsts] = await Promise.all([
        this.buckets.usageBuckets(tenantId, window.from, window.to, granularity, metrics),
        this.buckets.firstSeen(tenantId, window.from, window.to, granularity, unique.map((m) => ({ key: m!.key, property: m!.property! }))),
      ]);
      const cumulative = cumulativeUsage(
        bounds.length,
        rows.map((r) => ({ ...r, index: bucketIndex(window.from, r.bucket, granularity) })),
        firsts.map((f) => ({ ...f, index: bucketIndex(window.from, f.bucket, granularity) })),
        (k) => this.catalog.metric(k)?.aggregation,
      );
      const startsPeriod = sameTime(window.from, s.currentPeriodStart);
      const lateUsageCents = startsPeriod ? sumCents((await this.accrual(s)).lateLines) : 0;
      const price = memoizedPricer(plan);
      let previous = 0;
      const buckets = bounds.map((b, i) => {
        const usageCents = window.trial ? 0 : plan.charges.reduce((n, c) => n + price(c.metric, cumulative[i].get(c.metric) ?? new Dec(0)), 0);
        const cumulativeCents = usageCents + lateUsageCents;
        const bucket = { start: b.start, costCents: cumulativeCents - previous, cumulativeCents };
        previous = cumulativeCents;
        return bucket;
      });
      return { currency: plan.currency, granularity, from: window.from, to: window.to, lateUsageCents, buckets };
    });
  }

  /**
   * The current period as the billing preview prices it (the same composer and lines): base and
   * proration lines are the base fee; usage and late_usage lines are usage.
   */
  async accrual(s: Subscription, now = new Date()): Promise<Accrual> {
    const period = { start: s.currentPeriodStart, end: s.currentPeriodEnd, fullEnd: s.currentPeriodFullEnd };
    const invoice = await this.composer.compose(s, period, 0, { lateUsage: true });
    const byMetric = new Map<string, MetricCostDto>();
    const usageLineCents = new Map<string, number>();
    let baseFeeCents = 0;
    let usageCents = 0;
    for (const l of invoice.lines) {
      if (l.type === 'base' || l.type === 'proration') baseFeeCents += l.amountCents;
      else usageCents += l.amountCents;
      if (l.type === 'usage' && l.metric) {
        // A period split by a plan change has a line per part: the metric's figures add up.
        const seen = byMetric.get(l.metric);
        const quantity = seen ? new Dec(seen.quantity).plus(l.quantity ?? '0').toFixed() : (l.quantity ?? '0');
        byMetric.set(l.metric, { metric: l.metric, quantity, costCents: (seen?.costCents ?? 0) + l.amountCents, lateUsageCents: 0 });
        usageLineCents.set(l.metric, (usageLineCents.get(l.metric) ?? 0) + l.amountCents);
      }
    }
    if (byMetric.size === 0) {
      // A trial bills no usage, so it has no usage lines: show the quantities at no cost.
      const quantities = await this.composer.usageFor(s.tenantId, period.start, period.end);
      for (const c of this.plan(s).charges) {
        byMetric.set(c.metric, { metric: c.metric, quantity: (quantities.get(c.metric) ?? new Dec(0)).toFixed(), costCents: 0, lateUsageCents: 0 });
      }
    }
    const lateLines = invoice.lines.filter((l) => l.type === 'late_usage');
    for (const l of lateLines) {
      const metric = l.metric ?? 'unknown';
      const entry = byMetric.get(metric) ?? { metric, quantity: '0', costCents: 0, lateUsageCents: 0 };
      entry.costCents += l.amountCents;
      entry.lateUsageCents += l.amountCents;
      byMetric.set(metric, entry);
    }
    return {
      current: {
        periodStart: period.start,
        periodEnd: period.end,
        currency: invoice.currency,
        baseFeeCents,
        usageCents,
        accruedCents: baseFeeCents + usageCents,
        byMetric: [...byMetric.values()],
        asOf: now,
      },
      lateLines,
      usageLineCents,
    };
  }

  /**
   * Each resource's (and cost center's) share of the window's usage cost: each charge's cost
   * split pro rata (splitCosts). Over the current period the costs are the invoice's usage
   * lines, and each late_usage line is split over the resources of the late events it charges
   * for, so the parts add up to current.usageCents; other windows are priced as one billing
   * period would be (allowances and tiers over the window) with the current plan.
   */
  async attributedCosts(s: Subscription, window: Window, onlyMetric?: string): Promise<AttributedCost[]> {
    const plan = this.plan(s);
    const rows = await this.usage.aggregate({
      tenantId: s.tenantId,
      from: window.from,
      to: window.to,
      groupBy: 'resource',
      metrics: onlyMetric === undefined ? undefined : [onlyMetric],
    });
    let costByMetric: Map<string, number>;
    let lateLines: InvoiceLine[] = [];
    if (window.isCurrentPeriod) {
      const accrual = await this.accrual(s);
      costByMetric = accrual.usageLineCents;
      lateLines = accrual.lateLines;
    } else {
      const quantity = await this.windowQuantities(s.tenantId, window, onlyMetric === undefined ? plan.charges.map((c) => c.metric) : [onlyMetric], rows);
      costByMetric = new Map(plan.charges.map((c) => [c.metric, window.trial ? 0 : priceCharge(c, quantity.get(c.metric) ?? new Dec(0), plan.currency).amountCents]));
    }
    if (onlyMetric !== undefined) {
      costByMetric = new Map([...costByMetric].filter(([m]) => m === onlyMetric));
      lateLines = lateLines.filter((l) => l.metric === onlyMetric);
    }
    const costs = splitCosts(
      costByMetric,
      rows.map((r) => ({ metric: r.metric, aggregation: r.aggregation, value: r.value, resourceType: r.resourceType, resourceId: r.resourceId, costCenterId: r.costCenterId })),
    );
    for (const l of lateLines) {
      if (!l.metric || l.amountCents === 0) continue;
      const byCount = this.catalog.metric(l.metric)?.aggregation === 'count';
      // The events a late_usage line charges for: those of its window ingested since the window was last billed.
      const billedAt = await this.invoices.billedUsageWrittenAt(s.id, l.metric, l.periodStart);
      const weights = billedAt === null ? [] : await this.events.byResourceIngestedSince(s.tenantId, l.metric, { from: l.periodStart, to: l.periodEnd }, billedAt, byCount);
      addSplit(costs, l.amountCents, weights);
    }
    return costs.sort(
      (a, b) =>
        b.costCents - a.costCents ||
        (a.resourceType ?? '\uffff').localeCompare(b.resourceType ?? '\uffff') ||
        (a.resourceId ?? '\uffff').localeCompare(b.resourceId ?? '\uffff') ||
        (a.costCenterId ?? '\uffff').localeCompare(b.costCenterId ?? '\uffff'),
    );
  }

  /**
   * Each metric's aggregate over the window. Sums, counts and maxima are the sum or max of
   * the per-resource rows already read (every event is on one resource row, '' for none), exact
   * decimals; latest values and distinct counts are not, so only those metrics are read again
   * grouped by metric. A second full read of every metric cost a by-resource request about a
   * third of its time (issue #16 item 10).
   */
  private async windowQuantities(tenantId: string, window: Window, metrics: string[], rows: readonly UsageAggregate[]): Promise<Map<string, Dec>> {
    const quantity = new Map<string, Dec>();
    const reread: string[] = [];
    for (const metric of new Set(metrics)) {
      const aggregation = this.catalog.metric(metric)?.aggregation ?? 'sum';
      if (aggregation !== 'sum' && aggregation !== 'count' && aggregation !== 'max') {
        reread.push(metric);
        continue;
      }
      let q: Dec | null = null;
      for (const r of rows) {
        if (r.metric !== metric) continue;
        q = q === null ? r.value : aggregation === 'max' ? (r.value.gt(q) ? r.value : q) : q.plus(r.value);
      }
      if (q !== null) quantity.set(metric, q);
    }
    if (reread.length > 0) {
      for (const t of await this.usage.aggregate({ tenantId, from: window.from, to: window.to, groupBy: 'metric', metrics: reread })) quantity.set(t.metric, t.value);
    }
    return quantity;
  }

  /** The window of a query: the current period by default. */
  window(s: Subscription, q: WindowQuery): Window {
    const from = q.from ? new Date(q.from) : s.currentPeriodStart;
    const to = q.to ? new Date(q.to) : s.currentPeriodEnd;
    if (from.getTime() >= to.getTime()) throw new ValidationFailed([{ path: 'to', message: 'must be after from' }]);
    if (to.getTime() - from.getTime() > MAX_WINDOW_MS) throw new ValidationFailed([{ path: 'to', message: 'the window may span at most 5 years' }]);
    const inPeriod = from.getTime() >= s.currentPeriodStart.getTime() && to.getTime() <= s.currentPeriodEnd.getTime();
    const trialPeriod = s.trialEnd !== null && s.currentPeriodEnd.getTime() <= s.trialEnd.getTime();
    return { from, to, isCurrentPeriod: sameTime(from, s.currentPeriodStart) && sameTime(to, s.currentPeriodEnd), trial: trialPeriod && inPeriod };
  }

  /** The default window (the current period) of a subscription. */
  currentWindow(s: Subscription): Window {
    return this.window(s, {});
  }

  plan(s: Subscription): PlanDef {
    return this.catalog.plan(s.planId)!;
  }
}

const sumCents = (lines: readonly { amountCents: number }[]): number => lines.reduce((n, l) => n + l.amountCents, 0);

/** priceCharge's cents per metric, reusing the last answer while a metric's quantity stays the same. */
function memoizedPricer(plan: PlanDef): (metric: string, quantity: Dec) => number {
  const last = new Map<string, { quantity: Dec; cents: number }>();
  return (metric, quantity) => {
    const hit = last.get(metric);
    if (hit && hit.quantity.eq(quantity)) return hit.cents;
    const charge = plan.charges.find((c) => c.metric === metric)!;
    const cents = priceCharge(charge, quantity, plan.currency).amountCents;
    last.set(metric, { quantity, cents });
    return cents;
  };
}

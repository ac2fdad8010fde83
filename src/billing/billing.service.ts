import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/app-config';
import { CatalogService } from '../catalog/catalog.service';
import { Dec } from '../common/money/decimal';
import { InvoiceComposer } from '../invoices/invoice-composer';
import { CreditLedger } from '../subscriptions/credit-ledger.service';
import { noLiveSubscription } from '../subscriptions/subscriptions.errors';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import type { Subscription } from '../subscriptions/subscription.types';
import type { BillingEstimateDto, BillingPreviewDto } from './dto/billing.dto';
import { buildInvoice } from '../pricing/invoice-builder';

const RUN_RATE_AGGREGATIONS = new Set(['sum', 'count']);
/** The least time a run rate is measured over: 1 cpu-hour in the first 17 ms of a month is no rate. */
export const ESTIMATE_MIN_ELAPSED_MS = 60 * 60 * 1000;

/** Preview and estimate of the live subscription's current period: priced exactly as invoices are. */
@Injectable()
export class BillingService {
  constructor(
    private readonly subscriptions: SubscriptionsRepository,
    private readonly composer: InvoiceComposer,
    private readonly credits: CreditLedger,
    private readonly catalog: CatalogService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private async live(tenantId: string): Promise<Subscription> {
    const s = await this.subscriptions.findLive(tenantId);
    if (!s) throw noLiveSubscription(tenantId);
    return s;
  }

  private period(s: Subscription) {
    return { start: s.currentPeriodStart, end: s.currentPeriodEnd, fullEnd: s.currentPeriodFullEnd };
  }

  /** What the current period's invoice would be if it ended now (not stored). */
  async preview(tenantId: string, now = new Date()): Promise<BillingPreviewDto> {
    const s = await this.live(tenantId);
    const invoice = await this.composer.compose(s, this.period(s), await this.credits.balance(s.id, now), { lateUsage: true });
    return {
      currency: invoice.currency,
      periodStart: s.currentPeriodStart,
      periodEnd: s.currentPeriodEnd,
      lines: invoice.lines,
      subtotalCents: invoice.subtotalCents,
      discountCents: invoice.discountCents,
      taxCents: invoice.taxCents,
      totalCents: invoice.totalCents,
      creditAppliedCents: invoice.creditAppliedCents,
      amountDueCents: invoice.amountDueCents,
      asOf: now,
    };
  }

  /**
   * The full period projected from the run rate: summed metrics (sum, count) of the current plan
   * part scale by the rest of the period over the time that part has run (at least
   * ESTIMATE_MIN_ELAPSED_MS, so the first minutes of a period do not extrapolate a burst over a
   * month); max, latest and unique_count stay as they are; the projected quantities are then priced
   * with the plan, tiers included. Earlier plan parts (before an immediate change) are as billed.
   */
  async estimate(tenantId: string, now = new Date()): Promise<BillingEstimateDto> {
    const s = await this.live(tenantId);
    const period = this.period(s);
    const plan = this.catalog.plan(s.planId)!;
    const toDate = await this.composer.compose(s, period, 0, { lateUsage: true });
    const last = toDate.usageParts[toDate.usageParts.length - 1];
    const elapsed = Math.max(ESTIMATE_MIN_ELAPSED_MS, Math.min(now.getTime(), period.end.getTime()) - last.from.getTime());
    const factor = Dec.max(1, new Dec(period.end.getTime() - last.from.getTime()).div(elapsed));
    const runRate = (metric: string) => RUN_RATE_AGGREGATIONS.has(this.catalog.metric(metric)?.aggregation ?? '');
    const projectedLast = new Map([...last.usage].map(([metric, q]) => [metric, runRate(metric) ? q.times(factor) : q]));
    const projected = buildInvoice({
      currency: plan.currency,
      periodStart: period.start,
      periodEnd: period.end,
      periodFullEnd: period.fullEnd,
      trial: s.trialEnd !== null && period.end.getTime() <= s.trialEnd.getTime(),
      baseParts: toDate.baseParts,
      usageParts: [...toDate.usageParts.slice(0, -1), { ...last, usage: projectedLast }],
      metric: (k) => this.catalog.metric(k),
      pauses: await this.subscriptions.pausesOverlapping(s.id, period.start, period.end),
      extraLines: toDate.lines.filter((l) => l.type === 'late_usage'),
      discount: s.discount,
      taxRate: this.config.taxRate,
      creditBalanceCents: 0,
    });
    const usage = await this.composer.usageFor(tenantId, period.start, period.end);
    const costOf = (lines: typeof projected.lines, metric: string) => lines.filter((l) => l.type === 'usage' && l.metric === metric).reduce((n, l) => n + l.amountCents, 0);
    return {
      currency: plan.currency,
      periodStart: period.start,
      periodEnd: period.end,
      periodToDateCents: toDate.totalCents,
      projectedTotalCents: projected.totalCents,
      method: 'linear_run_rate',
      methodDescription:
        'sum and count metrics of the current plan part scaled by (period end − part start) / time the part has run, that time taken as at least ' +
        `${ESTIMATE_MIN_ELAPSED_MS / 60_000} minutes; max, latest and unique_count kept as measured; priced with the plan (tiers and allowances), base fee, prorations and discount included`,
      byMetric: plan.charges.map((c) => {
        const toDateQuantity = usage.get(c.metric) ?? new Dec(0);
        const added = runRate(c.metric) ? (last.usage.get(c.metric) ?? new Dec(0)).times(factor.minus(1)) : new Dec(0);
        return {
          metric: c.metric,
          quantityToDate: toDateQuantity.toFixed(),
          projectedQuantity: toDateQuantity.plus(added).toDecimalPlaces(12).toFixed(),
          costToDateCents: costOf(toDate.lines, c.metric),
          projectedCostCents: costOf(projected.lines, c.metric),
        };
      }),
    };
  }
}

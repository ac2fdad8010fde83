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
import { buildInvoice } from './invoice-builder';

const RUN_RATE_AGGREGATIONS = new Set(['sum', 'count']);

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
   * The full period projected from the run rate: summed metrics (sum, count) scale by period
   * length / elapsed time; max, latest and unique_count stay as they are; the projected
   * quantities are then priced with the plan, tiers included.
   */
  async estimate(tenantId: string, now = new Date()): Promise<BillingEstimateDto> {
    const s = await this.live(tenantId);
    const period = this.period(s);
    const plan = this.catalog.plan(s.planId)!;
    const toDate = await this.composer.compose(s, period, 0, { lateUsage: true });
    const elapsed = Math.max(1, Math.min(now.getTime(), period.end.getTime()) - period.start.getTime());
    const factor = new Dec(period.end.getTime() - period.start.getTime()).div(elapsed);
    const usage = await this.composer.usageFor(tenantId, period.start, period.end);
    const projectedUsage = new Map(
      [...usage].map(([metric, q]) => [metric, RUN_RATE_AGGREGATIONS.has(this.catalog.metric(metric)?.aggregation ?? '') ? q.times(factor) : q]),
    );
    const projected = buildInvoice({
      currency: plan.currency,
      periodStart: period.start,
      periodEnd: period.end,
      periodFullEnd: period.fullEnd,
      trial: s.trialEnd !== null && period.end.getTime() <= s.trialEnd.getTime(),
      basePlan: this.catalog.plan(s.periodPlanId)!,
      usagePlan: plan,
      usage: projectedUsage,
      metric: (k) => this.catalog.metric(k),
      pauses: await this.subscriptions.pausesOverlapping(s.id, period.start, period.end),
      pendingLines: toDate.lines.filter((l) => l.type === 'proration'),
      extraLines: toDate.lines.filter((l) => l.type === 'late_usage'),
      discount: s.discount,
      taxRate: this.config.taxRate,
      creditBalanceCents: 0,
    });
    const costOf = (lines: typeof projected.lines, metric: string) => lines.find((l) => l.type === 'usage' && l.metric === metric)?.amountCents ?? 0;
    return {
      currency: plan.currency,
      periodStart: period.start,
      periodEnd: period.end,
      periodToDateCents: toDate.totalCents,
      projectedTotalCents: projected.totalCents,
      method: 'linear_run_rate',
      methodDescription:
        'sum and count metrics scaled by period length / elapsed time; max, latest and unique_count kept as measured; priced with the plan (tiers and allowances), base fee, prorations and discount included',
      byMetric: plan.charges.map((c) => ({
        metric: c.metric,
        quantityToDate: (usage.get(c.metric) ?? new Dec(0)).toFixed(),
        projectedQuantity: (projectedUsage.get(c.metric) ?? new Dec(0)).toDecimalPlaces(12).toFixed(),
        costToDateCents: costOf(toDate.lines, c.metric),
        projectedCostCents: costOf(projected.lines, c.metric),
      })),
    };
  }
}

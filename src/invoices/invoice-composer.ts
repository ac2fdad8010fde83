import { Inject, Injectable } from '@nestjs/common';
import { BuiltInvoice, InvoiceLine, PricedPart, UsagePart, buildInvoice } from '../pricing/invoice-builder';
import { priceCharge } from '../pricing/price-charge';
import { CatalogService } from '../catalog/catalog.service';
import type { ChargeDef } from '../catalog/catalog.types';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/app-config';
import { Dec } from '../common/money/decimal';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import type { Subscription } from '../subscriptions/subscription.types';
import { subscriptionWindowParts } from '../subscriptions/domain/plan-parts';
import { UsageReader } from '../usage/usage-reader';
import { BilledUsage, InvoicesRepository } from './invoices.repository';

/** Late usage looks back this many finalized periods; older late events are dropped (documented). */
export const LATE_USAGE_LOOKBACK_PERIODS = 2;

/** What a late_usage line records: enough to recompute it, and to undo it if its invoice is voided. */
export interface LateUsageComputation {
  charge: ChargeDef;
  billedQuantity: string;
  billedCents: number;
  billedInvoiceId: string;
  quantity: string;
  cents: number;
  rerated: unknown;
  formula: string;
}

export interface ComposedInvoice extends BuiltInvoice {
  currency: string;
  /** billed_usage rows to write at finalize: this period's usage lines and re-rated earlier periods. */
  billed: Array<Omit<BilledUsage, 'invoiceId'>>;
  /** The plan parts it was priced on (the estimate projects the last usage part to the period end). */
  baseParts: PricedPart[];
  usageParts: UsagePart[];
}

/**
 * Gathers what one period's invoice needs (plans, usage from the rollups, pauses, pending
 * prorations, late usage of earlier periods) and prices it with the pure builder.
 */
@Injectable()
export class InvoiceComposer {
  constructor(
    private readonly catalog: CatalogService,
    private readonly usage: UsageReader,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly invoices: InvoicesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Each metric's aggregation over [from, to); only the given metrics (the plan's charges) when listed. */
  async usageFor(tenantId: string, from: Date, to: Date, metrics?: string[]): Promise<Map<string, Dec>> {
    if (metrics && metrics.length === 0) return new Map();
    const rows = await this.usage.aggregate({ tenantId, from, to, groupBy: 'metric', metrics });
    return new Map(rows.map((r) => [r.metric, r.value]));
  }

  /**
   * The plan parts of a window of the subscription: which plan bore the base fee and priced the
   * usage of each stretch (immediate plan changes split it; CONTRACT.md, Settled details).
   */
  private async partsOf(s: Subscription, window: { start: Date; end: Date }, readUsage: boolean): Promise<{ base: PricedPart[]; usage: UsagePart[] }> {
    const changes = await this.subscriptions.planChangesAfter(s.id, window.start);
    const parts = subscriptionWindowParts(window.start, window.end, changes, { currentPlanId: s.planId, periodPlanId: s.periodPlanId });
    const plan = (id: string) => this.catalog.plan(id)!;
    const usageOf = (p: { from: Date; to: Date; planId: string }) =>
      readUsage ? this.usageFor(s.tenantId, p.from, p.to, plan(p.planId).charges.map((c) => c.metric)) : Promise.resolve(new Map<string, Dec>());
    return {
      base: parts.base.map((p) => ({ from: p.from, to: p.to, plan: plan(p.planId) })),
      usage: await Promise.all(parts.usage.map(async (p) => ({ from: p.from, to: p.to, plan: plan(p.planId), usage: await usageOf(p) }))),
    };
  }

  async compose(s: Subscription, period: { start: Date; end: Date; fullEnd: Date }, creditBalanceCents: number, opts: { lateUsage: boolean }): Promise<ComposedInvoice> {
    const currency = this.catalog.plan(s.planId)!.currency;
    const trial = s.trialEnd !== null && period.end.getTime() <= s.trialEnd.getTime();
    const late = opts.lateUsage ? await this.lateUsage(s, period.start) : { lines: [], billed: [] };
    // A trial bills no usage: it is not read.
    const parts = await this.partsOf(s, period, !trial);
    const built = buildInvoice({
      currency,
      periodStart: period.start,
      periodEnd: period.end,
      periodFullEnd: period.fullEnd,
      trial,
      baseParts: parts.base,
      usageParts: parts.usage,
      metric: (k) => this.catalog.metric(k),
      pauses: await this.subscriptions.pausesOverlapping(s.id, period.start, period.end),
      extraLines: late.lines,
      discount: s.discount,
      taxRate: this.config.taxRate,
      creditBalanceCents,
    });
    const own: Array<Omit<BilledUsage, 'invoiceId'>> = built.lines
      .filter((l) => l.type === 'usage' && l.metric)
      .map((l) => ({
        periodStart: l.periodStart,
        periodEnd: l.periodEnd,
        metric: l.metric!,
        charge: parts.usage.find((p) => p.from.getTime() === l.periodStart.getTime())!.plan.charges.find((c) => c.metric === l.metric)!,
        quantity: l.quantity ?? '0',
        amountCents: l.amountCents,
      }));
    return { ...built, currency, billed: [...own, ...late.billed], baseParts: parts.base, usageParts: parts.usage };
  }

  /**
   * Usage that arrived after an earlier period was invoiced: each metric of the last finalized
   * periods is re-rated with all its events (tiers included) and the difference from what was
   * billed becomes a late_usage line naming the original period.
   */
  private async lateUsage(s: Subscription, before: Date): Promise<{ lines: InvoiceLine[]; billed: Array<Omit<BilledUsage, 'invoiceId'>> }> {
    const finalized = await this.invoices.lastFinalizedPeriods(s.id, before, LATE_USAGE_LOOKBACK_PERIODS);
    const periods: typeof finalized = [];
    for (const p of finalized) if (await this.invoices.mayHaveLateEvents(s.tenantId, p, p.finalizedAt)) periods.push(p);
    if (periods.length === 0) return { lines: [], billed: [] };
    // A period split by a plan change was billed part by part: each part is re-rated on its own.
    const billed = await this.invoices.billedUsage(s.id, periods);
    const lines: InvoiceLine[] = [];
    const updates: Array<Omit<BilledUsage, 'invoiceId'>> = [];
    const currency = this.catalog.plan(s.planId)!.currency;
    const windows = new Map<number, BilledUsage[]>();
    for (const b of billed) windows.set(b.periodStart.getTime(), [...(windows.get(b.periodStart.getTime()) ?? []), b]);
    for (const rows of windows.values()) {
      const p = { periodStart: rows[0].periodStart, periodEnd: rows[0].periodEnd };
      const now = await this.usageFor(s.tenantId, p.periodStart, p.periodEnd, rows.map((r) => r.metric));
      for (const b of rows) {
        const quantity = now.get(b.metric) ?? new Dec(0);
        if (quantity.eq(b.quantity)) continue;
        const priced = priceCharge(b.charge, quantity, currency);
        const diff = priced.amountCents - b.amountCents;
        const name = this.catalog.metric(b.metric)?.name ?? b.metric;
        lines.push({
          type: 'late_usage',
          description: `Late usage: ${name} for ${p.periodStart.toISOString().slice(0, 10)} – ${new Date(p.periodEnd.getTime() - 1).toISOString().slice(0, 10)}`,
          metric: b.metric,
          quantity: quantity.minus(b.quantity).toFixed(),
          unitPrice: null,
          amountCents: diff,
          periodStart: p.periodStart,
          periodEnd: p.periodEnd,
          computation: {
            charge: b.charge,
            billedQuantity: b.quantity,
            billedCents: b.amountCents,
            billedInvoiceId: b.invoiceId,
            quantity: quantity.toFixed(),
            cents: priced.amountCents,
            rerated: priced.computation,
            formula: 'price(all events of the period) − what the period was billed',
          } satisfies LateUsageComputation as unknown as Record<string, unknown>,
        });
        const { invoiceId: _previous, ...rest } = b;
        updates.push({ ...rest, quantity: quantity.toFixed(), amountCents: priced.amountCents });
      }
    }
    return { lines, billed: updates };
  }
}

import type { MetricDef, PlanDef } from '../catalog/catalog.types';
import { Dec } from '../common/money/decimal';
import { toMinorUnits } from '../common/money/money';
import type { Discount } from '../subscriptions/domain/discount';
import { Pause, activeSeconds, proratedAmount } from '../subscriptions/domain/proration';
import { InvoiceTotals, invoiceTotals } from './pricing/invoice-totals';
import { priceCharge } from './pricing/price-charge';

export type LineType = 'base' | 'usage' | 'proration' | 'late_usage';

/** An invoice line as the contract writes it; `computation` is enough to recompute it by hand. */
export interface InvoiceLine {
  type: LineType;
  description: string;
  metric: string | null;
  quantity: string | null;
  unitPrice: string | null;
  amountCents: number;
  periodStart: Date;
  periodEnd: Date;
  computation: Record<string, unknown>;
}

export interface PendingLine {
  description: string;
  amountCents: number;
  periodStart: Date;
  periodEnd: Date;
  computation: Record<string, unknown>;
}

export interface InvoiceInput {
  currency: string;
  periodStart: Date;
  /** Exclusive; may be earlier than periodFullEnd when the period was cut short. */
  periodEnd: Date;
  periodFullEnd: Date;
  /** A trial period bills nothing. */
  trial: boolean;
  /** The plan the period started on: its base fee. */
  basePlan: PlanDef;
  /** The plan whose charges price the period's usage (the plan in effect at the period's end). */
  usagePlan: PlanDef;
  /** Each metric's aggregation over the period. */
  usage: ReadonlyMap<string, Dec>;
  metric: (key: string) => MetricDef | undefined;
  pauses: readonly Pause[];
  pendingLines: readonly PendingLine[];
  extraLines?: readonly InvoiceLine[];
  discount: Discount | null;
  taxRate: string;
  creditBalanceCents: number;
}

export interface BuiltInvoice extends InvoiceTotals {
  lines: InvoiceLine[];
}

const SECOND = 1000;

/** The base fee line: the period plan's fee × unpaused seconds / seconds of the full period. */
export function baseLine(input: Pick<InvoiceInput, 'basePlan' | 'periodStart' | 'periodEnd' | 'periodFullEnd' | 'pauses' | 'currency'>): InvoiceLine {
  const active = activeSeconds(input.periodStart, input.periodEnd, input.pauses);
  const fullSeconds = Math.floor(input.periodFullEnd.getTime() / SECOND) - Math.floor(input.periodStart.getTime() / SECOND);
  const amount = proratedAmount(input.basePlan.basePrice, { seconds: active.seconds, totalSeconds: fullSeconds });
  const prorated = active.seconds !== fullSeconds;
  return {
    type: 'base',
    description: `${input.basePlan.name} base fee${prorated ? ' (prorated)' : ''}`,
    metric: null,
    quantity: null,
    unitPrice: input.basePlan.basePrice,
    amountCents: toMinorUnits(amount, input.currency),
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
    computation: {
      basePrice: input.basePlan.basePrice,
      activeSeconds: active.seconds,
      periodSeconds: active.totalSeconds,
      fullPeriodSeconds: fullSeconds,
      pausedSeconds: active.totalSeconds - active.seconds,
      amount: amount.toFixed(),
      formula: 'basePrice × activeSeconds / fullPeriodSeconds, rounded once half away from zero',
    },
  };
}

/** One line per charge of the plan, priced by the engine over the metric's aggregated usage. */
export function usageLines(input: Pick<InvoiceInput, 'usagePlan' | 'usage' | 'metric' | 'currency' | 'periodStart' | 'periodEnd'>): InvoiceLine[] {
  return input.usagePlan.charges.map((charge) => {
    const quantity = input.usage.get(charge.metric) ?? new Dec(0);
    const priced = priceCharge(charge, quantity, input.currency);
    const metric = input.metric(charge.metric);
    return {
      type: 'usage',
      description: `${metric?.name ?? charge.metric} (${charge.model.replace('_', ' ')})`,
      metric: charge.metric,
      quantity: priced.quantity,
      unitPrice: priced.computation.unitPrice,
      amountCents: priced.amountCents,
      periodStart: input.periodStart,
      periodEnd: input.periodEnd,
      computation: priced.computation as unknown as Record<string, unknown>,
    };
  });
}

/**
 * An invoice for one period: base fee, usage, pending prorations (and any extra lines, such as
 * late usage), then discount, tax and credit per CONTRACT.md. Lines are rounded once each and
 * the totals are sums of rounded lines, so the invoice adds up by construction.
 */
export function buildInvoice(input: InvoiceInput): BuiltInvoice {
  const lines: InvoiceLine[] = [];
  if (!input.trial) {
    lines.push(baseLine(input));
    lines.push(...usageLines(input));
  }
  for (const p of input.pendingLines) {
    lines.push({ type: 'proration', description: p.description, metric: null, quantity: null, unitPrice: null, amountCents: p.amountCents, periodStart: p.periodStart, periodEnd: p.periodEnd, computation: p.computation });
  }
  lines.push(...(input.extraLines ?? []));
  const discount = input.discount && (input.discount.currency === null || input.discount.currency === input.currency) ? input.discount : null;
  const totals = invoiceTotals({
    lines,
    discount: discount ? { percentOff: discount.percentOff, amountOffCents: discount.amountOffCents } : null,
    taxRate: input.taxRate,
    creditBalanceCents: input.creditBalanceCents,
    currency: input.currency,
  });
  return { lines, ...totals };
}

import type { MetricDef, PlanDef } from '../catalog/catalog.types';
import { Dec } from '../common/money/decimal';
import { toMinorUnits } from '../common/money/money';
import type { Discount } from '../subscriptions/domain/discount';
import { Pause, activeSeconds, proratedAmount } from '../subscriptions/domain/proration';
import { InvoiceTotals, invoiceTotals } from './invoice-totals';
import { priceCharge } from './price-charge';

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

/** A stretch of the period and the plan billing it (see subscriptions/domain/plan-parts). */
export interface PricedPart {
  from: Date;
  /** Exclusive. */
  to: Date;
  plan: PlanDef;
}

export interface UsagePart extends PricedPart {
  /** Each metric's aggregation over [from, to). */
  usage: ReadonlyMap<string, Dec>;
}

export interface InvoiceInput {
  currency: string;
  periodStart: Date;
  /** Exclusive; may be earlier than periodFullEnd when the period was cut short. */
  periodEnd: Date;
  periodFullEnd: Date;
  /** A trial period bills nothing. */
  trial: boolean;
  /** Consecutive stretches covering [periodStart, periodEnd), each with the plan whose base fee it bears. */
  baseParts: readonly PricedPart[];
  /** Consecutive stretches covering [periodStart, periodEnd), each with the plan pricing its usage. */
  usageParts: readonly UsagePart[];
  metric: (key: string) => MetricDef | undefined;
  pauses: readonly Pause[];
  extraLines?: readonly InvoiceLine[];
  discount: Discount | null;
  taxRate: string;
  creditBalanceCents: number;
}

export interface BuiltInvoice extends InvoiceTotals {
  lines: InvoiceLine[];
}

const SECOND = 1000;

const day = (d: Date) => d.toISOString().slice(0, 10);

function fullPeriodSeconds(input: Pick<InvoiceInput, 'periodStart' | 'periodFullEnd'>): number {
  return Math.floor(input.periodFullEnd.getTime() / SECOND) - Math.floor(input.periodStart.getTime() / SECOND);
}

/** A plan's base fee for the unpaused seconds of [from, to), out of the full period: exact, then rounded once. */
function baseFee(input: Pick<InvoiceInput, 'periodStart' | 'periodFullEnd' | 'pauses' | 'currency'>, plan: PlanDef, from: Date, to: Date) {
  const active = activeSeconds(from, to, input.pauses);
  const fullSeconds = fullPeriodSeconds(input);
  const amount = proratedAmount(plan.basePrice, { seconds: active.seconds, totalSeconds: fullSeconds });
  return { cents: toMinorUnits(amount, input.currency), amount, active, fullSeconds };
}

/**
 * The base fee lines. The period's first plan bears a `base` line over the whole invoice window;
 * each prorating plan change adds a pair of `proration` lines over [change, window end): a credit
 * for the old plan's unused time and a charge for the new plan's. The credit is what the old plan
 * was charged over [change, end) less its fee for the time it was in effect before the change
 * (that fee rounded once), so each plan's lines net to its fee for exactly the seconds it was in
 * effect, unpaused, rounded once: every second of the window is billed once, on its plan, and
 * never past the window (CONTRACT.md, Settled details).
 */
export function baseLines(input: Pick<InvoiceInput, 'baseParts' | 'periodStart' | 'periodEnd' | 'periodFullEnd' | 'pauses' | 'currency'>): InvoiceLine[] {
  const [first, ...changes] = input.baseParts;
  const whole = baseFee(input, first.plan, input.periodStart, input.periodEnd);
  const lines: InvoiceLine[] = [
    {
      type: 'base',
      description: `${first.plan.name} base fee${whole.active.seconds !== whole.fullSeconds ? ' (prorated)' : ''}`,
      metric: null,
      quantity: null,
      unitPrice: first.plan.basePrice,
      amountCents: whole.cents,
      periodStart: input.periodStart,
      periodEnd: input.periodEnd,
      computation: {
        basePrice: first.plan.basePrice,
        activeSeconds: whole.active.seconds,
        periodSeconds: whole.active.totalSeconds,
        fullPeriodSeconds: whole.fullSeconds,
        pausedSeconds: whole.active.totalSeconds - whole.active.seconds,
        amount: whole.amount.toFixed(),
        formula: 'basePrice × activeSeconds / fullPeriodSeconds, rounded once half away from zero',
      },
    },
  ];
  let previous = { plan: first.plan, from: input.periodStart, chargedCents: whole.cents };
  for (const part of changes) {
    const used = baseFee(input, previous.plan, previous.from, part.from);
    const rest = baseFee(input, part.plan, part.from, input.periodEnd);
    const creditCents = used.cents - previous.chargedCents;
    const common = { metric: null, quantity: null, periodStart: part.from, periodEnd: input.periodEnd };
    if (creditCents !== 0 || rest.cents !== 0) {
      lines.push({
        ...common,
        type: 'proration',
        description: `Unused time on ${previous.plan.name} from ${day(part.from)}`,
        unitPrice: null,
        amountCents: creditCents,
        computation: {
          basePrice: previous.plan.basePrice,
          chargedCents: previous.chargedCents,
          usedFrom: previous.from.toISOString(),
          usedActiveSeconds: used.active.seconds,
          fullPeriodSeconds: used.fullSeconds,
          usedCents: used.cents,
          usedAmount: used.amount.toFixed(),
          formula: 'usedCents − chargedCents: usedCents = basePrice × usedActiveSeconds / fullPeriodSeconds rounded once, chargedCents what the plan was charged up to the window end',
        },
      });
      lines.push({
        ...common,
        type: 'proration',
        description: `Remaining time on ${part.plan.name} from ${day(part.from)}${rest.active.seconds !== rest.active.totalSeconds ? ' (net of pauses)' : ''}`,
        unitPrice: part.plan.basePrice,
        amountCents: rest.cents,
        computation: {
          basePrice: part.plan.basePrice,
          activeSeconds: rest.active.seconds,
          fullPeriodSeconds: rest.fullSeconds,
          amount: rest.amount.toFixed(),
          formula: 'basePrice × activeSeconds / fullPeriodSeconds, rounded once half away from zero',
        },
      });
    }
    previous = { plan: part.plan, from: part.from, chargedCents: rest.cents };
  }
  return lines;
}

/** One line per charge of each part's plan, priced by the engine over that part's aggregated usage. */
export function usageLines(input: Pick<InvoiceInput, 'usageParts' | 'metric' | 'currency'>): InvoiceLine[] {
  const split = input.usageParts.length > 1;
  return input.usageParts.flatMap((part) =>
    part.plan.charges.map((charge) => {
      const quantity = part.usage.get(charge.metric) ?? new Dec(0);
      const priced = priceCharge(charge, quantity, input.currency);
      const metric = input.metric(charge.metric);
      const when = split ? ` on ${part.plan.name}, ${day(part.from)} – ${day(new Date(Math.max(part.from.getTime(), part.to.getTime() - 1)))}` : '';
      return {
        type: 'usage' as const,
        description: `${metric?.name ?? charge.metric} (${charge.model.replace('_', ' ')})${when}`,
        metric: charge.metric,
        quantity: priced.quantity,
        unitPrice: priced.computation.unitPrice,
        amountCents: priced.amountCents,
        periodStart: part.from,
        periodEnd: part.to,
        computation: priced.computation as unknown as Record<string, unknown>,
      };
    }),
  );
}

/**
 * An invoice for one period: base fee with its prorations, usage per plan part (and any extra
 * lines, such as late usage), then discount, tax and credit per CONTRACT.md. Lines are rounded once each and
 * the totals are sums of rounded lines, so the invoice adds up by construction.
 */
export function buildInvoice(input: InvoiceInput): BuiltInvoice {
  const lines: InvoiceLine[] = [];
  if (!input.trial) {
    lines.push(...baseLines(input));
    lines.push(...usageLines(input));
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

import { Dec } from '../common/money/decimal';
import { minorUnitDigits, sumCents } from '../common/money/money';

/**
 * An invoice's totals from its already-rounded lines (CONTRACT.md, Invoice). Everything here is
 * integer minor units; the two derived amounts (a percentage discount, tax) are each rounded
 * once, to the minor unit, half away from zero, so the invoice always adds up.
 */

export interface InvoiceDiscount {
  /** A percentage, 0–100 (Stripe's percent_off): 25 or "12.5". */
  percentOff?: string | number | null;
  amountOffCents?: number | null;
}

export interface InvoiceTotalsInput {
  lines: readonly { amountCents: number }[];
  discount: InvoiceDiscount | null;
  /** A fraction, 0–1 (TAX_RATE): "0.2" is 20 %. */
  taxRate: string;
  creditBalanceCents: number;
  currency: string;
}

export interface InvoiceTotals {
  subtotalCents: number;
  discountCents: number;
  taxCents: number;
  totalCents: number;
  creditAppliedCents: number;
  amountDueCents: number;
  /**
   * What a negative subtotal (a large proration credit) leaves over, as a positive amount to add
   * to the credit balance; 0 otherwise. Then total = subtotal − discount + tax + creditRemainder.
   */
  creditRemainderCents: number;
}

const roundToCents = (d: Dec): number => d.toDecimalPlaces(0, Dec.ROUND_HALF_UP).toNumber() || 0; // || 0 drops -0

function discountOf(discount: InvoiceDiscount | null, subtotalCents: number): number {
  if (!discount || subtotalCents <= 0) return 0;
  const { percentOff, amountOffCents } = discount;
  const hasPercent = percentOff !== undefined && percentOff !== null;
  const hasAmount = amountOffCents !== undefined && amountOffCents !== null;
  if (hasPercent && hasAmount) throw new Error('A discount is percentOff or amountOffCents, not both');
  if (hasAmount && !Number.isSafeInteger(amountOffCents)) throw new RangeError(`Not an integer amount: ${amountOffCents}`);
  const raw = hasPercent ? roundToCents(new Dec(subtotalCents).times(String(percentOff)).div(100)) : hasAmount ? amountOffCents : 0;
  // A discount never adds to the bill and never takes the subtotal below zero.
  return Math.min(Math.max(raw, 0), subtotalCents);
}

export function invoiceTotals(input: InvoiceTotalsInput): InvoiceTotals {
  minorUnitDigits(input.currency); // fails on a bad code; the arithmetic is already in minor units
  const subtotalCents = sumCents(input.lines.map((l) => l.amountCents));
  if (subtotalCents < 0) {
    // Nothing is owed; the credit carries over to the next invoice rather than being taxed or refunded.
    return { subtotalCents, discountCents: 0, taxCents: 0, totalCents: 0, creditAppliedCents: 0, amountDueCents: 0, creditRemainderCents: -subtotalCents };
  }
  const discountCents = discountOf(input.discount, subtotalCents);
  const taxCents = roundToCents(new Dec(subtotalCents - discountCents).times(input.taxRate));
  const totalCents = subtotalCents - discountCents + taxCents;
  if (!Number.isSafeInteger(input.creditBalanceCents)) throw new RangeError(`Not an integer amount: ${input.creditBalanceCents}`);
  const creditAppliedCents = Math.max(0, Math.min(input.creditBalanceCents, totalCents));
  return {
    subtotalCents,
    discountCents,
    taxCents,
    totalCents,
    creditAppliedCents,
    amountDueCents: totalCents - creditAppliedCents,
    creditRemainderCents: 0,
  };
}

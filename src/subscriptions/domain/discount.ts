/**
 * A subscription's discount (one at a time), as stored in subscriptions.discount and returned by
 * the API. `periodsRemaining` counts the finalized invoices it still applies to: 1 for once, N
 * for repeating, null for forever; finalize decrements it and the discount ends at 0.
 */
export type DiscountDuration = 'once' | 'repeating' | 'forever';

export interface Discount {
  source: 'coupon' | 'ad_hoc';
  couponId: string | null;
  couponCode: string | null;
  /** Decimal string, 0 < p <= 100. */
  percentOff: string | null;
  amountOffCents: number | null;
  currency: string | null;
  duration: DiscountDuration;
  durationInPeriods: number | null;
  periodsRemaining: number | null;
  appliedAt: string;
}

export interface DiscountTerms {
  percentOff?: string | null;
  amountOffCents?: number | null;
  currency?: string | null;
  duration: DiscountDuration;
  durationInPeriods?: number | null;
}

export function makeDiscount(
  terms: DiscountTerms,
  source: { source: 'coupon'; couponId: string; couponCode: string } | { source: 'ad_hoc' },
  at: Date,
): Discount {
  return {
    source: source.source,
    couponId: source.source === 'coupon' ? source.couponId : null,
    couponCode: source.source === 'coupon' ? source.couponCode : null,
    percentOff: terms.percentOff ?? null,
    amountOffCents: terms.amountOffCents ?? null,
    currency: terms.amountOffCents !== null && terms.amountOffCents !== undefined ? (terms.currency ?? null) : null,
    duration: terms.duration,
    durationInPeriods: terms.duration === 'repeating' ? (terms.durationInPeriods ?? null) : null,
    periodsRemaining: terms.duration === 'once' ? 1 : terms.duration === 'repeating' ? (terms.durationInPeriods ?? 1) : null,
    appliedAt: at.toISOString(),
  };
}

/** The discount after one more finalized invoice used it (null when it has run out). */
export function afterInvoice(d: Discount): Discount | null {
  if (d.periodsRemaining === null) return d;
  const left = d.periodsRemaining - 1;
  return left <= 0 ? null : { ...d, periodsRemaining: left };
}

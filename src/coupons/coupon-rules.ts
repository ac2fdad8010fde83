/**
 * What a coupon is and when it may be redeemed, as plain functions (no Nest, no SQL): the
 * validate endpoint, the redeem use case and the unit specs all read the same rules.
 */
import type { FieldError } from '../common/errors/problem';
import { Dec } from '../common/money/decimal';
import type { DiscountDuration } from '../subscriptions/domain/discount';

export const COUPON_CODE = /^[A-Za-z0-9_-]{1,64}$/;
export const DURATIONS = ['once', 'repeating', 'forever'] as const satisfies readonly DiscountDuration[];
export const MAX_DURATION_IN_PERIODS = 120;

/** Why a coupon cannot be redeemed, in the order validate reports the first that holds. */
export const INELIGIBILITY_REASONS = ['NOT_FOUND', 'INACTIVE', 'EXPIRED', 'EXHAUSTED', 'ALREADY_REDEEMED', 'NOT_APPLICABLE'] as const;
export type IneligibilityReason = (typeof INELIGIBILITY_REASONS)[number];

export interface Coupon {
  id: string;
  code: string;
  name: string;
  /** Decimal string, 0 < p <= 100, at most 4 decimals. */
  percentOff: string | null;
  amountOffCents: number | null;
  currency: string | null;
  duration: DiscountDuration;
  durationInPeriods: number | null;
  maxRedemptions: number | null;
  timesRedeemed: number;
  redeemBy: Date | null;
  appliesToPlans: string[] | null;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** The plan a coupon would discount: the one asked about, or the live subscription's. */
export interface TargetPlan {
  id: string;
  currency: string;
}

/** Redeemable before redeemBy, not at it. */
export const isExpired = (c: Pick<Coupon, 'redeemBy'>, now: Date): boolean => c.redeemBy !== null && c.redeemBy.getTime() <= now.getTime();

export const isExhausted = (c: Pick<Coupon, 'maxRedemptions' | 'timesRedeemed'>): boolean =>
  c.maxRedemptions !== null && c.timesRedeemed >= c.maxRedemptions;

/** The plan is one the coupon is restricted to (if any), and an amount-off coupon is in the plan's currency. */
export function appliesToPlan(c: Pick<Coupon, 'appliesToPlans' | 'amountOffCents' | 'currency'>, plan: TargetPlan): boolean {
  if (c.appliesToPlans !== null && !c.appliesToPlans.includes(plan.id)) return false;
  return c.amountOffCents === null || c.currency === plan.currency;
}

export interface EligibilityContext {
  now: Date;
  /** The tenant already redeemed this coupon. */
  alreadyRedeemed: boolean;
  /** null when there is no plan to check against (no planId and no live subscription). */
  plan: TargetPlan | null;
}

/** The first reason (validate's order) the coupon cannot be redeemed, or null when it can. */
export function ineligibility(c: Coupon | null, ctx: EligibilityContext): IneligibilityReason | null {
  if (c === null) return 'NOT_FOUND';
  if (!c.active) return 'INACTIVE';
  if (isExpired(c, ctx.now)) return 'EXPIRED';
  if (isExhausted(c)) return 'EXHAUSTED';
  if (ctx.alreadyRedeemed) return 'ALREADY_REDEEMED';
  if (ctx.plan !== null && !appliesToPlan(c, ctx.plan)) return 'NOT_APPLICABLE';
  return null;
}

export interface CouponTermsInput {
  percentOff?: string | null;
  amountOffCents?: number | null;
  currency?: string | null;
  duration: DiscountDuration;
  durationInPeriods?: number | null;
  redeemBy?: string | null;
}

const given = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

/** Parses a well-formed ISO instant (the DTO checked the shape); null for a date the calendar lacks (Feb 30). */
export function parseInstant(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(text);
  const ms = Date.parse(text);
  if (!m || Number.isNaN(ms)) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const check = new Date(Date.UTC(y, mo - 1, d));
  const valid = check.getUTCFullYear() === y && check.getUTCMonth() === mo - 1 && check.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
  return valid ? new Date(ms) : null;
}

/** Rules across fields of a new coupon that one field's validator cannot see. */
export function couponTermsProblems(input: CouponTermsInput, now: Date): FieldError[] {
  const errors: FieldError[] = [];
  const percent = given(input.percentOff);
  const amount = given(input.amountOffCents);
  if (percent === amount) {
    errors.push({ path: percent ? 'amountOffCents' : 'percentOff', message: 'exactly one of percentOff and amountOffCents must be given' });
  }
  if (percent) {
    const p = new Dec(String(input.percentOff));
    if (!(p.gt(0) && p.lte(100))) errors.push({ path: 'percentOff', message: 'must be greater than 0 and at most 100' });
  }
  if (amount && !given(input.currency)) errors.push({ path: 'currency', message: 'is required with amountOffCents' });
  if (!amount && given(input.currency)) errors.push({ path: 'currency', message: 'is only allowed with amountOffCents' });
  if (input.duration === 'repeating' && !given(input.durationInPeriods)) {
    errors.push({ path: 'durationInPeriods', message: 'is required when duration is repeating' });
  }
  if (input.duration !== 'repeating' && given(input.durationInPeriods)) {
    errors.push({ path: 'durationInPeriods', message: 'is only allowed when duration is repeating' });
  }
  if (given(input.redeemBy)) {
    const at = parseInstant(input.redeemBy);
    if (at === null) errors.push({ path: 'redeemBy', message: 'is not a valid date' });
    else if (at.getTime() <= now.getTime()) errors.push({ path: 'redeemBy', message: 'must be in the future' });
  }
  return errors;
}

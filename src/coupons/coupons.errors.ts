import { ProblemError, notFound } from '../common/errors/problem';

/** The problems of the coupons domain, each with its contract code; redeem's carry a `reason` like validate's. */
export const CouponProblems = {
  notFound: (): ProblemError => notFound('Coupon'),
  duplicateCode: (code: string): ProblemError =>
    new ProblemError('DUPLICATE_CODE', `A coupon with code ${code} already exists (codes are case-insensitive)`, { field: 'code' }),
  unknownPlans: (errors: Array<{ path: string; message: string }>): ProblemError =>
    new ProblemError('UNKNOWN_PLAN', `appliesToPlans names plans that are not in the catalog`, { errors }),
  unknownPlan: (planId: string): ProblemError =>
    new ProblemError('UNKNOWN_PLAN', `Unknown plan "${planId}"`, { errors: [{ path: 'planId', message: 'is not in the catalog' }] }),
  currencyMismatch: (currency: string, planId: string, planCurrency: string): ProblemError =>
    new ProblemError('CURRENCY_MISMATCH', `An amount off in ${currency} cannot apply to plan ${planId}, billed in ${planCurrency}`, {
      errors: [{ path: 'currency', message: `differs from the currency of plan ${planId} (${planCurrency})` }],
    }),
  inactive: (code: string): ProblemError => new ProblemError('INVALID_STATE', `Coupon ${code} is no longer active`, { reason: 'INACTIVE' }),
  expired: (code: string): ProblemError => new ProblemError('INVALID_STATE', `Coupon ${code} can no longer be redeemed (redeemBy has passed)`, { reason: 'EXPIRED' }),
  notApplicable: (code: string, planId: string): ProblemError =>
    new ProblemError('INVALID_STATE', `Coupon ${code} does not apply to plan ${planId} (NOT_APPLICABLE)`, { reason: 'NOT_APPLICABLE' }),
  /** Redeem of an amount-off coupon onto a subscription billed in another currency (validate says NOT_APPLICABLE). */
  couponCurrency: (code: string, couponCurrency: string, planId: string, planCurrency: string): ProblemError =>
    new ProblemError('CURRENCY_MISMATCH', `Coupon ${code} takes an amount off in ${couponCurrency}; plan ${planId} is billed in ${planCurrency}`, { reason: 'NOT_APPLICABLE' }),
  alreadyRedeemed: (code: string, tenantId: string): ProblemError =>
    new ProblemError('ALREADY_REDEEMED', `Tenant ${tenantId} already redeemed coupon ${code}`, { reason: 'ALREADY_REDEEMED' }),
  exhausted: (code: string): ProblemError =>
    new ProblemError('COUPON_EXHAUSTED', `Coupon ${code} has reached its maximum number of redemptions`, { reason: 'EXHAUSTED' }),
  noLiveSubscription: (tenantId: string): ProblemError =>
    new ProblemError('NO_LIVE_SUBSCRIPTION', `Tenant ${tenantId} has no live subscription to apply the coupon to`),
};

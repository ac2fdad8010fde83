import { isUniqueViolation } from '../common/database/pg-errors';
import { ProblemError, ValidationFailed, notFound } from '../common/errors/problem';
import type { SubscriptionAction, SubscriptionStatus } from './domain/subscription-state';

export const invalidTransition = (action: SubscriptionAction, status: SubscriptionStatus): ProblemError =>
  new ProblemError('INVALID_STATE', `Cannot ${action.replace('_', ' ')} a ${status} subscription`, { subscriptionStatus: status });

export const subscriptionExists = (tenantId: string): ProblemError =>
  new ProblemError('SUBSCRIPTION_EXISTS', `Tenant ${tenantId} already has a live subscription`);

export const noLiveSubscription = (tenantId: string): ProblemError =>
  new ProblemError('NO_LIVE_SUBSCRIPTION', `Tenant ${tenantId} has no live subscription`);

/** The rest of the subscriptions domain's problems, each with its contract code. */
export const SubscriptionProblems = {
  notFound: (id: string): ProblemError => notFound(`Subscription ${id}`),
  liveNotFound: (tenantId: string): ProblemError => notFound(`Live subscription of tenant ${tenantId}`),
  unknownPlan: (planId: string): ProblemError => new ProblemError('UNKNOWN_PLAN', `Unknown plan ${planId}`),
  planInactive: (planId: string): ProblemError => new ProblemError('PLAN_INACTIVE', `Plan ${planId} is not open to new subscriptions`),
  unknownCostCenter: (costCenterId: string, tenantId: string): ProblemError =>
    new ProblemError('UNKNOWN_COST_CENTER', `Cost center ${costCenterId} is not a cost center of tenant ${tenantId}`),
  currencyMismatch: (planId: string, planCurrency: string, currency: string): ProblemError =>
    new ProblemError('CURRENCY_MISMATCH', `Plan ${planId} is billed in ${planCurrency}, the subscription in ${currency}`),
  alreadyOnPlan: (planId: string): ProblemError => new ProblemError('INVALID_STATE', `The subscription is already on plan ${planId}`),
  notSetToCancel: (): ProblemError => new ProblemError('INVALID_STATE', 'The subscription is live and not set to cancel'),
  notInFuture: (path: 'startDate' | 'resumesAt' | 'expiresAt', rule: 'must not be in the future' | 'must be in the future'): ValidationFailed =>
    new ValidationFailed([{ path, message: rule }]),
  couponOrTerms: (): ValidationFailed => new ValidationFailed([{ path: 'couponCode', message: 'give a couponCode or ad-hoc terms, not both' }]),
};

/** Postgres unique violation on the one-live-subscription index. */
export function isOneLiveViolation(err: unknown): boolean {
  return isUniqueViolation(err, 'subscriptions_one_live_per_tenant');
}

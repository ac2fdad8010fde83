import { ProblemError } from '../common/errors/problem';
import type { SubscriptionAction, SubscriptionStatus } from './domain/subscription-state';

export const invalidTransition = (action: SubscriptionAction, status: SubscriptionStatus): ProblemError =>
  new ProblemError('INVALID_STATE', `Cannot ${action.replace('_', ' ')} a ${status} subscription`, { subscriptionStatus: status });

export const subscriptionExists = (tenantId: string): ProblemError =>
  new ProblemError('SUBSCRIPTION_EXISTS', `Tenant ${tenantId} already has a live subscription`);

export const noLiveSubscription = (tenantId: string): ProblemError =>
  new ProblemError('NO_LIVE_SUBSCRIPTION', `Tenant ${tenantId} has no live subscription`);

/** Postgres unique violation on the one-live-subscription index. */
export function isOneLiveViolation(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.code ?? e.driverError?.code;
  const constraint = e.constraint ?? e.driverError?.constraint;
  return code === '23505' && constraint === 'subscriptions_one_live_per_tenant';
}

/** Subscription statuses and every transition, in one place (anything else is 409 INVALID_STATE). */
export const STATUSES = ['trialing', 'active', 'paused', 'past_due', 'canceled'] as const;
export type SubscriptionStatus = (typeof STATUSES)[number];

/** Statuses counted as "live": at most one per tenant. */
export const LIVE: readonly SubscriptionStatus[] = ['trialing', 'active', 'paused', 'past_due'];

export type SubscriptionAction =
  | 'change_plan'
  | 'cancel'
  | 'reactivate'
  | 'pause'
  | 'resume'
  | 'discount'
  | 'credits'
  | 'trial_end'
  | 'payment_failed'
  | 'payment_succeeded'
  | 'period_end_cancel';

/**
 * For each action: the statuses it may start from, and the status it leads to (null keeps the
 * current one). reactivate on a live subscription only clears a pending cancel.
 */
export const TRANSITIONS: Record<SubscriptionAction, { from: readonly SubscriptionStatus[]; to: SubscriptionStatus | null }> = {
  change_plan: { from: ['trialing', 'active', 'past_due'], to: null },
  cancel: { from: ['trialing', 'active', 'paused', 'past_due'], to: null },
  reactivate: { from: ['trialing', 'active', 'paused', 'past_due', 'canceled'], to: null },
  pause: { from: ['active'], to: 'paused' },
  resume: { from: ['paused'], to: 'active' },
  discount: { from: ['trialing', 'active', 'paused', 'past_due'], to: null },
  credits: { from: ['trialing', 'active', 'paused', 'past_due'], to: null },
  trial_end: { from: ['trialing'], to: 'active' },
  payment_failed: { from: ['active', 'past_due'], to: 'past_due' },
  payment_succeeded: { from: ['past_due'], to: 'active' },
  period_end_cancel: { from: ['trialing', 'active', 'paused', 'past_due'], to: 'canceled' },
};

export function canApply(action: SubscriptionAction, status: SubscriptionStatus): boolean {
  return TRANSITIONS[action].from.includes(status);
}

export function nextStatus(action: SubscriptionAction, status: SubscriptionStatus): SubscriptionStatus {
  return TRANSITIONS[action].to ?? status;
}

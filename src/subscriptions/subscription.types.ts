import type { BillingInterval } from './domain/periods';
import type { Discount } from './domain/discount';
import type { SubscriptionStatus } from './domain/subscription-state';

export interface PendingChange {
  planId: string;
  effectiveAt: string;
}

/** A subscription row as the domain sees it. */
export interface Subscription {
  id: string;
  tenantId: string;
  planId: string;
  periodPlanId: string;
  status: SubscriptionStatus;
  interval: BillingInterval;
  anchorAt: Date;
  startedAt: Date;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  /** The period's end before any cut: the base fee is prorated over [currentPeriodStart, this). */
  currentPeriodFullEnd: Date;
  trialEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: Date | null;
  billingClosed: boolean;
  pausedAt: Date | null;
  resumesAt: Date | null;
  pendingChange: PendingChange | null;
  discount: Discount | null;
  costCenterId: string | null;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

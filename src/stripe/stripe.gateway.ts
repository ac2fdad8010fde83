/**
 * What the service needs from Stripe, in its own terms. The SDK lives behind this port
 * (SdkStripeGateway); nothing else imports it. Every create takes an idempotency key derived
 * from our ids, so a retry (ours or the SDK's) never makes a second object.
 */

export interface StripePaymentIntent {
  id: string;
  clientSecret: string;
  /** Minor units, as Stripe counts them. */
  amountCents: number;
  /** Lowercase, as Stripe answers it. */
  currency: string;
  status: string;
}

export interface CheckoutSessionInput {
  customerId: string;
  successUrl: string;
  cancelUrl: string;
  /** One recurring line: the plan's base fee. */
  plan: { id: string; name: string; currency: string; interval: 'month' | 'year'; unitAmountCents: number; trialDays: number };
  metadata: Record<string, string>;
}

export interface PaymentIntentInput {
  customerId: string;
  amountCents: number;
  currency: string;
  description: string;
  metadata: Record<string, string>;
}

/** A verified webhook event: only what the handlers read. */
export interface StripeEvent {
  id: string;
  type: string;
  /** Seconds since the epoch, when Stripe created the event. */
  created: number;
  /** `data.object`: the resource the event is about. */
  object: Record<string, unknown>;
}

export abstract class StripeGateway {
  /** True when STRIPE_SECRET_KEY is set; the API calls below refuse otherwise (503). */
  abstract readonly apiConfigured: boolean;
  /** True when STRIPE_WEBHOOK_SECRET is set. */
  abstract readonly webhookConfigured: boolean;

  abstract createCustomer(input: { tenantId: string }, idempotencyKey: string): Promise<{ id: string }>;
  abstract createCheckoutSession(input: CheckoutSessionInput, idempotencyKey: string): Promise<{ id: string; url: string }>;
  abstract createPortalSession(input: { customerId: string; returnUrl: string }, idempotencyKey: string): Promise<{ url: string }>;
  abstract createPaymentIntent(input: PaymentIntentInput, idempotencyKey: string): Promise<StripePaymentIntent>;
  /** Null when Stripe no longer knows it (resource_missing). */
  abstract retrievePaymentIntent(id: string): Promise<StripePaymentIntent | null>;
  abstract cancelPaymentIntent(id: string, idempotencyKey: string): Promise<StripePaymentIntent>;
  /** Verifies Stripe-Signature over the raw body (tolerance 300 s); throws 400 INVALID_SIGNATURE. */
  abstract verifyEvent(rawBody: Buffer, signature: string | undefined): StripeEvent;
}

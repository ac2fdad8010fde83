import { createHash } from 'node:crypto';
import { stableStringify } from '../common/idempotency/stable-json';

const digest = (value: unknown): string => createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, 40);

/**
 * Which request a retry repeats: the caller's Idempotency-Key when it sent one (its retries reach
 * Stripe with the same key), else the UTC minute (a double click or a quick retry converges; a
 * later request makes a fresh session).
 */
export function requestWindow(clientKey: string | undefined, now: Date): string {
  return clientKey ? `key:${clientKey}` : `minute:${Math.floor(now.getTime() / 60_000)}`;
}

/**
 * Stripe idempotency keys, derived from our ids (never random), so a retry of the same action —
 * by the SDK, by a second instance or by the caller — gets the object the first attempt made.
 * Stripe refuses a key reused with other parameters, so every parameter is part of the key.
 */
export const StripeKeys = {
  /** One customer per tenant, even when two first calls race. */
  customer: (tenantId: string): string => `customer:${tenantId}`,
  checkout: (tenantId: string, params: unknown, window: string): string => `checkout:${tenantId}:${digest([params, window])}`,
  portal: (tenantId: string, params: unknown, window: string): string => `portal:${tenantId}:${digest([params, window])}`,
  /** One payment intent per invoice and amount; a replacement names the one it replaces. */
  paymentIntent: (invoiceId: string, amountCents: number, replaces: string | null): string =>
    replaces ? `payment-intent:${invoiceId}:${amountCents}:replaces:${replaces}` : `payment-intent:${invoiceId}:${amountCents}`,
  cancelPaymentIntent: (paymentIntentId: string): string => `cancel-payment-intent:${paymentIntentId}`,
};

import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

export const WEBHOOK_SECRET = 'whsec_test_0123456789abcdef';

export interface SignedEvent {
  id: string;
  payload: string;
  headers: Record<string, string>;
}

/** A Stripe event signed for real (stripe.webhooks.generateTestHeaderString), as Stripe would deliver it. */
export function signedEvent(
  type: string,
  object: Record<string, unknown>,
  opts: { id?: string; timestamp?: number; secret?: string } = {},
): SignedEvent {
  const id = opts.id ?? `evt_${randomBytes(8).toString('hex')}`;
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  // Pretty-printed on purpose: the signature covers these exact bytes, not a re-serialization.
  const payload = JSON.stringify({ id, object: 'event', api_version: '2026-10-28.endive', created: timestamp, livemode: false, type, data: { object } }, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? WEBHOOK_SECRET, timestamp });
  return { id, payload, headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature } };
}

import { Injectable } from '@nestjs/common';
import { Principal, TENANT_ID_PATTERN } from '../common/auth/principal';
import { ProblemError } from '../common/errors/problem';
import { isUuid } from '../common/http/id-param';
import type { Invoice } from '../invoices/invoice.types';
import { InvoicesRepository } from '../invoices/invoices.repository';
import { canApply, nextStatus } from '../subscriptions/domain/subscription-state';
import type { Subscription } from '../subscriptions/subscription.types';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import type { StripeEvent } from './stripe.gateway';
import { StripeRepository } from './stripe.repository';

/** What handling an event did, recorded on its stripe_events row. */
export interface HandlerResult {
  outcome: string;
  tenantId: string | null;
}

export type EventHandler = (event: StripeEvent) => Promise<HandlerResult>;

/** Webhook effects act as the platform: they are authenticated by Stripe's signature, not a JWT. */
const STRIPE_WEBHOOK: Principal = { sub: 'stripe-webhook', tenantId: null, roles: ['platform-admin'] };

const ignored = (why: string, tenantId: string | null = null): HandlerResult => ({ outcome: `ignored: ${why}`, tenantId });

/** A Stripe reference: an id string, or an expanded object with an id. */
function idOf(ref: unknown): string | null {
  if (typeof ref === 'string' && ref.length > 0) return ref;
  if (ref && typeof ref === 'object' && typeof (ref as { id?: unknown }).id === 'string') return (ref as { id: string }).id;
  return null;
}

function metadataOf(object: Record<string, unknown>): Record<string, string> {
  const m = object.metadata;
  return m && typeof m === 'object' ? (m as Record<string, string>) : {};
}

function tenantFrom(metadata: Record<string, string>): string | null {
  const t = metadata.tenantId;
  return typeof t === 'string' && TENANT_ID_PATTERN.test(t) ? t : null;
}

/**
 * One handler per Stripe event type (a map, not an if-chain). Each runs inside the transaction
 * that records the event id, so its effect and "processed" commit together. Lock order follows
 * the invoices domain: subscription, then invoice.
 */
@Injectable()
export class StripeEventHandlers {
  private readonly handlers = new Map<string, EventHandler>([
    ['checkout.session.completed', (e) => this.checkoutCompleted(e)],
    ['payment_intent.succeeded', (e) => this.paymentSucceeded(e)],
    ['payment_intent.payment_failed', (e) => this.paymentFailed(e)],
    ['customer.subscription.deleted', (e) => this.subscriptionDeleted(e)],
  ]);

  constructor(
    private readonly stripe: StripeRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly subscriptionRows: SubscriptionsRepository,
    private readonly invoices: InvoicesRepository,
  ) {}

  /** The handler of a type, or null: other types are acknowledged and ignored. */
  handlerFor(type: string): EventHandler | null {
    return this.handlers.get(type) ?? null;
  }

  get handledTypes(): string[] {
    return [...this.handlers.keys()];
  }

  /** Creates the tenant's subscription from the session's metadata, or links the live one; stores the Stripe ids. */
  private async checkoutCompleted(event: StripeEvent): Promise<HandlerResult> {
    const session = event.object;
    const metadata = metadataOf(session);
    const tenantId = tenantFrom(metadata);
    if (!tenantId) return ignored('no tenantId in the session metadata');
    const ids = { stripeCustomerId: idOf(session.customer), stripeSubscriptionId: idOf(session.subscription) };
    if (ids.stripeCustomerId) await this.stripe.saveCustomer(tenantId, ids.stripeCustomerId);
    const live = await this.subscriptionRows.findLive(tenantId, true);
    if (live) return this.link(live, ids);
    if (!metadata.planId) return ignored('no planId in the session metadata', tenantId);
    let createdId: string;
    try {
      createdId = (await this.stripe.inSavepoint('checkout_subscription', () => this.subscriptions.create(tenantId, { planId: metadata.planId }))).id;
    } catch (err) {
      // A subscription made through the API in the meantime: link that one instead.
      if (!(err instanceof ProblemError && err.code === 'SUBSCRIPTION_EXISTS')) throw err;
      return this.link((await this.subscriptionRows.findLive(tenantId, true))!, ids);
    }
    await this.subscriptionRows.update(createdId, this.patchIds(ids));
    return { outcome: 'subscription_created', tenantId };
  }

  private async link(live: Subscription, ids: { stripeCustomerId: string | null; stripeSubscriptionId: string | null }): Promise<HandlerResult> {
    await this.subscriptionRows.update(live.id, this.patchIds(ids, live));
    return { outcome: 'subscription_linked', tenantId: live.tenantId };
  }

  private patchIds(ids: { stripeCustomerId: string | null; stripeSubscriptionId: string | null }, current?: Subscription) {
    return {
      stripeCustomerId: ids.stripeCustomerId ?? current?.stripeCustomerId ?? null,
      stripeSubscriptionId: ids.stripeSubscriptionId ?? current?.stripeSubscriptionId ?? null,
    };
  }

  /** The invoice paid (paidAt = when Stripe saw it succeed); a past_due subscription is active again. */
  private async paymentSucceeded(event: StripeEvent): Promise<HandlerResult> {
    const locked = await this.lockInvoiceOf(event.object);
    if (!locked) return ignored('no invoice for this payment intent');
    const { invoice, subscription } = locked;
    if (invoice.status !== 'open') return ignored(`invoice is already ${invoice.status}`, invoice.tenantId);
    const received = Number(event.object.amount_received ?? event.object.amount ?? 0);
    const currency = String(event.object.currency ?? '').toUpperCase();
    if (currency !== invoice.currency || received < invoice.amountDueCents) {
      return ignored(`received ${received} ${currency}, the invoice owes ${invoice.amountDueCents} ${invoice.currency}`, invoice.tenantId);
    }
    await this.invoices.setStatus(invoice.id, ['open'], 'paid', 'paid_at', new Date(event.created * 1000));
    const paymentIntentId = idOf(event.object.id);
    if (paymentIntentId && invoice.paymentIntentId !== paymentIntentId) await this.invoices.setPaymentIntent(invoice.id, paymentIntentId, received);
    if (canApply('payment_succeeded', subscription.status)) {
      await this.subscriptionRows.update(subscription.id, { status: nextStatus('payment_succeeded', subscription.status) });
    }
    return { outcome: 'invoice_paid', tenantId: invoice.tenantId };
  }

  /**
   * The subscription goes past_due; the invoice stays open. A failure that arrives after the
   * success (Stripe does not order events), or for a payment intent since replaced, changes nothing.
   */
  private async paymentFailed(event: StripeEvent): Promise<HandlerResult> {
    const locked = await this.lockInvoiceOf(event.object);
    if (!locked) return ignored('no invoice for this payment intent');
    const { invoice, subscription } = locked;
    if (invoice.status !== 'open') return ignored(`invoice is already ${invoice.status}`, invoice.tenantId);
    if (invoice.paymentIntentId !== null && invoice.paymentIntentId !== idOf(event.object.id)) {
      return ignored('the payment intent was replaced', invoice.tenantId);
    }
    if (!canApply('payment_failed', subscription.status)) return ignored(`subscription is ${subscription.status}`, invoice.tenantId);
    await this.subscriptionRows.update(subscription.id, { status: nextStatus('payment_failed', subscription.status) });
    return { outcome: 'subscription_past_due', tenantId: invoice.tenantId };
  }

  /** Cancels now the live subscription linked to the deleted Stripe subscription (an unlinked one is left alone). */
  private async subscriptionDeleted(event: StripeEvent): Promise<HandlerResult> {
    const stripeSubscriptionId = idOf(event.object.id);
    const customerId = idOf(event.object.customer);
    const tenantId = tenantFrom(metadataOf(event.object)) ?? (customerId ? await this.stripe.tenantOfCustomer(customerId) : null);
    if (!tenantId || !stripeSubscriptionId) return ignored('no tenant for this Stripe subscription');
    const live = await this.subscriptionRows.findLive(tenantId);
    if (!live || live.stripeSubscriptionId !== stripeSubscriptionId) return ignored(`no live subscription linked to ${stripeSubscriptionId}`, tenantId);
    await this.subscriptions.cancel(STRIPE_WEBHOOK, live.id, false, new Date());
    return { outcome: 'subscription_canceled', tenantId };
  }

  /** The invoice a payment intent pays (by its stored id, else metadata.invoiceId), locked with its subscription. */
  private async lockInvoiceOf(paymentIntent: Record<string, unknown>): Promise<{ invoice: Invoice; subscription: Subscription } | null> {
    const paymentIntentId = idOf(paymentIntent.id);
    const metadata = metadataOf(paymentIntent);
    let peek = paymentIntentId ? await this.invoices.findByPaymentIntent(paymentIntentId) : null;
    if (!peek && typeof metadata.invoiceId === 'string' && isUuid(metadata.invoiceId)) peek = await this.invoices.findById(null, metadata.invoiceId.toLowerCase());
    if (!peek) return null;
    const metaTenant = tenantFrom(metadata);
    if (metaTenant && metaTenant !== peek.tenantId) return null;
    const subscription = await this.subscriptionRows.findById(null, peek.subscriptionId, true);
    const invoice = await this.invoices.findById(null, peek.id, true);
    return subscription && invoice ? { invoice, subscription } : null;
  }
}

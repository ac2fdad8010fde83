import { Injectable } from '@nestjs/common';
import { CatalogService } from '../catalog/catalog.service';
import { Principal, reachesAllTenants } from '../common/auth/principal';
import { Transactions } from '../common/database/transactions';
import { ProblemError, notFound } from '../common/errors/problem';
import { toMinorUnits } from '../common/money/money';
import type { Invoice } from '../invoices/invoice.types';
import { InvoicesRepository } from '../invoices/invoices.repository';
import type { CheckoutDto, CheckoutSessionDto, PaymentIntentDto, PortalDto, PortalSessionDto } from './dto/stripe.dto';
import { StripeKeys, requestWindow } from './idempotency-keys';
import { CheckoutSessionInput, StripeGateway, StripePaymentIntent } from './stripe.gateway';
import { StripeRepository } from './stripe.repository';

/** Stripe statuses a payment intent can be canceled from (processing and succeeded cannot). */
const CANCELABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture'];

/**
 * Checkout, portal and payment intents. Stripe is called outside any lock we take; what we store
 * afterwards (the tenant's customer, an invoice's payment intent) converges under retries and
 * races because every Stripe create carries an idempotency key derived from our ids.
 */
@Injectable()
export class StripeService {
  constructor(
    private readonly gateway: StripeGateway,
    private readonly stripe: StripeRepository,
    private readonly invoices: InvoicesRepository,
    private readonly catalog: CatalogService,
    private readonly tx: Transactions,
  ) {}

  /** The tenant's Stripe customer, created on first need; racing first calls get the same one. */
  async customerFor(tenantId: string): Promise<string> {
    const stored = await this.stripe.customerOf(tenantId);
    if (stored) return stored;
    const created = await this.gateway.createCustomer({ tenantId }, StripeKeys.customer(tenantId));
    return this.stripe.saveCustomer(tenantId, created.id);
  }

  async checkout(dto: CheckoutDto, clientKey: string | undefined, now = new Date()): Promise<CheckoutSessionDto> {
    const plan = this.catalog.plan(dto.planId);
    if (!plan) throw new ProblemError('UNKNOWN_PLAN', `Unknown plan ${dto.planId}`);
    if (!plan.active) throw new ProblemError('PLAN_INACTIVE', `Plan ${dto.planId} is not open to new subscriptions`);
    const input: CheckoutSessionInput = {
      customerId: await this.customerFor(dto.tenantId),
      successUrl: dto.successUrl,
      cancelUrl: dto.cancelUrl,
      plan: {
        id: plan.id,
        name: plan.name,
        currency: plan.currency,
        interval: plan.interval,
        unitAmountCents: toMinorUnits(plan.basePrice, plan.currency),
        trialDays: plan.trialDays,
      },
      metadata: { tenantId: dto.tenantId, planId: plan.id },
    };
    const session = await this.gateway.createCheckoutSession(input, StripeKeys.checkout(dto.tenantId, input, requestWindow(clientKey, now)));
    return { sessionId: session.id, url: session.url };
  }

  async portal(dto: PortalDto, clientKey: string | undefined, now = new Date()): Promise<PortalSessionDto> {
    const input = { customerId: await this.customerFor(dto.tenantId), returnUrl: dto.returnUrl };
    return this.gateway.createPortalSession(input, StripeKeys.portal(dto.tenantId, input, requestWindow(clientKey, now)));
  }

  /**
   * The open invoice's payment intent: the stored one while it still fits (same amount, not
   * canceled), else a new one (the stale one canceled first so it cannot be paid too; one Stripe
   * no longer knows is simply replaced).
   */
  async paymentIntent(principal: Principal, invoiceId: string): Promise<PaymentIntentDto> {
    const invoice = await this.invoices.findById(reachesAllTenants(principal) ? null : principal.tenantId, invoiceId);
    if (!invoice) throw notFound(`Invoice ${invoiceId}`);
    if (invoice.status !== 'open') {
      throw new ProblemError('INVALID_STATE', `Invoice ${invoice.number ?? invoice.id} is ${invoice.status}; only open invoices take payment`);
    }
    let replaces: string | null = null;
    if (invoice.paymentIntentId) {
      const current = await this.gateway.retrievePaymentIntent(invoice.paymentIntentId);
      if (current && current.status !== 'canceled' && this.fits(current, invoice)) return this.toDto(current, invoice);
      if (current) await this.retire(current);
      replaces = invoice.paymentIntentId;
    }
    const created = await this.gateway.createPaymentIntent(
      {
        customerId: await this.customerFor(invoice.tenantId),
        amountCents: invoice.amountDueCents,
        currency: invoice.currency,
        description: `Invoice ${invoice.number}`,
        metadata: { invoiceId: invoice.id, tenantId: invoice.tenantId, invoiceNumber: invoice.number ?? '' },
      },
      StripeKeys.paymentIntent(invoice.id, invoice.amountDueCents, replaces),
    );
    await this.tx.run(() => this.invoices.setPaymentIntent(invoice.id, created.id, created.amountCents));
    return this.toDto(created, invoice);
  }

  private fits(pi: StripePaymentIntent, invoice: Invoice): boolean {
    return pi.amountCents === invoice.amountDueCents && pi.currency.toUpperCase() === invoice.currency;
  }

  /** Cancels a payment intent that no longer fits; one already paid or in flight is not replaced. */
  private async retire(pi: StripePaymentIntent): Promise<void> {
    if (pi.status === 'canceled') return;
    if (!CANCELABLE.includes(pi.status)) {
      throw new ProblemError('INVALID_STATE', `The invoice's payment intent ${pi.id} is ${pi.status} for another amount; wait for it to settle`);
    }
    await this.gateway.cancelPaymentIntent(pi.id, StripeKeys.cancelPaymentIntent(pi.id));
  }

  private toDto(pi: StripePaymentIntent, invoice: Invoice): PaymentIntentDto {
    return {
      paymentIntentId: pi.id,
      clientSecret: pi.clientSecret,
      amountCents: pi.amountCents,
      currency: pi.currency.toUpperCase(),
      invoiceId: invoice.id,
      status: pi.status,
    };
  }
}

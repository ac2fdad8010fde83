import { Inject, Injectable, Logger } from '@nestjs/common';
import Stripe from 'stripe';
import { ProblemError } from '../common/errors/problem';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { CheckoutSessionInput, PaymentIntentInput, StripeEvent, StripeGateway, StripePaymentIntent } from './stripe.gateway';

/** Stripe's default: an event signed more than 5 minutes ago is refused (replay protection). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
const TIMEOUT_MS = 20_000;
const MAX_NETWORK_RETRIES = 2;

/** API keys and webhook secrets never reach a log line or a response, whatever Stripe echoes back. */
export function redactSecrets(text: string): string {
  return text.replace(/\b(sk|rk|pk)_(test|live)_[A-Za-z0-9_*]*/g, '[redacted key]').replace(/\bwhsec_[A-Za-z0-9_*]*/g, '[redacted secret]');
}

type StripeSdkError = InstanceType<typeof Stripe.errors.StripeError>;

/**
 * A Stripe SDK error as problem+json, never a 500. A declined card is the payer's problem (422
 * UNPROCESSABLE); anything else Stripe refused or failed at is 502 STRIPE_ERROR. Both carry
 * Stripe's own message and its type/code under `stripe`.
 */
export function stripeProblem(err: StripeSdkError): ProblemError {
  const stripe = {
    type: err.rawType ?? err.type,
    code: err.code ?? null,
    declineCode: err.decline_code ?? null,
    statusCode: err.statusCode ?? null,
    requestId: err.requestId ?? null,
  };
  const message = redactSecrets(err.message || 'Stripe request failed');
  if (err instanceof Stripe.errors.StripeCardError) return new ProblemError('UNPROCESSABLE', message, { stripe });
  return new ProblemError('STRIPE_ERROR', message, { stripe });
}

function toPaymentIntent(pi: Stripe.PaymentIntent): StripePaymentIntent {
  return { id: pi.id, clientSecret: pi.client_secret ?? '', amountCents: pi.amount, currency: pi.currency, status: pi.status };
}

/** The official SDK behind the StripeGateway port; STRIPE_API_HOST/PORT/PROTOCOL point it elsewhere (tests: a local stub). */
@Injectable()
export class SdkStripeGateway extends StripeGateway {
  private readonly logger = new Logger('Stripe');
  private readonly client: Stripe | null;
  private readonly webhookSecret: string | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super();
    const { secretKey, webhookSecret, apiHost, apiPort, apiProtocol } = config.stripe;
    this.webhookSecret = webhookSecret;
    this.client = secretKey
      ? new Stripe(secretKey, {
          maxNetworkRetries: MAX_NETWORK_RETRIES,
          timeout: TIMEOUT_MS,
          telemetry: false,
          appInfo: { name: 'billing-service' },
          ...(apiHost ? { host: apiHost } : {}),
          ...(apiPort ? { port: apiPort } : {}),
          ...(apiProtocol ? { protocol: apiProtocol } : {}),
        })
      : null;
  }

  get apiConfigured(): boolean {
    return this.client !== null;
  }

  get webhookConfigured(): boolean {
    return this.webhookSecret !== null;
  }

  createCustomer(input: { tenantId: string }, idempotencyKey: string): Promise<{ id: string }> {
    return this.call('create customer', async (s) => {
      const c = await s.customers.create({ name: input.tenantId, metadata: { tenantId: input.tenantId } }, { idempotencyKey });
      return { id: c.id };
    });
  }

  createCheckoutSession(input: CheckoutSessionInput, idempotencyKey: string): Promise<{ id: string; url: string }> {
    const { plan } = input;
    return this.call('create checkout session', async (s) => {
      const session = await s.checkout.sessions.create(
        {
          mode: 'subscription',
          customer: input.customerId,
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
          client_reference_id: input.metadata.tenantId,
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: plan.currency.toLowerCase(),
                unit_amount: plan.unitAmountCents,
                recurring: { interval: plan.interval },
                product_data: { name: plan.name, metadata: { planId: plan.id } },
              },
            },
          ],
          metadata: input.metadata,
          subscription_data: { metadata: input.metadata, ...(plan.trialDays > 0 ? { trial_period_days: plan.trialDays } : {}) },
        },
        { idempotencyKey },
      );
      return { id: session.id, url: session.url ?? '' };
    });
  }

  createPortalSession(input: { customerId: string; returnUrl: string }, idempotencyKey: string): Promise<{ url: string }> {
    return this.call('create portal session', async (s) => {
      const session = await s.billingPortal.sessions.create({ customer: input.customerId, return_url: input.returnUrl }, { idempotencyKey });
      return { url: session.url };
    });
  }

  createPaymentIntent(input: PaymentIntentInput, idempotencyKey: string): Promise<StripePaymentIntent> {
    return this.call('create payment intent', async (s) =>
      toPaymentIntent(
        await s.paymentIntents.create(
          {
            amount: input.amountCents,
            currency: input.currency.toLowerCase(),
            customer: input.customerId,
            description: input.description,
            metadata: input.metadata,
            automatic_payment_methods: { enabled: true },
          },
          { idempotencyKey },
        ),
      ),
    );
  }

  async retrievePaymentIntent(id: string): Promise<StripePaymentIntent | null> {
    try {
      return await this.call('retrieve payment intent', async (s) => toPaymentIntent(await s.paymentIntents.retrieve(id)));
    } catch (err) {
      if (err instanceof ProblemError && (err.extra.stripe as { code?: string } | undefined)?.code === 'resource_missing') return null;
      throw err;
    }
  }

  cancelPaymentIntent(id: string, idempotencyKey: string): Promise<StripePaymentIntent> {
    return this.call('cancel payment intent', async (s) =>
      toPaymentIntent(await s.paymentIntents.cancel(id, { cancellation_reason: 'abandoned' }, { idempotencyKey })),
    );
  }

  verifyEvent(rawBody: Buffer, signature: string | undefined): StripeEvent {
    if (this.webhookSecret === null) throw new ProblemError('STRIPE_NOT_CONFIGURED', 'Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET is unset)');
    if (!signature) throw new ProblemError('INVALID_SIGNATURE', 'The Stripe-Signature header is missing');
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(rawBody, signature, this.webhookSecret, SIGNATURE_TOLERANCE_SECONDS);
    } catch (err) {
      const reason = err instanceof Error && /tolerance/i.test(err.message)
        ? `the signature timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s away from now`
        : 'no signature in the Stripe-Signature header matches the body';
      throw new ProblemError('INVALID_SIGNATURE', `Stripe-Signature verification failed: ${reason}`);
    }
    const object = (event as { data?: { object?: unknown } }).data?.object;
    if (typeof event.id !== 'string' || typeof event.type !== 'string' || typeof object !== 'object' || object === null) {
      throw new ProblemError('VALIDATION_FAILED', 'The body is not a Stripe event (id, type and data.object are required)');
    }
    return { id: event.id, type: event.type, created: typeof event.created === 'number' ? event.created : Math.floor(Date.now() / 1000), object: object as Record<string, unknown> };
  }

  private async call<T>(what: string, work: (client: Stripe) => Promise<T>): Promise<T> {
    if (this.client === null) throw new ProblemError('STRIPE_NOT_CONFIGURED', 'Stripe is not configured (STRIPE_SECRET_KEY is unset)');
    try {
      return await work(this.client);
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeError)) throw err;
      const problem = stripeProblem(err);
      this.logger.warn(`${what} failed: ${problem.status} ${JSON.stringify(problem.extra.stripe)} ${problem.detail}`);
      throw problem;
    }
  }
}

import { Body, Controller, ExecutionContext, HttpCode, Param, Post, RawBodyRequest, Req, UseGuards, createParamDecorator } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Access, Allow, Public } from '../common/auth/access.decorator';
import { CurrentPrincipal } from '../common/auth/current-principal.decorator';
import type { Principal } from '../common/auth/principal';
import { ApiProblems } from '../common/http/api-problems';
import { EmptyBodyPipe } from '../common/http/empty-body';
import { UuidParamPipe } from '../common/http/id-param';
import { Idempotent } from '../common/idempotency/idempotency.interceptor';
import { CheckoutDto, CheckoutSessionDto, PaymentIntentDto, PortalDto, PortalSessionDto, WebhookAckDto } from './dto/stripe.dto';
import { StripeConfiguredGuard } from './stripe-configured.guard';
import { StripeWebhookService } from './stripe-webhook.service';
import { StripeService } from './stripe.service';

const STRIPE_FAILURES: Array<[number, string[], string]> = [
  [502, ['STRIPE_ERROR'], "Stripe refused or failed; detail is Stripe's message, `stripe` holds its type and code"],
  [503, ['STRIPE_NOT_CONFIGURED'], 'STRIPE_SECRET_KEY is unset'],
];

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The caller's Idempotency-Key (already validated by @Idempotent()); Stripe keys derive from it. */
const ClientIdempotencyKey = createParamDecorator((_: unknown, ctx: ExecutionContext) => header(ctx.switchToHttp().getRequest<FastifyRequest>(), 'idempotency-key'));

/** The webhook's route: it takes the raw body of any content type (its signature decides). */
export const STRIPE_WEBHOOK_ROUTE = 'stripe/webhook';

@ApiTags('stripe')
@Controller()
export class StripeController {
  constructor(
    private readonly stripe: StripeService,
    private readonly webhooks: StripeWebhookService,
  ) {}

  @Post('stripe/checkout')
  @HttpCode(200)
  @Allow(Access.tenantWrite)
  @UseGuards(StripeConfiguredGuard)
  @Idempotent()
  @ApiOperation({
    summary: 'Start a Stripe Checkout for a plan',
    description:
      "Subscription-mode Checkout Session for the tenant's Stripe customer (made on first need), with tenantId and planId in its metadata; " +
      'the subscription itself is created when Stripe reports checkout.session.completed. Retries with the same Idempotency-Key reach the same session.',
  })
  @ApiOkResponse({ type: CheckoutSessionDto })
  @ApiProblems(
    [400, ['VALIDATION_FAILED']],
    [409, ['IDEMPOTENCY_CONFLICT', 'IDEMPOTENCY_IN_PROGRESS']],
    [422, ['UNKNOWN_PLAN', 'PLAN_INACTIVE', 'UNPROCESSABLE'], 'UNPROCESSABLE: Stripe declined a card (402 card_error)'],
    ...STRIPE_FAILURES,
  )
  checkout(@Body() dto: CheckoutDto, @ClientIdempotencyKey() clientKey: string | undefined): Promise<CheckoutSessionDto> {
    return this.stripe.checkout(dto, clientKey);
  }

  @Post('stripe/portal')
  @HttpCode(200)
  @Allow(Access.tenantWrite)
  @UseGuards(StripeConfiguredGuard)
  @Idempotent()
  @ApiOperation({ summary: 'Open the Stripe customer portal', description: "A billing portal session for the tenant's Stripe customer (made on first need)." })
  @ApiOkResponse({ type: PortalSessionDto })
  @ApiProblems(
    [400, ['VALIDATION_FAILED']],
    [409, ['IDEMPOTENCY_CONFLICT', 'IDEMPOTENCY_IN_PROGRESS']],
    [422, ['UNPROCESSABLE'], 'Stripe declined a card (402 card_error)'],
    ...STRIPE_FAILURES,
  )
  portal(@Body() dto: PortalDto, @ClientIdempotencyKey() clientKey: string | undefined): Promise<PortalSessionDto> {
    return this.stripe.portal(dto, clientKey);
  }

  @Post('invoices/:invoiceId/payment-intent')
  @HttpCode(200)
  @Allow(Access.tenantWrite)
  @UseGuards(StripeConfiguredGuard)
  @Idempotent()
  @ApiOperation({
    summary: 'Get the payment intent of an open invoice',
    description:
      "A Stripe PaymentIntent for the invoice's amountDueCents and currency, stored on the invoice and reused by later calls; " +
      'recreated (the old one canceled) only when the amount changed or it was canceled. Draft, paid and void invoices: 409.',
  })
  @ApiParam({ name: 'invoiceId', format: 'uuid' })
  @ApiOkResponse({ type: PaymentIntentDto })
  @ApiProblems(
    [400, ['VALIDATION_FAILED']],
    [404, ['NOT_FOUND'], "No such invoice, or another tenant's"],
    [409, ['INVALID_STATE', 'IDEMPOTENCY_CONFLICT', 'IDEMPOTENCY_IN_PROGRESS'], 'INVALID_STATE: the invoice is not open'],
    [422, ['UNPROCESSABLE'], 'Stripe declined a card (402 card_error)'],
    ...STRIPE_FAILURES,
  )
  paymentIntent(
    @CurrentPrincipal() principal: Principal,
    @Param('invoiceId', new UuidParamPipe('Invoice')) invoiceId: string,
    @Body(EmptyBodyPipe) _body: unknown,
  ): Promise<PaymentIntentDto> {
    return this.stripe.paymentIntent(principal, invoiceId);
  }

  @Post(STRIPE_WEBHOOK_ROUTE)
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Receive a Stripe webhook event',
    description:
      'No JWT: authenticated by the Stripe-Signature header over the raw body with STRIPE_WEBHOOK_SECRET (tolerance 300 s). ' +
      'Each event id is processed once. Handled: checkout.session.completed, payment_intent.succeeded, payment_intent.payment_failed, ' +
      'customer.subscription.deleted; other types are acknowledged and ignored.',
  })
  @ApiHeader({ name: 'Stripe-Signature', required: true, description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">', example: 't=1764500000,v1=5257a869…' })
  @ApiBody({
    description: 'The Stripe event exactly as Stripe sent it (application/json; verified over the raw bytes)',
    schema: { type: 'object', additionalProperties: true, example: { id: 'evt_1', type: 'payment_intent.succeeded', created: 1764500000, data: { object: { id: 'pi_1' } } } },
  })
  @ApiOkResponse({ type: WebhookAckDto })
  @ApiProblems(
    [400, ['INVALID_SIGNATURE', 'VALIDATION_FAILED'], 'Bad, stale or missing Stripe-Signature (nothing is changed), or not a JSON event'],
    [503, ['STRIPE_NOT_CONFIGURED', 'UNAVAILABLE'], 'STRIPE_WEBHOOK_SECRET is unset, or the database is down (Stripe retries)'],
  )
  webhook(@Req() request: RawBodyRequest<FastifyRequest>): Promise<WebhookAckDto> {
    return this.webhooks.receive(request.rawBody, header(request, 'stripe-signature'));
  }
}

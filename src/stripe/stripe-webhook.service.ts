import { Injectable, Logger } from '@nestjs/common';
import { Transactions } from '../common/database/transactions';
import { ProblemError } from '../common/errors/problem';
import type { WebhookAckDto } from './dto/stripe.dto';
import { HandlerResult, StripeEventHandlers } from './stripe-event-handlers';
import { StripeGateway } from './stripe.gateway';
import { StripeRepository } from './stripe.repository';

/**
 * Stripe webhooks, each event id processed once. The id is inserted in the same transaction as
 * the handler's effect: a redelivery — even one arriving at the same moment — waits on the
 * primary key, then finds the event done and changes nothing. A handler that refuses (a
 * ProblemError: plan gone, subscription exists …) is rolled back to a savepoint and recorded as
 * rejected, answered 200 so Stripe stops retrying; anything unexpected rolls the whole event back
 * (the id included), so Stripe's retry processes it again.
 */
@Injectable()
export class StripeWebhookService {
  private readonly logger = new Logger('StripeWebhook');

  constructor(
    private readonly gateway: StripeGateway,
    private readonly handlers: StripeEventHandlers,
    private readonly stripe: StripeRepository,
    private readonly tx: Transactions,
  ) {}

  async receive(rawBody: Buffer | undefined, signature: string | undefined): Promise<WebhookAckDto> {
    if (!this.gateway.webhookConfigured) throw new ProblemError('STRIPE_NOT_CONFIGURED', 'Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET is unset)');
    if (!rawBody) throw new ProblemError('INVALID_SIGNATURE', 'The signature can only be checked on an application/json body, as Stripe sends it');
    const event = this.gateway.verifyEvent(rawBody, signature);
    return this.tx.run(async () => {
      if (!(await this.stripe.claimEvent(event.id, event.type))) {
        const seen = await this.stripe.event(event.id);
        return { received: true, duplicate: true, outcome: seen?.outcome ?? null };
      }
      const handler = this.handlers.handlerFor(event.type);
      let result: HandlerResult;
      if (!handler) {
        result = { outcome: 'ignored: type not handled', tenantId: null };
      } else {
        try {
          result = await this.stripe.inSavepoint('stripe_event', () => handler(event));
        } catch (err) {
          if (!(err instanceof ProblemError)) throw err;
          this.logger.warn(`event ${event.id} (${event.type}) rejected: ${err.code} ${err.detail}`);
          result = { outcome: `rejected: ${err.code}`, tenantId: null };
        }
      }
      await this.stripe.finishEvent(event.id, result.outcome, result.tenantId);
      if (handler) this.logger.log(`event ${event.id} (${event.type}): ${result.outcome}`);
      return { received: true, duplicate: false, outcome: result.outcome };
    });
  }
}

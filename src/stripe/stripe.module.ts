import { Module } from '@nestjs/common';
import { InvoicesModule } from '../invoices/invoices.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { SdkStripeGateway } from './sdk-stripe.gateway';
import { StripeConfiguredGuard } from './stripe-configured.guard';
import { StripeEventHandlers } from './stripe-event-handlers';
import { StripeWebhookService } from './stripe-webhook.service';
import { StripeController } from './stripe.controller';
import { StripeGateway } from './stripe.gateway';
import { StripeRepository } from './stripe.repository';
import { StripeService } from './stripe.service';

@Module({
  imports: [SubscriptionsModule, InvoicesModule],
  controllers: [StripeController],
  providers: [
    { provide: StripeGateway, useClass: SdkStripeGateway },
    StripeConfiguredGuard,
    StripeRepository,
    StripeService,
    StripeEventHandlers,
    StripeWebhookService,
  ],
  exports: [StripeService],
})
export class StripeModule {}

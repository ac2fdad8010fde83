import { Module } from '@nestjs/common';
import { InvoicesModule } from '../invoices/invoices.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { BillingController } from './billing.controller';
import { BillingService } from './billing.service';

@Module({ imports: [InvoicesModule, SubscriptionsModule], controllers: [BillingController], providers: [BillingService], exports: [BillingService] })
export class BillingModule {}

import { Module, OnModuleInit } from '@nestjs/common';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import { UsageReaderModule } from '../usage/usage-reader.module';
import { InvoiceComposer } from './invoice-composer';
import { InvoicePdfService } from './invoice-pdf.service';
import { InvoicesController } from './invoices.controller';
import { InvoicesRepository } from './invoices.repository';
import { InvoicesService } from './invoices.service';
import { PeriodCloseService } from './period-close.service';
import { PeriodCloser } from './period-closer';

/**
 * Invoices depend on subscriptions, not the other way round: at start this module hands its
 * PeriodCloser to SubscriptionsService, whose actions first close the periods that have ended.
 */
@Module({
  imports: [SubscriptionsModule, UsageReaderModule],
  controllers: [InvoicesController],
  providers: [InvoicesRepository, InvoicesService, InvoiceComposer, InvoicePdfService, PeriodCloser, PeriodCloseService],
  exports: [InvoicesService, InvoicesRepository, InvoiceComposer, PeriodCloseService],
})
export class InvoicesModule implements OnModuleInit {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly closer: PeriodCloser,
  ) {}

  onModuleInit(): void {
    this.subscriptions.usePeriodCatchUp(this.closer);
  }
}

import { Module } from '@nestjs/common';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { UsageReaderModule } from '../usage/usage-reader.module';
import { InvoiceComposer } from './invoice-composer';
import { InvoicePdfService } from './invoice-pdf.service';
import { InvoicesController } from './invoices.controller';
import { InvoicesRepository } from './invoices.repository';
import { InvoicesService } from './invoices.service';
import { PeriodCloseService } from './period-close.service';

@Module({
  imports: [SubscriptionsModule, UsageReaderModule],
  controllers: [InvoicesController],
  providers: [InvoicesRepository, InvoicesService, InvoiceComposer, InvoicePdfService, PeriodCloseService],
  exports: [InvoicesService, InvoicesRepository, InvoiceComposer, PeriodCloseService],
})
export class InvoicesModule {}

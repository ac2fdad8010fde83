import { Module } from '@nestjs/common';
import { CreditLedgerRepository } from './credit-ledger.repository';
import { CreditLedger } from './credit-ledger.service';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsRepository } from './subscriptions.repository';
import { SubscriptionsService } from './subscriptions.service';
import { CostCentersModule } from '../cost-centers/cost-centers.module';

@Module({
  imports: [CostCentersModule],
  controllers: [SubscriptionsController],
  providers: [SubscriptionsRepository, SubscriptionsService, CreditLedger, CreditLedgerRepository],
  exports: [SubscriptionsService, SubscriptionsRepository, CreditLedger],
})
export class SubscriptionsModule {}

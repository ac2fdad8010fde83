import { Module } from '@nestjs/common';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { UsageReaderModule } from '../usage/usage-reader.module';
import { QuotaCache } from './quota-cache';
import { QuotasController } from './quotas.controller';
import { QuotasRepository } from './quotas.repository';
import { QuotasService } from './quotas.service';
import { CostCentersModule } from '../cost-centers/cost-centers.module';

@Module({
  imports: [CostCentersModule, UsageReaderModule, SubscriptionsModule],
  controllers: [QuotasController],
  providers: [QuotasRepository, QuotasService, QuotaCache],
  exports: [QuotasService, QuotaCache],
})
export class QuotasModule {}

import { Module } from '@nestjs/common';
import { QuotasModule } from '../quotas/quotas.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { CostCentersModule } from '../cost-centers/cost-centers.module';
import { IngestBatcher } from './ingest/ingest-batcher';
import { TenantIngestContexts } from './ingest/tenant-contexts';
import { RollupCompactor } from './rollups/rollup-compactor';
import { RollupSweeper } from './rollups/rollup-sweeper';
import { UsageReaderModule } from './usage-reader.module';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

@Module({
  imports: [UsageReaderModule, QuotasModule, SubscriptionsModule, CostCentersModule],
  controllers: [UsageController],
  providers: [IngestBatcher, TenantIngestContexts, UsageService, RollupSweeper, RollupCompactor],
  exports: [IngestBatcher],
})
export class UsageModule {}

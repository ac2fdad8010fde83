import { Module } from '@nestjs/common';
import { CostCentersController } from './cost-centers.controller';
import { CostCentersRepository } from './cost-centers.repository';
import { CostCentersService } from './cost-centers.service';
import { IngestContextRepository } from './ingest-context.repository';

/**
 * Cost centers: codes, budgets, hierarchy and attribution rules. Exports CostCentersService for
 * usage (attribution, costCenterId checks) and quotas, and the ingest context query.
 */
@Module({
  controllers: [CostCentersController],
  providers: [CostCentersService, CostCentersRepository, IngestContextRepository],
  exports: [CostCentersService, IngestContextRepository],
})
export class CostCentersModule {}

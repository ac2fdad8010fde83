import { Module } from '@nestjs/common';
import { CostCentersController } from './cost-centers.controller';
import { CostCentersRepository } from './cost-centers.repository';
import { CostCentersService } from './cost-centers.service';

/**
 * Cost centers: codes, budgets, hierarchy and attribution rules. Exports CostCentersService for
 * usage (attribution, costCenterId checks) and quotas.
 */
@Module({
  controllers: [CostCentersController],
  providers: [CostCentersService, CostCentersRepository],
  exports: [CostCentersService],
})
export class CostCentersModule {}

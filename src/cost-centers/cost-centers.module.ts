import { Module } from '@nestjs/common';

/** Cost centers: codes, budgets, hierarchy and attribution rules (being built). */
@Module({})
export class CostCentersModule {}

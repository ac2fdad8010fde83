import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { InvoicesModule } from '../invoices/invoices.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { UsageReaderModule } from '../usage/usage-reader.module';
import { AlertDispatcher } from './alerts/alert-dispatcher.service';
import { AlertEvaluator } from './alerts/alert-evaluator.service';
import { CostAlertsRepository } from './alerts/cost-alerts.repository';
import { CostAlertsService } from './alerts/cost-alerts.service';
import { REALTIME_COST_CONFIG, loadRealtimeCostConfig } from './realtime-cost.config';
import { RealtimeCostController } from './realtime-cost.controller';
import { RealtimeCostService } from './realtime-cost.service';

/**
 * Real-time cost (current, by resource, timeline) priced by the invoice engine, and cost alerts:
 * a background evaluator, an outbox of webhook deliveries and its dispatcher. Timing comes from
 * ALERT_* environment variables (realtime-cost.config.ts).
 */
@Module({
  imports: [InvoicesModule, SubscriptionsModule, UsageReaderModule, BillingModule],
  controllers: [RealtimeCostController],
  providers: [
    { provide: REALTIME_COST_CONFIG, useFactory: () => loadRealtimeCostConfig(process.env) },
    RealtimeCostService,
    CostAlertsRepository,
    CostAlertsService,
    AlertEvaluator,
    AlertDispatcher,
  ],
  exports: [RealtimeCostService],
})
export class RealtimeCostModule {}

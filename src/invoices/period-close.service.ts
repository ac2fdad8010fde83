import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Counter } from 'prom-client';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/app-config';
import { Transactions } from '../common/database/transactions';
import { Metrics } from '../common/metrics/metrics';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import { CloseStep, PeriodCloser } from './period-closer';

export interface PeriodCloseSummary {
  subscriptions: number;
  periodsClosed: number;
  invoicesFinalized: number;
  resumed: number;
  canceled: number;
  failed: number;
  durationMs: number;
}

type Step = CloseStep | 'busy';

const BATCH = 200;
/** Subscriptions closed side by side; each holds one pooled connection. */
const CONCURRENCY = 8;
const JOB_NAME = 'period-close';

/**
 * Invoices every ended period exactly once, with any number of instances: each period is one
 * transaction that locks the subscription (SKIP LOCKED: instances share the work), invoices
 * [currentPeriodStart, currentPeriodEnd) and advances the period in the same commit. A crash
 * rolls back the period it was on; the next run redoes it. The one-non-void-invoice-per-period
 * index is the last guard.
 */
@Injectable()
export class PeriodCloseService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PeriodCloseService.name);
  private running: Promise<PeriodCloseSummary> | null = null;
  private readonly periods: Counter;
  private readonly failures: Counter;

  constructor(
    private readonly subscriptions: SubscriptionsRepository,
    private readonly closer: PeriodCloser,
    private readonly tx: Transactions,
    private readonly scheduler: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: Metrics,
  ) {
    this.periods = new Counter({ name: 'billing_periods_closed_total', help: 'Subscription periods closed (invoiced and advanced)', registers: [metrics.registry] });
    this.failures = new Counter({ name: 'billing_period_close_failures_total', help: 'Subscriptions whose period close failed', registers: [metrics.registry] });
  }

  onApplicationBootstrap(): void {
    if (!this.config.periodCloseCron) return;
    const job = CronJob.from({ cronTime: this.config.periodCloseCron, onTick: () => void this.run().catch(() => undefined), start: true, utcOffset: 0 });
    this.scheduler.addCronJob(JOB_NAME, job as never);
  }

  onModuleDestroy(): void {
    if (this.scheduler.doesExist('cron', JOB_NAME)) this.scheduler.deleteCronJob(JOB_NAME);
  }

  /** One run over every due subscription; overlapping calls in one instance share the run. */
  run(now = new Date()): Promise<PeriodCloseSummary> {
    this.running ??= this.runOnce(now).finally(() => (this.running = null));
    return this.running;
  }

  private async runOnce(now: Date): Promise<PeriodCloseSummary> {
    const started = Date.now();
    const summary: PeriodCloseSummary = { subscriptions: 0, periodsClosed: 0, invoicesFinalized: 0, resumed: 0, canceled: 0, failed: 0, durationMs: 0 };
    const skip: string[] = [];
    for (;;) {
      const due = await this.subscriptions.dueForClose(now, BATCH, skip);
      if (due.length === 0) break;
      // Subscriptions are independent transactions: a few at a time keep the database busy.
      let next = 0;
      const worker = async () => {
        while (next < due.length) {
          const id = due[next++];
          summary.subscriptions++;
          try {
            const busy = await this.closeSubscription(id, now, summary);
            if (busy) skip.push(id);
          } catch (err) {
            summary.failed++;
            this.failures.inc();
            skip.push(id);
            this.logger.error(`period close failed for subscription ${id}: ${(err as Error).message.split('\n')[0]}`);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    }
    summary.durationMs = Date.now() - started;
    if (summary.subscriptions > 0) this.logger.log(`period close: ${JSON.stringify(summary)}`);
    return summary;
  }

  /** Closes every ended period of one subscription, one transaction each; true if another instance holds it. */
  private async closeSubscription(id: string, now: Date, summary: PeriodCloseSummary): Promise<boolean> {
    for (;;) {
      const step = await this.tx.run(() => this.step(id, now));
      if (step === 'busy') return true;
      if (step === 'done') return false;
      if (step === 'resumed') {
        summary.resumed++;
        continue;
      }
      summary.periodsClosed++;
      this.periods.inc();
      if (step.invoiced) summary.invoicesFinalized++;
      if (step.canceled) summary.canceled++;
      // Without this, one more transaction per subscription only to find it done.
      if (!step.more) return false;
    }
  }

  private async step(id: string, now: Date): Promise<Step> {
    const s = await this.subscriptions.lockForClose(id);
    if (!s) return 'busy';
    return this.closer.step(s, now);
  }
}

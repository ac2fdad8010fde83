import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Counter } from 'prom-client';
import { CatalogService } from '../catalog/catalog.service';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/app-config';
import { Transactions } from '../common/database/transactions';
import { Metrics } from '../common/metrics/metrics';
import { periodContaining } from '../subscriptions/domain/periods';
import { SubscriptionPatch, SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import type { Subscription } from '../subscriptions/subscription.types';
import { InvoiceComposer } from './invoice-composer';
import { InvoicesRepository } from './invoices.repository';
import { InvoicesService } from './invoices.service';

export interface PeriodCloseSummary {
  subscriptions: number;
  periodsClosed: number;
  invoicesFinalized: number;
  resumed: number;
  canceled: number;
  failed: number;
  durationMs: number;
}

/** A closed period; `more` when the next step may have work (another ended period, a due resume). */
type Step = 'done' | 'busy' | 'resumed' | { invoiced: boolean; canceled: boolean; more: boolean };

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
    private readonly invoicesRepo: InvoicesRepository,
    private readonly invoices: InvoicesService,
    private readonly composer: InvoiceComposer,
    private readonly catalog: CatalogService,
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
    if (s.billingClosed) return 'done';
    if (s.status === 'paused' && s.resumesAt && s.resumesAt.getTime() <= now.getTime() && s.resumesAt.getTime() < s.currentPeriodEnd.getTime()) {
      await this.subscriptions.closePause(s.id, s.resumesAt);
      await this.subscriptions.update(s.id, { status: 'active', pausedAt: null, resumesAt: null });
      return 'resumed';
    }
    if (s.currentPeriodEnd.getTime() > now.getTime()) return 'done';
    const invoiced = await this.invoicePeriod(s, now);
    const { canceled, nextEnd } = await this.advance(s);
    const more = nextEnd !== null && (nextEnd.getTime() <= now.getTime() || s.status === 'paused');
    return { invoiced, canceled, more };
  }

  /** Invoices the ended current period (a trial bills nothing, so it gets no invoice). */
  private async invoicePeriod(s: Subscription, now: Date): Promise<boolean> {
    const trial = s.trialEnd !== null && s.currentPeriodEnd.getTime() <= s.trialEnd.getTime();
    if (trial) return false;
    const period = { start: s.currentPeriodStart, end: s.currentPeriodEnd, fullEnd: s.currentPeriodFullEnd };
    const existing = await this.invoicesRepo.findForPeriod(s.id, period.start, true);
    if (existing && existing.status !== 'draft') return false;
    // Priced once: the draft is written and finalized from the same content in this transaction.
    const content = await this.composer.compose(s, period, 0, { lateUsage: true });
    const { invoice } = await this.invoices.writeDraft(s, period, existing, content);
    await this.invoices.finalizeLocked(s, invoice, period, now, content);
    return true;
  }

  /**
   * Moves to the next period, applying a pending cancel or plan change at the boundary. Says
   * whether it canceled now and where the next period ends (null: billing closed).
   */
  private async advance(s: Subscription): Promise<{ canceled: boolean; nextEnd: Date | null }> {
    const boundary = s.currentPeriodEnd;
    if (s.status === 'canceled' || s.cancelAtPeriodEnd) {
      await this.subscriptions.update(s.id, {
        status: 'canceled',
        canceledAt: s.canceledAt ?? boundary,
        cancelAtPeriodEnd: false,
        billingClosed: true,
        pausedAt: null,
        resumesAt: null,
      });
      if (s.status === 'paused') await this.subscriptions.closePause(s.id, boundary);
      return { canceled: s.status !== 'canceled', nextEnd: null };
    }
    const plan = this.catalog.plan(s.pendingChange?.planId ?? s.planId)!;
    const anchorAt = plan.interval !== s.interval ? boundary : s.anchorAt;
    const next = periodContaining(anchorAt, plan.interval, boundary);
    const patch: SubscriptionPatch = {
      planId: plan.id,
      periodPlanId: plan.id,
      interval: plan.interval,
      anchorAt,
      currentPeriodStart: boundary,
      currentPeriodEnd: next.end,
      currentPeriodFullEnd: next.end,
      pendingChange: null,
    };
    if (s.status === 'trialing') patch.status = 'active';
    await this.subscriptions.update(s.id, patch);
    return { canceled: false, nextEnd: next.end };
  }
}

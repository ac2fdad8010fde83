import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Counter } from 'prom-client';
import { BillingService } from '../../billing/billing.service';
import { Transactions } from '../../common/database/transactions';
import { Dec } from '../../common/money/decimal';
import { Metrics } from '../../common/metrics/metrics';
import { SubscriptionsRepository } from '../../subscriptions/subscriptions.repository';
import type { Subscription } from '../../subscriptions/subscription.types';
import { REALTIME_COST_CONFIG, RealtimeCostConfig } from '../realtime-cost.config';
import { RealtimeCostService } from '../realtime-cost.service';
import { AlertDispatcher } from './alert-dispatcher.service';
import { CostAlertRow, CostAlertsRepository } from './cost-alerts.repository';

/** Usage ingested this long before the previous pass started is looked at again (transactions that committed late). */
const OVERLAP_MS = 5_000;
/** Tenants evaluated side by side; each holds a pooled connection at a time. */
const CONCURRENCY = 4;

/** What one tenant's alerts are measured against, each read at most once per pass. */
class TenantReadings {
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(
    private readonly s: Subscription,
    private readonly realtime: RealtimeCostService,
    private readonly billing: BillingService,
  ) {}

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    if (!this.cache.has(key)) this.cache.set(key, read());
    return this.cache.get(key) as Promise<T>;
  }

  /** Period-to-date usage cost: current.usageCents, or one metric's costCents. */
  async usageCents(metric: string | null): Promise<number> {
    const accrual = await this.once('accrual', () => this.realtime.accrual(this.s));
    if (metric === null) return accrual.current.usageCents;
    return accrual.current.byMetric.find((m) => m.metric === metric)?.costCents ?? 0;
  }

  /** A cost center's share of the period-to-date usage cost, attributed as by-resource does. */
  async costCenterCents(costCenterId: string, metric: string | null): Promise<number> {
    const costs = await this.once(`resources:${metric ?? ''}`, () =>
      this.realtime.attributedCosts(this.s, this.realtime.currentWindow(this.s), metric ?? undefined),
    );
    return costs.filter((c) => c.costCenterId === costCenterId).reduce((n, c) => n + c.costCents, 0);
  }

  /** The billing estimate's projected period total, or one metric's projected cost. */
  async forecastCents(metric: string | null): Promise<number> {
    const estimate = await this.once('estimate', () => this.billing.estimate(this.s.tenantId));
    if (metric === null) return estimate.projectedTotalCents;
    return estimate.byMetric.find((m) => m.metric === metric)?.projectedCostCents ?? 0;
  }
}

/**
 * Evaluates armed cost alerts continuously, not only on read: every ALERT_EVAL_INTERVAL_MS the
 * tenants with an armed alert and usage ingested since the previous pass (or an alert never
 * evaluated), and every ALERT_FULL_EVAL_INTERVAL_MS every tenant with an armed alert (forecasts
 * move with time, a new period re-arms). An alert that crosses its threshold is triggered once
 * per period by a conditional UPDATE, which also queues its webhook in the outbox in the same
 * transaction; instances racing on one alert trigger it once.
 */
@Injectable()
export class AlertEvaluator implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AlertEvaluator.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private previousStart: Date | null = null;
  private lastFull = 0;
  private closed = false;
  private readonly triggered: Counter<'type'>;

  constructor(
    private readonly repository: CostAlertsRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly realtime: RealtimeCostService,
    private readonly billing: BillingService,
    private readonly dispatcher: AlertDispatcher,
    private readonly tx: Transactions,
    @Inject(REALTIME_COST_CONFIG) private readonly timing: RealtimeCostConfig,
    metrics: Metrics,
  ) {
    this.triggered = new Counter({
      name: 'cost_alerts_triggered_total',
      help: 'Cost alerts triggered, by alert type',
      labelNames: ['type'] as const,
      registers: [metrics.registry],
    });
  }

  onApplicationBootstrap(): void {
    if (this.timing.evalIntervalMs === 0) return;
    this.timer = setInterval(() => void this.tick(), this.timing.evalIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass unless one is in progress (then that one's promise). */
  tick(now = new Date()): Promise<void> {
    this.running ??= this.pass(now)
      .catch((e: Error) => this.logger.warn(`alert evaluation failed: ${e.message}`))
      .finally(() => (this.running = null));
    return this.running;
  }

  private async pass(now: Date): Promise<void> {
    const full = this.previousStart === null || now.getTime() - this.lastFull >= this.timing.fullEvalIntervalMs;
    const since = full ? null : new Date(this.previousStart!.getTime() - OVERLAP_MS);
    const startedAt = await this.repository.databaseNow();
    const queue = await this.repository.tenantsToEvaluate(since);
    const worker = async () => {
      for (let tenantId = queue.shift(); tenantId !== undefined && !this.closed; tenantId = queue.shift()) {
        try {
          await this.evaluateTenant(tenantId);
        } catch (e) {
          this.logger.warn(`alert evaluation of tenant ${tenantId} failed: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    this.previousStart = startedAt;
    if (full) this.lastFull = now.getTime();
  }

  /** Measures every armed alert of the tenant and triggers those over their threshold. */
  async evaluateTenant(tenantId: string): Promise<void> {
    const s = await this.subscriptions.findLive(tenantId);
    if (!s) return;
    await this.repository.rearm(tenantId, s.currentPeriodStart);
    const alerts = await this.repository.armed(tenantId);
    if (alerts.length === 0) return;
    const readings = new TenantReadings(s, this.realtime, this.billing);
    const budgets = await this.repository.budgets(tenantId, [...new Set(alerts.map((a) => a.cost_center_id).filter((id): id is string => id !== null))]);
    for (const alert of alerts) {
      const value = await this.valueOf(alert, readings);
      const crossed = this.crossed(alert, value, budgets);
      if (crossed) await this.trigger(alert, s, value, budgets.get(alert.cost_center_id ?? '') ?? null);
      else await this.repository.recordValue(tenantId, alert.id, value);
    }
  }

  private valueOf(a: CostAlertRow, r: TenantReadings): Promise<number> {
    if (a.type === 'forecast') return r.forecastCents(a.metric);
    if (a.cost_center_id !== null) return r.costCenterCents(a.cost_center_id, a.metric);
    return r.usageCents(a.metric);
  }

  /** Reaching the threshold counts: value >= thresholdCents, or value >= percent % of the budget. */
  private crossed(a: CostAlertRow, value: number, budgets: Map<string, number | null>): boolean {
    if (a.type !== 'budget_percent') return a.threshold_cents !== null && value >= Number(a.threshold_cents);
    const budget = budgets.get(a.cost_center_id ?? '');
    if (budget === null || budget === undefined || a.percent === null) return false; // the budget was removed: nothing to measure against
    return new Dec(value).times(100).gte(new Dec(a.percent).times(budget));
  }

  private async trigger(a: CostAlertRow, s: Subscription, valueCents: number, budgetCents: number | null): Promise<void> {
    const period = { start: s.currentPeriodStart, end: s.currentPeriodEnd };
    const row = await this.tx.run(async () => {
      const t = await this.repository.trigger(a.tenant_id, a.id, period, valueCents);
      if (!t) return null; // another instance (or a dismissal) got there first
      if (t.webhook_url !== null) {
        await this.repository.enqueueDelivery({
          tenantId: t.tenant_id,
          alertId: t.id,
          periodStart: period.start,
          webhookUrl: t.webhook_url,
          payload: {
            type: 'cost_alert.triggered',
            alertId: t.id,
            tenantId: t.tenant_id,
            name: t.name,
            alertType: t.type,
            ...(t.type === 'budget_percent' ? { percent: Number(t.percent), budgetCents } : { thresholdCents: Number(t.threshold_cents) }),
            valueCents,
            currency: this.realtime.plan(s).currency,
            metric: t.metric,
            costCenterId: t.cost_center_id,
            periodStart: period.start.toISOString(),
            periodEnd: period.end.toISOString(),
            triggeredAt: t.triggered_at!.toISOString(),
          },
        });
      }
      return t;
    });
    if (!row) return;
    this.triggered.inc({ type: row.type });
    this.logger.log(
      `cost alert ${row.id} (${row.type}, "${row.name}") of tenant ${row.tenant_id} triggered at ${valueCents} ` +
        `(${row.type === 'budget_percent' ? `${row.percent} % of ${budgetCents}` : `threshold ${row.threshold_cents}`})`,
    );
    if (row.webhook_url !== null) this.dispatcher.kick();
  }
}

import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Counter } from 'prom-client';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/app-config';
import { Metrics } from '../../common/metrics/metrics';
import { REALTIME_COST_CONFIG, RealtimeCostConfig } from '../realtime-cost.config';
import { CostAlertsRepository, DeliveryRow } from './cost-alerts.repository';
import { retryDelayMs, retryWindowOver } from './retry-backoff';
import { sendWebhook } from './webhook-sender';

const BATCH = 20;
/** A claimed delivery is not offered again for this long after its attempt started. */
const LEASE_MARGIN_MS = 30_000;

/**
 * Delivers the alert outbox. Each tick claims due rows (SKIP LOCKED plus a lease, so several
 * instances never send one row at once), POSTs each signed payload, and records the outcome:
 * delivered on 2xx, else a retry after 1 s, 2 s, 4 s … (capped at 60 s) until the delivery is
 * older than the retry window, when it is given up (failed_at, last_error) and logged.
 */
@Injectable()
export class AlertDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AlertDispatcher.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private warnedUnsigned = false;
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    private readonly repository: CostAlertsRepository,
    @Inject(REALTIME_COST_CONFIG) private readonly timing: RealtimeCostConfig,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: Metrics,
  ) {
    this.outcomes = new Counter({
      name: 'cost_alert_webhook_attempts_total',
      help: 'Cost alert webhook delivery attempts by outcome (delivered, retry, gave_up)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
  }

  onApplicationBootstrap(): void {
    if (this.timing.dispatchIntervalMs === 0) {
      this.closed = true;
      return;
    }
    this.timer = setInterval(() => this.kick(), this.timing.dispatchIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Runs a pass now (after a trigger commits), or right after the one in progress. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((e: Error) => this.logger.warn(`alert dispatch failed: ${e.message}`))
      .finally(() => {
        this.running = null;
        if (this.again && !this.closed) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Delivers every due row (one batch after another) and returns. */
  async drain(): Promise<void> {
    for (;;) {
      const claimed = await this.repository.claimDue(BATCH, this.timing.webhookTimeoutMs + LEASE_MARGIN_MS);
      await Promise.all(claimed.map((d) => this.deliver(d)));
      if (claimed.length < BATCH) return;
    }
  }

  private async deliver(d: DeliveryRow): Promise<void> {
    const secret = this.config.webhookSigningSecret;
    if (secret === null && !this.warnedUnsigned) {
      this.warnedUnsigned = true;
      this.logger.warn('WEBHOOK_SIGNING_SECRET is not set: cost alert webhooks are sent unsigned');
    }
    const result = await sendWebhook({
      url: d.webhook_url,
      body: JSON.stringify(d.payload),
      secret,
      allowPrivate: this.config.webhookAllowPrivate,
      timeoutMs: this.timing.webhookTimeoutMs,
      headers: { 'Billing-Webhook-Id': d.id, 'Billing-Webhook-Attempt': String(d.attempts) },
    });
    if (result.ok) {
      await this.repository.markDelivered(d.id, result.status);
      this.outcomes.inc({ outcome: 'delivered' });
      this.logger.log(`cost alert ${d.alert_id} delivered to ${d.webhook_url} (attempt ${d.attempts}, HTTP ${result.status})`);
      return;
    }
    const error = result.error.slice(0, 500);
    if (retryWindowOver(d.created_at, new Date(), this.timing.retryWindowMs)) {
      await this.repository.markFailed(d.id, result.status, error);
      this.outcomes.inc({ outcome: 'gave_up' });
      this.logger.error(`cost alert ${d.alert_id} webhook given up after ${d.attempts} attempts: ${error}`);
      return;
    }
    const delay = retryDelayMs(d.attempts, this.timing.retryBaseMs, this.timing.retryMaxMs);
    await this.repository.markRetry(d.id, delay, result.status, error);
    this.outcomes.inc({ outcome: 'retry' });
    this.logger.warn(`cost alert ${d.alert_id} webhook attempt ${d.attempts} failed (${error}); retrying in ${delay} ms`);
  }
}

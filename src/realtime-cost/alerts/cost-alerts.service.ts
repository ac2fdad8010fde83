import { Inject, Injectable } from '@nestjs/common';
import { CatalogService } from '../../catalog/catalog.service';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/app-config';
import { Principal, reachesAllTenants } from '../../common/auth/principal';
import { Transactions } from '../../common/database/transactions';
import { FieldError, ValidationFailed } from '../../common/errors/problem';
import { isUuid } from '../../common/http/id-param';
import { Page, decodeCursor, toPage } from '../../common/pagination/pagination';
import { SubscriptionsRepository } from '../../subscriptions/subscriptions.repository';
import type { AlertDeliveryDto, CostAlertDto, CreateCostAlertDto } from '../dto/cost-alert.dto';
import { AlertProblems } from '../realtime-cost.errors';
import { CostAlertRow, CostAlertsRepository, DeliveryRow } from './cost-alerts.repository';
import { checkWebhookUrl } from './webhook-target';

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** The alert as stored, with the status it has in the current period. */
export function toAlertDto(row: CostAlertRow, currentPeriodStart: Date | null, delivery: DeliveryRow | undefined): CostAlertDto {
  const stale = row.status !== 'ok' && currentPeriodStart !== null && row.period_start?.getTime() !== currentPeriodStart.getTime();
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    type: row.type,
    thresholdCents: row.threshold_cents === null ? null : Number(row.threshold_cents),
    percent: row.percent === null ? null : Number(row.percent),
    costCenterId: row.cost_center_id,
    metric: row.metric,
    webhookUrl: row.webhook_url,
    status: stale ? 'ok' : row.status,
    triggeredAt: row.triggered_at,
    dismissedAt: row.dismissed_at,
    lastValueCents: row.last_value_cents === null ? null : Number(row.last_value_cents),
    lastEvaluatedAt: row.last_evaluated_at,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    delivery: delivery ? toDeliveryDto(delivery) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toDeliveryDto(d: DeliveryRow): AlertDeliveryDto {
  return {
    status: d.delivered_at ? 'delivered' : d.failed_at ? 'failed' : 'pending',
    attempts: d.attempts,
    nextAttemptAt: d.delivered_at || d.failed_at ? null : d.next_attempt_at,
    deliveredAt: d.delivered_at,
    failedAt: d.failed_at,
    lastStatus: d.last_status,
    lastError: d.last_error,
  };
}

/** Which of thresholdCents, percent and costCenterId each alert type takes. */
function shapeErrors(input: CreateCostAlertDto): FieldError[] {
  const errors: FieldError[] = [];
  const budget = input.type === 'budget_percent';
  if (budget) {
    if (input.percent === undefined) errors.push({ path: 'percent', message: 'is required for budget_percent alerts' });
    if (input.thresholdCents !== undefined) errors.push({ path: 'thresholdCents', message: 'is not used by budget_percent alerts (give percent)' });
    if (input.costCenterId === undefined) errors.push({ path: 'costCenterId', message: 'is required for budget_percent alerts' });
  } else {
    if (input.thresholdCents === undefined) errors.push({ path: 'thresholdCents', message: `is required for ${input.type} alerts` });
    if (input.percent !== undefined) errors.push({ path: 'percent', message: `is only for budget_percent alerts` });
  }
  if (input.type === 'forecast' && input.costCenterId !== undefined) {
    errors.push({ path: 'costCenterId', message: 'is not used by forecast alerts (the estimate is not attributed to cost centers)' });
  }
  return errors;
}

/** Creating, listing and dismissing cost alerts; evaluation is AlertEvaluator's. */
@Injectable()
export class CostAlertsService {
  constructor(
    private readonly repository: CostAlertsRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly catalog: CatalogService,
    private readonly tx: Transactions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(tenantId: string, input: CreateCostAlertDto): Promise<CostAlertDto> {
    const errors = shapeErrors(input);
    let webhookUrl: string | null = null;
    if (input.webhookUrl !== undefined) {
      const check = checkWebhookUrl(input.webhookUrl, this.config.webhookAllowPrivate);
      if (!check.ok && check.reason === 'malformed') errors.push({ path: 'webhookUrl', message: check.message });
      else if (!check.ok) throw AlertProblems.webhookRefused(check.message);
      else webhookUrl = check.url.toString();
    }
    if (errors.length > 0) throw new ValidationFailed(errors);
    if (input.metric !== undefined && !this.catalog.metric(input.metric)) throw AlertProblems.unknownMetric(input.metric);
    const costCenterId = input.costCenterId?.toLowerCase() ?? null;
    return this.tx.run(async () => {
      if (costCenterId !== null) {
        const cc = await this.repository.costCenter(tenantId, costCenterId);
        if (!cc) throw AlertProblems.unknownCostCenter(costCenterId);
        if (input.type === 'budget_percent' && cc.budgetCents === null) throw AlertProblems.noBudget(costCenterId);
      }
      const row = await this.repository.insert(tenantId, {
        name: input.name,
        type: input.type,
        thresholdCents: input.thresholdCents ?? null,
        percent: input.percent ?? null,
        costCenterId,
        metric: input.metric ?? null,
        webhookUrl,
      });
      return toAlertDto(row, null, undefined);
    });
  }

  async list(tenantId: string, opts: { limit: number; cursor?: string }): Promise<Page<CostAlertDto>> {
    const key = decodeCursor(opts.cursor, 2);
    if (key && !(typeof key[0] === 'string' && CURSOR_TIME.test(key[0]) && typeof key[1] === 'string' && isUuid(key[1]))) {
      throw new ValidationFailed([{ path: 'cursor', message: 'is not a cursor this service issued' }]);
    }
    const rows = await this.repository.list(tenantId, key ? [key[0] as string, key[1] as string] : null, opts.limit + 1);
    const live = await this.subscriptions.findLive(tenantId);
    const deliveries = await this.repository.lastDeliveries(tenantId, rows.map((r) => r.id));
    return toPage(rows, opts.limit, (r) => [r.created_key, r.id], (r) => toAlertDto(r, live?.currentPeriodStart ?? null, deliveries.get(r.id)));
  }

  /** Silences the alert until the next billing period (the evaluator arms it again then). */
  async dismiss(principal: Principal, id: string): Promise<CostAlertDto> {
    if (!reachesAllTenants(principal) && principal.tenantId === null) throw AlertProblems.notFound();
    const scope = reachesAllTenants(principal) ? null : principal.tenantId;
    return this.tx.run(async () => {
      const found = await this.repository.find(scope, id, true);
      if (!found) throw AlertProblems.notFound();
      const live = await this.subscriptions.findLive(found.tenant_id);
      const period = live ? { start: live.currentPeriodStart, end: live.currentPeriodEnd } : null;
      const row = await this.repository.dismiss(found.tenant_id, id, period);
      const deliveries = await this.repository.lastDeliveries(found.tenant_id, [id]);
      return toAlertDto(row, period?.start ?? null, deliveries.get(id));
    });
  }
}

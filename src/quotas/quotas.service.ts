import { Injectable } from '@nestjs/common';
import type { Aggregation } from '../catalog/catalog.types';
import { CatalogService } from '../catalog/catalog.service';
import { Principal, reachesAllTenants } from '../common/auth/principal';
import { Transactions } from '../common/database/transactions';
import { ProblemError, ValidationFailed, notFound } from '../common/errors/problem';
import { Dec } from '../common/money/decimal';
import { Page, decodeCursor, toPage } from '../common/pagination/pagination';
import { CostCentersService } from '../cost-centers/cost-centers.service';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import { UsageReader } from '../usage/usage-reader';
import type { CreateQuotaDto, QuotaCheckDto, QuotaDto, UpdateQuotaDto } from './dto/quota.dto';
import { CalendarQuotas, QuotaCache } from './quota-cache';
import { Quota, QuotaItem, calendarWindow, isAllowed, quotaItem, usageAfter } from './quota-state';
import { QuotasRepository } from './quotas.repository';

export interface QuotaState {
  allowed: boolean;
  items: QuotaItem[];
}

function toDto(q: Quota): QuotaDto {
  return {
    id: q.id,
    tenantId: q.tenantId,
    metric: q.metric,
    limit: q.limit.toFixed(),
    period: q.period,
    enforcement: q.enforcement,
    costCenterId: q.costCenterId,
    createdAt: q.createdAt,
    updatedAt: q.updatedAt,
  };
}

@Injectable()
export class QuotasService {
  private windows: { dayIndex: number; day: { start: Date; end: Date }; month: { start: Date; end: Date } } | null = null;

  constructor(
    private readonly quotas: QuotasRepository,
    private readonly usage: UsageReader,
    private readonly catalog: CatalogService,
    private readonly tx: Transactions,
    private readonly subscriptions: SubscriptionsService,
    private readonly costCenters: CostCentersService,
    private readonly cache: QuotaCache,
  ) {}

  private requireMetric(metric: string): void {
    if (!this.catalog.metric(metric)) throw new ProblemError('UNKNOWN_METRIC', `Unknown metric "${metric}"`, { errors: [{ path: 'metric', message: 'is not in the catalog' }] });
  }

  private async requireCostCenter(tenantId: string, costCenterId: string | null | undefined): Promise<void> {
    if (costCenterId && !(await this.costCenters.belongsToTenant(costCenterId, tenantId))) {
      throw new ProblemError('UNKNOWN_COST_CENTER', `Cost center ${costCenterId} is not a cost center of tenant ${tenantId}`);
    }
  }

  /**
   * Create, update and delete NOTIFY in their transaction, so every instance (this one too)
   * drops its cached state of the (tenant, metric) when they commit; this instance also drops it
   * at once, so its next check sees the change without waiting for the notification.
   */
  async create(dto: CreateQuotaDto): Promise<QuotaDto> {
    this.requireMetric(dto.metric);
    await this.requireCostCenter(dto.tenantId, dto.costCenterId);
    const quota = await this.tx.run(async () => {
      const inserted = await this.quotas.insert({
        tenantId: dto.tenantId,
        metric: dto.metric,
        limit: new Dec(dto.limit),
        period: dto.period,
        enforcement: dto.enforcement,
        costCenterId: dto.costCenterId?.toLowerCase() ?? null,
      });
      await this.quotas.notifyChanged([inserted]);
      return inserted;
    });
    this.cache.invalidate([quota]);
    return toDto(quota);
  }

  async list(tenantId: string, cursor: string | undefined, limit: number): Promise<Page<QuotaDto>> {
    const after = decodeCursor(cursor, 2) as [string, string] | null;
    const rows = await this.quotas.listForTenant(tenantId, after, limit + 1);
    return toPage(rows, limit, (q) => [q.createdAt.toISOString(), q.id], toDto);
  }

  async update(principal: Principal, id: string, body: UpdateQuotaDto & Record<string, unknown>): Promise<QuotaDto> {
    const immutable = ['tenantId', 'metric', 'id'].filter((f) => f in body);
    if (immutable.length > 0) throw new ValidationFailed(immutable.map((path) => ({ path, message: 'is immutable' })));
    const updated = await this.tx.run(async () => {
      const quota = await this.quotas.findById(reachesAllTenants(principal) ? null : principal.tenantId, id, true);
      if (!quota) throw notFound(`Quota ${id}`);
      await this.requireCostCenter(quota.tenantId, body.costCenterId);
      const patch: Parameters<QuotasRepository['update']>[2] = {};
      if (body.limit !== undefined) patch.limit = new Dec(body.limit);
      if (body.period !== undefined) patch.period = body.period;
      if (body.enforcement !== undefined) patch.enforcement = body.enforcement;
      if (body.costCenterId !== undefined) patch.costCenterId = body.costCenterId?.toLowerCase() ?? null;
      const after = await this.quotas.update(quota.tenantId, id, patch);
      await this.quotas.notifyChanged([after]);
      return after;
    });
    this.cache.invalidate([updated]);
    return toDto(updated);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const deleted = await this.tx.run(async () => {
      const quota = await this.quotas.findById(reachesAllTenants(principal) ? null : principal.tenantId, id);
      if (!quota) throw notFound(`Quota ${id}`);
      await this.quotas.delete(quota.tenantId, id);
      await this.quotas.notifyChanged([quota]);
      return quota;
    });
    this.cache.invalidate([deleted]);
  }

  /** The window a quota counts in, at `at`. Billing periods fall back to the UTC month without a live subscription. */
  private window(quota: Quota, at: Date, billingPeriod: { start: Date; end: Date } | null): { start: Date; end: Date } {
    if (quota.period === 'billing_period' && billingPeriod) return billingPeriod;
    return calendarWindow(quota.period === 'day' ? 'day' : 'month', at);
  }

  /** Quota state of a tenant's metric, current to the last committed event; `quantity` is about to be recorded. */
  async check(tenantId: string, metric: string, quantity: Dec = new Dec(0), at = new Date()): Promise<QuotaCheckDto> {
    this.requireMetric(metric);
    return this.state(tenantId, metric, quantity, at);
  }

  async state(tenantId: string, metric: string, quantity: Dec, at = new Date()): Promise<QuotaState> {
    const aggregation = this.catalog.metric(metric)!.aggregation;
    const { day, month } = this.calendarWindows(at);
    const cached = this.cache.get(tenantId, metric, day.start, month.start);
    if (cached) return calendarState(cached, aggregation, quantity);
    const slot = this.cache.slot(tenantId, metric);
    const rows = await this.quotas.forMetricWithCalendarUsage(tenantId, metric, aggregation, day.start, month.start);
    if (rows.every((r) => r.used !== null)) {
      // Only day and month quotas of sum, count and max metrics are cached: billing periods and
      // unique_count / latest usage are read from the database on every check.
      const known = rows.map((r) => ({ quota: r.quota, used: r.used! }));
      const value: CalendarQuotas = {
        dayStart: day.start.getTime(),
        monthStart: month.start.getTime(),
        rows: known,
        items: known.map(({ quota, used }) => Object.freeze(quotaItem(quota, used, quota.period === 'day' ? day : month))),
      };
      if (slot) this.cache.fill(tenantId, metric, slot, value);
      return calendarState(value, aggregation, quantity);
    }
    if (slot) this.cache.release(tenantId, metric, slot);
    const billingPeriod = rows.some((r) => r.quota.period === 'billing_period') ? await this.subscriptions.liveBillingPeriod(tenantId) : null;
    const cache = new Map<string, Promise<Dec>>();
    const items = await Promise.all(
      rows.map(async ({ quota: q, used: known }) => {
        const w = this.window(q, at, billingPeriod);
        // Day and month usage of additive metrics came with the quotas; the rest is read from the rollups.
        let used = known;
        if (used === null) {
          const key = `${w.start.toISOString()}|${q.costCenterId ?? '*'}`;
          if (!cache.has(key)) {
            cache.set(
              key,
              this.usage
                .aggregate({ tenantId, from: w.start, to: w.end, metrics: [metric], groupBy: 'metric', costCenterId: q.costCenterId ?? undefined })
                .then((r) => r[0]?.value ?? new Dec(0)),
            );
          }
          used = await cache.get(key)!;
        }
        return { quota: q, used, window: w, after: usageAfter(aggregation, used, quantity) };
      }),
    );
    return {
      allowed: isAllowed(items.map((i) => ({ enforcement: i.quota.enforcement, limit: i.quota.limit, after: i.after }))),
      items: items.map((i) => quotaItem(i.quota, i.used, i.window)),
    };
  }

  /** The UTC day and month holding `at`, computed once per day (the hot path asks thousands of times a second). */
  private calendarWindows(at: Date): { day: { start: Date; end: Date }; month: { start: Date; end: Date } } {
    const dayIndex = Math.floor(at.getTime() / 86_400_000);
    if (this.windows?.dayIndex !== dayIndex) this.windows = { dayIndex, day: calendarWindow('day', at), month: calendarWindow('month', at) };
    return this.windows;
  }
}

/** The state from day and month quotas whose usage is known (cached or just read). */
function calendarState(value: CalendarQuotas, aggregation: Aggregation, quantity: Dec): QuotaState {
  return {
    allowed: isAllowed(value.rows.map(({ quota, used }) => ({ enforcement: quota.enforcement, limit: quota.limit, after: usageAfter(aggregation, used, quantity) }))),
    items: [...value.items],
  };
}

import { Injectable, Logger } from '@nestjs/common';
import { CatalogService } from '../catalog/catalog.service';
import { ValidationFailed } from '../common/errors/problem';
import { Responded } from '../common/http/responded';
import { Dec } from '../common/money/decimal';
import { calendarWindow } from '../quotas/quota-state';
import { QuotaState, QuotasService } from '../quotas/quotas.service';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import type { UsageBatchResultDto, UsageEventDto, UsageSummaryDto, UsageSummaryQuery } from './dto/usage.dto';
import { IngestBatcher } from './ingest/ingest-batcher';
import { UsageEventsRepository } from './usage-events.repository';
import { UsageReader } from './usage-reader';
import type { UsageEvent } from './usage-event.schema';

const MAX_WINDOW_MS = 5 * 366 * 86_400_000;

@Injectable()
export class UsageService {
  private readonly logger = new Logger(UsageService.name);

  constructor(
    private readonly batcher: IngestBatcher,
    private readonly reader: UsageReader,
    private readonly quotas: QuotasService,
    private readonly catalog: CatalogService,
    private readonly events: UsageEventsRepository,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  /** 201 when stored now (durable: committed), 200 with duplicate: true when already recorded. */
  async record(tenantId: string, event: UsageEvent): Promise<Responded<UsageEventDto>> {
    const outcome = await this.batcher.submit({ tenantId, events: [event], pathPrefix: () => '' });
    const quota = await this.quotaStateAfterCommit(tenantId, event.metric, outcome.metricsWithQuotas);
    if (outcome.stored[0]) {
      return new Responded(201, {
        eventId: event.eventId,
        tenantId,
        metric: event.metric,
        quantity: event.quantity,
        timestamp: new Date(event.timestampMs),
        resourceType: event.resourceType,
        resourceId: event.resourceId,
        costCenterId: outcome.costCenterIds[0],
        properties: event.properties,
        duplicate: false,
        quota,
      });
    }
    // Recorded before: the answer shows the event as first stored (a repeat's other fields are ignored).
    const original = (await this.events.find(tenantId, event.eventId))!;
    return new Responded(200, {
      eventId: original.eventId,
      tenantId,
      metric: original.metric,
      quantity: new Dec(original.quantity).toFixed(),
      timestamp: original.timestamp,
      resourceType: original.resourceType,
      resourceId: original.resourceId,
      costCenterId: original.costCenterId,
      properties: original.properties,
      duplicate: true,
      quota: original.metric === event.metric ? quota : await this.quotaStateAfterCommit(tenantId, original.metric, outcome.metricsWithQuotas),
    });
  }

  /** All or nothing, in one transaction; a repeated eventId counts once. */
  async recordBatch(tenantId: string, events: UsageEvent[]): Promise<UsageBatchResultDto> {
    const outcome = await this.batcher.submit({ tenantId, events, pathPrefix: (i) => `events[${i}].` });
    const accepted = outcome.stored.filter(Boolean).length;
    const metrics = [...new Set(events.map((e) => e.metric))].sort();
    const quotas = await Promise.all(
      metrics.map(async (metric) => ({ metric, ...((await this.quotaStateAfterCommit(tenantId, metric, outcome.metricsWithQuotas)) ?? { allowed: true, items: [] }) })),
    );
    return {
      accepted,
      duplicates: events.length - accepted,
      events: events.map((e, i) => ({ eventId: e.eventId, duplicate: !outcome.stored[i] })),
      quotas,
    };
  }

  /**
   * The events are committed by now: a failure to read quota state must not turn their 201 into
   * an error (the client would retry what is already stored), so it answers null instead.
   */
  private async quotaStateAfterCommit(tenantId: string, metric: string, withQuotas: ReadonlySet<string>): Promise<QuotaState | null> {
    if (!withQuotas.has(metric)) return { allowed: true, items: [] };
    try {
      return await this.quotas.state(tenantId, metric, new Dec(0));
    } catch (err) {
      this.logger.warn(`quota state after ingest unavailable for ${tenantId}/${metric}: ${(err as Error).message}`);
      return null;
    }
  }

  async summary(tenantId: string, q: UsageSummaryQuery): Promise<UsageSummaryDto> {
    const window = (await this.subscriptions.liveBillingPeriod(tenantId)) ?? calendarWindow('month', new Date());
    const from = q.from ? new Date(q.from) : window.start;
    const to = q.to ? new Date(q.to) : window.end;
    if (from.getTime() >= to.getTime()) throw new ValidationFailed([{ path: 'to', message: 'must be after from' }]);
    if (to.getTime() - from.getTime() > MAX_WINDOW_MS) throw new ValidationFailed([{ path: 'to', message: 'the window may span at most 5 years' }]);
    if (q.metric !== undefined && !this.catalog.metric(q.metric)) {
      throw new ValidationFailed([{ path: 'metric', message: `unknown metric "${q.metric}"` }]);
    }
    const groupBy = q.groupBy ?? 'metric';
    const rows = await this.reader.aggregate({ tenantId, from, to, metrics: q.metric ? [q.metric] : undefined, groupBy });
    return {
      tenantId,
      from,
      to,
      groupBy,
      items: rows.map((r) => ({
        metric: r.metric,
        unit: this.catalog.metric(r.metric)?.unit ?? '',
        aggregation: r.aggregation,
        value: r.value.toFixed(),
        eventCount: r.eventCount,
        resourceType: r.resourceType,
        resourceId: r.resourceId,
        costCenterId: r.costCenterId,
        day: r.day ? new Date(r.day).toISOString().slice(0, 10) : null,
      })),
    };
  }
}

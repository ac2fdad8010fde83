import { Injectable } from '@nestjs/common';
import { Transactions } from '../common/database/transactions';
import { Dec } from '../common/money/decimal';

/** A stored usage event as the API shows it (quantity exact, as PostgreSQL's numeric text). */
export interface StoredUsageEvent {
  eventId: string;
  metric: string;
  quantity: string;
  timestamp: Date;
  resourceType: string | null;
  resourceId: string | null;
  costCenterId: string | null;
  properties: Record<string, string | number | boolean | null> | null;
}

/** Where some events were used, and how much: event count for count metrics, else quantity. */
export interface EventsOfResource {
  resourceType: string | null;
  resourceId: string | null;
  costCenterId: string | null;
  weight: Dec;
}

/** Reads of usage events themselves (ingest writes them: usage/ingest), in the caller's transaction. */
@Injectable()
export class UsageEventsRepository {
  constructor(private readonly tx: Transactions) {}

  async find(tenantId: string, eventId: string): Promise<StoredUsageEvent | null> {
    const [row] = await this.tx.manager().query<
      Array<{ event_id: string; metric: string; quantity: string; ts: Date; resource_type: string | null; resource_id: string | null; cost_center_id: string | null; properties: StoredUsageEvent['properties'] }>
    >(
      `SELECT event_id, metric, quantity::text AS quantity, ts, resource_type, resource_id, cost_center_id, properties
       FROM usage_events WHERE tenant_id = $1 AND event_id = $2`,
      [tenantId, eventId],
    );
    if (!row) return null;
    return {
      eventId: row.event_id,
      metric: row.metric,
      quantity: row.quantity,
      timestamp: row.ts,
      resourceType: row.resource_type,
      resourceId: row.resource_id,
      costCenterId: row.cost_center_id,
      properties: row.properties,
    };
  }

  /** The resources of a metric's events in [from, to) that were ingested at or after `ingestedSince`, with their weight. */
  async byResourceIngestedSince(tenantId: string, metric: string, window: { from: Date; to: Date }, ingestedSince: Date, byCount: boolean): Promise<EventsOfResource[]> {
    const rows = await this.tx.manager().query<Array<{ resource_type: string | null; resource_id: string | null; cost_center_id: string | null; weight: string }>>(
      `SELECT resource_type, resource_id, cost_center_id::text AS cost_center_id, ${byCount ? 'count(*)' : 'sum(quantity)'}::text AS weight
       FROM usage_events
       WHERE tenant_id = $1 AND metric = $2 AND ts >= $3 AND ts < $4 AND ingested_at >= $5
       GROUP BY 1, 2, 3`,
      [tenantId, metric, window.from, window.to, ingestedSince],
    );
    return rows.map((r) => ({
      resourceType: r.resource_id === null ? null : r.resource_type,
      resourceId: r.resource_type === null ? null : r.resource_id,
      costCenterId: r.cost_center_id,
      weight: new Dec(r.weight),
    }));
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

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

/** Reads of single usage events (ingest writes them: usage/ingest). */
@Injectable()
export class UsageEventsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async find(tenantId: string, eventId: string): Promise<StoredUsageEvent | null> {
    const [row] = await this.dataSource.query<
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
}

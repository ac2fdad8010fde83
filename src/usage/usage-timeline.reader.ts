import { Injectable } from '@nestjs/common';
import { Transactions } from '../common/database/transactions';
import { Dec } from '../common/money/decimal';
import { deltaMinutesSql, minuteHorizon, windowSegments } from './rollups/window-segments';

export type TimelineGranularity = 'hour' | 'day';

export interface BucketRow {
  metric: string;
  bucket: Date;
  sum: Dec;
  count: Dec;
  max: Dec;
  latest: Dec;
}

const TRUNC: Record<TimelineGranularity, string> = { hour: 'hour', day: 'day' };

/**
 * Usage per UTC hour or day (real-time timelines): from the exact rollups and the raw events at
 * the window's edges, as UsageReader reads windows. Part of usage's reader API: the usage tables
 * are read only under usage/.
 */
@Injectable()
export class UsageTimelineReader {
  constructor(private readonly tx: Transactions) {}

  private query<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.tx.manager().query(sql, params) as Promise<T[]>;
  }

  /**
   * Each metric's sum, count, max and latest value per UTC hour or day of [from, to); whole hours,
   * days and recent minutes come from the rollups (every resource together), the partial ones at
   * the edges from the raw events.
   */
  async usageBuckets(tenantId: string, from: Date, to: Date, g: TimelineGranularity, metrics: string[]): Promise<BucketRow[]> {
    if (metrics.length === 0) return [];
    const params: unknown[] = [tenantId, metrics];
    const p = (v: unknown) => `$${params.push(v)}`;
    const trunc = TRUNC[g];
    // Rollup rows from the totals and the deltas not folded yet, as UsageReader reads them.
    const segments = windowSegments(from, to, g === 'hour' ? 'h' : 'd', minuteHorizon());
    const parts = segments.map((s) =>
      s.kind === 'raw'
        ? `SELECT metric, date_trunc('${trunc}', ts, 'UTC') AS bucket, quantity AS sum, 1::bigint AS count, quantity AS max,
             ts AS latest_ts, seq AS latest_seq, quantity AS latest_value
           FROM usage_events WHERE tenant_id = $1 AND metric = ANY($2) AND ts >= ${p(s.from)} AND ts < ${p(s.to)}`
        : `SELECT metric, date_trunc('${trunc}', bucket_start, 'UTC') AS bucket, sum, count, max, latest_ts, latest_seq, latest_value
           FROM usage_rollup_totals WHERE tenant_id = $1 AND metric = ANY($2) AND granularity = '${s.kind}' AND resource_key = '*'
             AND bucket_start >= ${p(s.from)} AND bucket_start < ${p(s.to)}`,
    );
    const deltaMinutes = deltaMinutesSql(segments, p);
    if (deltaMinutes !== null) {
      parts.push(
        `SELECT metric, date_trunc('${trunc}', minute, 'UTC') AS bucket, sum, count, max, latest_ts, latest_seq, latest_value
         FROM usage_rollup_deltas WHERE tenant_id = $1 AND metric = ANY($2) AND ${deltaMinutes}`,
      );
    }
    if (parts.length === 0) return [];
    const rows = await this.query<{ metric: string; bucket: Date; sum: string; count: string; max: string; latest: string }>(
      `SELECT metric, bucket, sum(sum)::text AS sum, sum(count)::text AS count, max(max)::text AS max,
         ((array_agg(latest_value ORDER BY latest_ts DESC, latest_seq DESC))[1])::text AS latest
       FROM (${parts.join('\n UNION ALL \n')}) parts GROUP BY metric, bucket ORDER BY metric, bucket`,
      params,
    );
    return rows.map((r) => ({ metric: r.metric, bucket: r.bucket, sum: new Dec(r.sum), count: new Dec(r.count), max: new Dec(r.max), latest: new Dec(r.latest) }));
  }

  /** For unique_count metrics: how many distinct values were first seen in each UTC hour or day of [from, to). */
  async firstSeen(
    tenantId: string,
    from: Date,
    to: Date,
    g: TimelineGranularity,
    metrics: Array<{ key: string; property: string }>,
  ): Promise<Array<{ metric: string; bucket: Date; count: number }>> {
    if (metrics.length === 0) return [];
    const params: unknown[] = [tenantId];
    const p = (v: unknown) => `$${params.push(v)}`;
    const trunc = TRUNC[g];
    const parts: string[] = [];
    for (const m of metrics) {
      const metric = p(m.key);
      let prop: string | null = null; // a parameter no part uses would have no type
      for (const s of windowSegments(from, to, g === 'hour' ? 'h' : 'd', minuteHorizon())) {
        parts.push(
          s.kind === 'raw'
            ? `SELECT metric, date_trunc('${trunc}', ts, 'UTC') AS bucket, properties->>${(prop ??= p(m.property))}::text AS value
               FROM usage_events WHERE tenant_id = $1 AND metric = ${metric} AND ts >= ${p(s.from)} AND ts < ${p(s.to)}`
            : `SELECT metric, date_trunc('${trunc}', bucket_start, 'UTC') AS bucket, value FROM usage_unique_values
               WHERE tenant_id = $1 AND metric = ${metric} AND granularity = '${s.kind}' AND bucket_start >= ${p(s.from)} AND bucket_start < ${p(s.to)}`,
        );
      }
    }
    if (parts.length === 0) return [];
    const rows = await this.query<{ metric: string; bucket: Date; n: string }>(
      `SELECT metric, bucket, count(*)::text AS n FROM (
         SELECT metric, value, min(bucket) AS bucket FROM (${parts.join('\n UNION ALL \n')}) parts WHERE value IS NOT NULL GROUP BY metric, value
       ) firsts GROUP BY metric, bucket`,
      params,
    );
    return rows.map((r) => ({ metric: r.metric, bucket: r.bucket, count: Number(r.n) }));
  }
}

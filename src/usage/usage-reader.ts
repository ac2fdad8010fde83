import { Injectable } from '@nestjs/common';
import { CatalogService } from '../catalog/catalog.service';
import { Transactions } from '../common/database/transactions';
import type { Aggregation } from '../catalog/catalog.types';
import { Dec } from '../common/money/decimal';
import { ALL_RESOURCES, splitResourceKey } from './rollups/resource-key';
import { latestTriple } from './rollups/rollup-families';
import { Segment, addUnit, deltaMinutesSql, minuteHorizon, windowSegments } from './rollups/window-segments';

export type GroupBy = 'metric' | 'resource' | 'costCenter' | 'day';

export interface UsageQuery {
  tenantId: string;
  from: Date;
  /** Exclusive. */
  to: Date;
  /** Metrics to read; every catalog metric when omitted. */
  metrics?: string[];
  groupBy: GroupBy;
  /** Only usage attributed to this cost center. */
  costCenterId?: string | null;
}

export interface UsageAggregate {
  metric: string;
  aggregation: Aggregation;
  /** The metric's aggregation over the window (sum, count, max, distinct count or latest). */
  value: Dec;
  eventCount: number;
  costCenterId: string | null;
  resourceType: string | null;
  resourceId: string | null;
  day: Date | null;
}

interface Row {
  metric: string;
  grp_cc: string | null;
  grp_res: string | null;
  grp_day: Date | null;
  sum: string;
  count: string;
  max: string;
  latest: string;
}

/** SQL expressions of each grouping, on rollup rows and on raw events. */
const GROUP_SQL: Record<GroupBy, { rollup: [string, string, string]; raw: [string, string, string] }> = {
  metric: { rollup: ['NULL', 'NULL', 'NULL::timestamptz'], raw: ['NULL', 'NULL', 'NULL::timestamptz'] },
  costCenter: { rollup: ['cost_center_key', 'NULL', 'NULL::timestamptz'], raw: ["coalesce(cost_center_id::text, '')", 'NULL', 'NULL::timestamptz'] },
  resource: {
    rollup: ['cost_center_key', 'resource_key', 'NULL::timestamptz'],
    raw: ["coalesce(cost_center_id::text, '')", "CASE WHEN resource_type IS NULL THEN '' ELSE resource_type || '/' || resource_id END", 'NULL::timestamptz'],
  },
  day: { rollup: ['NULL', 'NULL', "date_trunc('day', bucket_start, 'UTC')"], raw: ['NULL', 'NULL', "date_trunc('day', ts, 'UTC')"] },
};

/**
 * Reads usage over any window from the rollups (whole months, days, hours, recent minutes) and the
 * raw events only at the edges, so the cost does not grow with the number of events in the window.
 */
@Injectable()
export class UsageReader {
  constructor(
    private readonly tx: Transactions,
    private readonly catalog: CatalogService,
  ) {}

  async aggregate(q: UsageQuery): Promise<UsageAggregate[]> {
    const metrics = q.metrics ?? this.catalog.allMetrics().map((m) => m.key);
    if (metrics.length === 0 || q.from.getTime() >= q.to.getTime()) return [];
    // Grouping by day must not read month rows. Minute rows exist per resource too, so every
    // grouping reads raw events only within a minute of a recent window's edges.
    const segments = windowSegments(q.from, q.to, q.groupBy === 'day' ? 'd' : 'm', minuteHorizon());
    const rows = await this.readRollups(q, metrics, segments);
    const uniqueMetrics = metrics.map((k) => this.catalog.metric(k)!).filter((m) => m && m.aggregation === 'unique_count');
    const distinct = uniqueMetrics.length > 0 ? await this.readDistinct(q, uniqueMetrics.map((m) => ({ key: m.key, property: m.property! })), segments) : new Map<string, number>();
    return rows.map((r) => {
      const aggregation = this.catalog.metric(r.metric)?.aggregation ?? 'sum';
      const key = groupKey(r.metric, r.grp_cc, r.grp_res, r.grp_day);
      const value =
        aggregation === 'sum'
          ? new Dec(r.sum)
          : aggregation === 'count'
            ? new Dec(r.count)
            : aggregation === 'max'
              ? new Dec(r.max)
              : aggregation === 'latest'
                ? new Dec(r.latest)
                : new Dec(distinct.get(key) ?? 0);
      const resource = r.grp_res === null ? { resourceType: null, resourceId: null } : splitResourceKey(r.grp_res);
      return {
        metric: r.metric,
        aggregation,
        value,
        eventCount: Number(r.count),
        costCenterId: r.grp_cc === null || r.grp_cc === '' ? null : r.grp_cc,
        resourceType: resource.resourceType,
        resourceId: resource.resourceId,
        day: r.grp_day,
      };
    });
  }

  private async readRollups(q: UsageQuery, metrics: string[], segments: Segment[]): Promise<Row[]> {
    const params: unknown[] = [q.tenantId, metrics];
    const p = (v: unknown) => `$${params.push(v)}`;
    const [gcc, gres, gday] = GROUP_SQL[q.groupBy].rollup;
    const [rcc, rres, rday] = GROUP_SQL[q.groupBy].raw;
    // Filters are made per use: a parameter that no part references would have no type.
    const ccFilter = () => (q.costCenterId === undefined ? '' : ` AND cost_center_key = ${p(q.costCenterId ?? '')}::text`);
    const rawCcFilter = () => rawCostCenterFilter(q.costCenterId, p);
    const resourceFilter = q.groupBy === 'resource' ? `resource_key <> '${ALL_RESOURCES}'` : `resource_key = '${ALL_RESOURCES}'`;
    // Rollup rows come from the totals and the deltas not folded yet (one part for all
    // segments), not from the usage_rollups view: it adds the same rows, but a view part per
    // segment took PostgreSQL three times as long to plan as the whole query takes this way.
    const parts = segments.map((s) =>
      s.kind === 'raw'
        ? `SELECT metric, ${rcc} AS grp_cc, ${rres} AS grp_res, ${rday} AS grp_day, quantity AS sum, 1::bigint AS count, quantity AS max,
             ts AS latest_ts, seq AS latest_seq, quantity AS latest_value
           FROM usage_events WHERE tenant_id = $1 AND metric = ANY($2) AND ts >= ${p(s.from)} AND ts < ${p(s.to)}${rawCcFilter()}`
        : `SELECT metric, ${gcc} AS grp_cc, ${gres} AS grp_res, ${gday} AS grp_day, sum, count, max, latest_ts, latest_seq, latest_value
           FROM usage_rollup_totals WHERE tenant_id = $1 AND metric = ANY($2) AND granularity = '${s.kind}'
             AND bucket_start >= ${p(s.from)} AND bucket_start < ${p(s.to)} AND ${resourceFilter}${ccFilter()}`,
    );
    const deltaMinutes = deltaMinutesSql(segments, p);
    if (deltaMinutes !== null) {
      // A delta is the finest bucket of one resource: it adds to the per-resource rows and to
      // the rows of every resource together alike. Its keys are a rollup row's, its minute the bucket start.
      parts.push(
        `SELECT metric, ${gcc} AS grp_cc, ${gres} AS grp_res, ${gday.replace('bucket_start', 'minute')} AS grp_day, sum, count, max, latest_ts, latest_seq, latest_value
         FROM usage_rollup_deltas WHERE tenant_id = $1 AND metric = ANY($2) AND ${deltaMinutes}${ccFilter()}`,
      );
    }
    // The latest value is max() of a (ts, seq, value) array, not array_agg(… ORDER BY ts): an
    // ordered aggregate makes PostgreSQL sort every row of the query by the group keys instead
    // of hashing them, and over the 13,767 rows of a per-resource read of minute rows (issue #16
    // item 10) that sort took most of the query (25–40 against 10 ms hashed). The array is built
    // only for the rows of metrics read as `latest`.
    const latestMetrics = metrics.filter((m) => this.catalog.metric(m)?.aggregation === 'latest');
    const latest =
      latestMetrics.length === 0
        ? 'NULL::text'
        : `((max(${latestTriple('latest_ts', 'latest_seq', 'latest_value')}) FILTER (WHERE metric = ANY(${p(latestMetrics)})))[3])::text`;
    const sql = `
      SELECT metric, grp_cc, grp_res, grp_day, sum(sum)::text AS sum, sum(count)::text AS count, max(max)::text AS max, ${latest} AS latest
      FROM (${parts.join('\n UNION ALL \n')}) parts
      GROUP BY metric, grp_cc, grp_res, grp_day
      ORDER BY metric, grp_day NULLS FIRST, grp_cc NULLS FIRST, grp_res NULLS FIRST`;
    // Inside a use case's transaction (invoicing), read its snapshot on its connection.
    return this.tx.manager().query(sql, params);
  }

  /**
   * Distinct counts of unique_count metrics, keyed like the rollup rows. Where a group is one
   * whole bucket (a day when grouping by day, or a window that is exactly one month, day, hour or
   * minute) the count kept on its rollup row answers; otherwise the distinct values of the
   * window's buckets and raw edges are counted together.
   */
  private async readDistinct(q: UsageQuery, metrics: Array<{ key: string; property: string }>, segments: Segment[]): Promise<Map<string, number>> {
    const params: unknown[] = [q.tenantId];
    const p = (v: unknown) => `$${params.push(v)}`;
    const [rcc, rres, rday] = GROUP_SQL[q.groupBy].raw;
    const [gcc, gres, gday] = GROUP_SQL[q.groupBy].rollup;
    const rawCcFilter = () => rawCostCenterFilter(q.costCenterId, p);
    const resourceFilter = q.groupBy === 'resource' ? `resource_key <> '${ALL_RESOURCES}'` : `resource_key = '${ALL_RESOURCES}'`;
    const ccFilter = () => (q.costCenterId === undefined ? '' : ` AND cost_center_key = ${p(q.costCenterId ?? '')}::text`);
    const oneBucket = segments.length === 1 && segments[0].kind !== 'raw' && addUnit(segments[0].from, segments[0].kind).getTime() === segments[0].to.getTime();
    const counted = (s: Segment) => s.kind !== 'raw' && (oneBucket || (q.groupBy === 'day' && s.kind === 'd'));
    const countedParts: string[] = [];
    const valueParts: string[] = [];
    for (const m of metrics) {
      const metric = p(m.key);
      let prop: string | null = null; // a parameter no part uses would have no type
      for (const s of segments) {
        const bucket = () => `bucket_start >= ${p(s.from)} AND bucket_start < ${p(s.to)}`;
        if (counted(s)) {
          // Distinct counts live on the totals only: unique_count metrics upsert them at ingest.
          countedParts.push(
            `SELECT metric, ${gcc} AS grp_cc, ${gres} AS grp_res, ${gday} AS grp_day, distinct_count AS n FROM usage_rollup_totals
             WHERE tenant_id = $1 AND metric = ${metric} AND granularity = '${s.kind}' AND ${bucket()} AND ${resourceFilter}${ccFilter()}`,
          );
        } else if (s.kind === 'raw') {
          valueParts.push(
            `SELECT metric, ${rcc} AS grp_cc, ${rres} AS grp_res, ${rday} AS grp_day, properties->>${(prop ??= p(m.property))}::text AS value
             FROM usage_events WHERE tenant_id = $1 AND metric = ${metric} AND ts >= ${p(s.from)} AND ts < ${p(s.to)}${rawCcFilter()}`,
          );
        } else {
          valueParts.push(
            `SELECT metric, ${gcc} AS grp_cc, ${gres} AS grp_res, ${gday} AS grp_day, value FROM usage_unique_values
             WHERE tenant_id = $1 AND metric = ${metric} AND granularity = '${s.kind}' AND ${bucket()} AND ${resourceFilter}${ccFilter()}`,
          );
        }
      }
    }
    // Counted and collected parts never share a group (a day is either whole or an edge), so they add up.
    const parts = [...countedParts];
    if (valueParts.length > 0) {
      parts.push(
        `SELECT metric, grp_cc, grp_res, grp_day, count(DISTINCT value) AS n FROM (${valueParts.join('\n UNION ALL \n')}) v
         WHERE value IS NOT NULL GROUP BY metric, grp_cc, grp_res, grp_day`,
      );
    }
    const rows: Array<{ metric: string; grp_cc: string | null; grp_res: string | null; grp_day: Date | null; n: string }> = await this.tx.manager().query(
      `SELECT metric, grp_cc, grp_res, grp_day, sum(n)::text AS n FROM (${parts.join('\n UNION ALL \n')}) parts GROUP BY metric, grp_cc, grp_res, grp_day`,
      params,
    );
    return new Map(rows.map((r) => [groupKey(r.metric, r.grp_cc, r.grp_res, r.grp_day), Number(r.n)]));
  }
}

function rawCostCenterFilter(costCenterId: string | null | undefined, p: (v: unknown) => string): string {
  if (costCenterId === undefined) return '';
  return costCenterId === null ? ' AND cost_center_id IS NULL' : ` AND cost_center_id = ${p(costCenterId)}::uuid`;
}

function groupKey(metric: string, cc: string | null, res: string | null, day: Date | null): string {
  return [metric, cc ?? '', res ?? '', day ? new Date(day).toISOString() : ''].join('\u0000');
}

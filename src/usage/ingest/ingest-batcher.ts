import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { CatalogService } from '../../catalog/catalog.service';
import { FieldError, ProblemError } from '../../common/errors/problem';
import { Metrics } from '../../common/metrics/metrics';
import { PgPool } from '../../common/database/pg-pool';
import { CostCenterRule, attributeCostCenter } from '../../cost-centers/cost-attribution';
import { QUOTA_CHANGES_CHANNEL, QuotaCache, quotaChangePayloads } from '../../quotas/quota-cache';
import type { UsageEvent } from '../usage-event.schema';
import { EventToStore, eventKey, storeEvents } from './ingest-writer';
import { Counter, Histogram } from 'prom-client';

/** One request's events: all stored together or none (a batch is all or nothing). */
export interface IngestJob {
  tenantId: string;
  events: UsageEvent[];
  /** Prefix of error paths: `events[3].` for batches, '' for a single event. */
  pathPrefix: (index: number) => string;
}

export interface IngestOutcome {
  /** Per event, in request order: stored now (true) or already there (false). */
  stored: boolean[];
  /** The cost center each event was attributed to. */
  costCenterIds: (string | null)[];
  /** Metrics of this tenant that have quotas (read in the ingest transaction): only those need a quota state. */
  metricsWithQuotas: ReadonlySet<string>;
}

interface Pending {
  job: IngestJob;
  resolve: (o: IngestOutcome) => void;
  reject: (e: unknown) => void;
}

const MAX_EVENTS_PER_COMMIT = 5000;
const MAX_IN_FLIGHT = 2;
const RETRYABLE = new Set(['40P01', '40001']);
const NO_METRICS: ReadonlySet<string> = new Set();

/**
 * Group commit. Requests that arrive while a commit is in flight wait in a queue and go
 * together in the next transaction, so one disk flush makes many requests durable; each request
 * is answered only after the commit that holds its events. Under no load a request commits
 * alone, at once. Jobs stay all-or-nothing: a job that fails its checks is left out of the
 * transaction without touching the others.
 */
@Injectable()
export class IngestBatcher implements OnApplicationShutdown {
  private readonly logger = new Logger(IngestBatcher.name);
  private queue: Pending[] = [];
  private inFlight = 0;
  private closed = false;
  private readonly commits: Counter;
  private readonly commitSize: Histogram;
  private readonly eventsStored: Counter;

  constructor(
    private readonly pg: PgPool,
    private readonly catalog: CatalogService,
    metrics: Metrics,
    private readonly quotaCache: QuotaCache,
  ) {
    this.commits = new Counter({ name: 'usage_ingest_commits_total', help: 'Ingest transactions committed', registers: [metrics.registry] });
    this.commitSize = new Histogram({
      name: 'usage_ingest_commit_events',
      help: 'Events per ingest commit (group commit size)',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000],
      registers: [metrics.registry],
    });
    this.eventsStored = new Counter({
      name: 'usage_events_stored_total',
      help: 'Usage events stored (duplicates excluded)',
      registers: [metrics.registry],
    });
  }

  submit(job: IngestJob): Promise<IngestOutcome> {
    if (this.closed) return Promise.reject(new ProblemError('UNAVAILABLE', 'The service is shutting down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.drain();
    });
  }

  /** Waits for queued and in-flight commits (graceful shutdown never drops an accepted event). */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private drain(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch: Pending[] = [];
      let size = 0;
      while (this.queue.length > 0 && (batch.length === 0 || size + this.queue[0].job.events.length <= MAX_EVENTS_PER_COMMIT)) {
        const next = this.queue.shift()!;
        size += next.job.events.length;
        batch.push(next);
      }
      this.inFlight++;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcomes = await this.runTransaction(batch.map((p) => p.job));
        batch.forEach((p, i) => {
          const o = outcomes[i];
          if (o instanceof Error) p.reject(o);
          else p.resolve(o);
        });
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < 4) {
          this.logger.warn(`ingest transaction retried after ${code} (attempt ${attempt})`);
          continue;
        }
        for (const p of batch) p.reject(err);
        return;
      }
    }
  }

  /** One round trip reads what attribution needs; one atomic statement stores the lot. */
  private async runTransaction(jobs: IngestJob[]): Promise<Array<IngestOutcome | ProblemError>> {
    const outcomes = await this.store(jobs);
    const stored = outcomes.reduce((n, o) => (o instanceof Error ? n : n + o.stored.filter(Boolean).length), 0);
    this.commits.inc();
    this.commitSize.observe(jobs.reduce((n, j) => n + j.events.length, 0));
    this.eventsStored.inc(stored);
    return outcomes;
  }

  private async store(jobs: IngestJob[]): Promise<Array<IngestOutcome | ProblemError>> {
    const tenantIds = [...new Set(jobs.map((j) => j.tenantId))];
    const { costCenters, quotaMetrics } = await this.tenantContext(tenantIds);
    const outcomes: Array<IngestOutcome | ProblemError> = [];
    // First occurrence of a (tenant, eventId) in this transaction is the one stored.
    const firstOwner = new Map<string, { job: number; index: number }>();
    const toStore: EventToStore[] = [];
    jobs.forEach((job, j) => {
      const centers = costCenters.get(job.tenantId) ?? [];
      const known = new Set(centers.map((c) => c.id));
      const unknown: FieldError[] = [];
      const ids = job.events.map((e, i) => {
        if (e.costCenterId === null) return attributeCostCenter(centers, e);
        if (!known.has(e.costCenterId)) unknown.push({ path: `${job.pathPrefix(i)}costCenterId`, message: 'is not a cost center of this tenant' });
        return e.costCenterId;
      });
      if (unknown.length > 0) {
        outcomes.push(new ProblemError('UNKNOWN_COST_CENTER', unknown.map((u) => `${u.path}: ${u.message}`).join('; '), { errors: unknown }));
        return;
      }
      outcomes.push({ stored: job.events.map(() => false), costCenterIds: ids, metricsWithQuotas: quotaMetrics.get(job.tenantId) ?? NO_METRICS });
      job.events.forEach((event, index) => {
        const key = eventKey(job.tenantId, event.eventId);
        if (firstOwner.has(key)) return;
        firstOwner.set(key, { job: j, index });
        const metric = this.catalog.metric(event.metric);
        const prop = metric?.aggregation === 'unique_count' ? event.properties?.[metric.property!] : undefined;
        toStore.push({ tenantId: job.tenantId, event, costCenterId: ids[index], uniqueValue: prop === undefined || prop === null ? null : String(prop) });
      });
    });
    if (toStore.length === 0) return outcomes;
    // Key order (as the statement writes rows) keeps concurrent writers from deadlocking.
    toStore.sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : a.event.eventId < b.event.eventId ? -1 : a.event.eventId > b.event.eventId ? 1 : 0));
    const fresh = await this.storeWithQuotaNotice(toStore);
    for (const [key, owner] of firstOwner) {
      if (fresh.has(key)) (outcomes[owner.job] as IngestOutcome).stored[owner.index] = true;
    }
    return outcomes;
  }

  /**
   * Quota state: the NOTIFY naming the batch's (tenant, metric) pairs is sent by the storing
   * statement, so other instances drop their cached quota state when, and only when, it commits;
   * this instance drops its own before any of the batch's requests is answered (also on failure:
   * a commit whose answer was lost may still have happened).
   */
  private async storeWithQuotaNotice(toStore: EventToStore[]): Promise<Set<string>> {
    const changed = toStore.map((s) => ({ tenantId: s.tenantId, metric: s.event.metric }));
    try {
      return await storeEvents({ query: (sql, params) => this.pg.prepared('ingest_store_events', sql, params) }, toStore, {
        channel: QUOTA_CHANGES_CHANNEL,
        payloads: quotaChangePayloads(changed),
      });
    } finally {
      this.quotaCache.invalidate(changed);
    }
  }

  /** The tenants' live cost centers (oldest first, for rule attribution) and the metrics they have quotas on, in one round trip. */
  private async tenantContext(tenantIds: string[]): Promise<{
    costCenters: Map<string, Array<{ id: string; rules: CostCenterRule[] }>>;
    quotaMetrics: Map<string, Set<string>>;
  }> {
    const [row] = await this.pg.prepared<{ centers: Array<{ id: string; tenant_id: string; rules: CostCenterRule[] }> | null; quotas: Array<{ tenant_id: string; metric: string }> | null }>(
      'ingest_tenant_context',
      `SELECT
         (SELECT json_agg(json_build_object('id', id, 'tenant_id', tenant_id, 'rules', rules) ORDER BY created_at, id)
            FROM cost_centers WHERE tenant_id = ANY($1) AND archived_at IS NULL) AS centers,
         (SELECT json_agg(DISTINCT jsonb_build_object('tenant_id', tenant_id, 'metric', metric)) FROM quotas WHERE tenant_id = ANY($1)) AS quotas`,
      [tenantIds],
    );
    const costCenters = new Map<string, Array<{ id: string; rules: CostCenterRule[] }>>();
    for (const c of row.centers ?? []) {
      const list = costCenters.get(c.tenant_id) ?? [];
      list.push({ id: c.id, rules: c.rules });
      costCenters.set(c.tenant_id, list);
    }
    const quotaMetrics = new Map<string, Set<string>>();
    for (const q of row.quotas ?? []) quotaMetrics.set(q.tenant_id, (quotaMetrics.get(q.tenant_id) ?? new Set()).add(q.metric));
    return { costCenters, quotaMetrics };
  }
}

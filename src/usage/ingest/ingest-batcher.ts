import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { isUniqueViolation } from '../../common/database/pg-errors';
import { CatalogService } from '../../catalog/catalog.service';
import { FieldError, ProblemError } from '../../common/errors/problem';
import { Metrics } from '../../common/metrics/metrics';
import { PgPool, PreparedQuery } from '../../common/database/pg-pool';
import { attributeCostCenter } from '../../cost-centers/cost-attribution';
import type { TenantIngestContext } from '../../cost-centers/ingest-context.repository';
import { QUOTA_CHANGES_CHANNEL, QuotaCache, QuotaKey, quotaChangePayloads } from '../../quotas/quota-cache';
import type { UsageEvent } from '../usage-event.schema';
import { EventToStore, StaleIngestContext, StoreMode, StoredKeys, eventKey, storeEvents } from './ingest-writer';
import { TenantIngestContexts } from './tenant-contexts';
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
/**
 * At most this many commits at once. Small groups commit one at a time: the next group forms
 * while one commits, so there are fewer, larger commits (measured: about 25 events a commit
 * instead of 12 under the ingest bench, and a third less database CPU per event). More commits
 * run beside one holding at least BIG_COMMIT events (or to start one), so a 1,000-event batch
 * never holds up single events, and batches keep PostgreSQL busy on more than one core
 * (measured with 1,000-event batches of distinct values: 148k events/s with two, 162k with
 * three, no more with four). Tried and left out: splitting tenants over two such queues per
 * instance, so two small commits run side by side without sharing rows. Single-event ingest gave
 * 9,935 against 9,845 req/s (4 runs each), while three instances on one 2-core machine fell from
 * 0.84x to 0.63x of one instance.
 */
const MAX_IN_FLIGHT = 3;
const BIG_COMMIT = 100;
const RETRYABLE = new Set(['40P01', '40001']);
/**
 * After a group met an event already recorded, this many commits skip the optimistic plain
 * INSERT and go straight to ON CONFLICT: a client that retries a lot costs one failed statement
 * per this many commits, not one per commit.
 */
const DEDUPE_COMMITS_AFTER_DUPLICATE = 100;
/** The distinct (tenant, metric) pairs of some events: a batch mostly holds one or two. */
export function distinctQuotaKeys(items: ReadonlyArray<{ tenantId: string; event: UsageEvent }>): QuotaKey[] {
  const keys: QuotaKey[] = [];
  const seen = new Map<string, Set<string>>();
  for (const { tenantId, event } of items) {
    let metrics = seen.get(tenantId);
    if (metrics === undefined) seen.set(tenantId, (metrics = new Set()));
    if (!metrics.has(event.metric)) {
      metrics.add(event.metric);
      keys.push({ tenantId, metric: event.metric });
    }
  }
  return keys;
}

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
  /** Commits in flight holding at least BIG_COMMIT events. */
  private inFlightBig = 0;
  private closed = false;
  private readonly commits: Counter;
  private readonly commitSize: Histogram;
  private readonly commitSeconds: Histogram;
  private readonly eventsStored: Counter;
  private readonly staleContexts: Counter;
  private readonly duplicateRedos: Counter;
  /** Commits left that store with ON CONFLICT without trying the plain INSERT first. */
  private dedupeCommitsLeft = 0;
  /** Autocommitted named statements on the pool (the optimistic path). */
  private readonly pooled: PreparedQuery = (name, text, values) => this.pg.prepared(name, text, values);

  constructor(
    private readonly pg: PgPool,
    private readonly catalog: CatalogService,
    metrics: Metrics,
    private readonly quotaCache: QuotaCache,
    private readonly contexts: TenantIngestContexts,
  ) {
    this.commits = new Counter({ name: 'usage_ingest_commits_total', help: 'Ingest transactions committed', registers: [metrics.registry] });
    this.commitSeconds = new Histogram({
      name: 'usage_ingest_commit_seconds',
      help: 'Time from the start of an ingest commit (context, statement, commit) to its outcome',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers: [metrics.registry],
    });
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
    this.staleContexts = new Counter({
      name: 'usage_ingest_stale_context_total',
      help: 'Ingest groups redone because a tenant\'s cost centers or quotas changed after they were read',
      registers: [metrics.registry],
    });
    this.duplicateRedos = new Counter({
      name: 'usage_ingest_duplicate_redo_total',
      help: 'Ingest groups redone with ON CONFLICT because the plain INSERT met an event already recorded',
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
    while (this.queue.length > 0 && this.mayStartCommit()) {
      const batch: Pending[] = [];
      let size = 0;
      while (this.queue.length > 0 && (batch.length === 0 || size + this.queue[0].job.events.length <= MAX_EVENTS_PER_COMMIT)) {
        const next = this.queue.shift()!;
        size += next.job.events.length;
        batch.push(next);
      }
      const big = size >= BIG_COMMIT;
      this.inFlight++;
      if (big) this.inFlightBig++;
      void this.commit(batch).then((answer) => {
        this.inFlight--;
        if (big) this.inFlightBig--;
        // The next group goes to PostgreSQL first, and this group's requests are answered while
        // it runs: answering first (quota state, serialization, writes) left the database idle.
        this.drain();
        answer();
      });
    }
  }

  private mayStartCommit(): boolean {
    if (this.inFlight === 0) return true;
    return this.inFlight < MAX_IN_FLIGHT && (this.inFlightBig > 0 || this.queue[0].job.events.length >= BIG_COMMIT);
  }

  /** Commits the group (retrying deadlocks and serialization failures); resolves to what answers its requests. */
  private async commit(batch: Pending[]): Promise<() => void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcomes = await this.runTransaction(batch.map((p) => p.job));
        return () =>
          batch.forEach((p, i) => {
            const o = outcomes[i];
            if (o instanceof Error) p.reject(o);
            else p.resolve(o);
          });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < 4) {
          this.logger.warn(`ingest transaction retried after ${code} (attempt ${attempt})`);
          continue;
        }
        return () => batch.forEach((p) => p.reject(err));
      }
    }
  }

  /** One atomic statement stores the lot (the tenants' context from memory, or read first when unknown or stale). */
  private async runTransaction(jobs: IngestJob[]): Promise<Array<IngestOutcome | ProblemError>> {
    const end = this.commitSeconds.startTimer();
    const outcomes = await this.store(jobs);
    end();
    const stored = outcomes.reduce((n, o) => (o instanceof Error ? n : n + o.stored.filter(Boolean).length), 0);
    this.commits.inc();
    this.commitSize.observe(jobs.reduce((n, j) => n + j.events.length, 0));
    this.eventsStored.inc(stored);
    return outcomes;
  }

  private async store(jobs: IngestJob[]): Promise<Array<IngestOutcome | ProblemError>> {
    const tenantIds = [...new Set(jobs.map((j) => j.tenantId))];
    for (let attempt = 1; attempt <= 2; attempt++) {
      const { contexts, cached } = await this.contexts.get(this.pooled, tenantIds, attempt > 1);
      const { outcomes, toStore, firstOwner } = this.prepare(jobs, contexts);
      // A refusal (unknown cost center) is only ever decided on a context just read.
      if (cached && outcomes.some((o) => o instanceof Error)) continue;
      if (toStore.length === 0) return outcomes;
      try {
        return this.settle(outcomes, firstOwner, await this.storeOptimistically(toStore, contexts));
      } catch (err) {
        if (!(err instanceof StaleIngestContext)) throw err;
        this.staleContexts.inc();
      }
    }
    return this.storeLocked(jobs, tenantIds);
  }

  /**
   * The group again, its tenants' context versions held (FOR SHARE) from the read of the context
   * to the commit: a cost-center or quota write of these tenants waits for it (its trigger
   * updates the version row), so the context cannot go stale. Taken after an optimistic try
   * went stale, so constant changes to a tenant's cost centers never starve its ingest.
   */
  private async storeLocked(jobs: IngestJob[], tenantIds: string[]): Promise<Array<IngestOutcome | ProblemError>> {
    try {
      return await this.lockedTransaction(jobs, tenantIds);
    } finally {
      // The statement's own invalidation ran before this COMMIT: drop the state again after it.
      this.quotaCache.invalidate(distinctQuotaKeys(jobs.flatMap((j) => j.events.map((event) => ({ tenantId: j.tenantId, event })))));
    }
  }

  private lockedTransaction(jobs: IngestJob[], tenantIds: string[]): Promise<Array<IngestOutcome | ProblemError>> {
    return this.pg.transaction(async (db) => {
      await db(
        'ingest_lock_contexts',
        `WITH ensured AS (INSERT INTO tenant_ingest_versions (tenant_id, version) SELECT t, 0 FROM unnest($1::text[]) AS t ORDER BY t ON CONFLICT DO NOTHING)
         SELECT tenant_id FROM tenant_ingest_versions WHERE tenant_id = ANY($1) ORDER BY tenant_id FOR SHARE`,
        [tenantIds],
      );
      const { contexts } = await this.contexts.get(db, tenantIds, true);
      const { outcomes, toStore, firstOwner } = this.prepare(jobs, contexts);
      if (toStore.length === 0) return outcomes;
      return this.settle(outcomes, firstOwner, await this.storeWithQuotaNotice(db, toStore, contexts, 'dedupe'));
    });
  }

  /**
   * Autocommitted: first as all new (plain INSERT), which is what ingest nearly always is; on a
   * unique violation nothing was stored and the group is stored again skipping recorded events.
   */
  private async storeOptimistically(toStore: EventToStore[], contexts: ReadonlyMap<string, TenantIngestContext>): Promise<StoredKeys> {
    if (this.dedupeCommitsLeft > 0) {
      this.dedupeCommitsLeft--;
      return this.storeWithQuotaNotice(this.pooled, toStore, contexts, 'dedupe');
    }
    try {
      return await this.storeWithQuotaNotice(this.pooled, toStore, contexts, 'new');
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      this.duplicateRedos.inc();
      this.dedupeCommitsLeft = DEDUPE_COMMITS_AFTER_DUPLICATE;
      return this.storeWithQuotaNotice(this.pooled, toStore, contexts, 'dedupe');
    }
  }

  private settle(outcomes: Array<IngestOutcome | ProblemError>, firstOwner: Map<string, { job: number; index: number }>, fresh: StoredKeys) {
    for (const [key, owner] of firstOwner) {
      if (fresh === 'all' || fresh.has(key)) (outcomes[owner.job] as IngestOutcome).stored[owner.index] = true;
    }
    return outcomes;
  }

  /** Attribution and per-job outcomes from the tenants' contexts; the events to store, first occurrence of each key only. */
  private prepare(jobs: IngestJob[], contexts: ReadonlyMap<string, TenantIngestContext>) {
    const outcomes: Array<IngestOutcome | ProblemError> = [];
    // First occurrence of a (tenant, eventId) in this transaction is the one stored.
    const firstOwner = new Map<string, { job: number; index: number }>();
    const toStore: EventToStore[] = [];
    jobs.forEach((job, j) => {
      const context = contexts.get(job.tenantId)!;
      const centers = context.centers;
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
      outcomes.push({ stored: job.events.map(() => false), costCenterIds: ids, metricsWithQuotas: context.quotaMetrics });
      job.events.forEach((event, index) => {
        const key = eventKey(job.tenantId, event.eventId);
        if (firstOwner.has(key)) return;
        firstOwner.set(key, { job: j, index });
        const metric = this.catalog.metric(event.metric);
        const prop = metric?.aggregation === 'unique_count' ? event.properties?.[metric.property!] : undefined;
        toStore.push({ tenantId: job.tenantId, event, costCenterId: ids[index], uniqueValue: prop === undefined || prop === null ? null : String(prop) });
      });
    });
    // Key order (as the statement writes rows) keeps concurrent writers from deadlocking.
    toStore.sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : a.event.eventId < b.event.eventId ? -1 : a.event.eventId > b.event.eventId ? 1 : 0));
    return { outcomes, toStore, firstOwner };
  }

  /**
   * Quota state: the NOTIFY naming the batch's (tenant, metric) pairs is sent by the storing
   * statement, so other instances drop their cached quota state when, and only when, it commits;
   * this instance drops its own before any of the batch's requests is answered (also on failure:
   * a commit whose answer was lost may still have happened).
   */
  private async storeWithQuotaNotice(db: PreparedQuery, toStore: EventToStore[], contexts: ReadonlyMap<string, TenantIngestContext>, mode: StoreMode): Promise<StoredKeys> {
    const versions = new Map([...contexts].map(([t, c]) => [t, c.version]));
    const changed = distinctQuotaKeys(toStore);
    try {
      return await storeEvents(
        { query: (sql, params, name) => db(`ingest_store_events_${name}`, sql, params) },
        toStore,
        { channel: QUOTA_CHANGES_CHANNEL, payloads: quotaChangePayloads(changed) },
        versions,
        mode,
      );
    } finally {
      this.quotaCache.invalidate(changed);
    }
  }
}

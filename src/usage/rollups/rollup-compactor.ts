import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { Metrics } from '../../common/metrics/metrics';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { COMPACTION_LOCK_KEY, ROLLUP_FAMILIES_SQL, ROLLUP_KEY, ROLLUP_UPSERT_SQL, fromLatest, latestTriple } from './rollup-families';

export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<any>;
}

/** Deltas folded by one statement at most: a backlog is folded in transactions of this size. */
export const COMPACT_CHUNK = 50_000;

/**
 * One compaction: takes (deletes) up to `limit` committed deltas and folds them into the rollup
 * families of usage_rollup_totals in the same statement, hence the same transaction: a reader's
 * snapshot sees each delta either as a delta or in the totals, never both and never neither. One
 * compaction runs at a time across instances (a transaction-level advisory lock; the others skip
 * their turn). Family rows are written in key order, as ingest writes them, so the two wait for
 * each other instead of deadlocking.
 */
const COMPACT_SQL = `
  WITH turn AS (SELECT pg_try_advisory_xact_lock(${COMPACTION_LOCK_KEY}) AS ok),
  taken AS (
    DELETE FROM usage_rollup_deltas
    WHERE ctid = ANY(ARRAY(SELECT ctid FROM usage_rollup_deltas LIMIT $1)) AND (SELECT ok FROM turn)
    RETURNING tenant_id, metric, cost_center_key, resource_key, minute, sum, count, max, latest_ts, latest_seq, latest_value
  ),
  folded AS (
    INSERT INTO usage_rollup_totals AS r (${ROLLUP_KEY}, sum, count, max, latest_ts, latest_seq, latest_value, distinct_count)
    SELECT tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, sum, count, max, ${fromLatest('latest')}, 0 FROM (
      SELECT tenant_id, metric, g.g::"char" AS granularity, date_trunc(g.unit, minute, 'UTC') AS bucket_start, cost_center_key,
        CASE WHEN g.per_resource THEN resource_key ELSE '*' END AS resource_key,
        sum(sum) AS sum, sum(count) AS count, max(max) AS max, max(${latestTriple('latest_ts', 'latest_seq', 'latest_value')}) AS latest
      FROM taken CROSS JOIN ${ROLLUP_FAMILIES_SQL}
      GROUP BY 1, 2, 3, 4, 5, 6
    ) k
    ORDER BY 1, 2, 3, 4, 5, 6
    ${ROLLUP_UPSERT_SQL}
  )
  SELECT (SELECT ok FROM turn) AS ok, (SELECT count(*) FROM taken)::int AS taken`;

/**
 * Folds committed deltas into the totals until none is left (or another instance holds the
 * turn). Returns how many deltas were folded. Safe beside ingest, readers and other compactions.
 */
export async function compactRollups(db: Queryable, limit = COMPACT_CHUNK): Promise<number> {
  let total = 0;
  for (;;) {
    const [{ ok, taken }]: Array<{ ok: boolean; taken: number }> = await db.query(COMPACT_SQL, [limit]);
    total += taken;
    if (!ok || taken < limit) return total;
  }
}

/**
 * Runs `compactRollups` every ROLLUP_COMPACT_INTERVAL_MS (1 s) on every instance (one at a time
 * across them): the deltas ingest appends stay a second's worth, so reads that add them to the
 * totals stay flat. A failed compaction loses nothing (the deltas stay, and reads count them);
 * it is logged and retried on the next turn. With 0 this instance leaves compaction to others.
 */
@Injectable()
export class RollupCompactor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RollupCompactor.name);
  private readonly folded: Counter;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.folded = new Counter({ name: 'usage_rollup_deltas_compacted_total', help: 'Rollup deltas folded into the rollup totals', registers: [metrics.registry] });
  }

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Folds what is there now; resolves when done (the scheduled turns keep going). */
  async compact(): Promise<number> {
    const n = await compactRollups(this.dataSource);
    this.folded.inc(n);
    return n;
  }

  private schedule(): void {
    if (this.stopped || this.config.rollupCompactIntervalMs === 0) return;
    this.timer = setTimeout(() => {
      this.running = this.compact()
        .then(
          () => undefined,
          (e: Error) => {
            if (!this.stopped) this.logger.warn(`rollup compaction failed: ${e.message.split('\n')[0]}`);
          },
        )
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, this.config.rollupCompactIntervalMs);
    this.timer.unref();
  }
}

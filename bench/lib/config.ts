import * as path from 'node:path';

/** Repository root (bench/lib/../..). */
export const ROOT = path.resolve(__dirname, '..', '..');

export interface BenchConfig {
  /** Seconds of each timed load (BENCH_DURATION). */
  durationSec: number;
  /** Seconds of unmeasured load before each timed load, same shape (BENCH_WARMUP). */
  warmupSec: number;
  /** Alternating rounds the ingest, batch and quota loads and their baselines are split into (BENCH_ROUNDS). */
  rounds: number;
  /** Concurrent connections of the single-event and quota loads (BENCH_CONNECTIONS). */
  connections: number;
  /** Concurrent connections of the batch load (BENCH_BATCH_CONNECTIONS). */
  batchConnections: number;
  /** Events per batch request (BENCH_BATCH_SIZE, at most 1000). */
  batchSize: number;
  /** Tenants the ingest loads spread over (BENCH_TENANTS). */
  tenants: number;
  /** Minimum rows of the pg batch baselines (BENCH_BASELINE_MIN_ROWS): short runs are noisy. */
  baselineMinRows: number;
  /** Concurrent COPY streams of the baselines and the summary load (BENCH_COPY_STREAMS). */
  copyStreams: number;
  /** Events loaded for the summary benchmark (BENCH_SUMMARY_EVENTS). */
  summaryEvents: number;
  /** Tenants of the summary load (BENCH_SUMMARY_TENANTS). */
  summaryTenants: number;
  /** Sequential requests per summary query measured (BENCH_SUMMARY_REQUESTS). */
  summaryRequests: number;
  /** Subscriptions with an ended period for the period-close bench. */
  periodCloseSubscriptions: number;
  /** PostgreSQL server; a fresh database is made on it and dropped at the end (BENCH_DATABASE_URL). */
  serverUrl: string;
  /** Skip `npm run build` (BENCH_SKIP_BUILD=1), e.g. when dist/ is known to be fresh. */
  skipBuild: boolean;
  /** Hard stop of the whole run (BENCH_TIMEOUT_MINUTES). */
  timeoutMinutes: number;
}

/** An integer setting from the environment (underscores allowed), checked against its range. */
export function envInt(name: string, def: number, min: number, max: number): number {
  const raw = process.env[name]?.trim().replace(/_/g, '');
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new Error(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function loadBenchConfig(): BenchConfig {
  return {
    durationSec: envInt('BENCH_DURATION', 20, 1, 600),
    warmupSec: envInt('BENCH_WARMUP', 3, 0, 60),
    rounds: envInt('BENCH_ROUNDS', 4, 1, 20),
    connections: envInt('BENCH_CONNECTIONS', 50, 1, 1000),
    batchConnections: envInt('BENCH_BATCH_CONNECTIONS', 8, 1, 100),
    batchSize: envInt('BENCH_BATCH_SIZE', 1000, 1, 1000),
    tenants: envInt('BENCH_TENANTS', 100, 1, 10_000),
    baselineMinRows: envInt('BENCH_BASELINE_MIN_ROWS', 200_000, 1000, 100_000_000),
    copyStreams: envInt('BENCH_COPY_STREAMS', 2, 1, 16),
    summaryEvents: envInt('BENCH_SUMMARY_EVENTS', 10_000_000, 10_000, 1_000_000_000),
    summaryTenants: envInt('BENCH_SUMMARY_TENANTS', 100, 3, 10_000),
    summaryRequests: envInt('BENCH_SUMMARY_REQUESTS', 200, 10, 100_000),
    periodCloseSubscriptions: envInt('BENCH_PERIOD_CLOSE_SUBSCRIPTIONS', 10_000, 10, 1_000_000),
    serverUrl: process.env.BENCH_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/postgres',
    skipBuild: /^(1|true|yes)$/i.test(process.env.BENCH_SKIP_BUILD ?? ''),
    timeoutMinutes: envInt('BENCH_TIMEOUT_MINUTES', 90, 1, 24 * 60),
  };
}

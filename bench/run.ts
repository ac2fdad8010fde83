/**
 * `npm run bench [-- ingest batch quota summary billing instances]`: the Billing Service's benchmarks, each figure
 * beside a baseline measured in the same run. `soak` (10 minutes) runs only when named: `npm run bench -- soak`. Sizes from env (bench/lib/config.ts):
 * BENCH_DURATION, BENCH_CONNECTIONS, BENCH_SUMMARY_EVENTS, BENCH_DATABASE_URL, …
 * A fresh database is created on the server and dropped at the end; every child process is
 * stopped, even on failure or Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { batchBench } from './batch.bench';
import { billingBench } from './billing.bench';
import { ingestBench } from './ingest.bench';
import { instancesBench } from './instances.bench';
import { stopAllChildren } from './lib/child';
import { loadBenchConfig } from './lib/config';
import { Bench, BenchContext } from './lib/context';
import { BenchDatabase, serverVersion } from './lib/db';
import { Report } from './lib/report';
import { ServiceProcess, buildService } from './lib/service';
import { seconds, timed } from './lib/stats';
import { platformAdminClaims, serviceClaims, signToken } from './lib/tokens';
import { quotaBench } from './quota.bench';
import { soakBench } from './soak.bench';
import { summaryBench } from './summary.bench';

const BENCHES: Record<string, Bench> = { ingest: ingestBench, batch: batchBench, quota: quotaBench, summary: summaryBench, billing: billingBench, instances: instancesBench, soak: soakBench };
/** Run only when named on the command line, never by default. */
const ON_REQUEST = new Set(['soak']);

function selected(args: string[]): string[] {
  const names = args.filter((a) => a.trim() !== '');
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length > 0) throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; choose among ${Object.keys(BENCHES).join(', ')}`);
  return Object.keys(BENCHES).filter((n) => (names.length === 0 ? !ON_REQUEST.has(n) : names.includes(n)));
}

/**
 * Between benchmarks: the previous one's writes (millions of rows for batch and summary) are
 * vacuumed and checkpointed now, so autovacuum and the checkpointer do not run during the next
 * one's measurements.
 */
async function settle(db: BenchDatabase): Promise<void> {
  const t0 = performance.now();
  await db.with(async (c) => {
    await c.query('VACUUM (ANALYZE)');
    // CHECKPOINT needs superuser or pg_checkpoint: without it the run goes on unsettled.
    await c.query('CHECKPOINT').catch((err: Error) => console.log(`  (no CHECKPOINT: ${err.message})`));
  });
  console.log(`\n(settled: VACUUM (ANALYZE) and CHECKPOINT in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

async function main(): Promise<number> {
  const cfg = loadBenchConfig();
  const names = selected(process.argv.slice(2));
  const report = new Report();
  let db: BenchDatabase | null = null;
  let service: ServiceProcess | null = null;
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      await service?.stop().catch((e: unknown) => console.error(`stopping the service: ${String(e)}`));
      await stopAllChildren().catch((e: unknown) => console.error(`stopping child processes: ${String(e)}`));
      if (db) {
        await db.drop().then(
          () => console.log(`\ndropped database ${db!.name}`),
          (e: unknown) => console.error(`dropping ${db!.name}: ${String(e)}`),
        );
      }
    })());
  const abort = (why: string, code: number) => {
    console.error(`\n${why}: stopping`);
    void cleanup().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => abort('SIGINT', 130));
  process.once('SIGTERM', () => abort('SIGTERM', 143));
  setTimeout(() => abort(`BENCH_TIMEOUT_MINUTES (${cfg.timeoutMinutes}) reached`, 124), cfg.timeoutMinutes * 60_000).unref();

  console.log(`Billing Service benchmarks: ${names.join(', ')}`);
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM`);
  console.log(
    `duration ${cfg.durationSec} s after ${cfg.warmupSec} s warm-up, ${cfg.connections} connections (batch ${cfg.batchConnections} × ${cfg.batchSize} events), ${cfg.tenants} tenants, ` +
      `summary ${cfg.summaryEvents} events / ${cfg.summaryTenants} tenants, COPY streams ${cfg.copyStreams}`,
  );
  try {
    if (!cfg.skipBuild) {
      const [, ms] = await timed(buildService);
      console.log(`npm run build: ${seconds(ms)}`);
    }
    db = await BenchDatabase.create(cfg.serverUrl);
    console.log(`database ${db.name} on PostgreSQL ${await db.with(serverVersion)} (${new URL(cfg.serverUrl).host})`);
    service = new ServiceProcess(db.url);
    const startMs = await service.start();
    console.log(`service started (migrations applied) in ${seconds(startMs)}, pid ${service.pid}, ${service.baseUrl}`);
    const bearer = (claims: { sub: string; roles: string[] }) => ({ authorization: `Bearer ${signToken(service!.jwtSecret, claims)}` });
    const ctx: BenchContext = {
      cfg,
      db,
      service,
      report,
      runTag: randomBytes(4).toString('hex'),
      auth: { service: bearer(serviceClaims), admin: bearer(platformAdminClaims) },
    };
    for (const [i, name] of names.entries()) {
      try {
        if (i > 0) await settle(db);
        await BENCHES[name](ctx);
      } catch (err) {
        report.fail(name, err);
        if (service.running) console.log(`  last service output:\n    ${service.takeLogSummary()}`);
      }
    }
  } catch (err) {
    report.fail('setup', err);
  } finally {
    await cleanup();
  }
  report.printSummary();
  return report.failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

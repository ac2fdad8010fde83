/**
 * One period-close run from the command line, for deployments that drive invoice runs from an
 * external cron (e.g. a Kubernetes CronJob): `npm run close-periods`. Needs DATABASE_URL (or the
 * embedded engine's data when unset). Prints one summary line; exit code 1 if any subscription failed.
 */
import 'reflect-metadata';
import { createApp } from '../src/app.factory';
import { ensureDevSecret } from '../src/common/auth/dev-secret';
import { startEmbeddedPostgres } from '../src/common/database/embedded-postgres';
import { createLogger } from '../src/common/logging/logger';
import { loadConfig } from '../src/config/app-config';
import { PeriodCloseService } from '../src/invoices/period-close.service';

async function main(): Promise<number> {
  const loaded = loadConfig();
  const config = {
    ...loaded,
    periodCloseCron: null,
    jwt: loaded.jwt.secret || loaded.jwt.publicKey ? loaded.jwt : { ...loaded.jwt, secret: ensureDevSecret(loaded.dataDir) },
  };
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort);
  const app = await createApp({ config, databaseUrl: config.databaseUrl ?? embedded!.url, logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel) });
  try {
    const summary = await app.get(PeriodCloseService).run();
    process.stdout.write(`period close: ${JSON.stringify(summary)}\n`);
    return summary.failed > 0 ? 1 : 0;
  } finally {
    await app.close();
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`period close failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);

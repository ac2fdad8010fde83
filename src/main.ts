import 'reflect-metadata';
import { createApp } from './app.factory';
import { AppConfig, ConfigError, loadConfig, usesEmbeddedDatabase } from './config/app-config';
import { ensureDevSecret } from './common/auth/dev-secret';
import { EmbeddedDatabase, startEmbeddedPostgres } from './common/database/embedded-postgres';
import { createLogger } from './common/logging/logger';
import { CatalogError } from './catalog/catalog.service';

/** Resolves the JWT key: given, or generated for the embedded default only. */
function resolveJwt(config: AppConfig): AppConfig {
  if (config.jwt.secret || config.jwt.publicKey) return config;
  if (!usesEmbeddedDatabase(config)) {
    throw new ConfigError('JWT_SECRET', 'or JWT_PUBLIC_KEY is required when DATABASE_URL is set (only the embedded default generates a key)');
  }
  return { ...config, jwt: { ...config.jwt, secret: ensureDevSecret(config.dataDir) } };
}

async function bootstrap(): Promise<void> {
  const started = Date.now();
  const config = resolveJwt(loadConfig());
  const logger = createLogger(config.logLevel);
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === null) {
    embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, (line) => logger.warn({ context: 'EmbeddedPostgres' }, line));
    databaseUrl = embedded.url;
    logger.info({ context: 'EmbeddedPostgres' }, `embedded PostgreSQL on 127.0.0.1:${config.embeddedPgPort}, data in ${config.dataDir}`);
  }
  const app = await createApp({ config, databaseUrl, logger });
  if (embedded) {
    const stop = embedded.stop;
    app.getHttpAdapter().getInstance().addHook('onClose', async () => {
      await stop();
    });
  }
  await app.listen({ port: config.port, host: config.host });
  const base = `http://localhost:${config.port}`;
  logger.info(
    { context: 'Bootstrap', startupMs: Date.now() - started, rssMb: Math.round(process.memoryUsage().rss / 1048576) },
    `Billing Service listening on ${base} (docs ${base}/api/docs)`,
  );
  if (embedded && !process.env.JWT_SECRET) {
    // Humans read this once: how to get a token for the generated development key.
    process.stdout.write(
      `\nDevelopment JWT key generated in ${config.dataDir}/jwt-secret.\n` +
        `Mint a token:  npm run token -- --tenant t1 --role tenant-admin\n` +
        `Then open ${base}/api/docs and paste it in "Authorize".\n\n`,
    );
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ context: 'Bootstrap' }, `${signal} received: finishing requests in flight, then stopping`);
    app
      .close()
      .then(() => process.exit(0))
      .catch((e: unknown) => {
        logger.error({ context: 'Bootstrap' }, `shutdown failed: ${(e as Error).message}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

bootstrap().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof CatalogError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`Billing Service failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Writable } from 'node:stream';
import pino from 'pino';
import { CreateAppOptions, createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';
import { createLogger } from '../../src/common/logging/logger';
import { createTestDatabase } from './database';
import { TEST_JWT_SECRET } from './tokens';

export interface TestApp {
  app: NestFastifyApplication;
  baseUrl: string;
  databaseUrl: string;
  logs: string[];
  close(): Promise<void>;
}

export interface BootOptions {
  env?: Record<string, string>;
  /** Reuse a database (second instance); otherwise a fresh one is made and dropped on close. */
  databaseUrl?: string;
  imports?: CreateAppOptions['imports'];
}

/** Boots the real app on a fresh database (migrations applied), listening on a random port. */
export async function bootApp(opts: BootOptions = {}): Promise<TestApp> {
  const db = opts.databaseUrl ? null : await createTestDatabase();
  const databaseUrl = opts.databaseUrl ?? db!.url;
  const config = loadConfig({
    JWT_SECRET: TEST_JWT_SECRET,
    PERIOD_CLOSE_CRON: 'off',
    LOG_LEVEL: 'info',
    DB_POOL_SIZE: '10',
    ...opts.env,
    DATABASE_URL: databaseUrl,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger(config.logLevel, sink as unknown as pino.DestinationStream);
  let app: NestFastifyApplication;
  try {
    app = await createApp({ config, databaseUrl, logger, imports: opts.imports });
  } catch (e) {
    await db?.drop();
    throw e;
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    baseUrl: `http://127.0.0.1:${address.port}`,
    databaseUrl,
    logs,
    close: async () => {
      await app.close();
      await db?.drop();
    },
  };
}

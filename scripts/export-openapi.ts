/**
 * Writes the OpenAPI document to openapi.json at the repository root: `npm run openapi:export`.
 * Needs no database: Nest builds the module graph in preview mode (controllers and providers are
 * registered but never instantiated, so TypeORM never connects), which is all the document needs.
 * test/foundation/openapi-export.e2e-spec.ts fails when the committed file differs from what the
 * running app serves at /api/docs-json.
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../src/app.module';
import { buildOpenApi, setGlobalPrefix } from '../src/app.factory';
import { loadConfig } from '../src/config/app-config';

export const OPENAPI_FILE = path.join(__dirname, '..', 'openapi.json');

/** The file's exact text for a document: two-space JSON and a final newline. */
export function formatOpenApi(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

async function main(): Promise<void> {
  // Any valid configuration: it changes no route. The URL is never dialled in preview mode.
  const config = loadConfig({ JWT_SECRET: 'openapi-export-only-0123456789', PERIOD_CLOSE_CRON: 'off', LOG_LEVEL: 'silent' });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, 'postgres://unused@127.0.0.1:1/unused'), new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  setGlobalPrefix(app);
  fs.writeFileSync(OPENAPI_FILE, formatOpenApi(buildOpenApi(app)));
  process.stdout.write(`wrote ${path.relative(process.cwd(), OPENAPI_FILE) || OPENAPI_FILE}\n`);
  await app.close();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`openapi export failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}

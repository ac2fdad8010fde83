import { randomUUID } from 'node:crypto';
import { DynamicModule, RequestMethod } from '@nestjs/common';
import { LogController } from 'fastify';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { Logger as Pino } from 'pino';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { createValidationPipe } from './common/http/validation';
import { PinoNestLogger, createLogger } from './common/logging/logger';
import { Metrics } from './common/metrics/metrics';

export const API_PREFIX = 'api/v1/billing';
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export interface CreateAppOptions {
  config: AppConfig;
  databaseUrl: string;
  logger?: Pino;
  /** Extra modules (tests mount probe routes with them). */
  imports?: DynamicModule['imports'];
}

/** Builds the OpenAPI document of a created app. */
export function buildOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const doc = new DocumentBuilder()
    .setTitle('Billing Service')
    .setDescription(
      'Meters usage, prices it against plans, runs subscriptions, issues invoices, takes payment through Stripe, ' +
        'enforces quotas, allocates cost to cost centers and shows spend in real time. Every error is RFC 9457 ' +
        'problem+json with a machine `code`. Money is integer minor units (`*Cents`) beside a `currency`.',
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return SwaggerModule.createDocument(app, doc, { operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}` });
}

/** Creates the configured Nest application (not listening yet): used by main.ts and the tests. */
export async function createApp({ config, databaseUrl, logger, imports }: CreateAppOptions): Promise<NestFastifyApplication> {
  const pino = logger ?? createLogger(config.logLevel);
  const adapter = new FastifyAdapter({
    loggerInstance: pino,
    bodyLimit: config.bodyLimit,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Per-request lines only at debug: at ingest rates they would cost more than the work.
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace',
    }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl, imports), adapter, {
    logger: new PinoNestLogger(pino),
    bufferLogs: false,
    // Keeps each JSON body's bytes as request.rawBody (same parser otherwise): the Stripe webhook
    // signature is computed over the raw bytes, not over re-serialized JSON.
    rawBody: true,
  });
  const fastify = app.getHttpAdapter().getInstance();
  app.get(Metrics).instrument(fastify);
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    done(null, payload);
  });
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(createValidationPipe());
  if (config.corsOrigins !== false) app.enableCors({ origin: config.corsOrigins, exposedHeaders: ['x-request-id', 'Retry-After'] });
  const document = buildOpenApi(app);
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs-json',
    swaggerOptions: { persistAuthorization: true },
    customSiteTitle: 'Billing Service API',
  });
  await app.init();
  return app;
}

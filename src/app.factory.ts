import { randomUUID } from 'node:crypto';
import { DynamicModule, RequestMethod } from '@nestjs/common';
import { LogController } from 'fastify';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type pino from 'pino';
import type { Logger as Pino } from 'pino';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { frameworkErrors, registerHostileInputChecks } from './common/http/hostile-input';
import { registerJsonOnly } from './common/http/json-only';
import { documentCommonAnswers } from './common/http/openapi-answers';
import { registerOversizedBodyDrain } from './common/http/oversized-body';
import { STRIPE_WEBHOOK_ROUTE } from './stripe/stripe.controller';
import { registerSecurityHeaders } from './common/http/security-headers';
import { DirectRoutes } from './common/http/direct-routes';
import { AccessGuard, JwtAuthGuard } from './common/auth/guards';
import { RateLimitGuard } from './common/http/rate-limit.guard';
import { ProblemFilter } from './common/errors/problem-filter';
import { hotRoutes } from './hot-routes';
import { registerRespondedHook } from './common/http/responded';
import { createValidationPipe } from './common/http/validation';
import { LazyChildLogger, PinoNestLogger, createLogger } from './common/logging/logger';
import { Metrics } from './common/metrics/metrics';

export const API_PREFIX = 'api/v1/billing';
const DOCS_PATH = 'api/docs';
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export interface CreateAppOptions {
  config: AppConfig;
  databaseUrl: string;
  logger?: Pino;
  /** Extra modules (tests mount probe routes with them). */
  imports?: DynamicModule['imports'];
}

/** Routes served outside API_PREFIX (probes and Prometheus). */
const UNPREFIXED = [
  { path: 'health/live', method: RequestMethod.GET },
  { path: 'health/ready', method: RequestMethod.GET },
  { path: 'metrics', method: RequestMethod.GET },
];

/** Mounts every route under API_PREFIX except the probes and metrics (also used by scripts/export-openapi.ts). */
export function setGlobalPrefix(app: NestFastifyApplication): void {
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED });
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
    // Relative: requests go to the host that serves the document (OpenAPI wants servers non-empty).
    .addServer('/', 'This instance')
    .build();
  const document = SwaggerModule.createDocument(app, doc, {
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
  // Public routes (@Public: health, the Stripe webhook) say so with `security: []` (no requirement);
  // Nest drops an empty list given on a method, so it is written here. Every other route carries
  // bearer security through @Allow (test/foundation/openapi.e2e-spec.ts checks that).
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const) {
      const op = item[method];
      if (op && !op.security) op.security = [];
    }
  }
  documentCommonAnswers(document);
  return document;
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
    // request.log is made on first use (most requests never log through it).
    childLoggerFactory: (logger: unknown, bindings: pino.Bindings, options: pino.ChildLoggerOptions) => new LazyChildLogger(logger as Pino, bindings, options) as unknown as Pino,
    // Per-request lines only at debug: at ingest rates they would cost more than the work.
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace',
    }),
    // Graceful shutdown (SIGTERM): the listener closes and idle keep-alive sockets are closed at
    // once; a request already arriving on an open keep-alive connection is still served (with
    // `Connection: close`), never turned away with a 503, so no client sees a 5xx while an
    // instance drains. Clients whose connection was closed reconnect to another instance.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Malformed URL encoding and over-long path params: problem+json like every other error.
    frameworkErrors,
    // A `__proto__` key (or a `constructor` object) is kept as a plain own key by the parser and
    // refused by the hostile-input check, which names it (400 VALIDATION_FAILED), instead of
    // failing the parse as "not valid JSON".
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    // No Nest middleware is used (hooks and guards do that work), so @fastify/middie, which
    // would otherwise run on every request, is not registered.
    skipMiddie: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl, imports), adapter, {
    logger: new PinoNestLogger(pino),
    bufferLogs: false,
    // Keeps each JSON body's bytes as request.rawBody (same parser otherwise): the Stripe webhook
    // signature is computed over the raw bytes, not over re-serialized JSON.
    rawBody: true,
  });
  const fastify = app.getHttpAdapter().getInstance();
  await registerSecurityHeaders(app, DOCS_PATH);
  registerJsonOnly(fastify, [`/${API_PREFIX}/${STRIPE_WEBHOOK_ROUTE}`]);
  registerHostileInputChecks(fastify);
  registerOversizedBodyDrain(fastify);
  app.get(Metrics).instrument(fastify);
  registerRespondedHook(fastify);
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    done(null, payload);
  });
  setGlobalPrefix(app);
  app.useGlobalPipes(createValidationPipe());
  if (config.corsOrigins !== false) app.enableCors({ origin: config.corsOrigins, exposedHeaders: ['x-request-id', 'Retry-After'] });
  const document = buildOpenApi(app);
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: 'api/docs-json',
    swaggerOptions: { persistAuthorization: true },
    customSiteTitle: 'Billing Service API',
  });
  // The hot routes skip Nest's per-request pipeline, with the same guards, pipes and filter.
  new DirectRoutes(hotRoutes(API_PREFIX), [app.get(JwtAuthGuard), app.get(AccessGuard), app.get(RateLimitGuard)], app.get(ProblemFilter)).register(app, fastify);
  await app.init();
  return app;
}

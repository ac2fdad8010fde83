import { ArgumentMetadata, CanActivate, ExceptionFilter, ForbiddenException, HttpStatus, PipeTransform, Type } from '@nestjs/common';
import { GUARDS_METADATA, HTTP_CODE_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';

/**
 * A hot route answered without Nest's per-request router pipeline. The controller method is
 * called with the values its parameter decorators would give it, read from Nest's own metadata,
 * each through the pipes the decorator names (as `@Param('tenantId', TenantIdPipe)`); `params`
 * restates those decorators, as `@Param('tenantId')` → 'param:tenantId', `@Body()` → 'body',
 * `@Query()` → 'query', so a change of the method's signature stops the start.
 */
export interface DirectRoute<C = any> {
  method: 'GET' | 'POST';
  /** The route's URL as Fastify registers it (global prefix included). */
  url: string;
  controller: Type<C>;
  handler: keyof C & string;
  params: string[];
}

/** One argument of a controller method: where its value comes from and the pipes it goes through. */
interface Argument {
  source: 'param' | 'body' | 'query';
  data: string | undefined;
  pipes: PipeTransform[];
  metadata: ArgumentMetadata;
}

const SOURCES: Record<string, Argument['source']> = { '3': 'body', '4': 'query', '5': 'param' };

/**
 * Runs a few hot routes (single usage event, quota check) without Nest's per-request router
 * pipeline: its guard, pipe and interceptor consumers, execution-context and response
 * controller cost about a third of a quota check's CPU (measured: 174–182 µs against 122–135 µs
 * a request). The Nest route stays registered (OpenAPI, 404/405, CORS, every Fastify hook are
 * unchanged); only its Fastify handler is swapped, through an onRoute hook, for one that does
 * the same steps directly: the app's global guards (the very instances Nest runs, in the same
 * order), the method's parameters with their decorators' pipes (from Nest's metadata), the status Nest would
 * set, and on any error the app's exception filter. Routes with their own guards, interceptors,
 * method-level pipes, custom parameter decorators, pipes that need injection or an @HttpCode
 * cannot be direct (they would be skipped): `assertDirectable` refuses them at start, and a
 * route listed here that Nest never registers stops the start too.
 * `fastify.directRoutes()` lists the routes whose handler was swapped.
 */
export class DirectRoutes {
  private readonly installed = new Set<string>();

  constructor(
    private readonly routes: readonly DirectRoute[],
    private readonly guards: readonly CanActivate[],
    private readonly filter: ExceptionFilter,
  ) {
    for (const route of routes) assertDirectable(route);
  }

  /** Call before app.init(): Nest registers its routes then, and the hook swaps the handlers. */
  register(app: NestFastifyApplication, fastify: FastifyInstance): void {
    const byKey = new Map(this.routes.map((r) => [`${r.method} ${r.url}`, r]));
    fastify.addHook('onRoute', (options: RouteOptions) => {
      const methods = Array.isArray(options.method) ? options.method : [options.method];
      if (methods.length !== 1) return;
      const route = byKey.get(`${methods[0]} ${options.url}`);
      if (!route) return;
      options.handler = this.handlerFor(route, app.get(route.controller, { strict: false }));
      this.installed.add(`${route.method} ${route.url}`);
    });
    fastify.decorate('directRoutes', () => [...this.installed]);
    fastify.addHook('onReady', (done) => {
      const missing = this.routes.filter((r) => !this.installed.has(`${r.method} ${r.url}`));
      done(missing.length === 0 ? undefined : new Error(`direct routes not registered by Nest: ${missing.map((r) => `${r.method} ${r.url}`).join(', ')}`));
    });
  }

  private handlerFor(route: DirectRoute, controller: unknown) {
    const handler = (route.controller.prototype as Record<string, (...args: unknown[]) => unknown>)[route.handler];
    const status = route.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK;
    const { guards, filter } = this;
    const args = argumentsOf(route.controller, route.handler);
    const source = (request: FastifyRequest, a: Argument): unknown =>
      a.source === 'param' ? (request.params as Record<string, string>)[a.data!] : a.source === 'body' ? request.body : request.query;
    return async function directHandler(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
      const ctx = new ExecutionContextHost([request, reply], route.controller, handler);
      ctx.setType('http');
      try {
        for (const guard of guards) {
          const allowed = guard.canActivate(ctx);
          if (!(allowed instanceof Promise ? await allowed : allowed)) throw new ForbiddenException('Forbidden resource');
        }
        const values: unknown[] = [];
        for (const a of args) {
          let value = source(request, a);
          for (const pipe of a.pipes) {
            value = pipe.transform(value, a.metadata);
            // Only an async pipe costs an await (a microtask hop per argument showed on the quota check).
            if (value instanceof Promise) value = await value;
          }
          values.push(value);
        }
        const result = await handler.apply(controller, values);
        void reply.status(status);
        return result;
      } catch (err) {
        filter.catch(err, ctx);
        return reply;
      }
    };
  }
}

type RouteArgs = Record<string, { index: number; data?: string; pipes?: Array<Type<PipeTransform> | PipeTransform> }>;

function routeArgs(controller: Type, handler: string): Array<[string, RouteArgs[string]]> {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler) ?? {}) as RouteArgs;
  return Object.entries(args).sort(([, a], [, b]) => a.index - b.index);
}

/** The parameter decorators of a controller method, in the `params` notation of DirectRoute. */
export function declaredParams(controller: Type, handler: string): string[] {
  return routeArgs(controller, handler).map(([key, a]) => {
    const type = key.split(':')[0];
    const name = SOURCES[type] ?? `custom(${key})`;
    return a.data ? `${name}:${a.data}` : name;
  });
}

/**
 * The method's arguments as a direct handler fills them: source and pipes from the decorators.
 * A pipe is used as given, or made once here when its class takes no constructor argument (one
 * that needs injection would be made by Nest's injector: refused).
 */
function argumentsOf(controller: Type, handler: string): Argument[] {
  const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, handler) ?? []) as Array<Type | undefined>;
  return routeArgs(controller, handler).map(([key, a]) => {
    const source = SOURCES[key.split(':')[0]];
    if (!source) throw new Error(`direct route ${controller.name}.${handler}: parameter ${a.index} has a custom decorator (${key}): it must run through Nest`);
    if (source === 'param' && !a.data) throw new Error(`direct route ${controller.name}.${handler}: @Param() without a name is not supported`);
    const pipes = (a.pipes ?? []).map((p) => {
      if (typeof p !== 'function') return p;
      if (p.length > 0) throw new Error(`direct route ${controller.name}.${handler}: pipe ${p.name} needs injection: it must run through Nest`);
      return new p();
    });
    return { source, data: a.data, pipes, metadata: { type: source === 'param' ? 'param' : source, data: a.data, metatype: types[a.index] } };
  });
}

/** Throws unless Nest would run nothing on this route beyond what a direct handler does. */
export function assertDirectable(route: DirectRoute): void {
  const handler = (route.controller.prototype as Record<string, unknown>)[route.handler];
  if (typeof handler !== 'function') throw new Error(`direct route ${route.url}: ${route.controller.name}.${route.handler} is not a method`);
  const where = `${route.controller.name}.${route.handler}`;
  for (const key of [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA]) {
    const own = [Reflect.getMetadata(key, handler), Reflect.getMetadata(key, route.controller)].flat().filter(Boolean);
    if (own.length > 0) throw new Error(`direct route ${where} declares ${key}: it must run through Nest`);
  }
  if (Reflect.getMetadata(HTTP_CODE_METADATA, handler) !== undefined) throw new Error(`direct route ${where} declares @HttpCode: it must run through Nest`);
  // The global ValidationPipe passes String and Object parameters through untouched; a DTO class
  // would be validated and transformed by it, which a direct handler does not do.
  const types = (Reflect.getMetadata('design:paramtypes', route.controller.prototype, route.handler) ?? []) as unknown[];
  if (types.some((t) => t !== String && t !== Object)) throw new Error(`direct route ${where} takes a DTO class parameter: it must run through Nest`);
  const declared = declaredParams(route.controller, route.handler);
  if (declared.join(',') !== route.params.join(',')) {
    throw new Error(`direct route ${where} takes (${declared.join(', ')}) but its direct route lists (${route.params.join(', ')})`);
  }
  argumentsOf(route.controller, route.handler);
}

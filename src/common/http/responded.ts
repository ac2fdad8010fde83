import type { FastifyInstance } from 'fastify';

/** A handler result whose status depends on what happened (201 created / 200 existing). */
export class Responded<T> {
  constructor(
    readonly status: number,
    readonly body: T,
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * Unwraps Responded results into the reply's status and headers, so controllers never need
 * @Res(). A Fastify hook rather than a Nest interceptor: an interceptor puts an observable chain
 * and async-context bindings on every request of every route.
 */
export function registerRespondedHook(fastify: FastifyInstance): void {
  fastify.addHook('preSerialization', (_request, reply, payload, done) => {
    if (!(payload instanceof Responded)) return done(null, payload);
    void reply.status(payload.status);
    for (const [k, v] of Object.entries(payload.headers)) void reply.header(k, v);
    done(null, payload.body);
  });
}

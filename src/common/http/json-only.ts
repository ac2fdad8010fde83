import type { FastifyInstance } from 'fastify';
import { ProblemError } from '../errors/problem';
import { sendProblem } from '../errors/problem-filter';

/** `application/json`, with no parameter or a UTF-8 charset (JSON is UTF-8: RFC 8259). */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type, ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => p === '' || p === 'charset=utf-8' || p === 'charset="utf-8"');
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (typeof length === 'string' && length !== '0');
}

/**
 * JSON routes take `application/json` and nothing else (CONTRACT.md, Part 2): a body of another
 * media type is 415 UNSUPPORTED_MEDIA_TYPE before anything parses it (Nest registers a form
 * parser, so `metric=…&quantity=1` would otherwise be read as a body). Requests without a body
 * need no content type. `rawRoutes` (the Stripe webhook) take their raw body as sent.
 */
export function registerJsonOnly(fastify: FastifyInstance, rawRoutes: readonly string[]): void {
  const raw = new Set(rawRoutes);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!hasBody(request.headers) || raw.has(request.routeOptions.url ?? '') || isJsonMediaType(request.headers['content-type'])) {
      done();
      return;
    }
    const given = request.headers['content-type'];
    sendProblem(
      reply,
      request,
      new ProblemError('UNSUPPORTED_MEDIA_TYPE', `${given ? `Content type ${given.slice(0, 100)} is not accepted` : 'A body needs a content type'}; send application/json`).toBody(),
    );
  });
}

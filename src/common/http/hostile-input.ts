import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from '../errors/problem-filter';
import { ProblemError } from '../errors/problem';

/**
 * Deepest JSON nesting a request body may have. No DTO of the API nests deeper than a few
 * levels (a Stripe event about eight); the limit exists because class-transformer and
 * class-validator recurse, so a body nested a few thousand levels deep overflowed the stack (500).
 */
export const MAX_JSON_DEPTH = 64;

/** True when `value` nests deeper than `max` (iterative: a hostile body cannot overflow the stack here). */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Refuses bodies nested deeper than MAX_JSON_DEPTH with 400 VALIDATION_FAILED, before any handler sees them. */
export function registerJsonDepthLimit(fastify: FastifyInstance, max = MAX_JSON_DEPTH): void {
  fastify.addHook('preValidation', (request, reply, done) => {
    if (request.body !== null && typeof request.body === 'object' && jsonDepthExceeds(request.body, max)) {
      sendProblem(reply, request, new ProblemError('VALIDATION_FAILED', `The JSON body nests deeper than ${max} levels`, { errors: [{ path: '', message: `nests deeper than ${max} levels` }] }).toBody());
      return;
    }
    done();
  });
}

/**
 * Fastify's router errors (malformed percent-encoding in the URL, a path parameter over
 * maxParamLength) are answered before any hook or Nest filter: without this handler they are
 * plain JSON (400 / 414). Both are a malformed request: 400 VALIDATION_FAILED, as problem+json.
 */
export function frameworkErrors(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  const detail =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path parameter is too long'
      : error.code === 'FST_ERR_BAD_URL'
        ? 'The URL is not validly percent-encoded'
        : 'Malformed request';
  const status = error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 400 : 500;
  const problem = status === 400 ? new ProblemError('VALIDATION_FAILED', detail) : new ProblemError('INTERNAL', 'An unexpected error occurred');
  void reply.header('x-content-type-options', 'nosniff');
  sendProblem(reply, request, problem.toBody());
}

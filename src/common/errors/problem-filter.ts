import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { PROBLEM_CODES, ProblemBody, ProblemCode, ProblemError, problemType } from './problem';

const STATUS_CODES: Record<number, ProblemCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'INVALID_STATE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** Errors that mean the database is unreachable rather than that the request was wrong. */
const UNAVAILABLE_PATTERN =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|timeout exceeded when trying to connect|the database system is (starting up|shutting down|in recovery mode)|terminating connection|Client has encountered a connection error|Connection ended unexpectedly/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code;
  // 57P01 admin shutdown, 57P03 cannot connect now, 08xxx connection exceptions
  if (typeof code === 'string' && (/^08/.test(code) || code === '57P01' || code === '57P03')) return true;
  return UNAVAILABLE_PATTERN.test(err.message);
}

function generic(status: number, detail: string): ProblemBody {
  const code: ProblemCode = STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED');
  return { type: problemType(code), title: PROBLEM_CODES[code][1], status, detail, code };
}

/** Maps anything thrown to an RFC 9457 body; unexpected errors give a bare 500. */
export function toProblem(err: unknown): { body: ProblemBody; unexpected: boolean } {
  if (err instanceof ProblemError) return { body: err.toBody(), unexpected: false };
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    if (typeof response === 'object' && response !== null && 'code' in response && 'type' in response) {
      return { body: response as ProblemBody, unexpected: false };
    }
    const message =
      typeof response === 'string'
        ? response
        : String((response as { message?: unknown }).message ?? err.message);
    return { body: generic(status, message), unexpected: status >= 500 };
  }
  if (isDatabaseUnavailable(err)) {
    return { body: generic(503, 'The database is unavailable; retry shortly'), unexpected: false };
  }
  // Fastify's own errors (body parsing, limits) carry a 4xx statusCode and a FST_ code.
  const fst = err as { statusCode?: number; code?: string; message?: string };
  if (!(err instanceof QueryFailedError) && typeof fst.statusCode === 'number' && fst.statusCode >= 400 && fst.statusCode < 500) {
    const detail =
      fst.statusCode === 413
        ? 'The request body exceeds the size limit'
        : fst.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Unsupported content type; send application/json'
          : `Malformed request: ${String(fst.message ?? '').slice(0, 200)}`;
    return { body: generic(fst.statusCode, detail), unexpected: false };
  }
  return { body: generic(500, 'An unexpected error occurred; it has been logged with the request id'), unexpected: true };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, body: ProblemBody): void {
  const full: ProblemBody = { ...body, instance: request.url.split('?')[0], requestId: String(request.id) };
  if (body.status === 429 && typeof body.retryAfterSeconds === 'number') {
    void reply.header('Retry-After', String(body.retryAfterSeconds));
  }
  void reply.status(body.status).header('content-type', 'application/problem+json; charset=utf-8').send(full);
}

/** The one place every error becomes problem+json; unexpected ones are logged with the request id. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { body, unexpected } = toProblem(err);
    if (unexpected) logUnexpected(this.logger, request, err);
    else if (body.status === 503) this.logger.warn(`${request.id} ${request.method} ${request.url}: ${firstLine(err)}`);
    sendProblem(reply, request, body);
  }
}

export function firstLine(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.split('\n')[0].slice(0, 500);
}

export function logUnexpected(logger: Logger, request: FastifyRequest, err: unknown): void {
  logger.error(`request ${request.id} ${request.method} ${request.url.split('?')[0]} failed: ${firstLine(err)}`);
}

import { createHash } from 'node:crypto';
import {
  CallHandler,
  ExecutionContext,
  HttpException,
  Injectable,
  NestInterceptor,
  applyDecorators,
  UseInterceptors,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { ApiConflictResponse, ApiHeader } from '@nestjs/swagger';
import { Observable, from, lastValueFrom } from 'rxjs';
import { Transactions } from '../database/transactions';
import { ProblemError, ValidationFailed } from '../errors/problem';
import { toProblem } from '../errors/problem-filter';
import type { AuthenticatedRequest } from '../auth/guards';
import { callerScope } from '../auth/principal';
import { ProblemDto } from '../http/problem.dto';
import { Responded } from '../http/responded';
import { stableStringify } from './stable-json';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const TTL_HOURS = 24;

interface StoredKey {
  request_hash: string;
  response_status: number | null;
  response_body: unknown;
}

function requestHash(request: AuthenticatedRequest): string {
  const path = request.url.split('?')[0];
  return createHash('sha256').update(`${request.method} ${path}\n${stableStringify(request.body ?? null)}`).digest('hex');
}

/**
 * Stripe-style Idempotency-Key for money-changing POSTs. The key row, the handler's effects and
 * the stored response share one transaction: a concurrent duplicate blocks on the key's unique
 * index until the first commits, then replays its response, so the work never runs twice; a
 * crash rolls everything back and leaves the key free. A 4xx after validation is stored (the
 * handler's effects rolled back to a savepoint); a validation failure or a 5xx stores nothing.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly transactions: Transactions) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['idempotency-key'];
    if (header === undefined) return next.handle();
    const key = Array.isArray(header) ? header[0] : header;
    if (!KEY_PATTERN.test(key)) {
      throw new ValidationFailed([{ path: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }]);
    }
    if (!request.user) throw new ProblemError('UNAUTHORIZED', 'Authentication required');
    const scope = callerScope(request.user);
    const defaultStatus =
      (Reflect.getMetadata(HTTP_CODE_METADATA, ctx.getHandler()) as number | undefined) ??
      (request.method === 'POST' ? 201 : 200);
    return from(this.execute(scope, key, requestHash(request), defaultStatus, () => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }

  private async execute(scope: string, key: string, hash: string, defaultStatus: number, handler: () => Promise<unknown>): Promise<unknown> {
    // A stored 4xx must commit with its key, so it is returned from the transaction and thrown after.
    const outcome = await this.transactions.run(async (em): Promise<{ result: unknown } | { error: unknown }> => {
      await em.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at < now()', [scope, key]);
      const inserted: unknown[] = await em.query(
        `INSERT INTO idempotency_keys (scope, key, request_hash, expires_at)
         VALUES ($1, $2, $3, now() + interval '${TTL_HOURS} hours')
         ON CONFLICT (scope, key) DO NOTHING RETURNING 1`,
        [scope, key, hash],
      );
      if (inserted.length === 0) return { result: this.replay(await this.load(em, scope, key), hash) };

      await em.query('SAVEPOINT idempotent_handler');
      let status: number;
      let body: unknown;
      let result: unknown;
      try {
        result = await handler();
        status = result instanceof Responded ? result.status : defaultStatus;
        body = result instanceof Responded ? result.body : result;
      } catch (err) {
        const problem = toProblem(err).body;
        const storable = problem.status >= 400 && problem.status < 500 && problem.code !== 'VALIDATION_FAILED';
        if (!storable) throw err;
        await em.query('ROLLBACK TO SAVEPOINT idempotent_handler');
        await this.store(em, scope, key, problem.status, problem);
        return { error: err };
      }
      await this.store(em, scope, key, status, body ?? null);
      return { result };
    });
    if ('error' in outcome) throw outcome.error;
    return outcome.result;
  }

  private async load(em: { query: (sql: string, p: unknown[]) => Promise<StoredKey[]> }, scope: string, key: string): Promise<StoredKey | undefined> {
    const rows = await em.query(
      'SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2',
      [scope, key],
    );
    return rows[0];
  }

  private replay(stored: StoredKey | undefined, hash: string): Responded<unknown> {
    if (!stored || stored.response_status === null) {
      throw new ProblemError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed');
    }
    if (stored.request_hash !== hash) {
      throw new ProblemError('IDEMPOTENCY_CONFLICT', 'This Idempotency-Key was used with a different request');
    }
    if (stored.response_status >= 400) {
      const body = stored.response_body as { detail?: string };
      throw new HttpException(stored.response_body as Record<string, unknown>, stored.response_status, { description: body.detail });
    }
    return new Responded(stored.response_status, stored.response_body, { 'Idempotent-Replayed': 'true' });
  }

  private store(em: { query: (sql: string, p: unknown[]) => Promise<unknown> }, scope: string, key: string, status: number, body: unknown): Promise<unknown> {
    return em.query('UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE scope = $1 AND key = $2', [
      scope,
      key,
      status,
      JSON.stringify(body),
    ]);
  }
}

/** Switches Idempotency-Key support on for a route and documents the header and its conflicts. */
export function Idempotent(): MethodDecorator {
  return applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Replays the stored response for 24 h when the same key is sent again with the same body',
    }),
    ApiConflictResponse({
      description: 'IDEMPOTENCY_CONFLICT (same key, other body) or IDEMPOTENCY_IN_PROGRESS, or a state conflict',
      type: ProblemDto,
    }),
  );
}

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
import { IdempotencyKeysRepository, StoredIdempotencyKey } from './idempotency-keys.repository';
import { stableStringify } from './stable-json';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

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
  constructor(
    private readonly transactions: Transactions,
    private readonly keys: IdempotencyKeysRepository,
  ) {}

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
    const outcome = await this.transactions.run(async (): Promise<{ result: unknown } | { error: unknown }> => {
      if (!(await this.keys.claim(scope, key, hash))) return { result: this.replay(await this.keys.find(scope, key), hash) };

      await this.keys.beginHandler();
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
        await this.keys.undoHandler();
        await this.keys.storeResponse(scope, key, problem.status, problem);
        return { error: err };
      }
      await this.keys.storeResponse(scope, key, status, body ?? null);
      return { result };
    });
    if ('error' in outcome) throw outcome.error;
    return outcome.result;
  }

  private replay(stored: StoredIdempotencyKey | undefined, hash: string): Responded<unknown> {
    if (!stored || stored.responseStatus === null) {
      throw new ProblemError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed');
    }
    if (stored.requestHash !== hash) {
      throw new ProblemError('IDEMPOTENCY_CONFLICT', 'This Idempotency-Key was used with a different request');
    }
    if (stored.responseStatus >= 400) {
      const body = stored.responseBody as { detail?: string };
      throw new HttpException(stored.responseBody as Record<string, unknown>, stored.responseStatus, { description: body.detail });
    }
    return new Responded(stored.responseStatus, stored.responseBody, { 'Idempotent-Replayed': 'true' });
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

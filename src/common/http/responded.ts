import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Observable, map } from 'rxjs';

/** A handler result whose status depends on what happened (201 created / 200 existing). */
export class Responded<T> {
  constructor(
    readonly status: number,
    readonly body: T,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** Unwraps Responded results into the reply's status and headers, so controllers never need @Res(). */
@Injectable()
export class RespondedInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((result) => {
        if (!(result instanceof Responded)) return result;
        const reply = ctx.switchToHttp().getResponse<FastifyReply>();
        void reply.status(result.status);
        for (const [k, v] of Object.entries(result.headers)) void reply.header(k, v);
        return result.body;
      }),
    );
  }
}

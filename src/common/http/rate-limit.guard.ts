import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/app-config';
import { IS_PUBLIC } from '../auth/access.decorator';
import type { AuthenticatedRequest } from '../auth/guards';
import { callerScope } from '../auth/principal';
import { ProblemError } from '../errors/problem';

interface Bucket {
  tokens: number;
  /** ms timestamp of the last refill. */
  at: number;
}

/** Above this many buckets, full (idle) ones are swept so memory follows the active callers. */
const SWEEP_ABOVE = 10_000;

/**
 * A token bucket per key: `capacity` requests at once, refilled continuously at capacity per
 * minute. In memory, so the limit holds per instance (N instances allow up to N × the limit).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = capacity / 60_000;
  }

  /** Takes one token; answers 0 when taken, else the whole seconds until one is available. */
  take(key: string): number {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= SWEEP_ABOVE) this.sweep(now);
      bucket = { tokens: this.capacity, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.perMs);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.perMs >= this.capacity) this.buckets.delete(key);
    }
  }
}

/**
 * Per-caller rate limit (RATE_LIMIT_PER_MINUTE, 0 = off), keyed by the verified principal: its
 * tenant, or its `sub` for platform callers. Registered after JwtAuthGuard and AccessGuard, so
 * only authenticated, authorized requests count; public routes are never limited, and callers
 * with the `service` role are exempt unless RATE_LIMIT_SERVICE_EXEMPT=false. Over the limit:
 * 429 RATE_LIMITED with Retry-After (seconds).
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly buckets: TokenBuckets | null;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.buckets = config.rateLimit.perMinute > 0 ? new TokenBuckets(config.rateLimit.perMinute) : null;
  }

  canActivate(ctx: ExecutionContext): boolean {
    if (!this.buckets) return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()]) === true) return true;
    const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().user;
    if (!principal) return true; // AccessGuard has refused already; nothing to count
    if (this.config.rateLimit.serviceExempt && principal.roles.includes('service')) return true;
    const retryAfterSeconds = this.buckets.take(callerScope(principal));
    if (retryAfterSeconds > 0) {
      throw new ProblemError(
        'RATE_LIMITED',
        `Rate limit of ${this.buckets.capacity} requests per minute exceeded; retry in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    }
    return true;
  }
}

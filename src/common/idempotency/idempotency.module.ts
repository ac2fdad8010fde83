import { Global, Injectable, Logger, Module } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/** Expired keys are ignored when met; this sweep only keeps the table small. */
@Injectable()
export class IdempotencySweeper {
  private readonly logger = new Logger(IdempotencySweeper.name);

  constructor(private readonly keys: IdempotencyKeysRepository) {}

  @Interval(60 * 60 * 1000)
  async sweep(): Promise<void> {
    try {
      await this.keys.sweepExpired();
    } catch (e) {
      this.logger.warn(`idempotency sweep failed: ${(e as Error).message}`);
    }
  }
}

@Global()
@Module({ providers: [IdempotencyInterceptor, IdempotencyKeysRepository, IdempotencySweeper], exports: [IdempotencyInterceptor, IdempotencyKeysRepository] })
export class IdempotencyModule {}

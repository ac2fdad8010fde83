import { Global, Injectable, Logger, Module } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/** Expired keys are ignored when met; this sweep only keeps the table small. */
@Injectable()
export class IdempotencySweeper {
  private readonly logger = new Logger(IdempotencySweeper.name);

  constructor(private readonly dataSource: DataSource) {}

  @Interval(60 * 60 * 1000)
  async sweep(): Promise<void> {
    try {
      await this.dataSource.query('DELETE FROM idempotency_keys WHERE expires_at < now()');
    } catch (e) {
      this.logger.warn(`idempotency sweep failed: ${(e as Error).message}`);
    }
  }
}

@Global()
@Module({ providers: [IdempotencyInterceptor, IdempotencySweeper], exports: [IdempotencyInterceptor] })
export class IdempotencyModule {}

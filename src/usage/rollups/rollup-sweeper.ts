import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { MINUTE_ROLLUP_SWEEP_AFTER_MS } from './window-segments';

const CHUNK = 10_000;

/**
 * Deletes minute rollups older than 72 hours, in small chunks so ingest never waits long on
 * them. Reads use minute rows only within 48 hours (`minuteHorizon`), so a sweep running on any
 * instance never takes rows a read still counts on.
 */
@Injectable()
export class RollupSweeper {
  private readonly logger = new Logger(RollupSweeper.name);

  constructor(private readonly dataSource: DataSource) {}

  @Interval(15 * 60 * 1000)
  async sweepOnSchedule(): Promise<void> {
    try {
      await this.sweep();
    } catch (e) {
      this.logger.warn(`minute rollup sweep failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  /** Returns how many rows were deleted. */
  async sweep(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - MINUTE_ROLLUP_SWEEP_AFTER_MS);
    let deleted = 0;
    for (const table of ['usage_rollup_totals', 'usage_unique_values']) {
      for (;;) {
        const [, n]: [unknown, number] = await this.dataSource.query(
          `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE granularity = 'i' AND bucket_start < $1 LIMIT ${CHUNK}))`,
          [before],
        );
        deleted += n;
        if (n < CHUNK) break;
      }
    }
    return deleted;
  }
}

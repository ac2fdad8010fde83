import { Module } from '@nestjs/common';
import { UsageReader } from './usage-reader';

/** Reading usage windows, shared by usage summaries, quotas, billing and real-time cost. */
@Module({ providers: [UsageReader], exports: [UsageReader] })
export class UsageReaderModule {}

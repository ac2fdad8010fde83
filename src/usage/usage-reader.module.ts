import { Module } from '@nestjs/common';
import { UsageEventsRepository } from './usage-events.repository';
import { UsageReader } from './usage-reader';
import { UsageTimelineReader } from './usage-timeline.reader';

/**
 * Reading usage: windows (UsageReader), timelines (UsageTimelineReader) and events
 * (UsageEventsRepository), shared by usage summaries, quotas, billing and real-time cost. The
 * usage tables are read only through these.
 */
@Module({ providers: [UsageReader, UsageTimelineReader, UsageEventsRepository], exports: [UsageReader, UsageTimelineReader, UsageEventsRepository] })
export class UsageReaderModule {}

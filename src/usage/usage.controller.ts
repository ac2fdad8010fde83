import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CatalogService } from '../catalog/catalog.service';
import { Access, Allow } from '../common/auth/access.decorator';
import { ApiProblems } from '../common/http/api-problems';
import { Responded } from '../common/http/responded';
import { TenantIdPipe } from '../common/http/tenant-param';
import {
  RecordUsageBatchDto,
  RecordUsageDto,
  UsageBatchResultDto,
  UsageEventDto,
  UsageSummaryDto,
  UsageSummaryQuery,
} from './dto/usage.dto';
import { parseUsageBatch, parseUsageEvent } from './usage-event.schema';
import { UsageService } from './usage.service';

@ApiTags('usage')
@ApiParam({ name: 'tenantId', example: 't1' })
@Controller('tenants/:tenantId/usage')
export class UsageController {
  private readonly lookupMetric = (key: string) => this.catalog.metric(key);

  constructor(
    private readonly usage: UsageService,
    private readonly catalog: CatalogService,
  ) {}

  @Post()
  @Allow(Access.usage)
  @ApiOperation({
    summary: 'Record usage event',
    description:
      'Stored exactly once per (tenantId, eventId): 201 means committed (durable); a repeated eventId answers 200 with duplicate: true. ' +
      'Never refused because of a quota: the answer carries the quota state of the metric.',
  })
  @ApiBody({ type: RecordUsageDto })
  @ApiCreatedResponse({ type: UsageEventDto, description: 'Recorded now' })
  @ApiOkResponse({ type: UsageEventDto, description: 'Already recorded (duplicate: true); nothing counted again' })
  @ApiProblems(400, [422, ['UNKNOWN_METRIC', 'UNKNOWN_COST_CENTER']], [503, ['UNAVAILABLE']])
  record(@Param('tenantId', TenantIdPipe) tenantId: string, @Body() body: unknown): Promise<Responded<UsageEventDto>> {
    return this.usage.record(tenantId, parseUsageEvent(body, this.lookupMetric));
  }

  @Post('batch')
  @HttpCode(200)
  @Allow(Access.usage)
  @ApiOperation({
    summary: 'Record batch usage events',
    description: '1 to 1,000 events, all stored in one transaction or none: any invalid event rejects the batch with per-index errors (events[3].quantity).',
  })
  @ApiBody({ type: RecordUsageBatchDto })
  @ApiOkResponse({ type: UsageBatchResultDto })
  @ApiProblems(400, [422, ['UNKNOWN_METRIC', 'UNKNOWN_COST_CENTER']], [503, ['UNAVAILABLE']])
  recordBatch(@Param('tenantId', TenantIdPipe) tenantId: string, @Body() body: unknown): Promise<UsageBatchResultDto> {
    return this.usage.recordBatch(tenantId, parseUsageBatch(body, this.lookupMetric));
  }

  @Get('summary')
  @Allow(Access.read)
  @ApiOperation({
    summary: 'Get usage summary',
    description: "Each metric's aggregation over [from, to), grouped by metric, resource, cost center or UTC day; read from exact rollups.",
  })
  @ApiOkResponse({ type: UsageSummaryDto })
  @ApiProblems(400)
  summary(@Param('tenantId', TenantIdPipe) tenantId: string, @Query() query: UsageSummaryQuery): Promise<UsageSummaryDto> {
    return this.usage.summary(tenantId, query);
  }
}

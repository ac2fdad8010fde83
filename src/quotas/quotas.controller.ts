import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Access, Allow } from '../common/auth/access.decorator';
import { CurrentPrincipal } from '../common/auth/current-principal.decorator';
import type { Principal } from '../common/auth/principal';
import { ApiProblems } from '../common/http/api-problems';
import { UuidParamPipe } from '../common/http/id-param';
import { TenantIdPipe } from '../common/http/tenant-param';
import { Dec } from '../common/money/decimal';
import { pageLimit } from '../common/pagination/pagination';
import { CreateQuotaDto, QuotaCheckDto, QuotaDto, QuotaListQuery, QuotaPageDto, UpdateQuotaDto, parseQuotaCheckQuery } from './dto/quota.dto';
import { QuotasService } from './quotas.service';

@ApiTags('quotas')
@Controller('quotas')
export class QuotasController {
  constructor(private readonly quotas: QuotasService) {}

  @Post()
  @Allow(Access.tenantWrite)
  @ApiOperation({ summary: 'Create quota', description: 'A limit on a metric per day, UTC month or billing period; hard or soft.' })
  @ApiCreatedResponse({ type: QuotaDto })
  @ApiProblems(400, [422, ['UNKNOWN_METRIC', 'UNKNOWN_COST_CENTER']])
  create(@Body() dto: CreateQuotaDto): Promise<QuotaDto> {
    return this.quotas.create(dto);
  }

  @Get('tenants/:tenantId')
  @Allow(Access.read)
  @ApiOperation({ summary: 'List tenant quotas', description: 'Oldest first.' })
  @ApiParam({ name: 'tenantId', example: 't1' })
  @ApiOkResponse({ type: QuotaPageDto })
  @ApiProblems([400, ['VALIDATION_FAILED']])
  list(@Param('tenantId', TenantIdPipe) tenantId: string, @Query() query: QuotaListQuery): Promise<QuotaPageDto> {
    return this.quotas.list(tenantId, query.cursor, pageLimit(query));
  }

  @Get('tenants/:tenantId/check')
  @Allow(Access.read)
  @ApiOperation({
    summary: 'Check quota utilization',
    description: 'Every quota of the metric with its usage in the current period, from rollups current to the last committed event. ' +
      'allowed is false only when a hard quota would be exceeded by quantity.',
  })
  @ApiParam({ name: 'tenantId', example: 't1' })
  @ApiQuery({ name: 'metric', required: true, example: 'compute.cpu_hours' })
  @ApiQuery({
    name: 'quantity',
    required: false,
    example: '10',
    description: 'Usage about to be recorded (for count metrics: a number of events; for unique_count: new distinct values). Default 0.',
  })
  @ApiOkResponse({ type: QuotaCheckDto })
  @ApiProblems([400, ['VALIDATION_FAILED']], [422, ['UNKNOWN_METRIC']])
  check(@Param('tenantId', TenantIdPipe) tenantId: string, @Query() query: unknown): Promise<QuotaCheckDto> {
    const { metric, quantity } = parseQuotaCheckQuery(query);
    return this.quotas.check(tenantId, metric, new Dec(quantity));
  }

  @Put(':quotaId')
  @Allow(Access.tenantWrite)
  @ApiOperation({ summary: 'Update quota', description: 'Partial update of limit, period, enforcement and costCenterId; tenantId and metric are immutable (400).' })
  @ApiParam({ name: 'quotaId', format: 'uuid' })
  @ApiOkResponse({ type: QuotaDto })
  @ApiProblems(400, [404, ['NOT_FOUND']], [422, ['UNKNOWN_COST_CENTER']])
  update(@CurrentPrincipal() principal: Principal, @Param('quotaId', new UuidParamPipe('Quota')) id: string, @Body() dto: UpdateQuotaDto): Promise<QuotaDto> {
    return this.quotas.update(principal, id, dto as UpdateQuotaDto & Record<string, unknown>);
  }

  @Delete(':quotaId')
  @HttpCode(204)
  @Allow(Access.tenantWrite)
  @ApiOperation({ summary: 'Delete quota' })
  @ApiParam({ name: 'quotaId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems([404, ['NOT_FOUND']])
  async delete(@CurrentPrincipal() principal: Principal, @Param('quotaId', new UuidParamPipe('Quota')) id: string): Promise<void> {
    await this.quotas.delete(principal, id);
  }
}

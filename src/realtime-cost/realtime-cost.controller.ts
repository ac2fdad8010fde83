import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Access, Allow } from '../common/auth/access.decorator';
import { CurrentPrincipal } from '../common/auth/current-principal.decorator';
import type { Principal } from '../common/auth/principal';
import { ApiProblems } from '../common/http/api-problems';
import { EmptyBodyPipe } from '../common/http/empty-body';
import { UuidParamPipe } from '../common/http/id-param';
import { TenantIdPipe } from '../common/http/tenant-param';
import { Page, PageQuery, pageLimit } from '../common/pagination/pagination';
import { CostAlertsService } from './alerts/cost-alerts.service';
import { CostAlertDto, CostAlertPageDto, CreateCostAlertDto } from './dto/cost-alert.dto';
import { CostByResourceDto, CurrentCostDto, TimelineDto, TimelineQuery, WindowQuery } from './dto/realtime-cost.dto';
import { RealtimeCostService } from './realtime-cost.service';

const TenantParam = () => ApiParam({ name: 'tenantId', example: 't1' });
const alertId = new UuidParamPipe('Cost alert');

@ApiTags('realtime-cost')
@Controller('realtime-cost')
export class RealtimeCostController {
  constructor(
    private readonly realtime: RealtimeCostService,
    private readonly alerts: CostAlertsService,
  ) {}

  @Get('tenants/:tenantId/current')
  @Allow(Access.read)
  @TenantParam()
  @ApiOperation({
    summary: 'Current costs',
    description:
      "The live subscription's current period so far, priced by the invoice engine (allowances and tiers, before discount and tax): " +
      'baseFeeCents is the base fee with its prorations, usageCents the usage and late-usage lines, and accruedCents their sum, ' +
      "equal to the billing preview's subtotalCents. Read straight from the exact rollups: an event is reflected as soon as its 201 is answered.",
  })
  @ApiOkResponse({ type: CurrentCostDto })
  @ApiProblems([400, ['VALIDATION_FAILED'], 'Malformed tenantId'], [409, ['NO_LIVE_SUBSCRIPTION']])
  current(@Param('tenantId', TenantIdPipe) tenantId: string): Promise<CurrentCostDto> {
    return this.realtime.current(tenantId);
  }

  @Get('tenants/:tenantId/by-resource')
  @Allow(Access.read)
  @TenantParam()
  @ApiOperation({
    summary: 'Cost by resource',
    description:
      'Usage cost attributed to each resource and cost center over [from, to) (default: the current period), with its usage. ' +
      "Each charge's cost (one rounded invoice line) is shared pro rata by the resources' quantities, so a tiered charge is " +
      "shared at its average price; for max, latest and unique_count metrics each resource's own aggregate is the weight. " +
      'Rounding remainders go by largest remainder, so the parts add up exactly: over the current period data[].costCents ' +
      'sum to current.usageCents (late usage of earlier periods is attributed to the resources of the late events). ' +
      'Another window is priced as one billing period over that window with the current plan.',
  })
  @ApiOkResponse({ type: CostByResourceDto })
  @ApiProblems([400, ['VALIDATION_FAILED'], 'Bad from/to (to must be after from, at most 5 years)'], [409, ['NO_LIVE_SUBSCRIPTION']])
  byResource(@Param('tenantId', TenantIdPipe) tenantId: string, @Query() query: WindowQuery): Promise<CostByResourceDto> {
    return this.realtime.byResource(tenantId, query);
  }

  @Get('tenants/:tenantId/timeline')
  @Allow(Access.read)
  @TenantParam()
  @ApiOperation({
    summary: 'Cost timeline',
    description:
      'Usage cost (no base fee) per UTC hour or day of [from, to) (default: the current period, by day). Tiers and allowances ' +
      'make cost non-additive, so cumulativeCents at each bucket is the price of all usage from `from` to the bucket end ' +
      '(priced as one invoice would) and costCents the difference from the previous bucket. Over the current period the last ' +
      'cumulativeCents equals current.usageCents (late usage of earlier periods counts in the first bucket).',
  })
  @ApiOkResponse({ type: TimelineDto })
  @ApiProblems([400, ['VALIDATION_FAILED'], 'Bad from/to/granularity, or more than 10000 buckets'], [409, ['NO_LIVE_SUBSCRIPTION']])
  timeline(@Param('tenantId', TenantIdPipe) tenantId: string, @Query() query: TimelineQuery): Promise<TimelineDto> {
    return this.realtime.timeline(tenantId, query);
  }

  @Post('tenants/:tenantId/alerts')
  @Allow(Access.tenantWrite)
  @TenantParam()
  @ApiOperation({
    summary: 'Configure alert',
    description:
      'A spend, budget_percent or forecast alert. Alerts are evaluated continuously in the background (within 5 s of the usage ' +
      'that crosses them); a trigger happens once per billing period, is logged, counted (cost_alerts_triggered_total) and, ' +
      'with a webhookUrl, POSTed as `cost_alert.triggered` signed with WEBHOOK_SIGNING_SECRET (header Billing-Signature: ' +
      't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">), retried with exponential backoff (1 s doubling to 60 s) for 15 minutes.',
  })
  @ApiCreatedResponse({ type: CostAlertDto })
  @ApiProblems(
    [400, ['VALIDATION_FAILED'], 'Malformed body, unknown field, or fields that do not fit the type'],
    [422, ['UNKNOWN_METRIC', 'UNKNOWN_COST_CENTER', 'UNPROCESSABLE'], 'Unknown metric or cost center; a budget_percent cost center without budget; a webhookUrl that is not http(s) or points at a private address'],
  )
  createAlert(@Param('tenantId', TenantIdPipe) tenantId: string, @Body() body: CreateCostAlertDto): Promise<CostAlertDto> {
    return this.alerts.create(tenantId, body);
  }

  @Get('tenants/:tenantId/alerts')
  @Allow(Access.read)
  @TenantParam()
  @ApiOperation({ summary: 'List alerts', description: 'Oldest first, with each alert’s status in the current period and its last webhook delivery.' })
  @ApiOkResponse({ type: CostAlertPageDto })
  @ApiProblems([400, ['VALIDATION_FAILED'], 'Bad tenantId, limit or cursor'])
  listAlerts(@Param('tenantId', TenantIdPipe) tenantId: string, @Query() query: PageQuery): Promise<Page<CostAlertDto>> {
    return this.alerts.list(tenantId, { limit: pageLimit(query), cursor: query.cursor });
  }

  @Post('alerts/:alertId/dismiss')
  @HttpCode(200)
  @Allow(Access.tenantWrite)
  @ApiParam({ name: 'alertId', format: 'uuid', description: 'A malformed id is 404' })
  @ApiOperation({
    summary: 'Dismiss alert',
    description: 'Silences the alert until the next billing period (status dismissed); it is armed again when the period changes. Another tenant’s alert is 404.',
  })
  @ApiOkResponse({ type: CostAlertDto })
  @ApiProblems([400, ['VALIDATION_FAILED'], 'A body that is not empty'], [404, ['NOT_FOUND'], 'No such alert for this caller'])
  dismiss(
    @Param('alertId', alertId) id: string,
    @Body(EmptyBodyPipe) _body: Record<string, never>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CostAlertDto> {
    return this.alerts.dismiss(principal, id);
  }
}

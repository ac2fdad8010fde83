import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Access, Allow } from '../common/auth/access.decorator';
import { CurrentPrincipal } from '../common/auth/current-principal.decorator';
import type { Principal } from '../common/auth/principal';
import { ApiProblems } from '../common/http/api-problems';
import { EmptyBodyPipe } from '../common/http/empty-body';
import { UuidParamPipe } from '../common/http/id-param';
import { TenantIdPipe } from '../common/http/tenant-param';
import { Idempotent } from '../common/idempotency/idempotency.interceptor';
import { PageQuery, pageLimit } from '../common/pagination/pagination';
import {
  AddCreditsDto,
  ApplyDiscountDto,
  CancelDto,
  ChangePlanDto,
  CreateSubscriptionDto,
  CreditGrantDto,
  DiscountResultDto,
  PauseDto,
  SubscriptionDto,
  SubscriptionPageDto,
} from './dto/subscription.dto';
import { SubscriptionsService } from './subscriptions.service';

const SubscriptionId = () => Param('subscriptionId', new UuidParamPipe('Subscription'));
const STATE_CONFLICT: [number, string[], string] = [409, ['INVALID_STATE', 'IDEMPOTENCY_CONFLICT', 'IDEMPOTENCY_IN_PROGRESS'], 'Not allowed from the current status'];

@ApiTags('subscriptions')
@Controller()
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Get('tenants/:tenantId/subscription')
  @Allow(Access.read)
  @ApiOperation({ summary: 'Get active subscription', description: "The tenant's live (not canceled) subscription; 404 when there is none." })
  @ApiParam({ name: 'tenantId', example: 't1' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiProblems([404, ['NOT_FOUND']])
  live(@Param('tenantId', TenantIdPipe) tenantId: string): Promise<SubscriptionDto> {
    return this.subscriptions.live(tenantId);
  }

  @Get('tenants/:tenantId/subscriptions')
  @Allow(Access.read)
  @ApiOperation({ summary: 'List all subscriptions', description: 'Newest first, canceled ones included.' })
  @ApiParam({ name: 'tenantId', example: 't1' })
  @ApiOkResponse({ type: SubscriptionPageDto })
  @ApiProblems([400, ['VALIDATION_FAILED']])
  list(@Param('tenantId', TenantIdPipe) tenantId: string, @Query() query: PageQuery): Promise<SubscriptionPageDto> {
    return this.subscriptions.list(tenantId, query.cursor, pageLimit(query));
  }

  @Post('tenants/:tenantId/subscriptions')
  @Allow(Access.tenantWrite)
  @Idempotent()
  @ApiOperation({
    summary: 'Create subscription',
    description: 'Trial first when the plan has trial days; periods anchored on the start (month-end clamped). A start in the past is allowed: ended periods are invoiced by period close.',
  })
  @ApiParam({ name: 'tenantId', example: 't1' })
  @ApiCreatedResponse({ type: SubscriptionDto })
  @ApiProblems(400, [409, ['SUBSCRIPTION_EXISTS', 'COUPON_EXHAUSTED', 'ALREADY_REDEEMED', 'INVALID_STATE', 'IDEMPOTENCY_CONFLICT']], [422, ['UNKNOWN_PLAN', 'PLAN_INACTIVE', 'UNKNOWN_COST_CENTER', 'CURRENCY_MISMATCH']])
  create(@Param('tenantId', TenantIdPipe) tenantId: string, @Body() dto: CreateSubscriptionDto): Promise<SubscriptionDto> {
    return this.subscriptions.create(tenantId, dto);
  }

  @Post('subscriptions/:subscriptionId/change-plan')
  @HttpCode(200)
  @Allow(Access.tenantWrite)
  @Idempotent()
  @ApiOperation({
    summary: 'Change plan',
    description:
      'immediately: prorated by the second (a credit line for the unused old base fee and a charge for the rest of the period on the new, pending for the next invoice); ' +
      'a new interval restarts the period at the change. period_end: scheduled, shown as pendingChange.',
  })
  @ApiParam({ name: 'subscriptionId', format: 'uuid' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiProblems(400, [404, ['NOT_FOUND']], STATE_CONFLICT, [422, ['UNKNOWN_PLAN', 'PLAN_INACTIVE', 'CURRENCY_MISMATCH']])
  changePlan(@CurrentPrincipal() p: Principal, @SubscriptionId() id: string, @Body() dto: ChangePlanDto): Promise<SubscriptionDto> {
    return this.subscriptions.changePlan(p, id, dto);
  }

  @Post('subscriptions/:subscriptionId/cancel')
  @HttpCode(200)
  @Allow(Access.tenantWrite)
  @Idempotent()
  @ApiOperation({ summary: 'Cancel subscription', description: 'At period end (default; reactivate undoes it) or now: the period ends now and what is owed up to now is invoiced.' })
  @ApiParam({ name: 'subscriptionId', format: 'uuid' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiProblems(400, [404, ['NOT_FOUND']], STATE_CONFLICT)
  cancel(@CurrentPrincipal() p: Principal, @SubscriptionId() id: string, @Body() dto: CancelDto): Promise<SubscriptionDto> {
    return this.subscriptions.cancel(p, id, dto.atPeriodEnd ?? true);
  }

  @Post('subscriptions/:subscriptionId/reactivate')
  @HttpCode(200)
  @Allow(Access.tenantWrite)
  @Idempotent()
  @ApiOperation({ summary: 'Reactivate', description: 'Undoes a pending cancel, or restarts a canceled subscription on its plan.' })
  @ApiParam({ name: 'subscriptionId', format: 'uuid' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiProblems(400, [404, ['NOT_FOUND']], [409, ['INVALID_STATE', 'SUBSCRIPTION_EXISTS', 'IDEMPOTENCY_CONFLICT']], [422, ['PLAN_INACTIVE']])
  reactivate(@CurrentPrincipal() p: Principal, @SubscriptionId() id: string, @Body(EmptyBodyPipe) _body: unknown): Promise<SubscriptionDto> {
    return this.subscriptions.reactivate(p, id);
  }

  @Post('subscriptions/:subscriptionId/pause')
  @HttpCode(200)
  @Allow(Access.tenantWrite)
  @Idempotent()
  @ApiOperation({ summary: 'Pause subscription', description: 'Stops base-fee accrual (prorated by the second); usage is still recorded and billed. Optional automatic resume.' })
  @ApiParam({ name: 'subscriptionId', format: 'uuid' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiProblems(400, [404, ['NOT_FOUND']], STATE_CONFLICT)
  pause(@CurrentPrincipal() p: Principal, @SubscriptionId() id: string, @Body() dto: PauseDto): Promise<SubscriptionDto> {
    return this.subscriptions.pause(p, id, dto);
  }

  @Post('subscriptions/:subscriptionId/resume')
  @HttpCode(200)
  @Allow(Access.tenantWrite)
  @Idempotent()
  @ApiOperation({ summary: 'Resume subscription', description: 'Restarts base-fee accrual now.' })
  @ApiParam({ name: 'subscriptionId', format: 'uuid' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiProblems(400, [404, ['NOT_FOUND']], STATE_CONFLICT)
  resume(@CurrentPrincipal() p: Principal, @SubscriptionId() id: string, @Body(EmptyBodyPipe) _body: unknown): Promise<SubscriptionDto> {
    return this.subscriptions.resume(p, id);
  }

  @Post('subscriptions/:subscriptionId/discount')
  @HttpCode(200)
  @Allow(Access.tenantWrite)
  @Idempotent()
  @ApiOperation({
    summary: 'Apply discount',
    description: 'A coupon code, or ad-hoc percentOff | amountOffCents with a duration (once, repeating N periods, forever). One at a time: a new one replaces the old (replacedDiscount).',
  })
  @ApiParam({ name: 'subscriptionId', format: 'uuid' })
  @ApiOkResponse({ type: DiscountResultDto })
  @ApiProblems(400, [404, ['NOT_FOUND']], [409, ['INVALID_STATE', 'COUPON_EXHAUSTED', 'ALREADY_REDEEMED', 'IDEMPOTENCY_CONFLICT']], [422, ['CURRENCY_MISMATCH']])
  discount(@CurrentPrincipal() p: Principal, @SubscriptionId() id: string, @Body() dto: ApplyDiscountDto): Promise<DiscountResultDto> {
    return this.subscriptions.applyDiscount(p, id, dto);
  }

  @Post('subscriptions/:subscriptionId/credits')
  @Allow(Access.tenantWrite)
  @Idempotent()
  @ApiOperation({ summary: 'Add credits', description: 'A grant in the credit ledger (append-only); invoices draw from it at finalize, soonest-expiring first.' })
  @ApiParam({ name: 'subscriptionId', format: 'uuid' })
  @ApiCreatedResponse({ type: CreditGrantDto })
  @ApiProblems(400, [404, ['NOT_FOUND']], STATE_CONFLICT)
  credits(@CurrentPrincipal() p: Principal, @SubscriptionId() id: string, @Body() dto: AddCreditsDto): Promise<CreditGrantDto> {
    return this.subscriptions.addCredits(p, id, dto);
  }
}

import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Access, Allow } from '../common/auth/access.decorator';
import { ApiProblems } from '../common/http/api-problems';
import { UuidParamPipe } from '../common/http/id-param';
import { Idempotent } from '../common/idempotency/idempotency.interceptor';
import { Page, pageLimit } from '../common/pagination/pagination';
import { CouponsService } from './coupons.service';
import { CreateCouponDto, ListCouponsQuery, RedeemCouponDto, ValidateCouponDto } from './dto/coupon-input.dto';
import { CouponDto, CouponPageDto, CouponValidationDto, RedemptionResultDto } from './dto/coupon.dto';

const CouponIdParam = () => ApiParam({ name: 'couponId', format: 'uuid', description: 'A malformed id is 404' });
const couponId = new UuidParamPipe('Coupon');

@ApiTags('coupons')
@Controller('coupons')
export class CouponsController {
  constructor(private readonly coupons: CouponsService) {}

  @Post()
  @Allow(Access.platform)
  @Idempotent()
  @ApiOperation({
    summary: 'Create coupon',
    description:
      'Exactly one of percentOff (0 < p <= 100, up to 4 decimals) and amountOffCents (with its currency). duration once applies ' +
      'to the next finalized invoice, repeating to the next durationInPeriods, forever to every one. Codes are unique ' +
      'case-insensitively. platform-admin only.',
  })
  @ApiCreatedResponse({ type: CouponDto })
  @ApiProblems(
    [400, ['VALIDATION_FAILED'], 'Malformed body, unknown field, both or neither of percentOff and amountOffCents, durationInPeriods without repeating (or the reverse), redeemBy not in the future'],
    [409, ['DUPLICATE_CODE'], 'The code is taken (case-insensitively)'],
    [422, ['UNKNOWN_PLAN', 'CURRENCY_MISMATCH'], 'appliesToPlans names a plan not in the catalog, or a plan in another currency than amountOffCents'],
  )
  create(@Body() body: CreateCouponDto): Promise<CouponDto> {
    return this.coupons.create(body);
  }

  @Get()
  @Allow(Access.platformRead)
  @ApiOperation({ summary: 'List coupons', description: 'Newest first; active=true or active=false keeps only active or deactivated coupons.' })
  @ApiOkResponse({ type: CouponPageDto })
  @ApiProblems([400, ['VALIDATION_FAILED'], 'Bad limit, cursor or active'])
  list(@Query() query: ListCouponsQuery): Promise<Page<CouponDto>> {
    return this.coupons.list({ limit: pageLimit(query), cursor: query.cursor, active: query.active });
  }

  @Post('validate')
  @HttpCode(200)
  @Allow([...Access.tenantWrite, 'service'])
  @ApiOperation({
    summary: 'Validate coupon',
    description:
      'Whether the tenant could redeem the code now (case-insensitive), checked against planId or else the plan of the tenant’s ' +
      'live subscription. Changes nothing. reason is the first that holds: NOT_FOUND, INACTIVE, EXPIRED, EXHAUSTED, ' +
      'ALREADY_REDEEMED, NOT_APPLICABLE.',
  })
  @ApiOkResponse({ type: CouponValidationDto })
  @ApiProblems([400, ['VALIDATION_FAILED'], 'Malformed body or unknown field'], [422, ['UNKNOWN_PLAN'], 'planId is not in the catalog'])
  validate(@Body() body: ValidateCouponDto): Promise<CouponValidationDto> {
    return this.coupons.validate(body);
  }

  @Post('redeem')
  @Allow(Access.tenantWrite)
  @Idempotent()
  @ApiOperation({
    summary: 'Redeem coupon',
    description:
      'Applies the coupon (case-insensitive code) to the tenant’s live subscription as its discount, replacing any discount it ' +
      'had (returned as replacedDiscount). A tenant redeems a coupon once; maxRedemptions holds under any concurrency.',
  })
  @ApiCreatedResponse({ type: RedemptionResultDto })
  @ApiProblems(
    [400, ['VALIDATION_FAILED'], 'Malformed body or unknown field'],
    [404, ['NOT_FOUND'], 'No coupon with this code'],
    [
      409,
      ['INVALID_STATE', 'NO_LIVE_SUBSCRIPTION', 'ALREADY_REDEEMED', 'COUPON_EXHAUSTED'],
      'INVALID_STATE with reason INACTIVE, EXPIRED or NOT_APPLICABLE; no live subscription; already redeemed by this tenant; maxRedemptions reached',
    ],
    [422, ['CURRENCY_MISMATCH'], 'An amount-off coupon in another currency than the subscription (reason NOT_APPLICABLE)'],
  )
  redeem(@Body() body: RedeemCouponDto): Promise<RedemptionResultDto> {
    return this.coupons.redeem(body);
  }

  @Get(':couponId')
  @Allow(Access.platformRead)
  @ApiOperation({ summary: 'Get coupon' })
  @CouponIdParam()
  @ApiOkResponse({ type: CouponDto })
  @ApiProblems([404, ['NOT_FOUND'], 'No such coupon'])
  get(@Param('couponId', couponId) id: string): Promise<CouponDto> {
    return this.coupons.get(id);
  }

  @Post(':couponId/deactivate')
  @HttpCode(200)
  @Allow(Access.platform)
  @Idempotent()
  @ApiOperation({
    summary: 'Deactivate coupon',
    description: 'No new redemptions; discounts already applied run on. Idempotent: deactivating an inactive coupon answers it unchanged. platform-admin only.',
  })
  @CouponIdParam()
  @ApiOkResponse({ type: CouponDto })
  @ApiProblems([404, ['NOT_FOUND'], 'No such coupon'])
  deactivate(@Param('couponId', couponId) id: string): Promise<CouponDto> {
    return this.coupons.deactivate(id);
  }
}

import { ApiProperty } from '@nestjs/swagger';
import { DURATIONS, INELIGIBILITY_REASONS, IneligibilityReason } from '../coupon-rules';
import { DiscountDto, SubscriptionDto } from '../../subscriptions/dto/subscription.dto';

export class CouponDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'SAVE10', description: 'As created; matched case-insensitively' }) code: string;
  @ApiProperty({ example: '10% off for 3 months' }) name: string;
  @ApiProperty({ type: String, nullable: true, example: '10', description: 'Decimal string, 0 < p <= 100' }) percentOff: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: null, description: 'Minor units of currency' }) amountOffCents: number | null;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'ISO 4217, with amountOffCents' }) currency: string | null;
  @ApiProperty({ enum: DURATIONS }) duration: string;
  @ApiProperty({ type: 'integer', nullable: true, example: 3, description: 'With duration repeating' }) durationInPeriods: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Unlimited when null' }) maxRedemptions: number | null;
  @ApiProperty({ type: 'integer', example: 0 }) timesRedeemed: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Redeemable before this instant' }) redeemBy: string | null;
  @ApiProperty({ type: [String], nullable: true, description: 'Plans it is restricted to; every plan when null' }) appliesToPlans: string[] | null;
  @ApiProperty({ description: 'false once deactivated: no new redemptions, discounts already applied run on' }) active: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
}

export class CouponPageDto {
  @ApiProperty({ type: [CouponDto] }) data: CouponDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class CouponValidationDto {
  @ApiProperty({ description: 'Whether the tenant could redeem the code now' }) valid: boolean;

  @ApiProperty({
    enum: INELIGIBILITY_REASONS,
    nullable: true,
    description:
      'null when valid; else the first that holds, in this order: NOT_FOUND, INACTIVE, EXPIRED (redeemBy passed), EXHAUSTED ' +
      '(maxRedemptions reached), ALREADY_REDEEMED (by this tenant), NOT_APPLICABLE (plan not in appliesToPlans, or an amount off ' +
      "in another currency than the plan's)",
  })
  reason: IneligibilityReason | null;

  @ApiProperty({ type: CouponDto, nullable: true, description: 'null when NOT_FOUND' }) coupon: CouponDto | null;
}

/** A subscription's discount, as stored on the subscription (one at a time). */
export class RedemptionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) couponId: string;
  @ApiProperty({ example: 't1' }) tenantId: string;
  @ApiProperty({ format: 'uuid' }) subscriptionId: string;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
}

export class RedemptionResultDto {
  @ApiProperty({ type: RedemptionDto }) redemption: RedemptionDto;
  @ApiProperty({ type: SubscriptionDto, description: 'The live subscription after: its discount is the coupon’s' }) subscription: SubscriptionDto;
  @ApiProperty({ type: DiscountDto, nullable: true, description: 'The discount the coupon replaced (one at a time), or null' })
  replacedDiscount: DiscountDto | null;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
} from 'class-validator';
import { TENANT_ID_PATTERN } from '../../common/auth/principal';
import { isKnownCurrency } from '../../common/money/money';
import { PageQuery } from '../../common/pagination/pagination';
import type { DiscountDuration } from '../../subscriptions/domain/discount';
import { COUPON_CODE, DURATIONS, MAX_DURATION_IN_PERIODS } from '../coupon-rules';

const CODE_MESSAGE = 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -';
const TENANT_MESSAGE = 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -';
const PERCENT = /^\d{1,3}(\.\d{1,4})?$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const MAX_PLANS = 100;

const IsCurrency = () =>
  ValidateBy({
    name: 'isCurrency',
    validator: { validate: (v: unknown) => typeof v === 'string' && isKnownCurrency(v), defaultMessage: () => 'must be an ISO 4217 code (USD)' },
  });

export class CreateCouponDto {
  @ApiProperty({ example: 'SAVE10', pattern: COUPON_CODE.source, description: 'Unique, compared case-insensitively (SAVE10 and save10 are the same code)' })
  @IsString()
  @Matches(COUPON_CODE, { message: CODE_MESSAGE })
  code: string;

  @ApiProperty({ example: '10% off for 3 months', minLength: 1, maxLength: 200 })
  @IsString()
  @Matches(/\S/, { message: 'must not be blank' })
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({
    // OpenAPI 3.0: `nullable` needs a `type` beside it, so null is allowed on the string branch.
    oneOf: [{ type: 'string', nullable: true }, { type: 'number' }],
    example: '12.5',
    description: 'Percent off, 0 < p <= 100, up to 4 decimals (number or decimal string). Exactly one of percentOff and amountOffCents.',
  })
  @IsOptional()
  @Type(() => String) // a JSON number becomes its decimal string
  @Matches(PERCENT, { message: 'must be a decimal with at most 3 integer digits and 4 decimals' })
  percentOff?: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 1,
    example: 500,
    description: 'Amount off each invoice in minor units of currency. Exactly one of percentOff and amountOffCents.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  amountOffCents?: number | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'USD', description: 'ISO 4217; required with amountOffCents, refused otherwise' })
  @IsOptional()
  @IsString()
  @IsCurrency()
  currency?: string | null;

  @ApiProperty({ enum: DURATIONS, description: 'once: the next finalized invoice; repeating: the next durationInPeriods; forever' })
  @IsIn(DURATIONS)
  duration: DiscountDuration;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 1, maximum: MAX_DURATION_IN_PERIODS, description: 'Required when duration is repeating, refused otherwise' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_DURATION_IN_PERIODS)
  durationInPeriods?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 1, description: 'How many tenants may redeem it in all; unlimited when null' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2_000_000_000)
  maxRedemptions?: number | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'Redeemable before this instant (must be in the future)' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @Matches(ISO_INSTANT, { message: 'must be an ISO-8601 instant with a zone (2026-01-31T12:00:00Z)' })
  redeemBy?: string | null;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    minItems: 1,
    maxItems: MAX_PLANS,
    example: ['team-monthly', 'team-yearly'],
    description: 'Catalog plan ids the coupon is restricted to (422 UNKNOWN_PLAN for one not in the catalog); every plan when null',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PLANS)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(100, { each: true })
  appliesToPlans?: string[] | null;
}

export class ListCouponsQuery extends PageQuery {
  @ApiPropertyOptional({ type: Boolean, description: 'Only active (true) or only deactivated (false) coupons; both when absent' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  active?: boolean;
}

export class ValidateCouponDto {
  @ApiProperty({ example: 'save10', description: 'Compared case-insensitively' })
  @IsString()
  @Matches(COUPON_CODE, { message: CODE_MESSAGE })
  code: string;

  @ApiProperty({ example: 't1', pattern: TENANT_ID_PATTERN.source })
  @IsString()
  @Matches(TENANT_ID_PATTERN, { message: TENANT_MESSAGE })
  tenantId: string;

  @ApiPropertyOptional({ example: 'team-monthly', description: "The plan to check against; default the tenant's live subscription's plan" })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  planId?: string;
}

export class RedeemCouponDto {
  @ApiProperty({ example: 'save10', description: 'Compared case-insensitively' })
  @IsString()
  @Matches(COUPON_CODE, { message: CODE_MESSAGE })
  code: string;

  @ApiProperty({ example: 't1', pattern: TENANT_ID_PATTERN.source })
  @IsString()
  @Matches(TENANT_ID_PATTERN, { message: TENANT_MESSAGE })
  tenantId: string;
}

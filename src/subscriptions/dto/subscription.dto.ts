import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { STATUSES } from '../domain/subscription-state';

export class PendingChangeDto {
  @ApiProperty({ example: 'business-monthly' }) planId: string;
  @ApiProperty({ type: String, format: 'date-time' }) effectiveAt: string;
}

export class DiscountDto {
  @ApiProperty({ enum: ['coupon', 'ad_hoc'] }) source: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) couponId: string | null;
  @ApiProperty({ type: String, nullable: true }) couponCode: string | null;
  @ApiProperty({ type: String, nullable: true, example: '20', description: 'Percent off (0–100], decimal string' }) percentOff: string | null;
  @ApiProperty({ type: Number, nullable: true, example: 500 }) amountOffCents: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'USD' }) currency: string | null;
  @ApiProperty({ enum: ['once', 'repeating', 'forever'] }) duration: string;
  @ApiProperty({ type: Number, nullable: true }) durationInPeriods: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Finalized invoices it still applies to; null for forever' }) periodsRemaining: number | null;
  @ApiProperty({ type: String, format: 'date-time' }) appliedAt: string;
}

/**
 * A proration line the current period's invoice will carry for an immediate plan change, priced
 * as if the period ran to its end; the invoice prices it again over the window it covers.
 */
export class PendingLineDto {
  @ApiProperty({ enum: ['proration'] }) type: string;
  @ApiProperty() description: string;
  @ApiProperty({ example: -1250 }) amountCents: number;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ type: String, format: 'date-time' }) periodStart: Date;
  @ApiProperty({ type: String, format: 'date-time' }) periodEnd: Date;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Seconds, base price and unrounded amount: enough to recompute the line' })
  computation: Record<string, unknown>;
}

export class SubscriptionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 't1' }) tenantId: string;
  @ApiProperty({ example: 'team-monthly' }) planId: string;
  @ApiProperty({ enum: STATUSES }) status: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ enum: ['month', 'year'] }) interval: string;
  @ApiProperty({ type: String, format: 'date-time' }) startedAt: Date;
  @ApiProperty({ type: String, format: 'date-time' }) currentPeriodStart: Date;
  @ApiProperty({ type: String, format: 'date-time', description: 'Exclusive' }) currentPeriodEnd: Date;
  @ApiProperty({ example: 31, description: 'Day of month periods are anchored on (clamped in short months)' }) anchorDay: number;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) trialEnd: Date | null;
  @ApiProperty() cancelAtPeriodEnd: boolean;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) canceledAt: Date | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) pausedAt: Date | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) resumesAt: Date | null;
  @ApiProperty({ type: PendingChangeDto, nullable: true }) pendingChange: PendingChangeDto | null;
  @ApiProperty({ type: DiscountDto, nullable: true }) discount: DiscountDto | null;
  @ApiProperty({ example: 2500, description: 'Unexpired credit, minor units of currency' }) creditBalanceCents: number;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) costCenterId: string | null;
  @ApiProperty({ type: [PendingLineDto], description: "Proration lines of the current period's immediate plan changes, as the period's invoice would carry them if the period ran to its end" }) pendingLines: PendingLineDto[];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: Date;
}

export class SubscriptionPageDto {
  @ApiProperty({ type: [SubscriptionDto] }) data: SubscriptionDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class DiscountResultDto extends SubscriptionDto {
  @ApiProperty({ type: DiscountDto, nullable: true, description: 'The discount this one replaced (one at a time)' })
  replacedDiscount: DiscountDto | null;
}

export class CreateSubscriptionDto {
  @ApiProperty({ example: 'team-monthly' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  planId: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Default now; may lie in the past (ended periods are then invoiced by period close)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  startDate?: string;

  @ApiPropertyOptional({ description: 'Default true when the plan has trial days' })
  @IsOptional()
  @IsBoolean()
  trial?: boolean;

  @ApiPropertyOptional({ example: 'WELCOME20' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  couponCode?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  costCenterId?: string;
}

export class ChangePlanDto {
  @ApiProperty({ example: 'business-monthly' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  planId: string;

  @ApiProperty({ enum: ['immediately', 'period_end'] })
  @IsIn(['immediately', 'period_end'])
  effective: 'immediately' | 'period_end';

  @ApiPropertyOptional({ default: true, description: 'Immediate changes: prorate the base fee by the second' })
  @IsOptional()
  @IsBoolean()
  prorate?: boolean;
}

export class CancelDto {
  @ApiPropertyOptional({ default: true, description: 'false ends the period now; what is owed up to now is invoiced' })
  @IsOptional()
  @IsBoolean()
  atPeriodEnd?: boolean;
}

export class PauseDto {
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Resume automatically then' })
  @IsOptional()
  @IsISO8601({ strict: true })
  resumesAt?: string;
}

export class ApplyDiscountDto {
  @ApiPropertyOptional({ example: 'WELCOME20', description: 'Redeem a coupon; or give the ad-hoc fields' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  couponCode?: string;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'number' }], example: '20' })
  @IsOptional()
  @Type(() => String)
  @Matches(/^\d{1,3}(\.\d{1,4})?$/, { message: 'must be a percentage with at most 4 decimals' })
  percentOff?: string;

  @ApiPropertyOptional({ example: 500 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  amountOffCents?: number;

  @ApiPropertyOptional({ enum: ['once', 'repeating', 'forever'] })
  @IsOptional()
  @IsIn(['once', 'repeating', 'forever'])
  duration?: 'once' | 'repeating' | 'forever';

  @ApiPropertyOptional({ example: 3 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(120)
  durationInPeriods?: number;
}

export class AddCreditsDto {
  @ApiProperty({ example: 2500, description: '> 0, minor units of the subscription currency' })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  amountCents: number;

  @ApiProperty({ example: 'Goodwill for the outage of 2026-11-02' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  reason: string;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class CreditGrantDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() tenantId: string;
  @ApiProperty({ format: 'uuid' }) subscriptionId: string;
  @ApiProperty({ enum: ['grant'] }) kind: string;
  @ApiProperty({ example: 2500 }) amountCents: number;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty() reason: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) expiresAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
  @ApiProperty({ example: 4000, description: 'Balance after this grant' }) creditBalanceCents: number;
}

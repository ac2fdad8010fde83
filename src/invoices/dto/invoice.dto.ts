import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsUUID } from 'class-validator';
import { PageQuery } from '../../common/pagination/pagination';

const STATUSES = ['draft', 'open', 'paid', 'void', 'uncollectible'] as const;

export class InvoiceLineDto {
  @ApiProperty({ enum: ['base', 'usage', 'proration', 'late_usage'] }) type: string;
  @ApiProperty({ example: 'Compute (graduated)' }) description: string;
  @ApiProperty({ type: String, nullable: true, example: 'compute.cpu_hours' }) metric: string | null;
  @ApiProperty({ type: String, nullable: true, example: '1000.5', description: 'Decimal string' }) quantity: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '0.12',
    description: 'Major units, exact: the catalog price of a per_unit charge or a base fee; null for tiered (graduated, volume) and package charges, whose steps are in `computation`',
  })
  unitPrice: string | null;
  @ApiProperty({ example: 11406, description: 'Rounded once, half away from zero' }) amountCents: number;
  @ApiProperty({ type: String, format: 'date-time' }) periodStart: Date;
  @ApiProperty({ type: String, format: 'date-time' }) periodEnd: Date;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'Enough to recompute the line, unrounded. Usage: model, quantity, includedQuantity, billableQuantity, amount; graduated and volume add ' +
      '`tiers: [{ index, from, upTo, units (the quantity in the tier), unitPrice, flatFee, amount }]`, package adds packages, packageSize, packagePrice. ' +
      'Base and proration: basePrice, seconds and the formula.',
  })
  computation: Record<string, unknown>;
}

export class InvoiceDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() tenantId: string;
  @ApiProperty({ format: 'uuid' }) subscriptionId: string;
  @ApiProperty({ type: String, nullable: true, example: 'INV-t1-000042', description: 'Assigned at finalize; gapless per tenant' }) number: string | null;
  @ApiProperty({ enum: STATUSES }) status: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ type: String, format: 'date-time' }) periodStart: Date;
  @ApiProperty({ type: String, format: 'date-time', description: 'Exclusive' }) periodEnd: Date;
  @ApiProperty({ type: [InvoiceLineDto] }) lines: InvoiceLineDto[];
  @ApiProperty({ description: 'Sum of the lines' }) subtotalCents: number;
  @ApiProperty({ description: '>= 0, never more than the subtotal' }) discountCents: number;
  @ApiProperty({ description: 'On subtotal − discount; 0 without TAX_RATE' }) taxCents: number;
  @ApiProperty({ description: 'subtotal − discount + tax (0 when the subtotal is negative: the rest becomes credit)' }) totalCents: number;
  @ApiProperty({ description: 'Drawn from the credit balance at finalize, <= total' }) creditAppliedCents: number;
  @ApiProperty({ description: 'total − creditApplied' }) amountDueCents: number;
  @ApiProperty({ example: '0.2', description: 'Tax rate applied (fraction)' }) taxRate: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) finalizedAt: Date | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) dueAt: Date | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) paidAt: Date | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) voidedAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: Date;
}

export class InvoicePageDto {
  @ApiProperty({ type: [InvoiceDto] }) data: InvoiceDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class GenerateInvoiceDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Default: the tenant's live subscription" })
  @IsOptional()
  @IsUUID('all')
  subscriptionId?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Default: the current period' })
  @IsOptional()
  @IsISO8601({ strict: true })
  periodStart?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  periodEnd?: string;
}

export class InvoiceListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES)
  status?: (typeof STATUSES)[number];
}

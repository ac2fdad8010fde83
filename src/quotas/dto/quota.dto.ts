import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ValidationFailed } from '../../common/errors/problem';
import { PageQuery } from '../../common/pagination/pagination';
import { TENANT_ID_PATTERN } from '../../common/auth/principal';

const QUANTITY = /^\d{1,18}(\.\d{1,12})?$/;
const PERIODS = ['day', 'month', 'billing_period'] as const;
const ENFORCEMENTS = ['hard', 'soft'] as const;
/** Validated whenever present: `null` is refused (400), not taken for "absent" as @IsOptional would. */
const IfGiven = () => ValidateIf((_o: object, v: unknown) => v !== undefined);


export class CreateQuotaDto {
  @ApiProperty({ example: 't1' })
  @IsString()
  @Matches(TENANT_ID_PATTERN, { message: 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -' })
  tenantId: string;

  @ApiProperty({ example: 'compute.cpu_hours' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  metric: string;

  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'number' }], example: '1000', description: 'Decimal >= 0 (number or decimal string)' })
  @Type(() => String) // a JSON number becomes its decimal string
  @Matches(QUANTITY, { message: 'must be a decimal >= 0 with at most 12 decimals' })
  limit: string;

  @ApiProperty({ enum: PERIODS })
  @IsIn(PERIODS)
  period: (typeof PERIODS)[number];

  @ApiProperty({ enum: ENFORCEMENTS, description: 'hard: check answers allowed=false past the limit; soft: reported only' })
  @IsIn(ENFORCEMENTS)
  enforcement: (typeof ENFORCEMENTS)[number];

  @ApiPropertyOptional({ type: String, nullable: true, format: 'uuid', description: 'Count only usage attributed to this cost center' })
  @IsOptional()
  @IsUUID('all')
  costCenterId?: string | null;
}

export class UpdateQuotaDto {
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'number' }], example: '2000' })
  @IfGiven()
  @Type(() => String)
  @Matches(QUANTITY, { message: 'must be a decimal >= 0 with at most 12 decimals' })
  limit?: string;

  @ApiPropertyOptional({ enum: PERIODS })
  @IfGiven()
  @IsIn(PERIODS)
  period?: (typeof PERIODS)[number];

  @ApiPropertyOptional({ enum: ENFORCEMENTS })
  @IfGiven()
  @IsIn(ENFORCEMENTS)
  enforcement?: (typeof ENFORCEMENTS)[number];

  @ApiPropertyOptional({ type: String, nullable: true, format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  costCenterId?: string | null;
}

export class QuotaDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 't1' }) tenantId: string;
  @ApiProperty({ example: 'compute.cpu_hours' }) metric: string;
  @ApiProperty({ example: '1000', description: 'Decimal string' }) limit: string;
  @ApiProperty({ enum: PERIODS }) period: string;
  @ApiProperty({ enum: ENFORCEMENTS }) enforcement: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) costCenterId: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: Date;
}

export class QuotaPageDto {
  @ApiProperty({ type: [QuotaDto] }) data: QuotaDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class QuotaItemDto {
  @ApiProperty({ format: 'uuid' }) quotaId: string;
  @ApiProperty() metric: string;
  @ApiProperty({ example: '1000' }) limit: string;
  @ApiProperty({ example: '250.5', description: 'The metric aggregated over the quota period' }) used: string;
  @ApiProperty({ example: '749.5', description: 'limit − used, never below 0' }) remaining: string;
  @ApiProperty({ example: 0.2505, description: 'used / limit' }) utilization: number;
  @ApiProperty({ enum: ENFORCEMENTS }) enforcement: string;
  @ApiProperty({ enum: PERIODS }) period: string;
  @ApiProperty({ type: String, format: 'date-time' }) periodStart: Date;
  @ApiProperty({ type: String, format: 'date-time', description: 'Exclusive' }) periodEnd: Date;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) costCenterId: string | null;
}

export class QuotaCheckDto {
  @ApiProperty({ description: 'false only when a hard quota would be exceeded by quantity' }) allowed: boolean;
  @ApiProperty({ type: [QuotaItemDto] }) items: QuotaItemDto[];
}

/**
 * The check's query, parsed by hand: this is a hot path, and a class-validator pass per request
 * costs more than the rest of the route. Unknown parameters are refused like everywhere else.
 */
export function parseQuotaCheckQuery(query: unknown): { metric: string; quantity: string } {
  const q = (query ?? {}) as Record<string, unknown>;
  const errors: Array<{ path: string; message: string }> = [];
  for (const key of Object.keys(q)) if (key !== 'metric' && key !== 'quantity') errors.push({ path: key, message: 'is not a known parameter' });
  const metric = q.metric;
  if (typeof metric !== 'string' || metric.length === 0 || metric.length > 100) errors.push({ path: 'metric', message: 'is required: a catalog metric key' });
  const quantity = q.quantity ?? '0';
  if (typeof quantity !== 'string' || !QUANTITY.test(quantity)) errors.push({ path: 'quantity', message: 'must be a decimal >= 0 with at most 12 decimals' });
  if (errors.length > 0) throw new ValidationFailed(errors);
  return { metric: metric as string, quantity: quantity as string };
}

export class QuotaListQuery extends PageQuery {}

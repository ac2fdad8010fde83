import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { AGGREGATIONS } from '../../catalog/catalog.types';
import { QuotaCheckDto, QuotaItemDto } from '../../quotas/dto/quota.dto';

/** Request body of POST .../usage (validated by a compiled JSON schema; this class documents it). */
export class RecordUsageDto {
  @ApiPropertyOptional({ example: 'evt-2026-11-25-0001', description: "The client's dedupe key (1–128 visible ASCII); generated when absent" })
  eventId?: string;

  @ApiProperty({ example: 'compute.cpu_hours', description: 'A catalog metric key' })
  metric: string;

  @ApiProperty({
    oneOf: [{ type: 'string', maxLength: 40, pattern: '^\\s*\\d+(\\.\\d+)?\\s*$' }, { type: 'number', minimum: 0 }],
    example: '1.5',
    description:
      '>= 0, up to 12 decimals, below 1e18. A decimal string (digits with an optional point, up to 40 characters) is exact; a JSON number is taken only with at most 15 significant digits (what a double holds exactly), else 400: send a string.',
  })
  quantity: string | number;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'When the usage happened (default now; at most 5 minutes ahead)' })
  timestamp?: string;

  @ApiPropertyOptional({ example: 'warehouse', description: '1–64 of [A-Za-z0-9_.:-]; goes with resourceId' })
  resourceType?: string;

  @ApiPropertyOptional({ example: 'wh-42', minLength: 1, maxLength: 256, description: 'Up to 256 characters, no control characters; goes with resourceType' })
  resourceId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Explicit cost center of this tenant; otherwise the first matching rule' })
  costCenterId?: string;

  @ApiPropertyOptional({
    type: 'object',
    // OpenAPI 3.0: `nullable` needs a `type` beside it, so null is allowed on the string branch.
    maxProperties: 32,
    additionalProperties: { oneOf: [{ type: 'string', maxLength: 256, nullable: true }, { type: 'number' }, { type: 'boolean' }] },
    example: { userId: 'u-17', region: 'eu-west-1' },
    description:
      'Up to 32 flat properties: names 1–64 of [A-Za-z0-9_.:-], values a string of at most 256 characters, a number, a boolean or null; unique_count metrics count the distinct values of their property',
  })
  properties?: Record<string, string | number | boolean | null>;
}

export class RecordUsageBatchDto {
  @ApiProperty({ type: [RecordUsageDto], minItems: 1, maxItems: 1000 })
  events: RecordUsageDto[];
}

export class UsageEventDto {
  @ApiProperty() eventId: string;
  @ApiProperty() tenantId: string;
  @ApiProperty() metric: string;
  @ApiProperty({ example: '1.5', description: 'Decimal string' }) quantity: string;
  @ApiProperty({ type: String, format: 'date-time' }) timestamp: Date;
  @ApiProperty({ type: String, nullable: true }) resourceType: string | null;
  @ApiProperty({ type: String, nullable: true }) resourceId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'Explicit or attributed by rule' }) costCenterId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) properties: Record<string, unknown> | null;
  @ApiProperty({ description: 'true when this eventId was already recorded (200): nothing was counted again' }) duplicate: boolean;
  @ApiProperty({ type: QuotaCheckDto, nullable: true, description: "The tenant's quota state for the metric after this event (null if it could not be read; the event is stored)" })
  quota: QuotaCheckDto | null;
}

export class BatchEventResultDto {
  @ApiProperty() eventId: string;
  @ApiProperty() duplicate: boolean;
}

export class MetricQuotaStateDto {
  @ApiProperty() metric: string;
  @ApiProperty() allowed: boolean;
  @ApiProperty({ type: [QuotaItemDto] }) items: QuotaItemDto[];
}

export class UsageBatchResultDto {
  @ApiProperty({ description: 'Events stored by this request' }) accepted: number;
  @ApiProperty({ description: 'Events already recorded, or repeated inside this batch' }) duplicates: number;
  @ApiProperty({ type: [BatchEventResultDto], description: 'Per event, in request order' }) events: BatchEventResultDto[];
  @ApiProperty({ type: [MetricQuotaStateDto], description: 'Quota state per metric of the batch' }) quotas: MetricQuotaStateDto[];
}

export const GROUP_BY = ['metric', 'resource', 'costCenter', 'day'] as const;

export class UsageSummaryQuery {
  @ApiPropertyOptional({ type: String, format: 'date-time', description: "Window start (default: the live subscription's period, else the current UTC month)" })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Window end, exclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ example: 'compute.cpu_hours' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  metric?: string;

  @ApiPropertyOptional({ enum: GROUP_BY, default: 'metric' })
  @IsOptional()
  @IsIn(GROUP_BY)
  groupBy?: (typeof GROUP_BY)[number];
}

export class UsageSummaryItemDto {
  @ApiProperty() metric: string;
  @ApiProperty({ example: 'cpu-hour' }) unit: string;
  @ApiProperty({ enum: AGGREGATIONS }) aggregation: string;
  @ApiProperty({ example: '1234.5', description: "The metric's aggregation over the window (decimal string)" }) value: string;
  @ApiProperty({ example: 42 }) eventCount: number;
  @ApiProperty({ type: String, nullable: true }) resourceType: string | null;
  @ApiProperty({ type: String, nullable: true }) resourceId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) costCenterId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date', example: '2026-11-25' }) day: string | null;
}

export class UsageSummaryDto {
  @ApiProperty() tenantId: string;
  @ApiProperty({ type: String, format: 'date-time' }) from: Date;
  @ApiProperty({ type: String, format: 'date-time', description: 'Exclusive' }) to: Date;
  @ApiProperty({ enum: GROUP_BY }) groupBy: string;
  @ApiProperty({ type: [UsageSummaryItemDto] }) items: UsageSummaryItemDto[];
}

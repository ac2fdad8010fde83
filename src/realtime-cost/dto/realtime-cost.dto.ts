import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';

export class MetricCostDto {
  @ApiProperty({ example: 'compute.cpu_hours' }) metric: string;
  @ApiProperty({ example: '1101', description: "The metric's period-to-date aggregation (decimal string)" }) quantity: string;
  @ApiProperty({ example: 12510, description: "The invoice line's amount, plus late usage of earlier periods (lateUsageCents)" }) costCents: number;
  @ApiProperty({ example: 0, description: 'Late usage of earlier periods billed on this period (included in costCents)' }) lateUsageCents: number;
}

export class CurrentCostDto {
  @ApiProperty({ type: String, format: 'date-time' }) periodStart: Date;
  @ApiProperty({ type: String, format: 'date-time', description: 'Exclusive' }) periodEnd: Date;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ description: "The period's base fee with its prorations (base + proration lines of the preview)" }) baseFeeCents: number;
  @ApiProperty({ description: 'Period-to-date usage priced by the invoice engine (usage + late_usage lines), before discount and tax' }) usageCents: number;
  @ApiProperty({ description: "baseFeeCents + usageCents: the billing preview's subtotalCents" }) accruedCents: number;
  @ApiProperty({ type: [MetricCostDto], description: 'One entry per charge of the plan' }) byMetric: MetricCostDto[];
  @ApiProperty({ type: String, format: 'date-time' }) asOf: Date;
}

export class WindowQuery {
  @ApiPropertyOptional({ type: String, format: 'date-time', description: "Window start (default: the live subscription's current period start)" })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Window end, exclusive (default: the current period end)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class ResourceUsageDto {
  @ApiProperty({ example: 'compute.cpu_hours' }) metric: string;
  @ApiProperty({ example: '600', description: "The resource's own aggregation of the metric over the window" }) quantity: string;
}

export class ResourceCostDto {
  @ApiProperty({ type: String, nullable: true, example: 'vm', description: 'null for usage that names no resource' }) resourceType: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'vm-42' }) resourceId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) costCenterId: string | null;
  @ApiProperty({ example: 6817 }) costCents: number;
  @ApiProperty({ type: [ResourceUsageDto] }) usage: ResourceUsageDto[];
}

export class CostByResourceDto {
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ type: String, format: 'date-time' }) from: Date;
  @ApiProperty({ type: String, format: 'date-time', description: 'Exclusive' }) to: Date;
  @ApiProperty({ description: 'Sum of data[].costCents; over the current period, current.usageCents' }) totalCents: number;
  @ApiProperty({ type: [ResourceCostDto], description: 'Most expensive first' }) data: ResourceCostDto[];
}

export const GRANULARITIES = ['hour', 'day'] as const;

export class TimelineQuery extends WindowQuery {
  @ApiPropertyOptional({ enum: GRANULARITIES, default: 'day', description: 'UTC hours or days' })
  @IsOptional()
  @IsIn(GRANULARITIES)
  granularity?: (typeof GRANULARITIES)[number];
}

export class TimelineBucketDto {
  @ApiProperty({ type: String, format: 'date-time', description: 'The UTC hour or day (the first bucket starts at from)' }) start: Date;
  @ApiProperty({ description: 'cumulativeCents of this bucket minus that of the previous one (may be negative on a volume tier change)' }) costCents: number;
  @ApiProperty({ description: 'Usage cost of [from, end of this bucket), priced as one invoice would price it' }) cumulativeCents: number;
}

export class TimelineDto {
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ enum: GRANULARITIES }) granularity: (typeof GRANULARITIES)[number];
  @ApiProperty({ type: String, format: 'date-time' }) from: Date;
  @ApiProperty({ type: String, format: 'date-time', description: 'Exclusive' }) to: Date;
  @ApiProperty({ description: 'Late usage of earlier periods billed on the current period: counted in the first bucket when the window starts at the period start' })
  lateUsageCents: number;
  @ApiProperty({ type: [TimelineBucketDto] }) buckets: TimelineBucketDto[];
}

import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { AGGREGATIONS, CHARGE_MODELS, INTERVALS } from '../catalog.types';

export class TierDto {
  @ApiProperty({ type: String, nullable: true, example: '1000', description: 'Inclusive upper bound; null for the last tier' })
  upTo: string | null;

  @ApiProperty({ example: '0.12', description: 'Major units, exact decimal string' })
  unitPrice: string;

  @ApiProperty({ example: '0', description: 'Charged once when any unit falls in the tier' })
  flatFee: string;
}

export class ChargeDto {
  @ApiProperty({ example: 'compute.cpu_hours' })
  metric: string;

  @ApiProperty({ example: 'Compute' })
  metricName: string;

  @ApiProperty({ example: 'cpu-hour' })
  unit: string;

  @ApiProperty({ enum: AGGREGATIONS })
  aggregation: string;

  @ApiProperty({ enum: CHARGE_MODELS })
  model: string;

  @ApiProperty({ example: '50', description: 'Units free each period before pricing' })
  includedQuantity: string;

  @ApiProperty({ type: String, nullable: true, example: '0.023', description: 'per_unit only' })
  unitPrice: string | null;

  @ApiProperty({ type: [TierDto], nullable: true, description: 'graduated and volume only' })
  tiers: TierDto[] | null;

  @ApiProperty({ type: String, nullable: true, example: '1000000', description: 'package only' })
  packageSize: string | null;

  @ApiProperty({ type: String, nullable: true, example: '2.00', description: 'package only; partial packages round up' })
  packagePrice: string | null;
}

export class PlanDto {
  @ApiProperty({ example: 'team-monthly' })
  id: string;

  @ApiProperty({ example: 'Team (monthly)' })
  name: string;

  @ApiProperty({ example: 'USD' })
  currency: string;

  @ApiProperty({ enum: INTERVALS })
  interval: string;

  @ApiProperty({ example: '49.00', description: 'Base fee per period, major units' })
  basePrice: string;

  @ApiProperty({ example: 4900, description: 'Base fee per period in minor units' })
  basePriceCents: number;

  @ApiProperty({ example: 14 })
  trialDays: number;

  @ApiProperty()
  active: boolean;

  @ApiProperty({ type: [ChargeDto] })
  @Type(() => ChargeDto)
  charges: ChargeDto[];

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'compute.cpu_hours': '20000' },
    description: 'Default quota per metric (decimal strings)',
  })
  limits: Record<string, string>;
}

export class PlanPageDto {
  @ApiProperty({ type: [PlanDto] })
  data: PlanDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateBy } from 'class-validator';

export const ALERT_TYPES = ['spend', 'budget_percent', 'forecast'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];
export const ALERT_STATUSES = ['ok', 'triggered', 'dismissed'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** Decimal places of a number, exponent notation included (3e-323 has 323). */
function decimalPlaces(n: number): number {
  const [mantissa, exponent] = String(n).toLowerCase().split('e');
  return Math.max(0, (mantissa.split('.')[1] ?? '').length - Number(exponent ?? 0));
}

/**
 * At most `max` decimal places. Replaces IsNumber's maxDecimalPlaces, which throws a TypeError
 * (a 500) on numbers that print in exponent notation, such as 3e-323 (found by the fuzz test).
 */
const MaxDecimalPlaces = (max: number) =>
  ValidateBy({
    name: 'maxDecimalPlaces',
    validator: {
      validate: (v: unknown) => typeof v !== 'number' || !Number.isFinite(v) || decimalPlaces(v) <= max,
      defaultMessage: () => `must have at most ${max} decimal places`,
    },
  });

export class CreateCostAlertDto {
  @ApiProperty({ example: 'Compute over 500 USD', minLength: 1, maxLength: 200 })
  @IsString()
  @Matches(/\S/, { message: 'must not be blank' })
  @MaxLength(200)
  name: string;

  @ApiProperty({
    enum: ALERT_TYPES,
    description:
      'spend: period-to-date usage cost (of `metric` and/or `costCenterId` when given) reaches thresholdCents. ' +
      "budget_percent: the cost center's period-to-date usage cost (attributed pro rata, as by-resource) reaches `percent` of its budgetCents. " +
      'forecast: the projected period total of the billing estimate (of `metric` when given) reaches thresholdCents.',
  })
  @IsIn(ALERT_TYPES)
  type: AlertType;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, example: 50000, description: 'Required for spend and forecast; not for budget_percent' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  thresholdCents?: number;

  @ApiPropertyOptional({ type: Number, minimum: 0.0001, maximum: 10000, example: 80, description: 'Required for budget_percent (80 = 80 % of the budget); not for the others' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @MaxDecimalPlaces(4)
  @Min(0.0001)
  @Max(10000)
  percent?: number;

  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'A cost center of the tenant that is not archived; required for budget_percent, not for forecast' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  costCenterId?: string;

  @ApiPropertyOptional({ example: 'compute.cpu_hours', description: 'Only this metric’s cost (a catalog metric)' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  metric?: string;

  @ApiPropertyOptional({
    example: 'https://hooks.example.com/billing',
    maxLength: 2048,
    description: 'http(s) URL that receives the signed cost_alert.triggered event. Loopback, private and link-local addresses are refused (422) unless WEBHOOK_ALLOW_PRIVATE=true',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  webhookUrl?: string;
}

export class AlertDeliveryDto {
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status: 'pending' | 'delivered' | 'failed';
  @ApiProperty({ description: 'Attempts made so far' }) attempts: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deliveredAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When retrying stopped (after the retry window)' }) failedAt: Date | null;
  @ApiProperty({ type: Number, nullable: true, description: 'HTTP status of the last answer' }) lastStatus: number | null;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
}

export class CostAlertDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 't1' }) tenantId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ALERT_TYPES }) type: AlertType;
  @ApiProperty({ type: Number, nullable: true }) thresholdCents: number | null;
  @ApiProperty({ type: Number, nullable: true }) percent: number | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) costCenterId: string | null;
  @ApiProperty({ type: String, nullable: true }) metric: string | null;
  @ApiProperty({ type: String, nullable: true }) webhookUrl: string | null;
  @ApiProperty({
    enum: ALERT_STATUSES,
    description: 'ok (armed), triggered or dismissed in the current period; a trigger or dismissal of an earlier period reads as ok',
  })
  status: AlertStatus;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The last trigger' }) triggeredAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) dismissedAt: Date | null;
  @ApiProperty({ type: Number, nullable: true, description: 'The value last evaluated (or the one that triggered)' }) lastValueCents: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastEvaluatedAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Billing period of the last trigger or dismissal' }) periodStart: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) periodEnd: Date | null;
  @ApiProperty({ type: AlertDeliveryDto, nullable: true, description: "The last trigger's webhook delivery" }) delivery: AlertDeliveryDto | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: Date;
}

export class CostAlertPageDto {
  @ApiProperty({ type: [CostAlertDto] }) data: CostAlertDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

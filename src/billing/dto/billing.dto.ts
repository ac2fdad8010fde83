import { ApiProperty } from '@nestjs/swagger';
import { InvoiceLineDto } from '../../invoices/dto/invoice.dto';

export class BillingPreviewDto {
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ type: String, format: 'date-time' }) periodStart: Date;
  @ApiProperty({ type: String, format: 'date-time', description: 'Exclusive' }) periodEnd: Date;
  @ApiProperty({ type: [InvoiceLineDto] }) lines: InvoiceLineDto[];
  @ApiProperty() subtotalCents: number;
  @ApiProperty() discountCents: number;
  @ApiProperty() taxCents: number;
  @ApiProperty() totalCents: number;
  @ApiProperty({ description: 'What the current credit balance would cover' }) creditAppliedCents: number;
  @ApiProperty() amountDueCents: number;
  @ApiProperty({ type: String, format: 'date-time' }) asOf: Date;
}

export class MetricEstimateDto {
  @ApiProperty() metric: string;
  @ApiProperty({ example: '120.5' }) quantityToDate: string;
  @ApiProperty({ example: '361.5' }) projectedQuantity: string;
  @ApiProperty() costToDateCents: number;
  @ApiProperty() projectedCostCents: number;
}

export class BillingEstimateDto {
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ type: String, format: 'date-time' }) periodStart: Date;
  @ApiProperty({ type: String, format: 'date-time' }) periodEnd: Date;
  @ApiProperty({ description: "The preview's total (before credits)" }) periodToDateCents: number;
  @ApiProperty({ description: 'The full period projected from the run rate, before credits' }) projectedTotalCents: number;
  @ApiProperty({ example: 'linear_run_rate' }) method: string;
  @ApiProperty({ description: 'How the projection was made' }) methodDescription: string;
  @ApiProperty({ type: [MetricEstimateDto] }) byMetric: MetricEstimateDto[];
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROBLEM_CODES } from '../errors/problem';

export class FieldErrorDto {
  @ApiProperty({ example: 'events[3].quantity' })
  path: string;

  @ApiProperty({ example: 'must be a non-negative decimal with at most 12 decimals' })
  message: string;
}

/** RFC 9457 problem details, as every error of this service is answered. */
export class ProblemDto {
  @ApiProperty({ example: 'urn:billing:problem:validation-failed' })
  type: string;

  @ApiProperty({ example: 'Validation failed' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiProperty({ example: 'quantity: must be a non-negative decimal' })
  detail: string;

  @ApiProperty({ enum: Object.keys(PROBLEM_CODES), example: 'VALIDATION_FAILED' })
  code: string;

  @ApiPropertyOptional({ example: '/api/v1/billing/plans/x' })
  instance?: string;

  @ApiPropertyOptional({ example: '6c0e5d0c-8d0b-4a5e-9f55-0c6b9a9a7e11' })
  requestId?: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Present for VALIDATION_FAILED' })
  errors?: FieldErrorDto[];
}

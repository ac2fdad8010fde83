import { ApiProperty } from '@nestjs/swagger';
import { CostCenterRuleDto } from './cost-center-rule.dto';

export class CostCenterDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 't1' })
  tenantId: string;

  @ApiProperty({ example: 'eng-platform' })
  code: string;

  @ApiProperty({ example: 'Platform engineering' })
  name: string;

  @ApiProperty({ type: String, nullable: true })
  description: string | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 250000,
    description: 'Budget per billing period in the minor unit (cents) of the currency of the tenant’s subscription',
  })
  budgetCents: number | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  parentId: string | null;

  @ApiProperty({ type: [CostCenterRuleDto], description: 'Each rule carries the fields it was given' })
  rules: CostCenterRuleDto[];

  @ApiProperty({ description: 'Deleted: out of the list, still readable by id, still referenced by past usage' })
  archived: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  archivedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: string;
}

export class CostCenterPageDto {
  @ApiProperty({ type: [CostCenterDto] })
  data: CostCenterDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

import { ApiHideProperty, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { TENANT_ID_PATTERN } from '../../common/auth/principal';
import { PageQuery } from '../../common/pagination/pagination';
import { CostCenterRuleDto } from './cost-center-rule.dto';

export const COST_CENTER_CODE = /^[A-Za-z0-9_.-]{1,64}$/;
export const MAX_RULES = 50;

const CODE_MESSAGE = 'must be 1 to 64 characters of A-Z, a-z, 0-9, _, . and -';
const BUDGET_DESCRIPTION =
  'Budget per billing period, an integer in the minor unit (cents) of the currency of the tenant’s subscription; null for none';

/** Fields that may be left out, but not set to null (PUT only changes what it is given). */
const IfGiven = () => ValidateIf((_o: object, v: unknown) => v !== undefined);

/** A field fixed at creation: any value in an update is refused with its path. */
const Immutable = () =>
  ValidateBy({ name: 'immutable', validator: { validate: (v: unknown) => v === undefined, defaultMessage: () => 'is immutable' } });

export class CreateCostCenterDto {
  @ApiProperty({ example: 't1', pattern: TENANT_ID_PATTERN.source })
  @IsString()
  @Matches(TENANT_ID_PATTERN, { message: 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -' })
  tenantId: string;

  @ApiProperty({ example: 'eng-platform', pattern: COST_CENTER_CODE.source, description: 'Unique among the tenant’s cost centers that are not archived' })
  @IsString()
  @Matches(COST_CENTER_CODE, { message: CODE_MESSAGE })
  code: string;

  @ApiProperty({ example: 'Platform engineering', minLength: 1, maxLength: 200 })
  @IsString()
  @Matches(/\S/, { message: 'must not be blank' })
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000, example: 'Shared clusters and CI' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 0, example: 250000, description: BUDGET_DESCRIPTION })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  budgetCents?: number | null;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'A cost center of the same tenant that is not archived' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  parentId?: string | null;

  @ApiPropertyOptional({ type: [CostCenterRuleDto], maxItems: MAX_RULES, description: 'Attribution rules for usage that names no cost center; default []' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_RULES)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => CostCenterRuleDto)
  rules?: CostCenterRuleDto[] | null;
}

/** A partial update: fields left out keep their value; description, budgetCents and parentId take null to clear. */
export class UpdateCostCenterDto {
  @ApiHideProperty()
  @Immutable()
  tenantId?: never;

  @ApiHideProperty()
  @Immutable()
  id?: never;

  @ApiPropertyOptional({ example: 'eng-platform', pattern: COST_CENTER_CODE.source, description: 'Unique among the tenant’s cost centers that are not archived' })
  @IfGiven()
  @IsString()
  @Matches(COST_CENTER_CODE, { message: CODE_MESSAGE })
  code?: string;

  @ApiPropertyOptional({ example: 'Platform engineering', minLength: 1, maxLength: 200 })
  @IfGiven()
  @IsString()
  @Matches(/\S/, { message: 'must not be blank' })
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 0, example: 250000, description: BUDGET_DESCRIPTION })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  budgetCents?: number | null;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'A cost center of the same tenant that is not archived, and not this one or one of its descendants',
  })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  parentId?: string | null;

  @ApiPropertyOptional({ type: [CostCenterRuleDto], maxItems: MAX_RULES, description: 'Replaces every rule' })
  @IfGiven()
  @IsArray()
  @ArrayMaxSize(MAX_RULES)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => CostCenterRuleDto)
  rules?: CostCenterRuleDto[];
}

export class ListCostCentersQuery extends PageQuery {
  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Include archived cost centers' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  includeArchived?: boolean;
}

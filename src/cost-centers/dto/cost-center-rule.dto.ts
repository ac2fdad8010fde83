import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';

export class RulePropertyDto {
  @ApiProperty({ example: 'env', minLength: 1, maxLength: 200, description: 'Key in the usage event’s `properties`' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  key: string;

  @ApiProperty({ example: 'prod', maxLength: 500, description: 'Compared with the property’s string form (`2`, `true` match numbers and booleans)' })
  @IsString()
  @MaxLength(500)
  value: string;
}

/**
 * An attribution rule. Every field it gives must match a usage event; a rule must give at least
 * one field. Stored and answered with the fields it was given.
 */
export class CostCenterRuleDto {
  @ApiPropertyOptional({ type: String, example: 'vm', maxLength: 200, description: 'Equal to the event’s resourceType' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  resourceType?: string;

  @ApiPropertyOptional({ type: String, example: 'vm-prod-', maxLength: 200, description: 'The event’s resourceId starts with it' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  resourceIdPrefix?: string;

  @ApiPropertyOptional({ type: RulePropertyDto, description: 'The event’s properties[key], as a string, equals value' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RulePropertyDto)
  property?: RulePropertyDto;
}

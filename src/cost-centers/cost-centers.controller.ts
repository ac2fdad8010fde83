import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Access, Allow } from '../common/auth/access.decorator';
import { CurrentPrincipal } from '../common/auth/current-principal.decorator';
import type { Principal } from '../common/auth/principal';
import { ApiProblems } from '../common/http/api-problems';
import { UuidParamPipe } from '../common/http/id-param';
import { TenantIdPipe } from '../common/http/tenant-param';
import { Page, pageLimit } from '../common/pagination/pagination';
import { CostCentersService } from './cost-centers.service';
import { CreateCostCenterDto, ListCostCentersQuery, UpdateCostCenterDto } from './dto/cost-center-input.dto';
import { CostCenterDto, CostCenterPageDto } from './dto/cost-center.dto';

const CostCenterIdParam = () => ApiParam({ name: 'costCenterId', format: 'uuid', description: 'A malformed id is 404' });
const costCenterId = new UuidParamPipe('Cost center');

@ApiTags('cost-centers')
@Controller('cost-centers')
export class CostCentersController {
  constructor(private readonly costCenters: CostCentersService) {}

  @Post()
  @Allow(Access.tenantWrite)
  @ApiOperation({
    summary: 'Create cost center',
    description:
      'A code unique among the tenant’s cost centers that are not archived, an optional budget (minor units of the ' +
      'currency of the tenant’s subscription), an optional parent and attribution rules. Usage that names no cost ' +
      'center goes to the oldest cost center with a matching rule.',
  })
  @ApiCreatedResponse({ type: CostCenterDto })
  @ApiProblems(
    [400, ['VALIDATION_FAILED'], 'Malformed body or unknown field (paths like rules[0].foo)'],
    [409, ['DUPLICATE_CODE'], 'The code is taken by a cost center of the tenant that is not archived'],
    [422, ['UNKNOWN_COST_CENTER'], 'parentId is not a cost center of this tenant that is not archived'],
  )
  create(@Body() body: CreateCostCenterDto): Promise<CostCenterDto> {
    return this.costCenters.create(body);
  }

  @Get('tenants/:tenantId')
  @Allow(Access.read)
  @ApiOperation({
    summary: 'List cost centers',
    description: 'Oldest first. Archived cost centers are left out unless includeArchived=true.',
  })
  @ApiParam({ name: 'tenantId', example: 't1' })
  @ApiOkResponse({ type: CostCenterPageDto })
  @ApiProblems([400, ['VALIDATION_FAILED'], 'Bad tenantId, limit, cursor or includeArchived'])
  list(@Param('tenantId', TenantIdPipe) tenantId: string, @Query() query: ListCostCentersQuery): Promise<Page<CostCenterDto>> {
    return this.costCenters.list(tenantId, { limit: pageLimit(query), cursor: query.cursor, includeArchived: query.includeArchived ?? false });
  }

  @Get(':costCenterId')
  @Allow(Access.read)
  @ApiOperation({ summary: 'Get cost center', description: 'Archived ones too (archived: true). Another tenant’s is 404.' })
  @CostCenterIdParam()
  @ApiOkResponse({ type: CostCenterDto })
  @ApiProblems([404, ['NOT_FOUND'], 'No such cost center for this caller'])
  get(@Param('costCenterId', costCenterId) id: string, @CurrentPrincipal() principal: Principal): Promise<CostCenterDto> {
    return this.costCenters.get(principal, id);
  }

  @Put(':costCenterId')
  @Allow(Access.tenantWrite)
  @ApiOperation({
    summary: 'Update cost center',
    description:
      'Partial update: fields left out keep their value; description, budgetCents and parentId take null to clear; ' +
      'rules replaces every rule. tenantId and id are immutable (400). A parent that would make the cost center its ' +
      'own ancestor is 409 INVALID_STATE, as is any change to an archived cost center.',
  })
  @CostCenterIdParam()
  @ApiOkResponse({ type: CostCenterDto })
  @ApiProblems(
    [400, ['VALIDATION_FAILED'], 'Malformed body, unknown field, or tenantId / id given'],
    [404, ['NOT_FOUND'], 'No such cost center for this caller'],
    [409, ['DUPLICATE_CODE', 'INVALID_STATE'], 'Code taken; archived; or parentId would close a cycle'],
    [422, ['UNKNOWN_COST_CENTER'], 'parentId is not a cost center of this tenant that is not archived'],
  )
  update(
    @Param('costCenterId', costCenterId) id: string,
    @Body() body: UpdateCostCenterDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CostCenterDto> {
    return this.costCenters.update(principal, id, body);
  }

  @Delete(':costCenterId')
  @HttpCode(204)
  @Allow(Access.tenantWrite)
  @ApiOperation({
    summary: 'Delete cost center',
    description: 'Archives it: it leaves the list and frees its code; GET still answers (archived: true) and past usage keeps pointing at it. Idempotent.',
  })
  @CostCenterIdParam()
  @ApiNoContentResponse({ description: 'Archived (or already archived)' })
  @ApiProblems([404, ['NOT_FOUND'], 'No such cost center for this caller'])
  async archive(@Param('costCenterId', costCenterId) id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.costCenters.archive(principal, id);
  }
}

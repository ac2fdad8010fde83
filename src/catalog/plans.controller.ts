import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Access, Allow } from '../common/auth/access.decorator';
import { notFound } from '../common/errors/problem';
import { ApiProblems } from '../common/http/api-problems';
import { Page, PageQuery, decodeCursor, pageLimit, toPage } from '../common/pagination/pagination';
import { CatalogService } from './catalog.service';
import { PlanDto, PlanPageDto } from './dto/plan.dto';

@ApiTags('plans')
@Allow(Access.read)
@Controller('plans')
export class PlansController {
  constructor(private readonly catalog: CatalogService) {}

  @Get()
  @ApiOperation({ summary: 'List available plans', description: 'Active plans of the catalog, ordered by id.' })
  @ApiOkResponse({ type: PlanPageDto })
  @ApiProblems([400, ['VALIDATION_FAILED'], 'Bad limit or cursor'])
  list(@Query() query: PageQuery): Page<PlanDto> {
    const limit = pageLimit(query);
    const after = decodeCursor(query.cursor, 1)?.[0] as string | undefined;
    const plans = this.catalog.activePlans(after ?? null, limit + 1);
    return toPage(plans, limit, (p) => [p.id], (p) => this.catalog.toDto(p));
  }

  @Get(':planId')
  @ApiOperation({ summary: 'Get plan details', description: 'Any plan of the catalog, inactive ones included (active: false).' })
  @ApiParam({ name: 'planId', example: 'team-monthly' })
  @ApiOkResponse({ type: PlanDto })
  @ApiProblems([404, ['NOT_FOUND'], 'No such plan'])
  get(@Param('planId') planId: string): PlanDto {
    const plan = this.catalog.plan(planId);
    if (!plan) throw notFound(`Plan ${planId}`);
    return this.catalog.toDto(plan);
  }
}

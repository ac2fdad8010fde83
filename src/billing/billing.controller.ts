import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Access, Allow } from '../common/auth/access.decorator';
import { ApiProblems } from '../common/http/api-problems';
import { TenantIdPipe } from '../common/http/tenant-param';
import { BillingService } from './billing.service';
import { BillingEstimateDto, BillingPreviewDto } from './dto/billing.dto';

@ApiTags('billing')
@ApiParam({ name: 'tenantId', example: 't1' })
@Controller('tenants/:tenantId/billing')
export class BillingController {
  constructor(private readonly billing: BillingService) {}

  @Get('preview')
  @Allow(Access.read)
  @ApiOperation({ summary: 'Preview current period billing', description: "What the current period's invoice would be if the period ended now; not stored." })
  @ApiOkResponse({ type: BillingPreviewDto })
  @ApiProblems([409, ['NO_LIVE_SUBSCRIPTION']])
  preview(@Param('tenantId', TenantIdPipe) tenantId: string): Promise<BillingPreviewDto> {
    return this.billing.preview(tenantId);
  }

  @Get('estimate')
  @Allow(Access.read)
  @ApiOperation({
    summary: 'Get monthly cost estimate',
    description:
      'The full current period projected from the run rate of the current plan part (method in the answer). The rate is measured over at least one hour, so the first minutes of a period do not extrapolate a burst over the whole period.',
  })
  @ApiOkResponse({ type: BillingEstimateDto })
  @ApiProblems([409, ['NO_LIVE_SUBSCRIPTION']])
  estimate(@Param('tenantId', TenantIdPipe) tenantId: string): Promise<BillingEstimateDto> {
    return this.billing.estimate(tenantId);
  }
}

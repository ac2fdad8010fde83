import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Access, Allow } from '../common/auth/access.decorator';
import { CurrentPrincipal } from '../common/auth/current-principal.decorator';
import type { Principal } from '../common/auth/principal';
import { ApiProblems } from '../common/http/api-problems';
import { EmptyBodyPipe } from '../common/http/empty-body';
import { UuidParamPipe } from '../common/http/id-param';
import { Responded } from '../common/http/responded';
import { TenantIdPipe } from '../common/http/tenant-param';
import { Idempotent } from '../common/idempotency/idempotency.interceptor';
import { pageLimit } from '../common/pagination/pagination';
import { GenerateInvoiceDto, InvoiceDto, InvoiceListQuery, InvoicePageDto } from './dto/invoice.dto';
import { InvoicePdfService } from './invoice-pdf.service';
import { InvoicesService, toInvoiceDto } from './invoices.service';

const InvoiceId = () => Param('invoiceId', new UuidParamPipe('Invoice'));

@ApiTags('invoices')
@Controller()
export class InvoicesController {
  constructor(
    private readonly invoices: InvoicesService,
    private readonly pdf: InvoicePdfService,
  ) {}

  @Post('tenants/:tenantId/invoices')
  @Allow(Access.tenantWrite)
  @Idempotent()
  @ApiOperation({
    summary: 'Generate invoice',
    description: 'Makes the draft of a subscription period (201) or refreshes it (200). Default: the live subscription and its current period.',
  })
  @ApiParam({ name: 'tenantId', example: 't1' })
  @ApiCreatedResponse({ type: InvoiceDto, description: 'Draft made' })
  @ApiOkResponse({ type: InvoiceDto, description: 'Draft refreshed' })
  @ApiProblems(400, [404, ['NOT_FOUND']], [409, ['INVALID_STATE', 'NO_LIVE_SUBSCRIPTION', 'IDEMPOTENCY_CONFLICT']])
  generate(@Param('tenantId', TenantIdPipe) tenantId: string, @Body() dto: GenerateInvoiceDto): Promise<Responded<InvoiceDto>> {
    return this.invoices.generate(tenantId, dto);
  }

  @Get('tenants/:tenantId/invoices')
  @Allow(Access.read)
  @ApiOperation({ summary: 'List tenant invoices', description: 'Newest first; filter by status.' })
  @ApiParam({ name: 'tenantId', example: 't1' })
  @ApiOkResponse({ type: InvoicePageDto })
  @ApiProblems([400, ['VALIDATION_FAILED']])
  list(@Param('tenantId', TenantIdPipe) tenantId: string, @Query() q: InvoiceListQuery): Promise<InvoicePageDto> {
    return this.invoices.list(tenantId, q.status, q.cursor, pageLimit(q));
  }

  @Get('invoices/:invoiceId')
  @Allow(Access.read)
  @ApiOperation({ summary: 'Get invoice' })
  @ApiParam({ name: 'invoiceId', format: 'uuid' })
  @ApiOkResponse({ type: InvoiceDto })
  @ApiProblems([404, ['NOT_FOUND']])
  async get(@CurrentPrincipal() p: Principal, @InvoiceId() id: string): Promise<InvoiceDto> {
    return toInvoiceDto(await this.invoices.get(p, id));
  }

  @Post('invoices/:invoiceId/finalize')
  @HttpCode(200)
  @Allow(Access.tenantWrite)
  @Idempotent()
  @ApiOperation({
    summary: 'Finalize invoice',
    description: "Freezes lines and totals, draws credits, assigns the tenant's next gapless number; open, or paid when nothing is due.",
  })
  @ApiParam({ name: 'invoiceId', format: 'uuid' })
  @ApiOkResponse({ type: InvoiceDto })
  @ApiProblems(400, [404, ['NOT_FOUND']], [409, ['INVALID_STATE', 'IDEMPOTENCY_CONFLICT', 'IDEMPOTENCY_IN_PROGRESS']])
  finalize(@CurrentPrincipal() p: Principal, @InvoiceId() id: string, @Body(EmptyBodyPipe) _body: unknown): Promise<InvoiceDto> {
    return this.invoices.finalize(p, id);
  }

  @Get('invoices/:invoiceId/pdf')
  @Allow(Access.read)
  @Header('content-type', 'application/pdf')
  @ApiOperation({ summary: 'Download invoice PDF', description: 'A real PDF: issuer, tenant, number, period, lines, discount, credits, tax, totals; DRAFT/VOID watermark.' })
  @ApiParam({ name: 'invoiceId', format: 'uuid' })
  @ApiProduces('application/pdf')
  @ApiOkResponse({ description: 'The invoice as application/pdf', schema: { type: 'string', format: 'binary' } })
  @ApiProblems([404, ['NOT_FOUND']])
  async download(@CurrentPrincipal() p: Principal, @InvoiceId() id: string): Promise<StreamableFile> {
    const invoice = await this.invoices.get(p, id);
    const bytes = await this.pdf.render(invoice);
    const name = `${invoice.number ?? `draft-${invoice.id}`}.pdf`;
    return new StreamableFile(bytes, { type: 'application/pdf', disposition: `inline; filename="${name}"`, length: bytes.length });
  }

  @Post('invoices/:invoiceId/void')
  @HttpCode(200)
  @Allow(Access.platform)
  @Idempotent()
  @ApiOperation({ summary: 'Void invoice', description: 'platform-admin only; draft or open invoices; drawn credits are returned. Paid invoices never change.' })
  @ApiParam({ name: 'invoiceId', format: 'uuid' })
  @ApiOkResponse({ type: InvoiceDto })
  @ApiProblems(400, [404, ['NOT_FOUND']], [409, ['INVALID_STATE', 'IDEMPOTENCY_CONFLICT']])
  void(@InvoiceId() id: string, @Body(EmptyBodyPipe) _body: unknown): Promise<InvoiceDto> {
    return this.invoices.void(id);
  }
}

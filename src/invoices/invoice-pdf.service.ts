import { Injectable } from '@nestjs/common';
import type { Invoice } from './invoice.types';
import { renderInvoicePdf } from './pdf/render-invoice-pdf';

/** The issuer printed on invoices (the platform operator). */
const ISSUER = { name: 'Data Platform Inc.', address: ['1 Analytics Way', 'San Francisco, CA 94105', 'United States'], email: 'billing@dataplatform.example' };

@Injectable()
export class InvoicePdfService {
  render(invoice: Invoice): Promise<Buffer> {
    return renderInvoicePdf({ issuer: ISSUER, invoice: { ...invoice, taxRate: invoice.taxRate } });
  }
}

import type { InvoiceLine } from '../pricing/invoice-builder';
import type { InvoiceTotals } from '../pricing/invoice-totals';
import type { Discount } from '../subscriptions/domain/discount';

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

/** An invoice row as the domain sees it: its totals are the pricing engine's InvoiceTotals. */
export interface Invoice extends InvoiceTotals {
  id: string;
  tenantId: string;
  subscriptionId: string;
  number: string | null;
  status: InvoiceStatus;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  lines: InvoiceLine[];
  taxRate: string;
  discount: Discount | null;
  finalizedAt: Date | null;
  dueAt: Date | null;
  paidAt: Date | null;
  voidedAt: Date | null;
  paymentIntentId: string | null;
  paymentIntentAmountCents: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Invoice numbers: INV-<tenant>-<sequence padded to 6>. */
export function invoiceNumber(tenantId: string, sequence: number): string {
  return `INV-${tenantId}-${String(sequence).padStart(6, '0')}`;
}

import type { InvoiceLine } from '../billing/invoice-builder';
import type { Discount } from '../subscriptions/domain/discount';

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

export interface Invoice {
  id: string;
  tenantId: string;
  subscriptionId: string;
  number: string | null;
  status: InvoiceStatus;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  lines: InvoiceLine[];
  subtotalCents: number;
  discountCents: number;
  taxCents: number;
  totalCents: number;
  creditAppliedCents: number;
  amountDueCents: number;
  creditRemainderCents: number;
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

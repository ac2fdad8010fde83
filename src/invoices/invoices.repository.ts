import { Injectable } from '@nestjs/common';
import type { InvoiceLine } from '../pricing/invoice-builder';
import type { InvoiceTotals } from '../pricing/invoice-totals';
import type { ChargeDef } from '../catalog/catalog.types';
import { Transactions } from '../common/database/transactions';
import type { Invoice, InvoiceStatus } from './invoice.types';

/** What a finalized period billed for one metric; late usage is billed against it. */
export interface BilledUsage {
  periodStart: Date;
  periodEnd: Date;
  metric: string;
  charge: ChargeDef;
  quantity: string;
  amountCents: number;
  /** The invoice that billed it last. */
  invoiceId: string;
}

const COLUMNS = `id, tenant_id, subscription_id, number, status, currency, period_start, period_end, lines, subtotal_cents, discount_cents,
  tax_cents, total_cents, credit_applied_cents, amount_due_cents, credit_remainder_cents, tax_rate::text AS tax_rate, discount,
  finalized_at, due_at, paid_at, voided_at, payment_intent_id, payment_intent_amount_cents, created_at, updated_at`;

function reviveLines(lines: Array<Record<string, any>>): InvoiceLine[] {
  return lines.map((l) => ({ ...l, periodStart: new Date(l.periodStart), periodEnd: new Date(l.periodEnd) }) as InvoiceLine);
}

export function toInvoice(r: Record<string, any>): Invoice {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    subscriptionId: r.subscription_id,
    number: r.number,
    status: r.status,
    currency: r.currency,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    lines: reviveLines(r.lines),
    subtotalCents: Number(r.subtotal_cents),
    discountCents: Number(r.discount_cents),
    taxCents: Number(r.tax_cents),
    totalCents: Number(r.total_cents),
    creditAppliedCents: Number(r.credit_applied_cents),
    amountDueCents: Number(r.amount_due_cents),
    creditRemainderCents: Number(r.credit_remainder_cents),
    taxRate: r.tax_rate,
    discount: r.discount,
    finalizedAt: r.finalized_at,
    dueAt: r.due_at,
    paidAt: r.paid_at,
    voidedAt: r.voided_at,
    paymentIntentId: r.payment_intent_id,
    paymentIntentAmountCents: r.payment_intent_amount_cents === null ? null : Number(r.payment_intent_amount_cents),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** What a draft stores: its lines and totals (the pricing engine's), and the terms they were priced with. */
export interface InvoiceContent extends InvoiceTotals {
  currency: string;
  lines: InvoiceLine[];
  taxRate: string;
  discount: unknown;
}

const CONTENT_PARAMS = (c: InvoiceContent) => [
  c.currency, JSON.stringify(c.lines), c.subtotalCents, c.discountCents, c.taxCents, c.totalCents, c.creditAppliedCents, c.amountDueCents,
  c.creditRemainderCents, c.taxRate, c.discount === null ? null : JSON.stringify(c.discount),
];

/** The only place invoices are queried; lookups are scoped by tenant. */
@Injectable()
export class InvoicesRepository {
  constructor(private readonly tx: Transactions) {}

  async insertDraft(tenantId: string, subscriptionId: string, periodStart: Date, periodEnd: Date, c: InvoiceContent): Promise<Invoice> {
    const [row] = await this.tx.manager().query(
      `INSERT INTO invoices (tenant_id, subscription_id, status, period_start, period_end, currency, lines, subtotal_cents, discount_cents, tax_cents,
         total_cents, credit_applied_cents, amount_due_cents, credit_remainder_cents, tax_rate, discount)
       VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING ${COLUMNS}`,
      [tenantId, subscriptionId, periodStart, periodEnd, ...CONTENT_PARAMS(c)],
    );
    return toInvoice(row);
  }

  async refreshDraft(id: string, periodEnd: Date, c: InvoiceContent): Promise<Invoice> {
    const [rows] = await this.tx.manager().query(
      `UPDATE invoices SET period_end = $2, currency = $3, lines = $4, subtotal_cents = $5, discount_cents = $6, tax_cents = $7, total_cents = $8,
         credit_applied_cents = $9, amount_due_cents = $10, credit_remainder_cents = $11, tax_rate = $12, discount = $13, updated_at = now()
       WHERE id = $1 AND status = 'draft' RETURNING ${COLUMNS}`,
      [id, periodEnd, ...CONTENT_PARAMS(c)],
    );
    return toInvoice(rows[0]);
  }

  async findById(tenantId: string | null, id: string, lock = false): Promise<Invoice | null> {
    const rows = await this.tx.manager().query(
      `SELECT ${COLUMNS} FROM invoices WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)${lock ? ' FOR UPDATE' : ''}`,
      [id, tenantId],
    );
    return rows[0] ? toInvoice(rows[0]) : null;
  }

  async findForPeriod(subscriptionId: string, periodStart: Date, lock = false): Promise<Invoice | null> {
    const rows = await this.tx.manager().query(
      `SELECT ${COLUMNS} FROM invoices WHERE subscription_id = $1 AND period_start = $2 AND status <> 'void'${lock ? ' FOR UPDATE' : ''}`,
      [subscriptionId, periodStart],
    );
    return rows[0] ? toInvoice(rows[0]) : null;
  }

  async list(tenantId: string, status: InvoiceStatus | undefined, after: [string, string] | null, limit: number): Promise<Invoice[]> {
    const rows = await this.tx.manager().query(
      `SELECT ${COLUMNS} FROM invoices
       WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2)
         AND ($3::timestamptz IS NULL OR (date_trunc('milliseconds', created_at), id) < ($3::timestamptz, $4::uuid))
       ORDER BY date_trunc('milliseconds', created_at) DESC, id DESC LIMIT $5`,
      [tenantId, status ?? null, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    return rows.map(toInvoice);
  }

  /** The tenant's next invoice number: the sequence row stays locked until the transaction ends, so numbers have no gaps. */
  async nextSequence(tenantId: string): Promise<number> {
    const [row] = await this.tx.manager().query(
      `INSERT INTO invoice_sequences (tenant_id, last_value) VALUES ($1, 1)
       ON CONFLICT (tenant_id) DO UPDATE SET last_value = invoice_sequences.last_value + 1 RETURNING last_value`,
      [tenantId],
    );
    return row.last_value;
  }

  async markFinalized(id: string, f: { number: string; status: InvoiceStatus; creditAppliedCents: number; amountDueCents: number; dueAt: Date; at: Date }): Promise<Invoice> {
    const [rows] = await this.tx.manager().query(
      `UPDATE invoices SET number = $2, status = $3, credit_applied_cents = $4, amount_due_cents = $5, due_at = $6,
         finalized_at = $7, paid_at = CASE WHEN $3 = 'paid' THEN $7::timestamptz END, updated_at = now()
       WHERE id = $1 AND status = 'draft' RETURNING ${COLUMNS}`,
      [id, f.number, f.status, f.creditAppliedCents, f.amountDueCents, f.dueAt, f.at],
    );
    return toInvoice(rows[0]);
  }

  async setStatus(id: string, from: InvoiceStatus[], to: InvoiceStatus, stamp: 'voided_at' | 'paid_at' | null, at: Date): Promise<Invoice | null> {
    const [rows] = await this.tx.manager().query(
      `UPDATE invoices SET status = $3${stamp ? `, ${stamp} = $4` : ''}, updated_at = now() WHERE id = $1 AND status = ANY($2) RETURNING ${COLUMNS}`,
      stamp ? [id, from, to, at] : [id, from, to],
    );
    return rows[0] ? toInvoice(rows[0]) : null;
  }

  async setPaymentIntent(id: string, paymentIntentId: string | null, amountCents: number | null): Promise<void> {
    await this.tx.manager().query('UPDATE invoices SET payment_intent_id = $2, payment_intent_amount_cents = $3, updated_at = now() WHERE id = $1', [id, paymentIntentId, amountCents]);
  }

  async findByPaymentIntent(paymentIntentId: string, lock = false): Promise<Invoice | null> {
    const rows = await this.tx.manager().query(`SELECT ${COLUMNS} FROM invoices WHERE payment_intent_id = $1${lock ? ' FOR UPDATE' : ''}`, [paymentIntentId]);
    return rows[0] ? toInvoice(rows[0]) : null;
  }

  /** What was billed for the usage of the given periods, one row per metric and plan part. */
  async billedUsage(subscriptionId: string, periods: Array<{ periodStart: Date; periodEnd: Date }>): Promise<BilledUsage[]> {
    const rows = await this.tx.manager().query(
      `SELECT b.period_start, b.period_end, b.metric, b.charge, b.quantity::text AS quantity, b.amount_cents, b.invoice_id
       FROM billed_usage b JOIN unnest($2::timestamptz[], $3::timestamptz[]) AS p (start_at, end_at) ON b.period_start >= p.start_at AND b.period_start < p.end_at
       WHERE b.subscription_id = $1 ORDER BY b.period_start, b.metric`,
      [subscriptionId, periods.map((p) => p.periodStart), periods.map((p) => p.periodEnd)],
    );
    return rows.map((r: Record<string, any>) => ({
      periodStart: r.period_start,
      periodEnd: r.period_end,
      metric: r.metric,
      charge: r.charge,
      quantity: r.quantity,
      amountCents: Number(r.amount_cents),
      invoiceId: r.invoice_id,
    }));
  }

  async recordBilledUsage(subscriptionId: string, rows: BilledUsage[]): Promise<void> {
    if (rows.length === 0) return;
    await this.tx.manager().query(
      `INSERT INTO billed_usage (subscription_id, period_start, period_end, metric, charge, quantity, amount_cents, invoice_id)
       SELECT $1, * FROM unnest($2::timestamptz[], $3::timestamptz[], $4::text[], $5::jsonb[], $6::numeric[], $7::bigint[], $8::uuid[])
       ON CONFLICT (subscription_id, period_start, metric) DO UPDATE SET quantity = EXCLUDED.quantity, amount_cents = EXCLUDED.amount_cents,
         invoice_id = EXCLUDED.invoice_id, updated_at = now()`,
      [
        subscriptionId,
        rows.map((r) => r.periodStart),
        rows.map((r) => r.periodEnd),
        rows.map((r) => r.metric),
        rows.map((r) => JSON.stringify(r.charge)),
        rows.map((r) => r.quantity),
        rows.map((r) => r.amountCents),
        rows.map((r) => r.invoiceId),
      ],
    );
  }

  /** The last finalized periods of a subscription before `before` (late usage looks back at most this far). */
  async lastFinalizedPeriods(subscriptionId: string, before: Date, count: number): Promise<Array<{ periodStart: Date; periodEnd: Date; finalizedAt: Date }>> {
    const rows = await this.tx.manager().query(
      `SELECT period_start, period_end, finalized_at FROM invoices WHERE subscription_id = $1 AND status IN ('open', 'paid', 'uncollectible') AND period_start < $2
       ORDER BY period_start DESC LIMIT $3`,
      [subscriptionId, before, count],
    );
    return rows.map((r: Record<string, any>) => ({ periodStart: r.period_start, periodEnd: r.period_end, finalizedAt: r.finalized_at }));
  }

  /**
   * Whether any event of the period may have arrived after `since` (an index probe). The margin
   * covers ingest transactions that began before the invoice was finalized and committed after.
   */
  async mayHaveLateEvents(tenantId: string, period: { periodStart: Date; periodEnd: Date }, since: Date): Promise<boolean> {
    const rows = await this.tx.manager().query(
      `SELECT 1 FROM usage_events WHERE tenant_id = $1 AND ingested_at > $2::timestamptz - interval '5 minutes' AND ts >= $3 AND ts < $4 LIMIT 1`,
      [tenantId, since, period.periodStart, period.periodEnd],
    );
    return rows.length > 0;
  }

  async forgetBilledUsage(invoiceId: string): Promise<void> {
    await this.tx.manager().query('DELETE FROM billed_usage WHERE invoice_id = $1', [invoiceId]);
  }

  /** When a metric's usage of a billed window was last billed (its billed_usage row written), or null. */
  async billedUsageWrittenAt(subscriptionId: string, metric: string, periodStart: Date): Promise<Date | null> {
    const rows = await this.tx.manager().query<Array<{ updated_at: Date }>>(
      'SELECT updated_at FROM billed_usage WHERE subscription_id = $1 AND period_start = $2 AND metric = $3',
      [subscriptionId, periodStart, metric],
    );
    return rows[0]?.updated_at ?? null;
  }
}

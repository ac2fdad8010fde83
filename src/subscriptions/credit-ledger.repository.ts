import { Injectable } from '@nestjs/common';
import { Transactions } from '../common/database/transactions';
import type { CreditGrant } from './domain/credit-ledger';

export type CreditEntryKind = 'grant' | 'draw' | 'expire' | 'return';

export interface CreditEntry {
  id: string;
  tenantId: string;
  subscriptionId: string;
  kind: CreditEntryKind;
  amountCents: number;
  currency: string;
  reason: string | null;
  expiresAt: Date | null;
  grantId: string | null;
  invoiceId: string | null;
  createdAt: Date;
}

/** The ledger a movement is written to. */
export interface LedgerOf {
  tenantId: string;
  subscriptionId: string;
  currency: string;
}

interface EntryRow {
  id: string;
  tenant_id: string;
  subscription_id: string;
  kind: CreditEntryKind;
  amount_cents: string;
  currency: string;
  reason: string | null;
  expires_at: Date | null;
  grant_id: string | null;
  invoice_id: string | null;
  created_at: Date;
}

const COLUMNS = 'id, tenant_id, subscription_id, kind, amount_cents, currency, reason, expires_at, grant_id, invoice_id, created_at';

function toEntry(r: EntryRow): CreditEntry {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    subscriptionId: r.subscription_id,
    kind: r.kind,
    amountCents: Number(r.amount_cents),
    currency: r.currency,
    reason: r.reason,
    expiresAt: r.expires_at,
    grantId: r.grant_id,
    invoiceId: r.invoice_id,
    createdAt: r.created_at,
  };
}

/** The only place credit_entries are queried (append-only; the balance is derived from them). */
@Injectable()
export class CreditLedgerRepository {
  constructor(private readonly tx: Transactions) {}

  async insertGrant(g: LedgerOf & { amountCents: number; reason: string; expiresAt: Date | null }): Promise<CreditEntry> {
    const [row] = await this.tx.manager().query<EntryRow[]>(
      `INSERT INTO credit_entries (tenant_id, subscription_id, kind, amount_cents, currency, reason, expires_at)
       VALUES ($1, $2, 'grant', $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [g.tenantId, g.subscriptionId, g.amountCents, g.currency, g.reason, g.expiresAt],
    );
    return toEntry(row);
  }

  /** Each grant of the subscription with the sum of the movements against it. */
  async grants(subscriptionId: string): Promise<CreditGrant[]> {
    const rows = await this.tx.manager().query<Array<{ id: string; amount_cents: string; expires_at: Date | null; created_at: Date; movements: string }>>(
      `SELECT g.id, g.amount_cents, g.expires_at, g.created_at, coalesce(sum(m.amount_cents), 0) AS movements
       FROM credit_entries g LEFT JOIN credit_entries m ON m.grant_id = g.id
       WHERE g.subscription_id = $1 AND g.kind = 'grant'
       GROUP BY g.id`,
      [subscriptionId],
    );
    return rows.map((r) => ({ id: r.id, amountCents: Number(r.amount_cents), expiresAt: r.expires_at, createdAt: r.created_at, movementsCents: Number(r.movements) }));
  }

  /** What an invoice still holds drawn, per grant (draws less returns). */
  async outstandingDraws(invoiceId: string): Promise<Array<{ grantId: string; cents: number }>> {
    const rows = await this.tx.manager().query<Array<{ grant_id: string; cents: string }>>(
      `SELECT grant_id, -sum(amount_cents) AS cents FROM credit_entries WHERE invoice_id = $1 AND kind IN ('draw', 'return') GROUP BY grant_id HAVING sum(amount_cents) < 0`,
      [invoiceId],
    );
    return rows.map((r) => ({ grantId: r.grant_id, cents: Number(r.cents) }));
  }

  async appendMovement(l: LedgerOf, kind: Exclude<CreditEntryKind, 'grant'>, cents: number, grantId: string, invoiceId: string | null): Promise<void> {
    await this.tx.manager().query(
      `INSERT INTO credit_entries (tenant_id, subscription_id, kind, amount_cents, currency, grant_id, invoice_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [l.tenantId, l.subscriptionId, kind, cents, l.currency, grantId, invoiceId],
    );
  }
}

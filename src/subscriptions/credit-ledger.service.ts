import { Injectable } from '@nestjs/common';
import { Transactions } from '../common/database/transactions';
import { CreditGrant, allocateDraw, availableBalance, expiredRemainders } from './domain/credit-ledger';

export interface CreditEntry {
  id: string;
  tenantId: string;
  subscriptionId: string;
  kind: 'grant' | 'draw' | 'expire' | 'return';
  amountCents: number;
  currency: string;
  reason: string | null;
  expiresAt: Date | null;
  grantId: string | null;
  invoiceId: string | null;
  createdAt: Date;
}

const COLUMNS = 'id, tenant_id, subscription_id, kind, amount_cents, currency, reason, expires_at, grant_id, invoice_id, created_at';

function toEntry(r: Record<string, any>): CreditEntry {
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

/**
 * The credit ledger of a subscription: append-only entries, balance derived. Writers lock the
 * subscription row first (the caller's transaction), so draws never overspend.
 */
@Injectable()
export class CreditLedger {
  constructor(private readonly tx: Transactions) {}

  async grant(g: { tenantId: string; subscriptionId: string; amountCents: number; currency: string; reason: string; expiresAt: Date | null }): Promise<CreditEntry> {
    const [row] = await this.tx.manager().query(
      `INSERT INTO credit_entries (tenant_id, subscription_id, kind, amount_cents, currency, reason, expires_at)
       VALUES ($1, $2, 'grant', $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [g.tenantId, g.subscriptionId, g.amountCents, g.currency, g.reason, g.expiresAt],
    );
    return toEntry(row);
  }

  private async grants(subscriptionId: string): Promise<CreditGrant[]> {
    const rows: Array<Record<string, any>> = await this.tx.manager().query(
      `SELECT g.id, g.amount_cents, g.expires_at, g.created_at, coalesce(sum(m.amount_cents), 0) AS movements
       FROM credit_entries g LEFT JOIN credit_entries m ON m.grant_id = g.id
       WHERE g.subscription_id = $1 AND g.kind = 'grant'
       GROUP BY g.id`,
      [subscriptionId],
    );
    return rows.map((r) => ({ id: r.id, amountCents: Number(r.amount_cents), expiresAt: r.expires_at, createdAt: r.created_at, movementsCents: Number(r.movements) }));
  }

  async balance(subscriptionId: string, at = new Date()): Promise<number> {
    return availableBalance(await this.grants(subscriptionId), at);
  }

  /** Writes off expired remainders, then draws up to `wantedCents` for an invoice; returns what was drawn. */
  async draw(s: { tenantId: string; subscriptionId: string; currency: string }, wantedCents: number, invoiceId: string, at: Date): Promise<number> {
    const grants = await this.grants(s.subscriptionId);
    for (const e of expiredRemainders(grants, at)) await this.append(s, 'expire', -e.cents, e.grantId, null);
    const takes = allocateDraw(grants, wantedCents, at);
    for (const t of takes) await this.append(s, 'draw', -t.cents, t.grantId, invoiceId);
    return takes.reduce((n, t) => n + t.cents, 0);
  }

  /** Gives back every draw of a voided invoice, to the grants it came from. */
  async returnDraws(s: { tenantId: string; subscriptionId: string; currency: string }, invoiceId: string): Promise<number> {
    const draws: Array<{ grant_id: string; cents: string }> = await this.tx.manager().query(
      `SELECT grant_id, -sum(amount_cents) AS cents FROM credit_entries WHERE invoice_id = $1 AND kind IN ('draw', 'return') GROUP BY grant_id HAVING sum(amount_cents) < 0`,
      [invoiceId],
    );
    let total = 0;
    for (const d of draws) {
      await this.append(s, 'return', Number(d.cents), d.grant_id, invoiceId);
      total += Number(d.cents);
    }
    return total;
  }

  private async append(s: { tenantId: string; subscriptionId: string; currency: string }, kind: CreditEntry['kind'], cents: number, grantId: string, invoiceId: string | null): Promise<void> {
    await this.tx.manager().query(
      `INSERT INTO credit_entries (tenant_id, subscription_id, kind, amount_cents, currency, grant_id, invoice_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [s.tenantId, s.subscriptionId, kind, cents, s.currency, grantId, invoiceId],
    );
  }
}

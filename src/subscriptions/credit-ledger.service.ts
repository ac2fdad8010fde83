import { Injectable } from '@nestjs/common';
import { CreditEntry, CreditLedgerRepository, LedgerOf } from './credit-ledger.repository';
import { allocateDraw, availableBalance, expiredRemainders } from './domain/credit-ledger';

export type { CreditEntry } from './credit-ledger.repository';

/**
 * The credit ledger of a subscription: append-only entries, balance derived. Writers lock the
 * subscription row first (the caller's transaction), so draws never overspend.
 */
@Injectable()
export class CreditLedger {
  constructor(private readonly entries: CreditLedgerRepository) {}

  grant(g: LedgerOf & { amountCents: number; reason: string; expiresAt: Date | null }): Promise<CreditEntry> {
    return this.entries.insertGrant(g);
  }

  async balance(subscriptionId: string, at = new Date()): Promise<number> {
    return availableBalance(await this.entries.grants(subscriptionId), at);
  }

  /** Writes off expired remainders, then draws up to `wantedCents` for an invoice; returns what was drawn. */
  async draw(l: LedgerOf, wantedCents: number, invoiceId: string, at: Date): Promise<number> {
    const grants = await this.entries.grants(l.subscriptionId);
    for (const e of expiredRemainders(grants, at)) await this.entries.appendMovement(l, 'expire', -e.cents, e.grantId, null);
    const takes = allocateDraw(grants, wantedCents, at);
    for (const t of takes) await this.entries.appendMovement(l, 'draw', -t.cents, t.grantId, invoiceId);
    return takes.reduce((n, t) => n + t.cents, 0);
  }

  /** Gives back every draw of a voided invoice, to the grants it came from. */
  async returnDraws(l: LedgerOf, invoiceId: string): Promise<number> {
    let total = 0;
    for (const d of await this.entries.outstandingDraws(invoiceId)) {
      await this.entries.appendMovement(l, 'return', d.cents, d.grantId, invoiceId);
      total += d.cents;
    }
    return total;
  }
}

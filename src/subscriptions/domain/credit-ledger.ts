/**
 * Credit balance derived from an append-only ledger. A grant is spent first-to-expire first; a
 * grant past its expiry counts for nothing (its remainder is written off by an `expire` entry
 * the next time the ledger is drawn from or swept).
 */
export interface CreditGrant {
  id: string;
  amountCents: number;
  expiresAt: Date | null;
  createdAt: Date;
  /** Sum of the entries against this grant: draws and expiries (< 0), returns (> 0). */
  movementsCents: number;
}

export function remaining(g: CreditGrant): number {
  return Math.max(0, g.amountCents + g.movementsCents);
}

export function isExpired(g: CreditGrant, at: Date): boolean {
  return g.expiresAt !== null && g.expiresAt.getTime() <= at.getTime();
}

export function availableBalance(grants: readonly CreditGrant[], at: Date): number {
  return grants.reduce((sum, g) => (isExpired(g, at) ? sum : sum + remaining(g)), 0);
}

/** Grants in spending order: soonest expiry first (never-expiring last), then oldest. */
function spendingOrder(a: CreditGrant, b: CreditGrant): number {
  const ea = a.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const eb = b.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  return ea - eb || a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1);
}

/** How a draw of up to `wantedCents` is taken from the grants (never more than available). */
export function allocateDraw(grants: readonly CreditGrant[], wantedCents: number, at: Date): Array<{ grantId: string; cents: number }> {
  const takes: Array<{ grantId: string; cents: number }> = [];
  let left = Math.max(0, wantedCents);
  for (const g of [...grants].filter((g) => !isExpired(g, at)).sort(spendingOrder)) {
    if (left === 0) break;
    const take = Math.min(left, remaining(g));
    if (take > 0) {
      takes.push({ grantId: g.id, cents: take });
      left -= take;
    }
  }
  return takes;
}

/** Expired grants that still hold something: each gets an `expire` entry for its remainder. */
export function expiredRemainders(grants: readonly CreditGrant[], at: Date): Array<{ grantId: string; cents: number }> {
  return grants.filter((g) => isExpired(g, at) && remaining(g) > 0).map((g) => ({ grantId: g.id, cents: remaining(g) }));
}

import type { Principal } from './principal';

interface Verified {
  principal: Principal;
  /** The token's exp in ms: from then on it is verified (and refused) again. */
  expiresAtMs: number;
}

/**
 * Principals of bearer tokens that passed full verification, kept until their `exp`, so a hot
 * route does not check the same signature thousands of times a second. Keyed by the whole token
 * string: a token that differs in one byte (tampered, re-signed, another alg) is a miss and is
 * verified in full. Failures are never kept. Bounded: past `maxEntries` the oldest is dropped.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Verified>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string): Principal | null {
    const entry = this.entries.get(token);
    if (!entry) return null;
    // jsonwebtoken refuses once floor(now / 1000) >= exp; now >= exp * 1000 is never later.
    if (this.now() >= entry.expiresAtMs) {
      this.entries.delete(token);
      return null;
    }
    return entry.principal;
  }

  /** Call only with a token that has just passed verification, and the principal made from it. */
  remember(token: string, principal: Principal): void {
    const exp = expOf(token);
    if (exp === null || this.now() >= exp * 1000) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { principal: Object.freeze({ ...principal, roles: Object.freeze([...principal.roles]) as Principal['roles'] }), expiresAtMs: exp * 1000 });
  }
}

/** The exp claim of a compact JWS, or null (then the token is not kept). */
function expOf(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : null;
  } catch {
    return null;
  }
}

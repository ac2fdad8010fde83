import fc from 'fast-check';
import { CreditGrant, allocateDraw, availableBalance, expiredRemainders } from './credit-ledger';

const at = new Date('2026-06-01T00:00:00Z');
const grant = (id: string, amountCents: number, expiresAt: string | null, movementsCents = 0, createdAt = '2026-01-01T00:00:00Z'): CreditGrant => ({
  id,
  amountCents,
  expiresAt: expiresAt ? new Date(expiresAt) : null,
  createdAt: new Date(createdAt),
  movementsCents,
});

describe('credit ledger', () => {
  it('sums unexpired remainders', () => {
    const grants = [grant('a', 1000, null, -300), grant('b', 500, '2026-05-01T00:00:00Z'), grant('c', 200, '2026-07-01T00:00:00Z')];
    expect(availableBalance(grants, at)).toBe(700 + 200);
    expect(expiredRemainders(grants, at)).toEqual([{ grantId: 'b', cents: 500 }]);
  });

  it('draws soonest-expiring first and never more than available', () => {
    const grants = [grant('forever', 1000, null), grant('soon', 300, '2026-06-10T00:00:00Z'), grant('later', 300, '2026-08-01T00:00:00Z')];
    expect(allocateDraw(grants, 500, at)).toEqual([
      { grantId: 'soon', cents: 300 },
      { grantId: 'later', cents: 200 },
    ]);
    expect(allocateDraw(grants, 5000, at).reduce((n, t) => n + t.cents, 0)).toBe(1600);
    expect(allocateDraw(grants, 0, at)).toEqual([]);
  });

  it('takes exactly min(wanted, balance), each take within its grant (property)', () => {
    const g = fc.record({
      amount: fc.integer({ min: 1, max: 10_000 }),
      used: fc.integer({ min: 0, max: 10_000 }),
      expiresInDays: fc.option(fc.integer({ min: -30, max: 30 }), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(g, { maxLength: 8 }), fc.integer({ min: 0, max: 50_000 }), (specs, wanted) => {
        const grants = specs.map((s, i) =>
          grant(`g${i}`, s.amount, s.expiresInDays === null ? null : new Date(at.getTime() + s.expiresInDays * 86_400_000).toISOString(), -Math.min(s.used, s.amount)),
        );
        const takes = allocateDraw(grants, wanted, at);
        const total = takes.reduce((n, t) => n + t.cents, 0);
        expect(total).toBe(Math.min(wanted, availableBalance(grants, at)));
        for (const t of takes) {
          const src = grants.find((x) => x.id === t.grantId)!;
          expect(t.cents).toBeGreaterThan(0);
          expect(t.cents).toBeLessThanOrEqual(src.amountCents + src.movementsCents);
        }
      }),
    );
  });
});

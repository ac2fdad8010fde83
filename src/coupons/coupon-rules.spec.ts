import { Coupon, appliesToPlan, couponTermsProblems, ineligibility, isExhausted, isExpired } from './coupon-rules';

const now = new Date('2026-03-01T12:00:00Z');

const coupon = (over: Partial<Coupon> = {}): Coupon => ({
  id: 'c1',
  code: 'SAVE10',
  name: 'Save 10',
  percentOff: '10',
  amountOffCents: null,
  currency: null,
  duration: 'once',
  durationInPeriods: null,
  maxRedemptions: null,
  timesRedeemed: 0,
  redeemBy: null,
  appliesToPlans: null,
  active: true,
  createdAt: now,
  updatedAt: now,
  ...over,
});

const usd = { id: 'team-monthly', currency: 'USD' };

describe('coupon rules', () => {
  it('expires at redeemBy, not after it', () => {
    expect(isExpired(coupon({ redeemBy: new Date(now.getTime() + 1) }), now)).toBe(false);
    expect(isExpired(coupon({ redeemBy: now }), now)).toBe(true);
    expect(isExpired(coupon(), now)).toBe(false);
  });

  it('is exhausted once timesRedeemed reaches maxRedemptions', () => {
    expect(isExhausted(coupon({ maxRedemptions: 2, timesRedeemed: 1 }))).toBe(false);
    expect(isExhausted(coupon({ maxRedemptions: 2, timesRedeemed: 2 }))).toBe(true);
    expect(isExhausted(coupon({ timesRedeemed: 1_000 }))).toBe(false);
  });

  it('applies to listed plans, and amounts off only in the plan currency', () => {
    expect(appliesToPlan(coupon({ appliesToPlans: ['team-yearly'] }), usd)).toBe(false);
    expect(appliesToPlan(coupon({ appliesToPlans: ['team-monthly'] }), usd)).toBe(true);
    expect(appliesToPlan(coupon({ percentOff: null, amountOffCents: 500, currency: 'EUR' }), usd)).toBe(false);
    expect(appliesToPlan(coupon({ percentOff: null, amountOffCents: 500, currency: 'USD' }), usd)).toBe(true);
  });

  it('reports the first reason in the contract order', () => {
    const ctx = { now, alreadyRedeemed: false, plan: usd };
    const everything = coupon({ active: false, redeemBy: now, maxRedemptions: 1, timesRedeemed: 1, appliesToPlans: ['x'] });
    expect(ineligibility(null, ctx)).toBe('NOT_FOUND');
    expect(ineligibility(everything, { ...ctx, alreadyRedeemed: true })).toBe('INACTIVE');
    expect(ineligibility({ ...everything, active: true }, { ...ctx, alreadyRedeemed: true })).toBe('EXPIRED');
    expect(ineligibility({ ...everything, active: true, redeemBy: null }, { ...ctx, alreadyRedeemed: true })).toBe('EXHAUSTED');
    expect(ineligibility({ ...everything, active: true, redeemBy: null, maxRedemptions: null }, { ...ctx, alreadyRedeemed: true })).toBe('ALREADY_REDEEMED');
    expect(ineligibility({ ...everything, active: true, redeemBy: null, maxRedemptions: null }, ctx)).toBe('NOT_APPLICABLE');
    expect(ineligibility({ ...everything, active: true, redeemBy: null, maxRedemptions: null }, { ...ctx, plan: null })).toBeNull();
    expect(ineligibility(coupon(), ctx)).toBeNull();
  });

  describe('terms of a new coupon', () => {
    const paths = (input: Parameters<typeof couponTermsProblems>[0]) => couponTermsProblems(input, now).map((e) => e.path);

    it('accepts one kind of discount with its duration', () => {
      expect(paths({ percentOff: '100', duration: 'forever' })).toEqual([]);
      expect(paths({ amountOffCents: 1, currency: 'USD', duration: 'repeating', durationInPeriods: 3, redeemBy: '2026-03-02T00:00:00Z' })).toEqual([]);
    });

    it('refuses both or neither kind, a percent out of (0, 100] and a stray currency', () => {
      expect(paths({ percentOff: '10', amountOffCents: 5, currency: 'USD', duration: 'once' })).toEqual(['amountOffCents']);
      expect(paths({ duration: 'once' })).toEqual(['percentOff']);
      expect(paths({ percentOff: '0', duration: 'once' })).toEqual(['percentOff']);
      expect(paths({ percentOff: '100.0001', duration: 'once' })).toEqual(['percentOff']);
      expect(paths({ amountOffCents: 5, duration: 'once' })).toEqual(['currency']);
      expect(paths({ percentOff: '5', currency: 'USD', duration: 'once' })).toEqual(['currency']);
    });

    it('ties durationInPeriods to repeating and redeemBy to the future', () => {
      expect(paths({ percentOff: '5', duration: 'repeating' })).toEqual(['durationInPeriods']);
      expect(paths({ percentOff: '5', duration: 'forever', durationInPeriods: 2 })).toEqual(['durationInPeriods']);
      expect(paths({ percentOff: '5', duration: 'once', redeemBy: '2026-03-01T12:00:00Z' })).toEqual(['redeemBy']);
      expect(paths({ percentOff: '5', duration: 'once', redeemBy: '2026-02-30T12:00:00Z' })).toEqual(['redeemBy']);
    });
  });
});

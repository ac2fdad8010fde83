import fc from 'fast-check';
import { InvoiceTotalsInput, invoiceTotals } from './invoice-totals';

const totals = (over: Partial<InvoiceTotalsInput>) =>
  invoiceTotals({ lines: [], discount: null, taxRate: '0', creditBalanceCents: 0, currency: 'USD', ...over });
const lines = (...cents: number[]) => cents.map((amountCents) => ({ amountCents }));

describe('invoiceTotals', () => {
  it('adds up discount, tax and credit', () => {
    // subtotal 1000 + 2345 = 3345; 10 % = 334.5 → 335 (tie away from zero);
    // tax 20 % of 3010 = 602; total 3345 − 335 + 602 = 3612; credit 1000 → due 2612
    expect(totals({ lines: lines(1000, 2345), discount: { percentOff: 10 }, taxRate: '0.2', creditBalanceCents: 1000 })).toEqual({
      subtotalCents: 3345,
      discountCents: 335,
      taxCents: 602,
      totalCents: 3612,
      creditAppliedCents: 1000,
      amountDueCents: 2612,
      creditRemainderCents: 0,
    });
  });

  it('rounds a fractional percentage once', () => {
    // 12.5 % of 999 = 124.875 → 125
    expect(totals({ lines: lines(999), discount: { percentOff: '12.5' } }).discountCents).toBe(125);
  });

  it('caps an amount off at the subtotal, so the total never goes below zero', () => {
    const t = totals({ lines: lines(3345), discount: { amountOffCents: 5000 }, taxRate: '0.2', creditBalanceCents: 700 });
    expect(t).toMatchObject({ discountCents: 3345, taxCents: 0, totalCents: 0, creditAppliedCents: 0, amountDueCents: 0 });
  });

  it('rounds tax once, half away from zero, and charges none at rate 0', () => {
    // 2 × 0.25 = 0.5 → 1; 4999 × 0.2 = 999.8 → 1000
    expect(totals({ lines: lines(2), taxRate: '0.25' }).taxCents).toBe(1);
    expect(totals({ lines: lines(4999), taxRate: '0.2' }).taxCents).toBe(1000);
    expect(totals({ lines: lines(4999), taxRate: '0' }).taxCents).toBe(0);
  });

  it('draws no more credit than the total', () => {
    const t = totals({ lines: lines(3612), creditBalanceCents: 10000 });
    expect(t).toMatchObject({ totalCents: 3612, creditAppliedCents: 3612, amountDueCents: 0 });
  });

  it('turns a negative subtotal into a zero total and a credit remainder, with no discount', () => {
    // base 49.00 − proration credit 100.00 = −51.00
    const t = totals({ lines: lines(4900, -10000), discount: { percentOff: 50 }, taxRate: '0.2', creditBalanceCents: 500 });
    expect(t).toEqual({
      subtotalCents: -5100,
      discountCents: 0,
      taxCents: 0,
      totalCents: 0,
      creditAppliedCents: 0,
      amountDueCents: 0,
      creditRemainderCents: 5100,
    });
  });

  it('gives no discount on a zero subtotal', () => {
    expect(totals({ lines: lines(0), discount: { amountOffCents: 500 } }).discountCents).toBe(0);
  });

  it('works in whole yen (JPY)', () => {
    // 1000 yen − 15 % (150) = 850; tax 10 % = 85; total 935
    expect(totals({ lines: lines(1000), discount: { percentOff: 15 }, taxRate: '0.1', currency: 'JPY' })).toMatchObject({ discountCents: 150, taxCents: 85, totalCents: 935 });
  });

  it('refuses a discount that is both a percentage and an amount', () => {
    expect(() => totals({ lines: lines(100), discount: { percentOff: 10, amountOffCents: 10 } })).toThrow();
  });
});

describe('invoiceTotals properties', () => {
  const discountArb = fc.oneof(
    fc.constant(null),
    fc.record({ percentOff: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 10000 }).map((n) => String(n / 100))) }),
    fc.record({ amountOffCents: fc.integer({ min: 0, max: 20_000_000 }) }),
  );
  const taxRateArb = fc.oneof(fc.constantFrom('0', '0.2', '0.07', '0.125', '1'), fc.integer({ min: 0, max: 1_000_000 }).map((n) => String(n / 1_000_000)));
  const inputArb = fc.record({
    lines: fc.array(fc.record({ amountCents: fc.integer({ min: -10_000_000, max: 10_000_000 }) }), { maxLength: 8 }),
    discount: discountArb,
    taxRate: taxRateArb,
    creditBalanceCents: fc.integer({ min: 0, max: 20_000_000 }),
    currency: fc.constantFrom('USD', 'EUR', 'JPY'),
  });

  it('always adds up, in integers, within bounds', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const t = invoiceTotals(input);
        for (const v of Object.values(t)) expect(Number.isSafeInteger(v)).toBe(true);
        expect(t.subtotalCents).toBe(input.lines.reduce((s, l) => s + l.amountCents, 0));
        // The contract's identity, extended by the carried-over credit of a negative subtotal.
        expect(t.totalCents).toBe(t.subtotalCents - t.discountCents + t.taxCents + t.creditRemainderCents);
        if (t.subtotalCents >= 0) expect(t.creditRemainderCents).toBe(0);
        expect(t.amountDueCents).toBe(t.totalCents - t.creditAppliedCents);
        expect(t.discountCents).toBeGreaterThanOrEqual(0);
        expect(t.discountCents).toBeLessThanOrEqual(Math.max(t.subtotalCents, 0));
        expect(t.taxCents).toBeGreaterThanOrEqual(0);
        expect(t.creditAppliedCents).toBeGreaterThanOrEqual(0);
        expect(t.creditAppliedCents).toBeLessThanOrEqual(Math.min(t.totalCents, input.creditBalanceCents));
        expect(t.amountDueCents).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

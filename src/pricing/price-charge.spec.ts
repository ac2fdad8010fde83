import fc from 'fast-check';
import catalog from '../../catalog/default.json';
import { CatalogFile, ChargeDef, Tier } from '../catalog/catalog.types';
import { Dec } from '../common/money/decimal';
import { toMinorUnits } from '../common/money/money';
import { ChargeComputation, TieredComputation, priceCharge, recomputeCharge } from './price-charge';

const plans = (catalog as unknown as CatalogFile).plans;

/** A charge of a real plan in catalog/default.json. */
function planCharge(planId: string, metric: string): ChargeDef {
  const charge = plans.find((p) => p.id === planId)?.charges.find((c) => c.metric === metric);
  if (!charge) throw new Error(`no ${metric} charge on ${planId}`);
  return charge;
}

const tiersOf = (c: ChargeComputation) => (c as TieredComputation).tiers;

describe('priceCharge', () => {
  describe('graduated (team-monthly compute: 50 included; 1000 @ 0.12, 10000 @ 0.10, rest @ 0.08)', () => {
    const compute = planCharge('team-monthly', 'compute.cpu_hours');

    it('puts a billable total exactly at upTo wholly in the first tier', () => {
      // 1050 − 50 included = 1000 billable, all in tier 0: 1000 × 0.12 = 120.00
      const p = priceCharge(compute, '1050', 'USD');
      expect(p).toMatchObject({ quantity: '1050', includedQuantity: '50', billableQuantity: '1000', amount: '120', amountCents: 12000 });
      expect(p.computation).toEqual({
        model: 'graduated',
        quantity: '1050',
        includedQuantity: '50',
        billableQuantity: '1000',
        amount: '120',
        unitPrice: null,
        tiers: [{ index: 0, from: '0', upTo: '1000', units: '1000', unitPrice: '0.12', flatFee: '0', amount: '120' }],
      });
    });

    it('prices one unit past the boundary in the next tier', () => {
      // 1001 billable: 1000 × 0.12 + 1 × 0.10 = 120.10
      const p = priceCharge(compute, '1051', 'USD');
      expect(p.amountCents).toBe(12010);
      expect(tiersOf(p.computation).map((t) => [t.from, t.upTo, t.units, t.amount])).toEqual([
        ['0', '1000', '1000', '120'],
        ['1000', '10000', '1', '0.1'],
      ]);
    });

    it('prices a fractional quantity by the continuous overlap with each tier', () => {
      // 1000.5 billable: 1000 × 0.12 + 0.5 × 0.10 = 120.05
      const p = priceCharge(compute, '1050.5', 'USD');
      expect(p.amount).toBe('120.05');
      expect(p.amountCents).toBe(12005);
      expect(tiersOf(p.computation)[1].units).toBe('0.5');
    });

    it('crosses all three tiers', () => {
      // 20000 billable: 1000 × 0.12 + 9000 × 0.10 + 10000 × 0.08 = 120 + 900 + 800 = 1820
      const p = priceCharge(compute, '20050', 'USD');
      expect(p.amountCents).toBe(182000);
      expect(tiersOf(p.computation).map((t) => t.units)).toEqual(['1000', '9000', '10000']);
      // No 0.091 average: a tiered line's unit price is null, its tiers say what was charged.
      expect(p.computation.unitPrice).toBeNull();
    });

    it('charges nothing when the included quantity exceeds usage', () => {
      const p = priceCharge(compute, '30', 'USD');
      expect(p).toMatchObject({ billableQuantity: '0', amount: '0', amountCents: 0 });
      expect(p.computation).toMatchObject({ tiers: [], unitPrice: null });
    });

    it('prices enterprise-yearly compute over its 100000 included hours', () => {
      // 1500000 − 100000 = 1400000: 1000000 × 0.06 + 400000 × 0.045 = 60000 + 18000 = 78000
      expect(priceCharge(planCharge('enterprise-yearly', 'compute.cpu_hours'), '1500000', 'USD').amountCents).toBe(7800000);
    });
  });

  describe('graduated flat fees', () => {
    // business-monthly query: 10000 free, to 100000 @ 0.004, rest @ 0.003 plus a 50.00 flat fee
    const query = planCharge('business-monthly', 'query.gb_scanned');
    const withFees: ChargeDef = {
      metric: 'm',
      model: 'graduated',
      tiers: [
        { upTo: 1000, unitPrice: '0.10', flatFee: '3.00' },
        { upTo: null, unitPrice: '0.05', flatFee: '5.00' },
      ],
    };

    it('charges a tier flat fee only once a unit falls in that tier', () => {
      // 100000: 10000 × 0 + 90000 × 0.004 = 360, tier 2 not reached, no 50.00 fee
      expect(priceCharge(query, '100000', 'USD').amountCents).toBe(36000);
      // 100001: 360 + 1 × 0.003 + 50 = 410.003 → 41000.3 cents → 41000
      expect(priceCharge(query, '100001', 'USD').amount).toBe('410.003');
      expect(priceCharge(query, '100001', 'USD').amountCents).toBe(41000);
    });

    it('adds every crossed tier flat fee', () => {
      // 1000: 1000 × 0.10 + 3.00 = 103.00; 1001: 103.00 + 1 × 0.05 + 5.00 = 108.05
      expect(priceCharge(withFees, '1000', 'USD').amountCents).toBe(10300);
      expect(priceCharge(withFees, '1001', 'USD').amountCents).toBe(10805);
      // A sliver of a unit is still a unit "in" the tier: 1000.001 → 103 + 0.00005 + 5 = 108.00005
      expect(priceCharge(withFees, '1000.001', 'USD').amount).toBe('108.00005');
    });

    it('charges no flat fee at zero usage', () => {
      expect(priceCharge(withFees, '0', 'USD')).toMatchObject({ amount: '0', amountCents: 0 });
    });
  });

  describe('volume (business-monthly compute: 1000 @ 0.11; 10000 @ 0.09 + 25.00; rest @ 0.07 + 100.00)', () => {
    const compute = planCharge('business-monthly', 'compute.cpu_hours');

    it('prices every unit at the tier the total falls in, with that tier flat fee', () => {
      // 1000 is in tier 0 (upTo inclusive): 1000 × 0.11 = 110
      expect(priceCharge(compute, '1000', 'USD').amountCents).toBe(11000);
      // 1001 moves all units to tier 1: 1001 × 0.09 + 25 = 90.09 + 25 = 115.09
      const p = priceCharge(compute, '1001', 'USD');
      expect(p.amountCents).toBe(11509);
      expect(tiersOf(p.computation)).toEqual([
        { index: 1, from: '1000', upTo: '10000', units: '1001', unitPrice: '0.09', flatFee: '25', amount: '115.09' },
      ]);
      // 10000: 900 + 25 = 925; 10001: 10001 × 0.07 + 100 = 800.07 (the volume cliff)
      expect(priceCharge(compute, '10000', 'USD').amountCents).toBe(92500);
      expect(priceCharge(compute, '10001', 'USD').amountCents).toBe(80007);
    });

    it('charges nothing, not even a flat fee, at zero', () => {
      const p = priceCharge(compute, '0', 'USD');
      expect(p.amountCents).toBe(0);
      expect(p.computation).toMatchObject({ tiers: [], unitPrice: null });
    });

    it('rounds a half-cent tie away from zero', () => {
      // 0.5 × 0.11 = 0.055 USD = 5.5 cents → 6
      expect(priceCharge(compute, '0.5', 'USD')).toMatchObject({ amount: '0.055', amountCents: 6 });
    });

    it('prices in EUR (business-monthly-eur)', () => {
      const eur = planCharge('business-monthly-eur', 'compute.cpu_hours');
      // 2500 × 0.085 + 20 = 212.5 + 20 = 232.50 EUR
      expect(priceCharge(eur, '2500', 'EUR').amountCents).toBe(23250);
      // 1234.567 × 0.085 + 20 = 104.938195 + 20 = 124.938195 → 12493.8195 cents → 12494
      expect(priceCharge(eur, '1234.567', 'EUR')).toMatchObject({ amount: '124.938195', amountCents: 12494 });
    });
  });

  describe('per_unit', () => {
    it('sums a sub-cent price over millions of units exactly (business-monthly api.requests)', () => {
      // 22345678 − 10000000 included = 12345678 × 0.0000015 = 18.518517 → 1851.8517 cents → 1852
      const p = priceCharge(planCharge('business-monthly', 'api.requests'), '22345678', 'USD');
      expect(p).toMatchObject({ billableQuantity: '12345678', amount: '18.518517', amountCents: 1852 });
      expect(p.computation).toEqual({
        model: 'per_unit',
        quantity: '22345678',
        includedQuantity: '10000000',
        billableQuantity: '12345678',
        amount: '18.518517',
        units: '12345678',
        unitPrice: '0.0000015',
      });
    });

    it('rounds half a cent away from zero (team-monthly query @ 0.005 after 1000 included)', () => {
      // 1 × 0.005 = 0.5 cents → 1; 3 × 0.005 = 1.5 cents → 2
      expect(priceCharge(planCharge('team-monthly', 'query.gb_scanned'), '1001', 'USD').amountCents).toBe(1);
      expect(priceCharge(planCharge('team-monthly', 'query.gb_scanned'), '1003', 'USD').amountCents).toBe(2);
    });

    it('prices fractional quantities and keeps the list price at zero usage', () => {
      const storage = planCharge('team-monthly', 'storage.gb_months');
      // 1234.5 − 100 = 1134.5 × 0.023 = 26.0935 → 2609.35 cents → 2609
      expect(priceCharge(storage, '1234.5', 'USD')).toMatchObject({ amount: '26.0935', amountCents: 2609 });
      expect(priceCharge(storage, '40', 'USD')).toMatchObject({ billableQuantity: '0', amountCents: 0 });
      expect(priceCharge(storage, '40', 'USD').computation.unitPrice).toBe('0.023');
    });

    it('rounds to whole yen for JPY (no minor unit)', () => {
      const yen: ChargeDef = { metric: 'm', model: 'per_unit', unitPrice: '0.5' };
      // 1 × 0.5 = 0.5 → 1 yen; 3 × 0.5 = 1.5 → 2; 4 × 0.5 = 2
      expect([1, 3, 4].map((q) => priceCharge(yen, String(q), 'JPY').amountCents)).toEqual([1, 2, 2]);
    });
  });

  describe('package (team-monthly api.requests: 1000000 included; 2.00 per 1000000)', () => {
    const requests = planCharge('team-monthly', 'api.requests');
    const cases: [string, string, number][] = [
      ['1000000', '0', 0], // nothing billable, no package
      ['1000001', '1', 200], // 1 unit buys a whole package
      ['3000000', '2', 400], // exactly 2 packages
      ['3000001', '3', 600], // 2 packages + 1 unit → 3
    ];
    it.each(cases)('%s requests → %s packages → %i cents', (quantity, packages, cents) => {
      const p = priceCharge(requests, quantity, 'USD');
      expect(p.amountCents).toBe(cents);
      expect(p.computation).toMatchObject({ model: 'package', packages, packageSize: '1000000', packagePrice: '2' });
    });

    it('shows no average unit price (6.00 / 2000001 does not terminate); the amount stays exact', () => {
      const p = priceCharge(requests, '3000001', 'USD');
      expect(p.amount).toBe('6');
      expect(p.computation).toMatchObject({ unitPrice: null, packages: '3', packagePrice: '2' });
    });

    it('prices JPY packages', () => {
      const seats: ChargeDef = { metric: 'm', model: 'package', packageSize: 10, packagePrice: '1500' };
      // 25 seats → ceil(2.5) = 3 packages × 1500 = 4500 yen
      expect(priceCharge(seats, '25', 'JPY').amountCents).toBe(4500);
    });
  });

  it('rejects a charge definition that lacks its prices', () => {
    expect(() => priceCharge({ metric: 'm', model: 'per_unit' }, '1', 'USD')).toThrow(/unitPrice/);
  });
});

// ---- properties ------------------------------------------------------------------------------

/** A non-negative decimal string with up to `decimals` places, at most `max`. */
const decimalArb = (max: number, decimals: number) =>
  fc.integer({ min: 0, max: max * 10 ** decimals }).map((n) => new Dec(n).div(10 ** decimals).toFixed());

const priceArb = fc.oneof(decimalArb(1, 7), decimalArb(100, 2));
const feeArb = fc.option(decimalArb(100, 2), { nil: undefined });

const tiersArb: fc.Arbitrary<Tier[]> = fc
  .uniqueArray(fc.integer({ min: 1, max: 100000 }), { minLength: 0, maxLength: 4 })
  .chain((bounds) => {
    const upTos = [...bounds.sort((a, b) => a - b), null];
    return fc.tuple(...upTos.map((upTo) => fc.record({ unitPrice: priceArb, flatFee: feeArb }).map((t) => ({ upTo, ...t }))));
  });

const includedArb = fc.option(decimalArb(1000, 1), { nil: undefined });
const chargeArb: fc.Arbitrary<ChargeDef> = fc.oneof(
  fc.record({ metric: fc.constant('m'), model: fc.constant('per_unit' as const), includedQuantity: includedArb, unitPrice: priceArb }),
  fc.record({ metric: fc.constant('m'), model: fc.constantFrom('graduated' as const, 'volume' as const), includedQuantity: includedArb, tiers: tiersArb }),
  fc.record({
    metric: fc.constant('m'),
    model: fc.constant('package' as const),
    includedQuantity: includedArb,
    packageSize: fc.oneof(fc.integer({ min: 1, max: 10000 }), decimalArb(10, 3).filter((s) => s !== '0')),
    packagePrice: priceArb,
  }),
);
const quantityArb = fc.oneof(decimalArb(200000, 0), decimalArb(200000, 3), decimalArb(10, 12));
const currencyArb = fc.constantFrom('USD', 'EUR', 'JPY', 'BHD');

describe('priceCharge properties', () => {
  it('recomputes the same exact amount and cents from a stored (JSON) computation', () => {
    fc.assert(
      fc.property(chargeArb, quantityArb, currencyArb, (charge, quantity, currency) => {
        const p = priceCharge(charge, quantity, currency);
        const stored = JSON.parse(JSON.stringify(p.computation)) as ChargeComputation;
        const again = recomputeCharge(stored);
        expect(again).toBe(p.amount);
        expect(toMinorUnits(again, currency)).toBe(p.amountCents);
        expect(Number.isSafeInteger(p.amountCents)).toBe(true);
      }),
    );
  });

  it('graduated: >= 0, tier units add up to the billable quantity, and monotone in quantity', () => {
    fc.assert(
      fc.property(tiersArb, includedArb, quantityArb, quantityArb, (tiers, includedQuantity, a, b) => {
        const charge: ChargeDef = { metric: 'm', model: 'graduated', tiers, includedQuantity };
        const [lo, hi] = new Dec(a).lte(b) ? [a, b] : [b, a];
        const pLo = priceCharge(charge, lo, 'USD');
        const pHi = priceCharge(charge, hi, 'USD');
        expect(new Dec(pLo.amount).gte(0)).toBe(true);
        expect(new Dec(pLo.amount).lte(pHi.amount)).toBe(true);
        expect(pLo.amountCents).toBeLessThanOrEqual(pHi.amountCents);
        const units = tiersOf(pHi.computation).reduce((s, t) => s.plus(t.units), new Dec(0));
        expect(units.eq(pHi.billableQuantity)).toBe(true);
      }),
    );
  });

  it('volume: >= 0, and 0 at zero billable', () => {
    fc.assert(
      fc.property(tiersArb, quantityArb, (tiers, quantity) => {
        const p = priceCharge({ metric: 'm', model: 'volume', tiers }, quantity, 'USD');
        expect(new Dec(p.amount).gte(0)).toBe(true);
        if (new Dec(quantity).isZero()) expect(p.amount).toBe('0');
      }),
    );
  });

  it('per_unit: linear in the billable quantity', () => {
    fc.assert(
      fc.property(priceArb, quantityArb, quantityArb, fc.integer({ min: 0, max: 1000 }), (unitPrice, a, b, k) => {
        const charge: ChargeDef = { metric: 'm', model: 'per_unit', unitPrice };
        const amount = (q: Dec) => new Dec(priceCharge(charge, q, 'USD').amount);
        const [qa, qb] = [new Dec(a), new Dec(b)];
        expect(amount(qa.plus(qb)).eq(amount(qa).plus(amount(qb)))).toBe(true);
        expect(amount(qa.times(k)).eq(amount(qa).times(k))).toBe(true);
      }),
    );
  });
});

import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { CatalogFile } from '../catalog/catalog.types';
import { Dec } from '../common/money/decimal';
import { toMinorUnits } from '../common/money/money';
import { makeDiscount } from '../subscriptions/domain/discount';
import { activeSeconds } from '../subscriptions/domain/proration';
import { PricedPart, baseLines, buildInvoice } from './invoice-builder';
import { ChargeComputation, recomputeCharge } from './price-charge';

const catalog: CatalogFile = JSON.parse(fs.readFileSync(path.join(__dirname, '../../catalog/default.json'), 'utf8'));
const plan = (id: string) => catalog.plans.find((p) => p.id === id)!;
const metric = (key: string) => catalog.metrics.find((m) => m.key === key);
/** One plan over the whole of January. */
const whole = (planId: string, usage: Map<string, Dec> = new Map()) => ({
  baseParts: [{ from: jan.periodStart, to: jan.periodEnd, plan: plan(planId) }],
  usageParts: [{ from: jan.periodStart, to: jan.periodEnd, plan: plan(planId), usage }],
});
const jan = { periodStart: new Date('2026-01-01T00:00:00Z'), periodEnd: new Date('2026-02-01T00:00:00Z'), periodFullEnd: new Date('2026-02-01T00:00:00Z') };

describe('buildInvoice', () => {
  it('prices a team-monthly period worked by hand', () => {
    const inv = buildInvoice({
      ...jan,
      currency: 'USD',
      trial: false,
      ...whole('team-monthly', new Map([
        ['compute.cpu_hours', new Dec('1000.5')], // 950.5 billable, all in tier 1 at 0.12 = 114.06
        ['storage.gb_months', new Dec('150')], // 50 × 0.023 = 1.15
        ['api.requests', new Dec('2500000')], // 1.5M billable → 2 packages × 2.00 = 4.00
        ['query.gb_scanned', new Dec('1000')], // all included
        ['users.active', new Dec('7')], // 2 × 8.00 = 16.00
      ])),
      metric,
      pauses: [],
      discount: makeDiscount({ percentOff: '10', duration: 'forever' }, { source: 'ad_hoc' }, new Date()),
      taxRate: '0',
      creditBalanceCents: 5000,
    });
    expect(inv.lines.map((l) => [l.type, l.metric, l.amountCents])).toEqual([
      ['base', null, 4900],
      ['usage', 'compute.cpu_hours', 11406],
      ['usage', 'storage.gb_months', 115],
      ['usage', 'api.requests', 400],
      ['usage', 'query.gb_scanned', 0],
      ['usage', 'users.active', 1600],
    ]);
    // 18421 − 1842 (10 %, 1842.1 rounded) = 16579; 5000 credit applied.
    expect(inv).toMatchObject({ subtotalCents: 18421, discountCents: 1842, taxCents: 0, totalCents: 16579, creditAppliedCents: 5000, amountDueCents: 11579 });
  });

  it('prorates the base fee by unpaused seconds of the full period, and bills a cut period for the time used', () => {
    const paused = buildInvoice({
      ...jan,
      currency: 'USD', trial: false, ...whole('business-monthly'), metric,
      // Paused for the last 10 of 31 days: 499 × 21/31 = 338.0322… → 33803.
      pauses: [{ from: new Date('2026-01-22T00:00:00Z'), to: null }],
      discount: null, taxRate: '0', creditBalanceCents: 0,
    });
    expect(paused.lines[0]).toMatchObject({ type: 'base', amountCents: 33803 });
    const cut = buildInvoice({
      ...jan,
      periodEnd: new Date('2026-01-11T00:00:00Z'),
      currency: 'USD', trial: false, metric,
      baseParts: [{ from: jan.periodStart, to: new Date('2026-01-11T00:00:00Z'), plan: plan('business-monthly') }],
      usageParts: [{ from: jan.periodStart, to: new Date('2026-01-11T00:00:00Z'), plan: plan('business-monthly'), usage: new Map() }],
      pauses: [], discount: null, taxRate: '0.2', creditBalanceCents: 0,
    });
    // 499 × 10/31 = 160.9677… → 16097; tax 20 % = 3219.4 → 3219.
    expect(cut).toMatchObject({ subtotalCents: 16097, taxCents: 3219, totalCents: 19316 });
  });

  it('bills a trial period nothing but its pending lines', () => {
    const inv = buildInvoice({
      ...jan, currency: 'USD', trial: true, ...whole('team-monthly', new Map([['compute.cpu_hours', new Dec(500)]])),
      metric, pauses: [], discount: null, taxRate: '0', creditBalanceCents: 0,
    });
    expect(inv.lines).toEqual([]);
    expect(inv.totalCents).toBe(0);
  });

  it('adds up and recomputes from stored computations (property)', () => {
    const qty = fc.tuple(fc.integer({ min: 0, max: 50_000_000 }), fc.integer({ min: 0, max: 4 })).map(([n, s]) => new Dec(n).div(10 ** s));
    fc.assert(
      fc.property(
        fc.constantFrom('team-monthly', 'business-monthly', 'business-monthly-eur', 'enterprise-yearly'),
        fc.record({ c: qty, s: qty, a: qty, q: qty, u: qty, n: qty, w: qty }),
        fc.integer({ min: -100_000, max: 100_000 }),
        fc.option(fc.integer({ min: 1, max: 100 }), { nil: null }),
        fc.constantFrom('0', '0.2', '0.075'),
        fc.integer({ min: 0, max: 1_000_000 }),
        (planId, u, proration, pct, taxRate, credit) => {
          const p = plan(planId);
          const inv = buildInvoice({
            ...jan, currency: p.currency, trial: false,
            ...whole(planId, new Map([
              ['compute.cpu_hours', u.c], ['storage.gb_months', u.s], ['api.requests', u.a.floor()], ['query.gb_scanned', u.q],
              ['users.active', u.u.floor()], ['cluster.peak_nodes', u.n], ['warehouse.seats', u.w.floor()],
            ])),
            metric, pauses: [],
            extraLines: [{ type: 'late_usage', description: 'p', metric: null, quantity: null, unitPrice: null, amountCents: proration, periodStart: jan.periodStart, periodEnd: jan.periodEnd, computation: {} }],
            discount: pct === null ? null : makeDiscount({ percentOff: String(pct), duration: 'forever' }, { source: 'ad_hoc' }, new Date()),
            taxRate, creditBalanceCents: credit,
          });
          const sum = inv.lines.reduce((n, l) => n + l.amountCents, 0);
          expect(inv.subtotalCents).toBe(sum);
          expect(inv.totalCents).toBe(inv.subtotalCents - inv.discountCents + inv.taxCents + inv.creditRemainderCents);
          expect(inv.amountDueCents).toBe(inv.totalCents - inv.creditAppliedCents);
          expect(inv.amountDueCents).toBeGreaterThanOrEqual(0);
          for (const l of inv.lines.filter((x) => x.type === 'usage')) {
            const stored = JSON.parse(JSON.stringify(l.computation)) as ChargeComputation;
            expect(toMinorUnits(recomputeCharge(stored), p.currency)).toBe(l.amountCents);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('baseLines: plan changes split the period (CONTRACT.md, Settled details)', () => {
  const d = (day: number) => new Date(Date.UTC(2026, 0, day));
  const team = plan('team-monthly');
  const business = plan('business-monthly');
  const lines = (end: Date, parts: PricedPart[], pauses: Array<{ from: Date; to: Date | null }> = []) =>
    baseLines({ baseParts: parts, periodStart: jan.periodStart, periodEnd: end, periodFullEnd: jan.periodFullEnd, pauses, currency: 'USD' });

  it('bills each plan for its own days when a change is followed by a cancel, worked by hand', () => {
    // team 49.00 from Jan 1, business 499.00 from Jan 11, canceled Jan 21; January has 31 days.
    const l = lines(d(21), [{ from: d(1), to: d(11), plan: team }, { from: d(11), to: d(21), plan: business }]);
    // base: 49 × 20/31 = 31.6129… → 3161. Team was in effect 10 days: 49 × 10/31 = 15.8064… → 1581,
    // so the credit is 1581 − 3161 = −1580. Business for 10 days: 499 × 10/31 = 160.9677… → 16097.
    expect(l.map((x) => [x.type, x.amountCents, x.periodStart, x.periodEnd])).toEqual([
      ['base', 3161, d(1), d(21)],
      ['proration', -1580, d(11), d(21)],
      ['proration', 16097, d(11), d(21)],
    ]);
  });

  it('bills nothing past a cancel a second after the change', () => {
    const cancel = new Date(d(11).getTime() + 1000);
    const l = lines(cancel, [{ from: d(1), to: d(11), plan: team }, { from: d(11), to: cancel, plan: business }]);
    // base 49 × 864001/2678400 = 15.8064… → 1581 = team's 10 days; business for 1 s rounds to 0.
    expect(l.map((x) => x.amountCents)).toEqual([1581]);
  });

  it('bills no plan for paused time and the new plan only for its unpaused seconds, worked by hand', () => {
    // Change on Jan 11, paused Jan 16 – Jan 21. team: 26 active days 49 × 26/31 = 41.0967… → 4110; used
    // before the change 1581, credit −2529; business: 16 active days 499 × 16/31 = 257.5483… → 25755.
    const l = lines(jan.periodEnd, [{ from: d(1), to: d(11), plan: team }, { from: d(11), to: jan.periodEnd, plan: business }], [{ from: d(16), to: d(21) }]);
    expect(l.map((x) => x.amountCents)).toEqual([4110, -2529, 25755]);
    expect(l.reduce((n, x) => n + x.amountCents, 0)).toBe(1581 + 25755);
  });

  it("nets each plan to its fee for the unpaused seconds it was in effect, rounded once, inside the window (property)", () => {
    const DAY = 86_400_000;
    const plans = ['team-monthly', 'business-monthly', 'starter-legacy', 'free'].map(plan);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 31 * DAY }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...plans)), { maxLength: 4 }),
        fc.constantFrom(...plans),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 31 * DAY }), fc.option(fc.integer({ min: 0, max: 10 * DAY }), { nil: null })), { maxLength: 3 }),
        (endMs, rawChanges, first, rawPauses) => {
          const end = new Date(jan.periodStart.getTime() + endMs);
          const cuts = rawChanges.map(([f, p]) => ({ at: new Date(jan.periodStart.getTime() + 1 + Math.floor(f * (endMs - 1))), plan: p })).sort((a, b) => a.at.getTime() - b.at.getTime());
          const parts: PricedPart[] = [{ from: jan.periodStart, to: end, plan: first }];
          for (const c of cuts) {
            const last = parts[parts.length - 1];
            if (c.at.getTime() <= last.from.getTime() || c.plan.id === last.plan.id) continue;
            last.to = c.at;
            parts.push({ from: c.at, to: end, plan: c.plan });
          }
          const pauses = rawPauses.map(([from, len]) => ({ from: new Date(jan.periodStart.getTime() + from), to: len === null ? null : new Date(jan.periodStart.getTime() + from + len) }));
          const l = lines(end, parts, pauses);
          const full = 31 * 86_400;
          const expected = parts.reduce((n, p) => n + toMinorUnits(new Dec(p.plan.basePrice).times(activeSeconds(p.from, p.to, pauses).seconds).div(full), 'USD'), 0);
          expect(l.reduce((n, x) => n + x.amountCents, 0)).toBe(expected);
          for (const x of l) {
            expect(x.periodStart.getTime()).toBeGreaterThanOrEqual(jan.periodStart.getTime());
            expect(x.periodEnd.getTime()).toBeLessThanOrEqual(end.getTime());
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

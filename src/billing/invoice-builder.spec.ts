import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { CatalogFile } from '../catalog/catalog.types';
import { Dec } from '../common/money/decimal';
import { toMinorUnits } from '../common/money/money';
import { makeDiscount } from '../subscriptions/domain/discount';
import { buildInvoice } from './invoice-builder';
import { ChargeComputation, recomputeCharge } from './pricing/price-charge';

const catalog: CatalogFile = JSON.parse(fs.readFileSync(path.join(__dirname, '../../catalog/default.json'), 'utf8'));
const plan = (id: string) => catalog.plans.find((p) => p.id === id)!;
const metric = (key: string) => catalog.metrics.find((m) => m.key === key);
const jan = { periodStart: new Date('2026-01-01T00:00:00Z'), periodEnd: new Date('2026-02-01T00:00:00Z'), periodFullEnd: new Date('2026-02-01T00:00:00Z') };

describe('buildInvoice', () => {
  it('prices a team-monthly period worked by hand', () => {
    const inv = buildInvoice({
      ...jan,
      currency: 'USD',
      trial: false,
      basePlan: plan('team-monthly'),
      usagePlan: plan('team-monthly'),
      usage: new Map([
        ['compute.cpu_hours', new Dec('1000.5')], // 950.5 billable, all in tier 1 at 0.12 = 114.06
        ['storage.gb_months', new Dec('150')], // 50 × 0.023 = 1.15
        ['api.requests', new Dec('2500000')], // 1.5M billable → 2 packages × 2.00 = 4.00
        ['query.gb_scanned', new Dec('1000')], // all included
        ['users.active', new Dec('7')], // 2 × 8.00 = 16.00
      ]),
      metric,
      pauses: [],
      pendingLines: [],
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
      currency: 'USD', trial: false, basePlan: plan('business-monthly'), usagePlan: plan('business-monthly'), usage: new Map(), metric,
      // Paused for the last 10 of 31 days: 499 × 21/31 = 338.0322… → 33803.
      pauses: [{ from: new Date('2026-01-22T00:00:00Z'), to: null }],
      pendingLines: [], discount: null, taxRate: '0', creditBalanceCents: 0,
    });
    expect(paused.lines[0]).toMatchObject({ type: 'base', amountCents: 33803 });
    const cut = buildInvoice({
      ...jan,
      periodEnd: new Date('2026-01-11T00:00:00Z'),
      currency: 'USD', trial: false, basePlan: plan('business-monthly'), usagePlan: plan('business-monthly'), usage: new Map(), metric,
      pauses: [], pendingLines: [], discount: null, taxRate: '0.2', creditBalanceCents: 0,
    });
    // 499 × 10/31 = 160.9677… → 16097; tax 20 % = 3219.4 → 3219.
    expect(cut).toMatchObject({ subtotalCents: 16097, taxCents: 3219, totalCents: 19316 });
  });

  it('bills a trial period nothing but its pending lines', () => {
    const inv = buildInvoice({
      ...jan, currency: 'USD', trial: true, basePlan: plan('team-monthly'), usagePlan: plan('team-monthly'),
      usage: new Map([['compute.cpu_hours', new Dec(500)]]), metric, pauses: [], pendingLines: [], discount: null, taxRate: '0', creditBalanceCents: 0,
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
            ...jan, currency: p.currency, trial: false, basePlan: p, usagePlan: p,
            usage: new Map([
              ['compute.cpu_hours', u.c], ['storage.gb_months', u.s], ['api.requests', u.a.floor()], ['query.gb_scanned', u.q],
              ['users.active', u.u.floor()], ['cluster.peak_nodes', u.n], ['warehouse.seats', u.w.floor()],
            ]),
            metric, pauses: [],
            pendingLines: [{ description: 'p', amountCents: proration, periodStart: jan.periodStart, periodEnd: jan.periodEnd, computation: {} }],
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

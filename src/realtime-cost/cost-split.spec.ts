import fc from 'fast-check';
import { Dec } from '../common/money/decimal';
import { AttributedUsage, addSplit, splitCosts } from './cost-split';

const row = (resourceId: string | null, value: string, metric = 'compute.cpu_hours', costCenterId: string | null = null): AttributedUsage => ({
  metric,
  aggregation: 'sum',
  value: new Dec(value),
  resourceType: resourceId === null ? null : 'vm',
  resourceId,
  costCenterId,
});

describe('splitCosts', () => {
  it('shares a graduated line pro rata by quantity, the remainder by largest remainder', () => {
    // 1101 cpu-hours, 50 included: 1000 × 0.12 + 51 × 0.10 = 125.10 → 12510 cents.
    // 12510 × 600/1101 = 6817.44, × 400/1101 = 4544.96, × 101/1101 = 1147.60 → 6817 + 4545 + 1148
    const costs = splitCosts(new Map([['compute.cpu_hours', 12510]]), [row('vm-1', '600'), row('vm-2', '400'), row('vm-3', '101')]);
    expect(costs.map((c) => [c.resourceId, c.costCents])).toEqual([
      ['vm-1', 6817],
      ['vm-2', 4545],
      ['vm-3', 1148],
    ]);
    expect(costs[0].usage).toEqual([{ metric: 'compute.cpu_hours', quantity: new Dec(600) }]);
  });

  it('keeps resources of unpriced metrics with their usage and no cost', () => {
    const costs = splitCosts(new Map([['compute.cpu_hours', 0]]), [row('vm-1', '5', 'cluster.peak_nodes')]);
    expect(costs).toEqual([{ resourceType: 'vm', resourceId: 'vm-1', costCenterId: null, costCents: 0, usage: [{ metric: 'cluster.peak_nodes', quantity: new Dec(5) }] }]);
  });

  it('keeps a resource in two cost centers as two entries', () => {
    const costs = splitCosts(new Map([['compute.cpu_hours', 100]]), [row('vm-1', '1', undefined, 'cc-a'), row('vm-1', '3', undefined, 'cc-b')]);
    expect(costs.map((c) => [c.costCenterId, c.costCents])).toEqual([
      ['cc-a', 25],
      ['cc-b', 75],
    ]);
  });

  it('always adds up to the priced lines', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 100000 }), fc.constantFrom('a', 'b')), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: -100000, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (parts, centsA, centsB) => {
          const rows = parts.map(([r, q, m]) => row(`vm-${r}`, String(q / 1000), m));
          const costs = splitCosts(new Map([['a', centsA], ['b', centsB]]), rows);
          const metrics = new Set(rows.map((r) => r.metric));
          const expected = (metrics.has('a') ? centsA : 0) + (metrics.has('b') ? centsB : 0) + (metrics.has('a') ? 0 : centsA) + (metrics.has('b') ? 0 : centsB);
          expect(costs.reduce((n, c) => n + c.costCents, 0)).toBe(expected);
        },
      ),
    );
  });
});

describe('addSplit', () => {
  it('adds late usage by weight, to new entries where needed', () => {
    const costs = splitCosts(new Map([['m', 10]]), [row('vm-1', '1', 'm')]);
    addSplit(costs, 7, [
      { resourceType: 'vm', resourceId: 'vm-1', costCenterId: null, weight: new Dec(1) },
      { resourceType: 'vm', resourceId: 'vm-9', costCenterId: null, weight: new Dec(1) },
    ]);
    expect(costs.map((c) => [c.resourceId, c.costCents])).toEqual([
      ['vm-1', 14],
      ['vm-9', 3],
    ]);
  });

  it('keeps an amount with no weights visible, unattributed', () => {
    expect(addSplit([], -5, [])).toEqual([{ resourceType: null, resourceId: null, costCenterId: null, costCents: -5, usage: [] }]);
  });
});

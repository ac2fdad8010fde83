import * as fs from 'node:fs';
import * as path from 'node:path';
import { catalogProblems } from './catalog.schema';

const defaultCatalog = () => JSON.parse(fs.readFileSync(path.join(__dirname, '../../catalog/default.json'), 'utf8'));

describe('catalogProblems', () => {
  it('accepts the default catalog', () => {
    expect(catalogProblems(defaultCatalog())).toEqual([]);
  });

  const cases: Array<[string, (c: any) => void, RegExp]> = [
    ['an unknown field', (c) => (c.plans[0].color = 'red'), /additional properties "color"/],
    ['an unknown aggregation', (c) => (c.metrics[0].aggregation = 'median'), /aggregation/],
    ['unique_count without property', (c) => delete c.metrics.find((m: any) => m.aggregation === 'unique_count').property, /needs "property"/],
    ['a charge on an unknown metric', (c) => (c.plans[1].charges[0].metric = 'nope'), /unknown metric "nope"/],
    ['a float price', (c) => (c.plans[1].basePrice = 49), /basePrice/],
    ['tiers not increasing', (c) => (c.plans[1].charges[0].tiers[1].upTo = 10), /upTo must increase/],
    ['a closed last tier', (c) => (c.plans[1].charges[0].tiers[2].upTo = 1e9), /only the last tier/],
    ['a per_unit charge without unitPrice', (c) => delete c.plans[1].charges[1].unitPrice, /needs "unitPrice"/],
    ['a field of another model', (c) => (c.plans[1].charges[1].tiers = [{ upTo: null, unitPrice: '1' }]), /does not belong/],
    ['a zero package size', (c) => (c.plans[1].charges[2].packageSize = 0), /packageSize must be > 0/],
    ['a duplicate plan id', (c) => c.plans.push({ ...c.plans[0] }), /duplicate plan id/],
    ['an unknown currency', (c) => (c.plans[0].currency = 'XXY'), /unknown currency/],
    ['a limit on an unknown metric', (c) => (c.plans[0].limits['x.y'] = 1), /limits: unknown metric/],
  ];
  it.each(cases)('refuses %s', (_, mutate, message) => {
    const c = defaultCatalog();
    mutate(c);
    expect(catalogProblems(c).join('\n')).toMatch(message);
  });
});

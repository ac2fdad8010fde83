import fc from 'fast-check';
import { AttributableEvent, CostCenterRule, attributeCostCenter, ruleMatches } from './cost-attribution';

const event = (e: Partial<AttributableEvent> = {}): AttributableEvent => ({ resourceType: null, resourceId: null, properties: null, ...e });

describe('ruleMatches', () => {
  const vm = event({ resourceType: 'vm', resourceId: 'vm-prod-42', properties: { env: 'prod', gpu: 2, spot: false } });

  it('matches on resourceType equality', () => {
    expect(ruleMatches({ resourceType: 'vm' }, vm)).toBe(true);
    expect(ruleMatches({ resourceType: 'VM' }, vm)).toBe(false);
    expect(ruleMatches({ resourceType: 'vm' }, event())).toBe(false);
  });

  it('matches on a resourceId prefix', () => {
    expect(ruleMatches({ resourceIdPrefix: 'vm-prod-' }, vm)).toBe(true);
    expect(ruleMatches({ resourceIdPrefix: 'vm-prod-42' }, vm)).toBe(true);
    expect(ruleMatches({ resourceIdPrefix: 'vm-dev-' }, vm)).toBe(false);
    expect(ruleMatches({ resourceIdPrefix: 'vm' }, event({ resourceType: 'vm' }))).toBe(false);
  });

  it('matches a property by its string form', () => {
    expect(ruleMatches({ property: { key: 'env', value: 'prod' } }, vm)).toBe(true);
    expect(ruleMatches({ property: { key: 'gpu', value: '2' } }, vm)).toBe(true);
    expect(ruleMatches({ property: { key: 'spot', value: 'false' } }, vm)).toBe(true);
    expect(ruleMatches({ property: { key: 'env', value: 'dev' } }, vm)).toBe(false);
  });

  it('never matches a property the event lacks, is null, or only inherits', () => {
    expect(ruleMatches({ property: { key: 'team', value: 'undefined' } }, vm)).toBe(false);
    expect(ruleMatches({ property: { key: 'team', value: 'null' } }, event({ properties: { team: null } }))).toBe(false);
    expect(ruleMatches({ property: { key: 'env', value: 'prod' } }, event())).toBe(false);
    expect(ruleMatches({ property: { key: 'toString', value: String(Object.prototype.toString) } }, event({ properties: {} }))).toBe(false);
  });

  it('needs every given field to match', () => {
    expect(ruleMatches({ resourceType: 'vm', resourceIdPrefix: 'vm-prod', property: { key: 'env', value: 'prod' } }, vm)).toBe(true);
    expect(ruleMatches({ resourceType: 'vm', resourceIdPrefix: 'vm-dev' }, vm)).toBe(false);
    expect(ruleMatches({ resourceType: 'db', property: { key: 'env', value: 'prod' } }, vm)).toBe(false);
  });

  it('never matches with a rule that gives no field', () => {
    expect(ruleMatches({}, vm)).toBe(false);
  });
});

describe('attributeCostCenter', () => {
  const prod = { id: 'cc-prod', rules: [{ property: { key: 'env', value: 'prod' } }] };
  const vms = { id: 'cc-vms', rules: [{ resourceType: 'db' }, { resourceType: 'vm' }] };
  const none = { id: 'cc-none', rules: [] };

  it('picks the first cost center in the given order with any matching rule', () => {
    const e = event({ resourceType: 'vm', resourceId: 'vm-1', properties: { env: 'prod' } });
    expect(attributeCostCenter([none, prod, vms], e)).toBe('cc-prod');
    expect(attributeCostCenter([none, vms, prod], e)).toBe('cc-vms');
  });

  it('matches on any one of a cost center’s rules', () => {
    expect(attributeCostCenter([prod, vms], event({ resourceType: 'db' }))).toBe('cc-vms');
  });

  it('is null when nothing matches or there are no cost centers', () => {
    expect(attributeCostCenter([prod, vms, none], event({ resourceType: 'bucket' }))).toBeNull();
    expect(attributeCostCenter([], event({ resourceType: 'vm' }))).toBeNull();
  });

  describe('property: the result is the first cost center that has a matching rule, or null', () => {
    const word = fc.constantFrom('vm', 'db', 'bucket', 'a', 'ab', '');
    const ruleArb: fc.Arbitrary<CostCenterRule> = fc.record(
      {
        resourceType: word,
        resourceIdPrefix: fc.constantFrom('a', 'ab', 'abc', 'b', ''),
        property: fc.record({ key: fc.constantFrom('env', 'team', 'n'), value: fc.constantFrom('prod', 'dev', '1', 'true') }),
      },
      { requiredKeys: [] },
    );
    const costCentersArb = fc.array(fc.record({ id: fc.uuid(), rules: fc.array(ruleArb, { maxLength: 4 }) }), { maxLength: 8 });
    const eventArb: fc.Arbitrary<AttributableEvent> = fc.record({
      resourceType: fc.option(word, { nil: null }),
      resourceId: fc.option(fc.constantFrom('a', 'ab', 'abc', 'abcd', 'b', 'ba', ''), { nil: null }),
      properties: fc.option(
        fc.dictionary(fc.constantFrom('env', 'team', 'n'), fc.oneof(fc.constantFrom('prod', 'dev', '1', 'true'), fc.integer({ min: 0, max: 2 }), fc.boolean(), fc.constant(null))),
        { nil: null },
      ),
    });

    /** The rule semantics restated independently of ruleMatches. */
    const matchesSpec = (r: CostCenterRule, e: AttributableEvent): boolean => {
      const checks: boolean[] = [];
      if (r.resourceType !== undefined) checks.push(e.resourceType === r.resourceType);
      if (r.resourceIdPrefix !== undefined) checks.push(e.resourceId !== null && e.resourceId.slice(0, r.resourceIdPrefix.length) === r.resourceIdPrefix);
      if (r.property !== undefined) {
        const v = e.properties?.[r.property.key];
        checks.push(v !== undefined && v !== null && `${v as string}` === r.property.value);
      }
      return checks.length > 0 && checks.every(Boolean);
    };

    it('holds for random cost centers and events', () => {
      fc.assert(
        fc.property(costCentersArb, eventArb, (ccs, e) => {
          const result = attributeCostCenter(ccs, e);
          const firstIndex = ccs.findIndex((cc) => cc.rules.some((r) => matchesSpec(r, e)));
          if (firstIndex === -1) expect(result).toBeNull();
          else expect(result).toBe(ccs[firstIndex].id);
        }),
        { numRuns: 500 },
      );
    });

    it('never depends on cost centers after the chosen one', () => {
      fc.assert(
        fc.property(costCentersArb, costCentersArb, eventArb, (head, tail, e) => {
          const chosen = attributeCostCenter(head, e);
          if (chosen !== null) expect(attributeCostCenter([...head, ...tail], e)).toBe(chosen);
        }),
      );
    });
  });
});

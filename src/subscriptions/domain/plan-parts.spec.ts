import fc from 'fast-check';
import { PlanChange, planAt, windowParts } from './plan-parts';

const t = (iso: string) => new Date(iso);
const start = t('2026-03-01T00:00:00Z');
const end = t('2026-04-01T00:00:00Z');
const change = (iso: string, fromPlanId: string, toPlanId: string, prorate = true): PlanChange => ({ at: t(iso), fromPlanId, toPlanId, prorate });

describe('windowParts', () => {
  it('is one part without changes', () => {
    expect(windowParts(start, end, 'pro', [])).toEqual({ base: [{ from: start, to: end, planId: 'pro' }], usage: [{ from: start, to: end, planId: 'pro' }] });
  });

  it('splits at each change inside the window, and only there', () => {
    const changes = [change('2026-02-20T00:00:00Z', 'a', 'pro'), change('2026-03-11T00:00:00Z', 'pro', 'biz'), change('2026-04-01T00:00:00Z', 'biz', 'x')];
    expect(windowParts(start, end, 'pro', changes).usage).toEqual([
      { from: start, to: t('2026-03-11T00:00:00Z'), planId: 'pro' },
      { from: t('2026-03-11T00:00:00Z'), to: end, planId: 'biz' },
    ]);
  });

  it('keeps the base fee on the billed plan across a change without proration', () => {
    const parts = windowParts(start, end, 'pro', [change('2026-03-11T00:00:00Z', 'pro', 'biz', false), change('2026-03-21T00:00:00Z', 'biz', 'ent')]);
    expect(parts.base).toEqual([
      { from: start, to: t('2026-03-21T00:00:00Z'), planId: 'pro' },
      { from: t('2026-03-21T00:00:00Z'), to: end, planId: 'ent' },
    ]);
    expect(parts.usage.map((p) => p.planId)).toEqual(['pro', 'biz', 'ent']);
  });

  it('covers the window exactly, in order, with no empty part (property)', () => {
    const plans = fc.constantFrom('a', 'b', 'c');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -5, max: 40 }), plans, fc.boolean()), { maxLength: 8 }), plans, (raw, first) => {
        const sorted = [...raw].sort((x, y) => x[0] - y[0]);
        let previous = first;
        const changes = sorted.map(([d, to, prorate]) => {
          const c = { at: new Date(start.getTime() + d * 86_400_000), fromPlanId: previous, toPlanId: to, prorate };
          previous = to;
          return c;
        });
        const startPlan = planAt(start, changes, previous);
        for (const parts of Object.values(windowParts(start, end, startPlan, changes))) {
          expect(parts[0].from).toEqual(start);
          expect(parts[parts.length - 1].to).toEqual(end);
          for (let i = 0; i < parts.length; i++) {
            expect(parts[i].to.getTime()).toBeGreaterThan(parts[i].from.getTime());
            if (i > 0) expect(parts[i].from).toEqual(parts[i - 1].to);
            if (i > 0) expect(parts[i].planId).not.toBe(parts[i - 1].planId);
          }
        }
        // Each instant's usage plan is the plan in effect then.
        const usage = windowParts(start, end, startPlan, changes).usage;
        for (let d = 0; d < 31; d++) {
          const at = new Date(start.getTime() + d * 86_400_000 + 1);
          expect(usage.find((p) => p.from <= at && at < p.to)!.planId).toBe(planAt(at, changes, previous));
        }
      }),
    );
  });
});

describe('planAt', () => {
  it('is the plan the next change left, else the current plan', () => {
    const changes = [change('2026-03-11T00:00:00Z', 'pro', 'biz')];
    expect(planAt(start, changes, 'biz')).toBe('pro');
    expect(planAt(t('2026-03-11T00:00:00Z'), changes, 'biz')).toBe('biz');
  });
});

import fc from 'fast-check';
import { stableStringify } from './stable-json';

describe('stableStringify', () => {
  it('ignores key order at every depth', () => {
    expect(stableStringify({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(stableStringify({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
  });

  it('is equal exactly when the JSON values are deeply equal (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const same = stableStringify(a) === stableStringify(b);
        expect(same).toBe(stableStringify(JSON.parse(JSON.stringify(a))) === stableStringify(JSON.parse(JSON.stringify(b))));
        expect(stableStringify(JSON.parse(stableStringify(a)))).toBe(stableStringify(a));
      }),
    );
  });
});

import fc from 'fast-check';
import { Dec } from '../money/decimal';
import { findHostileJson, isLossyNumber } from './hostile-input';

/** Reference: depth of the deepest object or array, and whether any string or key holds U+0000. */
function reference(v: unknown): { depth: number; nul: boolean } {
  if (typeof v === 'string') return { depth: 0, nul: v.includes('\u0000') };
  if (v === null || typeof v !== 'object') return { depth: 0, nul: false };
  const entries: Array<[string | null, unknown]> = Array.isArray(v) ? v.map((x) => [null, x]) : Object.entries(v);
  let depth = 0;
  let nul = false;
  for (const [k, x] of entries) {
    const r = reference(x);
    depth = Math.max(depth, r.depth);
    nul = nul || r.nul || (k !== null && k.includes('\u0000'));
  }
  return { depth: depth + 1, nul };
}

describe('findHostileJson', () => {
  const text = fc.oneof(fc.string(), fc.constantFrom('\u0000', 'a\u0000b'));
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.constant(null), fc.boolean(), tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  })).value;

  it('finds something exactly when a string or key holds U+0000 or the nesting is too deep', () => {
    fc.assert(
      fc.property(json, fc.integer({ min: 1, max: 6 }), (v, max) => {
        const r = reference(v);
        expect(findHostileJson(v, max) !== null).toBe(r.nul || r.depth > max);
      }),
      { numRuns: 3000 },
    );
  });

  it('names the path of the first offender', () => {
    expect(findHostileJson({ events: [{ a: 'x' }, { properties: { b: 'y\u0000' } }] }, 64)).toEqual({ path: 'events[1].properties.b', message: 'must not contain U+0000' });
    expect(findHostileJson([[[1]]], 2)).toEqual({ path: '', message: 'nests deeper than 2 levels' });
  });
});

describe('isLossyNumber', () => {
  it('refuses what a double cannot hold as written, and passes up to 15 significant digits', () => {
    for (const text of ['9007199254740993', '0.12345678901234567890', '1234567890123456', '123456789012345680000', '1e400']) expect(isLossyNumber(JSON.parse(text))).toBe(true);
    for (const text of ['0', '1', '0.25', '999999999999999', '123456789.012345', '1e-7', '1e21', '100000000000000000000', '0.000001', '-5']) expect(isLossyNumber(JSON.parse(text))).toBe(false);
  });

  it('passes exactly the numbers whose shortest form has at most 15 significant digits, so they read back as written (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const digits = new Dec(String(n)).precision();
        expect(isLossyNumber(n)).toBe(digits > 15);
        // Written with those digits, the number parses back to the same double.
        if (!isLossyNumber(n)) expect(Number(new Dec(String(n)).toFixed()) === n).toBe(true);
      }),
    );
  });

  it('names the path of a lossy number in a body', () => {
    expect(findHostileJson(JSON.parse('{"events":[{"quantity":1},{"quantity":9007199254740993}]}'), 64)).toEqual({ path: 'events[1].quantity', message: expect.stringContaining('decimal string') });
  });
});

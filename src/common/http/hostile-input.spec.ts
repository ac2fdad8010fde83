import fc from 'fast-check';
import { findHostileJson } from './hostile-input';

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

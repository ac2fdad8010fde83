import fc from 'fast-check';
// @ts-expect-error pg ships no types for its utils; prepareValue is the serialization pg applies to array parameters
import { prepareValue } from 'pg/lib/utils';
import { arrayLiteral } from './ingest-writer';

describe('arrayLiteral', () => {
  it('writes what pg writes for an array of text or null', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string({ unit: 'binary' }), { nil: null }), { maxLength: 30 }), (values) => {
        expect(arrayLiteral(values)).toBe(prepareValue(values));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes what pg writes for a column without nulls (the one-join path)', () => {
    const element = fc.oneof(fc.string({ unit: 'binary' }), fc.stringMatching(/^[a-z0-9.-]{0,12}$/));
    fc.assert(fc.property(fc.array(element, { maxLength: 30 }), (values) => expect(arrayLiteral(values)).toBe(prepareValue(values))), { numRuns: 2000 });
  });

  it('escapes quotes and backslashes, and writes NULL unquoted', () => {
    expect(arrayLiteral(['a"b', 'c\\d', null, '', '{x,y}'])).toBe('{"a\\"b","c\\\\d",NULL,"","{x,y}"}');
  });
});

import fc from 'fast-check';
import { ValidationFailed } from '../errors/problem';
import { decodeCursor, encodeCursor, toPage } from './pagination';

describe('pagination', () => {
  it('round-trips cursor keys', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.integer()), { minLength: 1, maxLength: 3 }), (key) => {
        expect(decodeCursor(encodeCursor(key), key.length)).toEqual(key);
      }),
    );
  });

  it('refuses forged cursors', () => {
    expect(() => decodeCursor('bm9wZQ', 1)).toThrow(ValidationFailed);
    expect(() => decodeCursor(encodeCursor(['a', 'b']), 1)).toThrow(ValidationFailed);
    expect(() => decodeCursor(Buffer.from('[{"x":1}]').toString('base64url'), 1)).toThrow(ValidationFailed);
    expect(decodeCursor(undefined, 1)).toBeNull();
  });

  it('builds pages from limit + 1 rows', () => {
    const rows = [1, 2, 3];
    expect(toPage(rows, 2, (r) => [r], String)).toEqual({ data: ['1', '2'], nextCursor: encodeCursor([2]) });
    expect(toPage(rows, 3, (r) => [r], String)).toEqual({ data: ['1', '2', '3'], nextCursor: null });
  });
});

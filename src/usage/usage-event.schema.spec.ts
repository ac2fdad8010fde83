import fc from 'fast-check';
import { parseInstant } from './usage-event.schema';

/** The calendar check as first written: a UTC date built from the fields must give them back. */
function reference(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(text);
  const ms = Date.parse(text);
  if (!m || Number.isNaN(ms)) return null;
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number);
  const check = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
  const valid = check.getUTCFullYear() === y && check.getUTCMonth() === mo - 1 && check.getUTCDate() === d && h < 24 && mi < 60 && sec < 60;
  return valid ? ms : null;
}

describe('parseInstant', () => {
  const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
  const instant = fc
    .tuple(fc.integer({ min: 1600, max: 2500 }), two(13), two(32), two(25), two(61), two(61), fc.constantFrom('Z', '.5Z', '.123456Z', '+02:00', '-11:30'))
    .map(([y, mo, d, h, mi, s, tail]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${tail}`);

  it('agrees with building the date and reading its fields back, on every calendar corner', () => {
    fc.assert(fc.property(instant, (text) => expect(parseInstant(text)).toBe(reference(text))), { numRuns: 20_000 });
  });

  it('knows leap years', () => {
    expect(parseInstant('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseInstant('2026-02-29T00:00:00Z')).toBeNull();
    expect(parseInstant('2000-02-29T12:00:00Z')).toBe(Date.UTC(2000, 1, 29, 12));
    expect(parseInstant('2100-02-29T12:00:00Z')).toBeNull();
  });
});

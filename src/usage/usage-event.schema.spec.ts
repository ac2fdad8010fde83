import fc from 'fast-check';
import { parseInstant } from './usage-event.schema';

/** The calendar check as first written: a UTC date built from the fields must give them back. */
function reference(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(text);
  const ms = Date.parse(text);
  if (!m || Number.isNaN(ms)) return null;
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number);
  const check = new Date(0);
  check.setUTCFullYear(y, mo - 1, d); // Date.UTC would read years 0–99 as 1900–1999
  const valid = check.getUTCFullYear() === y && check.getUTCMonth() === mo - 1 && check.getUTCDate() === d && h < 24 && mi < 60 && sec < 60;
  return valid ? ms : null;
}

describe('parseInstant', () => {
  const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
  const instant = fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }).map((y) => String(y).padStart(4, '0')),
      two(13),
      two(32),
      two(25),
      two(61),
      two(61),
      fc.option(fc.stringMatching(/^\.\d{1,9}$/), { nil: '' }),
      fc.oneof(fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), two(25), two(61)).map(([sign, h, m]) => `${sign}${h}:${m}`)),
    )
    .map(([y, mo, d, h, mi, s, fraction, zone]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}${zone}`);

  it('agrees with Date.parse and the calendar on every corner: leap days, 24:00, offsets, fractions (property)', () => {
    fc.assert(fc.property(instant, (text) => expect(parseInstant(text)).toBe(reference(text))), { numRuns: 50_000 });
  });

  it('reads offsets and drops digits beyond milliseconds', () => {
    expect(parseInstant('2026-01-31T12:00:00.1239Z')).toBe(Date.UTC(2026, 0, 31, 12, 0, 0, 123));
    expect(parseInstant('2026-01-31T12:00:00+05:30')).toBe(Date.UTC(2026, 0, 31, 6, 30));
    expect(parseInstant('2026-01-01T00:30:00-01:00')).toBe(Date.UTC(2026, 0, 1, 1, 30));
    expect(parseInstant('2026-01-31T12:00:00+24:00')).toBeNull();
  });

  it('knows leap years', () => {
    expect(parseInstant('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseInstant('2026-02-29T00:00:00Z')).toBeNull();
    expect(parseInstant('2000-02-29T12:00:00Z')).toBe(Date.UTC(2000, 1, 29, 12));
    expect(parseInstant('2100-02-29T12:00:00Z')).toBeNull();
  });
});

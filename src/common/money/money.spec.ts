import fc from 'fast-check';
import { Dec, QuantityProblem, checkQuantity, formatQuantity, parseDecimal, plainQuantity, quantityProblem, quantityText } from './decimal';
import { allocateCents, formatMinorUnits, fromMinorUnits, minorUnitDigits, sumCents, toMinorUnits } from './money';

describe('toMinorUnits', () => {
  it('rounds half away from zero, once', () => {
    expect(toMinorUnits('0.005', 'USD')).toBe(1);
    expect(toMinorUnits('0.0049999', 'USD')).toBe(0);
    expect(toMinorUnits('-0.005', 'USD')).toBe(-1);
    expect(toMinorUnits('-0.004', 'USD')).toBe(0);
    expect(toMinorUnits('18.518517', 'USD')).toBe(1852);
    expect(toMinorUnits('12.345', 'EUR')).toBe(1235);
    expect(toMinorUnits('1234.5', 'JPY')).toBe(1235);
    expect(toMinorUnits('1.0005', 'BHD')).toBe(1001);
  });

  it('knows minor unit digits from ISO 4217', () => {
    expect([minorUnitDigits('USD'), minorUnitDigits('JPY'), minorUnitDigits('BHD'), minorUnitDigits('EUR')]).toEqual([2, 0, 3, 2]);
  });

  it('never uses binary floating point: 0.1 + 0.2 cents stay exact', () => {
    expect(toMinorUnits(new Dec('0.001').plus('0.002'), 'USD')).toBe(0);
    expect(new Dec('0.1').plus('0.2').toFixed()).toBe('0.3');
  });

  it('round-trips integer cents exactly (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.constantFrom('USD', 'EUR', 'JPY', 'BHD'), (cents, cur) => {
        expect(toMinorUnits(fromMinorUnits(cents, cur), cur)).toBe(cents);
      }),
    );
  });

  it('is off by at most half a minor unit and symmetric around zero (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.integer({ min: 0, max: 8 }), (units, scale) => {
        const exact = new Dec(units.toString()).div(new Dec(10).pow(scale));
        const cents = toMinorUnits(exact, 'USD');
        const diff = exact.times(100).minus(cents).abs();
        expect(diff.lte('0.5')).toBe(true);
        expect(toMinorUnits(exact.neg(), 'USD')).toBe(cents === 0 ? 0 : -cents);
      }),
    );
  });

  it('formats minor units', () => {
    expect(formatMinorUnits(1234, 'USD')).toBe('12.34');
    expect(formatMinorUnits(-5, 'USD')).toBe('-0.05');
    expect(formatMinorUnits(1234, 'JPY')).toBe('1234');
  });
});

describe('allocateCents', () => {
  it('splits with the remainder placed so parts add up', () => {
    expect(allocateCents(100, [new Dec(1), new Dec(1), new Dec(1)])).toEqual([34, 33, 33]);
    expect(allocateCents(-100, [new Dec(1), new Dec(2)])).toEqual([-33, -67]);
    expect(allocateCents(5, [new Dec(0), new Dec(0)])).toEqual([5, 0]);
  });

  it('always adds up exactly and stays proportional within one unit (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e9, max: 1e9 }),
        fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 1, maxLength: 20 }),
        (total, ws) => {
          const weights = ws.map((w) => new Dec(w));
          const parts = allocateCents(total, weights);
          expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
          const sum = ws.reduce((a, b) => a + b, 0);
          if (sum > 0) {
            parts.forEach((p, i) => expect(Math.abs(p - (total * ws[i]) / sum)).toBeLessThan(1 + 1e-6));
          }
        },
      ),
    );
  });
});

describe('sumCents', () => {
  it('refuses non-integers', () => {
    expect(() => sumCents([1, 0.5])).toThrow(RangeError);
    expect(sumCents([1, 2, -3])).toBe(0);
  });
});

describe('parseDecimal and quantities', () => {
  it('accepts JSON numbers and plain decimal strings only', () => {
    expect(parseDecimal('1234.5')?.toFixed()).toBe('1234.5');
    expect(parseDecimal(0.1)?.toFixed()).toBe('0.1');
    expect(parseDecimal(1e21)?.toFixed()).toBe('1000000000000000000000');
    for (const bad of ['1e5', 'NaN', 'Infinity', '', ' ', '0x10', '1,5', null, undefined, {}, [], true, Number.NaN]) {
      expect(parseDecimal(bad)).toBeNull();
    }
  });

  it('checks usage quantities per the contract', () => {
    expect(quantityProblem('0')).toBeNull();
    expect(quantityProblem('1.123456789012')).toBeNull();
    expect(quantityProblem('1.1234567890123')).toMatch(/12 decimals/);
    expect(quantityProblem(-1)).toMatch(/>= 0/);
    expect(quantityProblem('1e3')).toMatch(/decimal/);
    expect(quantityProblem('1000000000000000000')).toMatch(/1e18/);
  });

  it('formats quantities without exponent or trailing zeros (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 0, max: 12 }), (n, scale) => {
        const d = new Dec(n.toString()).div(new Dec(10).pow(scale));
        const s = formatQuantity(d);
        expect(s).toMatch(/^\d+(\.\d*[1-9])?$/);
        expect(new Dec(s).eq(d)).toBe(true);
      }),
    );
  });
});

describe('quantityText (the ingest path, without a Dec for plain input)', () => {
  /** What the general path says: the contract's text of the exact value, or the problem. */
  const general = (input: unknown): string => {
    const q = checkQuantity(input);
    return typeof q === 'string' ? `problem: ${q}` : q.toFixed();
  };
  const said = (input: unknown): string => {
    const q = quantityText(input);
    return q instanceof QuantityProblem ? `problem: ${q.message}` : q;
  };

  it('writes plain input as formatQuantity does, and leaves the rest to the general path', () => {
    expect(plainQuantity('007.50')).toBe('7.5');
    expect(plainQuantity('0.000')).toBe('0');
    expect(plainQuantity('00')).toBe('0');
    expect(plainQuantity('10.0')).toBe('10');
    expect(plainQuantity('0.5')).toBe('0.5');
    expect(plainQuantity('999999999999999999.999999999999')).toBe('999999999999999999.999999999999');
    for (const other of ['', '.5', '5.', '1e3', '-1', ' 1', '1 ', '1.2.3', '1000000000000000000', '1.1234567890123', '0x10']) {
      expect(plainQuantity(other)).toBeNull();
    }
    expect(said('1.1234567890123')).toMatch(/problem: .*12 decimals/);
    expect(said(-1)).toMatch(/problem: .*>= 0/);
    expect(said(' 2.50 ')).toBe('2.5');
    expect(said(1e-7)).toBe('0.0000001');
  });

  it('agrees with the general path on digit strings of every shape (property)', () => {
    const digits = (max: number) => fc.array(fc.constantFrom('0', '0', '1', '5', '9'), { minLength: 0, maxLength: max }).map((a) => a.join(''));
    const text = fc.tuple(digits(22), fc.boolean(), digits(16), fc.constantFrom('', '', ' ', '-', 'e2')).map(([i, dot, f, junk]) => `${i}${dot ? '.' : ''}${f}${junk}`);
    fc.assert(fc.property(text, (t) => expect(said(t)).toBe(general(t))), { numRuns: 20_000 });
  });

  it('agrees with the general path on JSON numbers (property)', () => {
    const number = fc.oneof(fc.double({ noNaN: false }), fc.integer(), fc.integer({ min: 0, max: 10 ** 6 }).map((n) => n / 1000));
    fc.assert(fc.property(number, (n) => expect(said(n)).toBe(general(n))), { numRuns: 20_000 });
  });
});

describe('toMinorUnits range', () => {
  it('fails loudly instead of losing precision beyond 2^53 minor units', () => {
    expect(() => toMinorUnits('90071992547410', 'USD')).toThrow(RangeError);
  });
});

import { Dec } from '../common/money/decimal';
import { bucketBounds, bucketIndex, cumulativeUsage } from './timeline';

const at = (s: string) => new Date(s);

describe('bucketBounds', () => {
  it('tiles a window with UTC days, partial at both ends', () => {
    const b = bucketBounds(at('2025-03-01T10:30:00Z'), at('2025-03-03T06:00:00Z'), 'day');
    expect(b.map((x) => [x.start.toISOString(), x.end.toISOString()])).toEqual([
      ['2025-03-01T10:30:00.000Z', '2025-03-02T00:00:00.000Z'],
      ['2025-03-02T00:00:00.000Z', '2025-03-03T00:00:00.000Z'],
      ['2025-03-03T00:00:00.000Z', '2025-03-03T06:00:00.000Z'],
    ]);
  });

  it('tiles with hours and maps truncated instants to their bucket', () => {
    const from = at('2025-03-01T10:30:00Z');
    expect(bucketBounds(from, at('2025-03-01T13:00:00Z'), 'hour')).toHaveLength(3);
    expect(bucketIndex(from, at('2025-03-01T10:00:00Z'), 'hour')).toBe(0);
    expect(bucketIndex(from, at('2025-03-01T12:00:00Z'), 'hour')).toBe(2);
  });
});

describe('cumulativeUsage', () => {
  const agg = { s: 'sum', c: 'count', x: 'max', l: 'latest', u: 'unique_count' } as const;
  const u = (metric: string, index: number, v: number, latest = v) => ({ metric, index, sum: new Dec(v), count: new Dec(1), max: new Dec(v), latest: new Dec(latest) });

  it('runs sums, counts, maxima, latest values and first-seen distinct values', () => {
    const out = cumulativeUsage(
      3,
      [u('s', 0, 2), u('s', 2, 3), u('c', 1, 9), u('c', 2, 9), u('x', 0, 5), u('x', 1, 4), u('l', 0, 7), u('l', 1, 1)],
      [
        { metric: 'u', index: 0, count: 2 },
        { metric: 'u', index: 2, count: 1 },
      ],
      (m) => agg[m as keyof typeof agg],
    );
    const show = (m: Map<string, Dec>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toNumber()]));
    expect(out.map(show)).toEqual([
      { s: 2, x: 5, l: 7, u: 2 },
      { s: 2, c: 1, x: 5, l: 1, u: 2 },
      { s: 5, c: 2, x: 5, l: 1, u: 3 },
    ]);
  });
});

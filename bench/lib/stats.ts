/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface Distribution {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function distribution(samples: readonly number[]): Distribution {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    mean,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/** 12345.6 → "12,346"; small values keep a couple of decimals. */
export function fmt(n: number, digits?: number): string {
  if (!Number.isFinite(n)) return String(n);
  const d = digits ?? (Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2);
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

export function seconds(ms: number): string {
  return `${fmt(ms / 1000, 1)} s`;
}

/** Elapsed milliseconds of an async step. */
export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

/**
 * Times `requests` sequential calls of `get` after `warmup` unmeasured ones: each call's
 * milliseconds, the answers that were not 200, and the first measured answer.
 */
export async function timeSequential<R extends { status: number }>(get: () => Promise<R>, requests: number, warmup: number): Promise<{ ms: number[]; errors: number; first: R | null }> {
  for (let i = 0; i < warmup; i++) await get();
  const ms: number[] = [];
  let errors = 0;
  let first: R | null = null;
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    const res = await get();
    ms.push(performance.now() - t0);
    first ??= res;
    if (res.status !== 200) errors++;
  }
  return { ms, errors, first };
}

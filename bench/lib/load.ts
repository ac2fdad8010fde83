import autocannon from 'autocannon';

export interface NextRequest {
  path: string;
  body?: string;
  /** Carried to onResponse (e.g. the eventId sent). */
  tag?: unknown;
}

export interface LoadSpec {
  baseUrl: string;
  method: 'GET' | 'POST';
  connections: number;
  durationSec: number;
  headers?: Record<string, string>;
  /** A fixed path, or `next` to build every request (body, path). */
  path?: string;
  next?: () => NextRequest;
  /** Every response with its status and body (buffered only when this is given). */
  onResponse?: (status: number, body: string, tag: unknown) => void;
  /** The one status that counts as success; every other answer is an error. */
  expectStatus: number;
  /** Keep every response time (`LoadResult.latencies`), so loads can be combined exactly. */
  keepLatencies?: boolean;
}

export interface LoadResult {
  completed: number;
  durationSec: number;
  /** Completed responses per second. */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  maxMs: number;
  statusCounts: Record<string, number>;
  /** Responses with another status, connection errors and timeouts. */
  errors: number;
  connectionErrors: number;
  timeouts: number;
  /** Every response time in ms, when the spec asked for them. */
  latencies?: number[];
}

interface Ctx {
  tag?: unknown;
}

/** autocannon's per-connection request budget: lowering it ends a connection after its next answer. */
interface ClientBudget {
  reqsMade: number;
  responseMax: number;
}

/**
 * autocannon for `durationSec`, ended gracefully: at the deadline each connection sends no
 * more requests but receives the answer it is waiting for, so no request is cut off (with a
 * plain `duration`, autocannon destroys the connections with requests in flight, whose work
 * the server still does). A run whose answers do not come within 30 s is stopped hard.
 */
function gracefulLoad(opts: autocannon.Options, durationSec: number, latencies: number[] | null): Promise<{ result: autocannon.Result; activeSec: number }> {
  const clients: ClientBudget[] = [];
  return new Promise((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    const t0 = performance.now();
    let last = t0;
    const instance = autocannon(
      { ...opts, amount: 1e12, setupClient: (c) => clients.push(c as unknown as ClientBudget) },
      (err, result) => {
        timers.forEach(clearTimeout);
        // autocannon notices the end at its next 1 s tick: the load lasted until the last answer.
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve({ result, activeSec: (last - t0) / 1000 });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      last = performance.now();
      latencies?.push(responseTime);
    });
    timers.push(
      setTimeout(() => {
        for (const c of clients) c.responseMax = Math.max(1, c.reqsMade);
      }, durationSec * 1000),
      setTimeout(() => instance.stop(), (durationSec + 30) * 1000),
    );
  });
}

/** autocannon (programmatic) against one route: latency in ms from its histogram. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const request: autocannon.Request = { method: spec.method, path: spec.path ?? '/' };
  const next = spec.next;
  if (next) {
    request.setupRequest = (req, context) => {
      const n = next();
      (context as Ctx).tag = n.tag;
      return { ...req, path: n.path, body: n.body };
    };
  }
  const onResponse = spec.onResponse;
  if (onResponse) request.onResponse = (status, body, context) => onResponse(status, body, (context as Ctx).tag);

  const latencies = spec.keepLatencies ? [] : null;
  const { result, activeSec } = await gracefulLoad({
    url: spec.baseUrl,
    connections: spec.connections,
    timeout: 10,
    headers: { ...(spec.method === 'POST' ? { 'content-type': 'application/json' } : {}), ...spec.headers },
    requests: [request],
  }, spec.durationSec, latencies);
  const statusCounts: Record<string, number> = {};
  for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = s.count ?? 0;
  const completed = result.requests.total;
  const ok = statusCounts[String(spec.expectStatus)] ?? 0;
  return {
    completed,
    durationSec: Math.round(activeSec * 100) / 100,
    rps: completed / activeSec,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    maxMs: result.latency.max,
    statusCounts,
    errors: completed - ok + result.errors + result.timeouts,
    connectionErrors: result.errors,
    timeouts: result.timeouts,
    ...(latencies ? { latencies } : {}),
  };
}

/** The q-quantile (0 < q ≤ 1) of response times, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Loads of one side run in rounds, added up: answers over the time they took, and latency
 * percentiles over every response of every round (the loads must keep their latencies).
 */
export function combineLoads(rounds: readonly LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => rounds.reduce((a, r) => a + f(r), 0);
  const statusCounts: Record<string, number> = {};
  for (const r of rounds) for (const [c, n] of Object.entries(r.statusCounts)) statusCounts[c] = (statusCounts[c] ?? 0) + n;
  const latencies = rounds.flatMap((r) => r.latencies ?? []).sort((a, b) => a - b);
  const completed = sum((r) => r.completed);
  const durationSec = sum((r) => r.durationSec);
  const ms = (q: number) => Math.round(quantile(latencies, q) * 10) / 10;
  return {
    completed,
    durationSec: Math.round(durationSec * 100) / 100,
    rps: completed / durationSec,
    p50: ms(0.5),
    p90: ms(0.9),
    p99: ms(0.99),
    maxMs: Math.max(...rounds.map((r) => r.maxMs)),
    statusCounts,
    errors: sum((r) => r.errors),
    connectionErrors: sum((r) => r.connectionErrors),
    timeouts: sum((r) => r.timeouts),
  };
}

/** A load of one side for `durationSec` after `warmupSec` unmeasured (the side's state carries over between calls). */
export type SideLoad = (durationSec: number, warmupSec: number) => Promise<LoadResult>;

/**
 * A service and its baseline measured in alternating rounds (baseline, service, service,
 * baseline, …), each idle while the other is loaded, `durationSec` in all per side, warmed up
 * once each: a slow spell of the shared machine weighs on both alike instead of on whichever
 * ran in it. Returns each side's rounds.
 */
export async function alternatingRounds(rounds: number, durationSec: number, warmupSec: number, baseline: SideLoad, service: SideLoad): Promise<{ baseline: LoadResult[]; service: LoadResult[] }> {
  const out = { baseline: [] as LoadResult[], service: [] as LoadResult[] };
  for (let r = 0; r < rounds; r++) {
    const warmup = r === 0 ? warmupSec : 0;
    const order = r % 2 === 0 ? (['baseline', 'service'] as const) : (['service', 'baseline'] as const);
    for (const side of order) out[side].push(await (side === 'baseline' ? baseline : service)(durationSec / rounds, warmup));
  }
  return out;
}

/** Per-round figures of alternating rounds: each side's req/s and the ratios. */
export function describeRounds(baseline: readonly LoadResult[], service: readonly LoadResult[]): string {
  const rps = (rs: readonly LoadResult[]) => rs.map((r) => Math.round(r.rps).toLocaleString('en-US')).join(' / ');
  return `${service.length} rounds: baseline ${rps(baseline)} req/s, service ${rps(service)} req/s, ratios ${service.map((r, i) => (r.rps / baseline[i].rps).toFixed(2)).join(' / ')}`;
}

/** An unmeasured run of the same load first (JIT, pools, caches), then the measured one. */
export async function warmedLoad(spec: LoadSpec, warmupSec: number): Promise<LoadResult> {
  if (warmupSec > 0) await runLoad({ ...spec, durationSec: warmupSec });
  return runLoad(spec);
}

export function describeLoad(r: LoadResult): string {
  const statuses = Object.entries(r.statusCounts)
    .map(([c, n]) => `${c}×${n}`)
    .join(' ');
  return `${r.completed} responses in ${r.durationSec} s, statuses [${statuses}], connection errors ${r.connectionErrors}, timeouts ${r.timeouts}, latency p50 ${r.p50} ms p90 ${r.p90} ms p99 ${r.p99} ms max ${r.maxMs} ms`;
}

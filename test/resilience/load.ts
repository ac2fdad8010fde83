import * as http from 'node:http';

/** One HTTP exchange's outcome: an answer, or a connection error before any answer. */
export type Outcome = { kind: 'answer'; status: number; contentType: string; body: string; ms: number } | { kind: 'error'; code: string; ms: number };

/** A request over a given agent (keep-alive per client) that never throws: errors become outcomes. */
export function send(agent: http.Agent, baseUrl: string, method: string, path: string, token: string, body?: unknown, timeoutMs = 30_000): Promise<Outcome> {
  const started = Date.now();
  const url = new URL(path, baseUrl);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: Outcome) => {
      if (!done) {
        done = true;
        resolve(o);
      }
    };
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method,
        path: url.pathname + url.search,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          finish({ kind: 'answer', status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: text, ms: Date.now() - started }),
        );
        res.on('error', (e: NodeJS.ErrnoException) => finish({ kind: 'error', code: e.code ?? e.message, ms: Date.now() - started }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => finish({ kind: 'error', code: e.code ?? e.message, ms: Date.now() - started }));
    req.end(payload);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Counts of outcomes by status or error code, for assertion messages. */
export function tally(outcomes: Outcome[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const o of outcomes) {
    const k = o.kind === 'answer' ? String(o.status) : o.code;
    t[k] = (t[k] ?? 0) + 1;
  }
  return t;
}

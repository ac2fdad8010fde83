import * as http from 'node:http';

export interface HttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
  agent?: http.Agent;
}

export interface HttpResponse {
  status: number;
  body: string;
  json<T = any>(): T;
}

/** A plain HTTP/1.1 request (loopback only in this bench). JSON bodies are serialized. */
export function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const payload = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  return new Promise((resolve, reject) => {
    const r = http.request(
      req.url,
      {
        method: req.method ?? 'GET',
        agent: req.agent,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
          ...req.headers,
        },
        timeout: req.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) });
        });
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`timeout after ${req.timeoutMs ?? 30_000} ms: ${req.method ?? 'GET'} ${req.url}`)));
    r.on('error', reject);
    if (payload !== undefined) r.write(payload);
    r.end();
  });
}

/** Throws with the response when the status is not the expected one. */
export async function expectStatus(req: HttpRequest, status: number): Promise<HttpResponse> {
  const res = await httpRequest(req);
  if (res.status !== status) throw new Error(`${req.method ?? 'GET'} ${req.url}: expected ${status}, got ${res.status}: ${res.body.slice(0, 500)}`);
  return res;
}

import { responseMismatch } from './openapi-responses';

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

/** Real HTTP against a booted app: JSON in, JSON (or text) out. */
export function httpClient(baseUrl: string) {
  return async function request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | Buffer | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text.length > 0) parsed = JSON.parse(text);
    const mismatch = responseMismatch(method, path, res.status, res.headers.get('content-type'), parsed);
    if (mismatch) throw new Error(`The response breaks openapi.json: ${mismatch}\n${text.slice(0, 500)}`);
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  };
}

export const API = '/api/v1/billing';

/** Asserts the RFC 9457 shape and returns the body. */
export function expectProblem(res: HttpResult, status: number, code: string): any {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toEqual(
    expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String), code }),
  );
  expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+|QueryFailedError|SELECT |INSERT /);
  return res.body;
}

import type { Client } from 'pg';
import { BootOptions, TestApp, bootApp } from './app';
import { connect } from './db-client';
import { httpClient } from './http';

export type Request = ReturnType<typeof httpClient>;

/**
 * The usual e2e file: one app on a fresh database, booted before the tests and closed after,
 * with an HTTP client and a direct database connection. The returned functions forward to what
 * beforeAll made, so they can be destructured at the top of a describe.
 */
export function useApp(opts: BootOptions = {}): { app: () => TestApp; request: Request; db: Pick<Client, 'query'> } {
  let t: TestApp | undefined;
  let http: Request | undefined;
  let client: Client | undefined;
  beforeAll(async () => {
    t = await bootApp(opts);
    http = httpClient(t.baseUrl);
    client = await connect(t.databaseUrl);
  });
  afterAll(async () => {
    await client?.end();
    await t?.close();
  });
  return {
    app: () => t!,
    request: ((method, path, o) => http!(method, path, o)) as Request,
    db: { query: ((sql: string, params?: unknown[]) => client!.query(sql, params)) as Client['query'] },
  };
}

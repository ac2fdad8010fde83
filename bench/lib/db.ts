import { randomBytes } from 'node:crypto';
import { Client, ClientConfig } from 'pg';

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe identifier ${name}`);
  return `"${name}"`;
}

/** A throwaway database `billing_bench_<time>_<random>` on the bench server, dropped at the end. */
export class BenchDatabase {
  private constructor(
    private readonly serverUrl: string,
    readonly name: string,
    readonly url: string,
  ) {}

  static async create(serverUrl: string): Promise<BenchDatabase> {
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const name = `billing_bench_${stamp}_${randomBytes(3).toString('hex')}`;
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    await withClient({ connectionString: serverUrl }, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
    return new BenchDatabase(serverUrl, name, url.toString());
  }

  /** A connected client of the bench database; the caller ends it. */
  async connect(extra: Partial<ClientConfig> = {}): Promise<Client> {
    const client = new Client({ connectionString: this.url, ...extra });
    await client.connect();
    return client;
  }

  async with<T>(fn: (c: Client) => Promise<T>, extra: Partial<ClientConfig> = {}): Promise<T> {
    return withClient({ connectionString: this.url, ...extra }, fn);
  }

  async drop(): Promise<void> {
    await withClient({ connectionString: this.serverUrl }, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(this.name)} WITH (FORCE)`));
  }
}

async function withClient<T>(config: ClientConfig, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client(config);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty copy of public.usage_events in its own schema: same columns, defaults,
 * primary key, indexes and hash partitions, so that baselines write to the same structure.
 */
export async function copyUsageEventsTable(client: Client, schema: string): Promise<void> {
  const s = quoteIdent(schema);
  const [{ key }] = (await client.query(`SELECT pg_get_partkeydef('public.usage_events'::regclass) AS key`)).rows as Array<{ key: string }>;
  const parts = (
    await client.query(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'public.usage_events'::regclass ORDER BY c.relname`,
    )
  ).rows as Array<{ name: string; bound: string }>;
  await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await client.query(`CREATE SCHEMA ${s}`);
  await client.query(`CREATE TABLE ${s}.usage_events (LIKE public.usage_events INCLUDING ALL) PARTITION BY ${key}`);
  for (const p of parts) await client.query(`CREATE TABLE ${s}.${quoteIdent(p.name)} PARTITION OF ${s}.usage_events ${p.bound}`);
}

export async function serverVersion(client: Client): Promise<string> {
  const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
  return rows[0].server_version;
}

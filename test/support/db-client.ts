import { Client } from 'pg';

/** A direct connection to a test app's database, to check what was stored. */
export async function connect(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  await c.connect();
  return c;
}

export async function count(db: Pick<Client, 'query'>, sql: string, params: unknown[] = []): Promise<number> {
  const r = await db.query(sql, params);
  return Number(Object.values(r.rows[0])[0]);
}

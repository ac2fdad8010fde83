import { Injectable } from '@nestjs/common';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';

/**
 * TypeORM's PostgresDriver keeps its pg Pool in `master`, a field it does not document: read in
 * this one place, checked here (and by test/foundation/framework-internals.e2e-spec.ts), so an
 * upgrade that moves it stops the start with this message instead of failing a query later.
 */
export function driverPool(dataSource: DataSource): Pool {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  if (!pool || typeof pool.connect !== 'function' || typeof pool.query !== 'function') {
    throw new Error('TypeORM no longer exposes its pg pool as driver.master: update src/common/database/pg-pool.ts for this TypeORM version');
  }
  return pool;
}

/**
 * TypeORM's own pg pool, for the few hot paths (quota check, ingest) where a query runner per
 * query costs more than the query: named statements are prepared once per connection.
 */
@Injectable()
export class PgPool {
  private readonly pool: Pool;

  constructor(dataSource: DataSource) {
    this.pool = driverPool(dataSource);
  }

  async prepared<R extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<R[]> {
    return (await this.pool.query<R>({ name, text, values })).rows;
  }

  /** Runs `work` in one transaction on one pooled connection (named statements prepared on it). */
  async transaction<T>(work: (prepared: PreparedQuery) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const result = await work(async <R extends QueryResultRow>(name: string, text: string, values: unknown[]) => (await client.query<R>({ name, text, values })).rows);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: unknown) => (broken = e));
      throw err;
    } finally {
      client.release(broken as Error | undefined);
    }
  }
}

export type PreparedQuery = <R extends QueryResultRow>(name: string, text: string, values: unknown[]) => Promise<R[]>;

import { Injectable } from '@nestjs/common';
import { DatabaseError, type Pool, type PoolClient, type QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';

/** One connection inside an open transaction (PgPool.transaction). */
export interface PgTransaction {
  prepared<R extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<R[]>;
}

/**
 * TypeORM's own pg pool, for the few hot paths (quota check, ingest) where a query runner per
 * query costs more than the query: named statements are prepared once per connection.
 */
@Injectable()
export class PgPool {
  private readonly pool: Pool;

  constructor(dataSource: DataSource) {
    this.pool = (dataSource.driver as unknown as { master: Pool }).master;
  }

  async prepared<R extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<R[]> {
    return (await this.pool.query<R>({ name, text, values })).rows;
  }

  /**
   * `work` in one transaction on one connection, with NOTIFYs that are delivered if and only if
   * it commits. The notifications ride in the BEGIN round trip (one simple query), so a
   * transaction costs two round trips more than an autocommitted statement, not three.
   */
  async transaction<T>(notify: { channel: string; payloads: readonly string[] }, work: (tx: PgTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(['BEGIN', ...notifyStatements(client, notify.channel, notify.payloads)].join('; '));
      try {
        const result = await work({ prepared: async (name, text, values) => (await client.query({ name, text, values })).rows });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw err;
      }
    } catch (err) {
      // An error PostgreSQL did not send comes from the socket: the connection is not reusable.
      if (!(err instanceof DatabaseError)) broken ??= err as Error;
      throw err;
    } finally {
      // A connection that failed mid-transaction is destroyed, never handed to the next caller.
      client.release(broken);
    }
  }
}

function notifyStatements(client: PoolClient, channel: string, payloads: readonly string[]): string[] {
  return payloads.map((p) => `SELECT pg_notify(${client.escapeLiteral(channel)}, ${client.escapeLiteral(p)})`);
}

import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Transactions } from '../database/transactions';

/** A key as stored: the hash of the request that took it, and its response once there is one. */
export interface StoredIdempotencyKey {
  requestHash: string;
  /** null while the first request still runs. */
  responseStatus: number | null;
  responseBody: unknown;
}

const TTL_HOURS = 24;

/**
 * The only place idempotency_keys is queried. Every method but `sweepExpired` runs in the
 * caller's transaction (Transactions), which holds the key row from `claim` to `storeResponse`.
 */
@Injectable()
export class IdempotencyKeysRepository {
  constructor(
    private readonly tx: Transactions,
    private readonly dataSource: DataSource,
  ) {}

  /** Takes the key for this request (an expired one is freed first); false when another holds it. */
  async claim(scope: string, key: string, requestHash: string): Promise<boolean> {
    const em = this.tx.manager();
    await em.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at < now()', [scope, key]);
    const inserted: unknown[] = await em.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, expires_at)
       VALUES ($1, $2, $3, now() + interval '${TTL_HOURS} hours')
       ON CONFLICT (scope, key) DO NOTHING RETURNING 1`,
      [scope, key, requestHash],
    );
    return inserted.length > 0;
  }

  async find(scope: string, key: string): Promise<StoredIdempotencyKey | undefined> {
    const rows = await this.tx
      .manager()
      .query<Array<{ request_hash: string; response_status: number | null; response_body: unknown }>>(
        'SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2',
        [scope, key],
      );
    return rows[0] && { requestHash: rows[0].request_hash, responseStatus: rows[0].response_status, responseBody: rows[0].response_body };
  }

  async storeResponse(scope: string, key: string, status: number, body: unknown): Promise<void> {
    await this.tx.manager().query('UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE scope = $1 AND key = $2', [scope, key, status, JSON.stringify(body)]);
  }

  /** Marks where the handler's effects begin, so a stored 4xx can undo them and keep the key. */
  async beginHandler(): Promise<void> {
    await this.tx.manager().query('SAVEPOINT idempotent_handler');
  }

  async undoHandler(): Promise<void> {
    await this.tx.manager().query('ROLLBACK TO SAVEPOINT idempotent_handler');
  }

  /** Expired keys are ignored when met; this only keeps the table small. */
  async sweepExpired(): Promise<void> {
    await this.dataSource.query('DELETE FROM idempotency_keys WHERE expires_at < now()');
  }
}

import { Injectable } from '@nestjs/common';
import { Transactions } from '../common/database/transactions';

export interface RecordedEvent {
  id: string;
  type: string;
  outcome: string | null;
}

/** The only place stripe_customers and stripe_events are queried. */
@Injectable()
export class StripeRepository {
  constructor(private readonly tx: Transactions) {}

  async customerOf(tenantId: string): Promise<string | null> {
    const rows: Array<{ customer_id: string }> = await this.tx.manager().query('SELECT customer_id FROM stripe_customers WHERE tenant_id = $1', [tenantId]);
    return rows[0]?.customer_id ?? null;
  }

  /** Stores the tenant's customer unless one is stored already; answers the stored one (first writer wins). */
  async saveCustomer(tenantId: string, customerId: string): Promise<string> {
    await this.tx.manager().query('INSERT INTO stripe_customers (tenant_id, customer_id) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING', [tenantId, customerId]);
    return (await this.customerOf(tenantId)) ?? customerId;
  }

  async tenantOfCustomer(customerId: string): Promise<string | null> {
    const rows: Array<{ tenant_id: string }> = await this.tx.manager().query('SELECT tenant_id FROM stripe_customers WHERE customer_id = $1', [customerId]);
    return rows[0]?.tenant_id ?? null;
  }

  /**
   * Claims an event id for the current transaction: true the first time. A concurrent duplicate
   * blocks on the primary key until the first transaction ends, then sees the id taken (false),
   * or claims it if the first rolled back.
   */
  async claimEvent(id: string, type: string): Promise<boolean> {
    const rows: unknown[] = await this.tx.manager().query(
      'INSERT INTO stripe_events (id, type, received_at) VALUES ($1, $2, now()) ON CONFLICT (id) DO NOTHING RETURNING id',
      [id, type],
    );
    return rows.length > 0;
  }

  async finishEvent(id: string, outcome: string, tenantId: string | null): Promise<void> {
    await this.tx.manager().query('UPDATE stripe_events SET processed_at = now(), outcome = $2, tenant_id = $3 WHERE id = $1', [id, outcome, tenantId]);
  }

  async event(id: string): Promise<RecordedEvent | null> {
    const rows: RecordedEvent[] = await this.tx.manager().query('SELECT id, type, outcome FROM stripe_events WHERE id = $1', [id]);
    return rows[0] ?? null;
  }

  /** Runs `work` inside a savepoint of the current transaction: a refusal undoes its writes, not the caller's. */
  async inSavepoint<T>(name: string, work: () => Promise<T>): Promise<T> {
    const em = this.tx.manager();
    await em.query(`SAVEPOINT ${name}`);
    try {
      const result = await work();
      await em.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      await em.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw err;
    }
  }
}

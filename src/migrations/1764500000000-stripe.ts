import { MigrationInterface, QueryRunner } from 'typeorm';

export class Stripe1764500000000 implements MigrationInterface {
  name = 'Stripe1764500000000';

  async up(q: QueryRunner): Promise<void> {
    // One Stripe customer per tenant: concurrent first calls converge on the primary key (and on
    // Stripe's idempotency key customer:<tenantId>), so a tenant never gets two.
    await q.query(`
      CREATE TABLE stripe_customers (
        tenant_id text PRIMARY KEY,
        customer_id text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Every Stripe event processed, inserted in the same transaction as its effect: the primary
    // key makes "each event once" a database fact (a concurrent duplicate waits on it, then sees it done).
    await q.query(`
      CREATE TABLE stripe_events (
        id text PRIMARY KEY,
        type text NOT NULL,
        -- The tenant the event concerned, once a handler resolved it (null for ignored events).
        tenant_id text,
        received_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz,
        -- What the handler did: processed, ignored (with why), rejected:<CODE>.
        outcome text
      )`);
    await q.query('CREATE INDEX stripe_events_tenant ON stripe_events (tenant_id, received_at) WHERE tenant_id IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE stripe_events');
    await q.query('DROP TABLE stripe_customers');
  }
}

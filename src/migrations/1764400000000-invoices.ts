import { MigrationInterface, QueryRunner } from 'typeorm';

export class Invoices1764400000000 implements MigrationInterface {
  name = 'Invoices1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE invoices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        subscription_id uuid NOT NULL REFERENCES subscriptions (id),
        number text,
        status text NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
        currency char(3) NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL CHECK (period_end > period_start),
        lines jsonb NOT NULL,
        subtotal_cents bigint NOT NULL,
        discount_cents bigint NOT NULL CHECK (discount_cents >= 0),
        tax_cents bigint NOT NULL CHECK (tax_cents >= 0),
        total_cents bigint NOT NULL CHECK (total_cents >= 0),
        credit_applied_cents bigint NOT NULL CHECK (credit_applied_cents >= 0 AND credit_applied_cents <= total_cents),
        amount_due_cents bigint NOT NULL CHECK (amount_due_cents = total_cents - credit_applied_cents),
        credit_remainder_cents bigint NOT NULL DEFAULT 0,
        tax_rate numeric NOT NULL DEFAULT 0,
        discount jsonb,
        finalized_at timestamptz,
        due_at timestamptz,
        paid_at timestamptz,
        voided_at timestamptz,
        payment_intent_id text,
        payment_intent_amount_cents bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((status = 'draft') = (number IS NULL))
      )`);
    // Never two non-void invoices for one subscription and period.
    await q.query("CREATE UNIQUE INDEX invoices_one_per_period ON invoices (subscription_id, period_start) WHERE status <> 'void'");
    await q.query('CREATE UNIQUE INDEX invoices_tenant_number ON invoices (tenant_id, number) WHERE number IS NOT NULL');
    await q.query('CREATE INDEX invoices_tenant_created ON invoices (tenant_id, created_at, id)');
    await q.query('CREATE UNIQUE INDEX invoices_payment_intent ON invoices (payment_intent_id) WHERE payment_intent_id IS NOT NULL');
    // What has been billed for each metric of each finalized period (its own usage line, plus late
    // usage lines since): usage that arrives after finalization is billed as the difference.
    await q.query(`
      CREATE TABLE billed_usage (
        subscription_id uuid NOT NULL REFERENCES subscriptions (id),
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        metric text NOT NULL,
        -- The charge as priced then: late usage is re-rated with the same terms.
        charge jsonb NOT NULL,
        quantity numeric NOT NULL,
        amount_cents bigint NOT NULL,
        invoice_id uuid NOT NULL REFERENCES invoices (id),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subscription_id, period_start, metric)
      )`);
    // Gapless per-tenant numbering: the row is locked by the finalizing transaction until it commits.
    await q.query('CREATE TABLE invoice_sequences (tenant_id text PRIMARY KEY, last_value int NOT NULL)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE invoice_sequences');
    await q.query('DROP TABLE billed_usage');
    await q.query('DROP TABLE invoices');
  }
}

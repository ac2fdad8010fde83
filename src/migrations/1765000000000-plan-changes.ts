import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The plan history of a subscription: each row the instant a plan took over. Invoices read the
 * plan parts of their window from it (the part before an immediate change is billed on the old
 * plan, base fee and usage), instead of proration lines frozen at change time that could reach
 * past a later cancel, pause or interval change. The queue of such lines goes: open lines are
 * turned into the change they came from (the period's plan to the current one, at the line's
 * start), which is exact for the one-change case they were written for.
 */
export class PlanChanges1765000000000 implements MigrationInterface {
  name = 'PlanChanges1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE subscription_plan_changes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        subscription_id uuid NOT NULL REFERENCES subscriptions (id),
        changed_at timestamptz NOT NULL,
        from_plan_id text NOT NULL REFERENCES plans (id),
        to_plan_id text NOT NULL REFERENCES plans (id),
        -- false: the base fee stays on the plan billed before (change-plan with prorate: false).
        prorate boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        UNIQUE (tenant_id, id)
      )`);
    await q.query('CREATE INDEX subscription_plan_changes_sub ON subscription_plan_changes (subscription_id, changed_at)');
    await q.query(`
      INSERT INTO subscription_plan_changes (tenant_id, subscription_id, changed_at, from_plan_id, to_plan_id, prorate)
      SELECT s.tenant_id, s.id, min(l.period_start), s.period_plan_id, s.plan_id, true
      FROM pending_invoice_lines l JOIN subscriptions s ON s.id = l.subscription_id
      WHERE l.invoice_id IS NULL AND s.period_plan_id <> s.plan_id
      GROUP BY s.tenant_id, s.id, s.period_plan_id, s.plan_id`);
    await q.query('DROP TABLE pending_invoice_lines');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pending_invoice_lines (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        subscription_id uuid NOT NULL REFERENCES subscriptions (id),
        type text NOT NULL CHECK (type IN ('proration')),
        description text NOT NULL,
        amount_cents bigint NOT NULL,
        currency char(3) NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        computation jsonb NOT NULL,
        invoice_id uuid,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query('CREATE INDEX pending_invoice_lines_open ON pending_invoice_lines (subscription_id) WHERE invoice_id IS NULL');
    await q.query('DROP TABLE subscription_plan_changes');
  }
}

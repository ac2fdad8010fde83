import { MigrationInterface, QueryRunner } from 'typeorm';

export class Subscriptions1764300000000 implements MigrationInterface {
  name = 'Subscriptions1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE subscriptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        plan_id text NOT NULL REFERENCES plans (id),
        -- The plan whose base fee the current period is billed at (a plan change mid-period is
        -- settled by proration lines; the next period starts on plan_id).
        period_plan_id text NOT NULL REFERENCES plans (id),
        status text NOT NULL CHECK (status IN ('trialing', 'active', 'paused', 'past_due', 'canceled')),
        interval text NOT NULL CHECK (interval IN ('month', 'year')),
        anchor_at timestamptz NOT NULL,
        started_at timestamptz NOT NULL,
        -- Every period before current_period_start has been invoiced; the period-close job
        -- invoices [current_period_start, current_period_end) once it has ended, then advances.
        current_period_start timestamptz NOT NULL,
        current_period_end timestamptz NOT NULL CHECK (current_period_end > current_period_start),
        -- The end the current period had before it was cut short (immediate cancel, change of
        -- interval): the base fee is prorated over [current_period_start, current_period_full_end).
        current_period_full_end timestamptz NOT NULL CHECK (current_period_full_end >= current_period_end),
        trial_end timestamptz,
        cancel_at_period_end boolean NOT NULL DEFAULT false,
        canceled_at timestamptz,
        -- true once the last period of a canceled subscription has been invoiced.
        billing_closed boolean NOT NULL DEFAULT false,
        paused_at timestamptz,
        resumes_at timestamptz,
        pending_change jsonb,
        discount jsonb,
        cost_center_id uuid REFERENCES cost_centers (id),
        stripe_customer_id text,
        stripe_subscription_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // At most one live subscription per tenant, as a database fact.
    await q.query("CREATE UNIQUE INDEX subscriptions_one_live_per_tenant ON subscriptions (tenant_id) WHERE status <> 'canceled'");
    await q.query('CREATE INDEX subscriptions_tenant_created ON subscriptions (tenant_id, created_at, id)');
    await q.query('CREATE INDEX subscriptions_period_due ON subscriptions (current_period_end) WHERE NOT billing_closed');

    // Pauses stop base-fee accrual; the base fee of a period is prorated by its unpaused seconds.
    await q.query(`
      CREATE TABLE subscription_pauses (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subscription_id uuid NOT NULL REFERENCES subscriptions (id),
        paused_at timestamptz NOT NULL,
        resumed_at timestamptz,
        CHECK (resumed_at IS NULL OR resumed_at >= paused_at)
      )`);
    await q.query('CREATE INDEX subscription_pauses_sub ON subscription_pauses (subscription_id, paused_at)');
    await q.query('CREATE UNIQUE INDEX subscription_pauses_one_open ON subscription_pauses (subscription_id) WHERE resumed_at IS NULL');

    // Lines owed on the next invoice of a subscription (plan-change prorations), with their computation.
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
        -- clock_timestamp: lines made in one transaction keep their order.
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query('CREATE INDEX pending_invoice_lines_open ON pending_invoice_lines (subscription_id) WHERE invoice_id IS NULL');

    // Credit ledger: append-only. grant (+), draw (-), expire (-), return (+); the balance is derived.
    await q.query(`
      CREATE TABLE credit_entries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        subscription_id uuid NOT NULL REFERENCES subscriptions (id),
        kind text NOT NULL CHECK (kind IN ('grant', 'draw', 'expire', 'return')),
        amount_cents bigint NOT NULL CHECK (amount_cents <> 0),
        currency char(3) NOT NULL,
        reason text,
        expires_at timestamptz,
        grant_id uuid REFERENCES credit_entries (id),
        invoice_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind IN ('grant', 'return')) = (amount_cents > 0)),
        CHECK (kind = 'grant' OR grant_id IS NOT NULL)
      )`);
    await q.query('CREATE INDEX credit_entries_tenant ON credit_entries (tenant_id, created_at)');
    await q.query('CREATE INDEX credit_entries_grant ON credit_entries (grant_id)');

    await q.query(`
      CREATE TABLE coupons (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL,
        name text NOT NULL,
        percent_off numeric CHECK (percent_off > 0 AND percent_off <= 100),
        amount_off_cents bigint CHECK (amount_off_cents > 0),
        currency char(3),
        duration text NOT NULL CHECK (duration IN ('once', 'repeating', 'forever')),
        duration_in_periods int CHECK (duration_in_periods > 0),
        max_redemptions int CHECK (max_redemptions > 0),
        times_redeemed int NOT NULL DEFAULT 0,
        redeem_by timestamptz,
        applies_to_plans text[],
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((percent_off IS NULL) <> (amount_off_cents IS NULL)),
        CHECK ((amount_off_cents IS NULL) = (currency IS NULL)),
        CHECK ((duration = 'repeating') = (duration_in_periods IS NOT NULL)),
        CHECK (max_redemptions IS NULL OR times_redeemed <= max_redemptions)
      )`);
    await q.query('CREATE UNIQUE INDEX coupons_code_ci ON coupons (lower(code))');
    await q.query(`
      CREATE TABLE coupon_redemptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        coupon_id uuid NOT NULL REFERENCES coupons (id),
        tenant_id text NOT NULL,
        subscription_id uuid NOT NULL REFERENCES subscriptions (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (coupon_id, tenant_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['coupon_redemptions', 'coupons', 'credit_entries', 'pending_invoice_lines', 'subscription_pauses', 'subscriptions']) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}

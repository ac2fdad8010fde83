import { MigrationInterface, QueryRunner } from 'typeorm';

export class RealtimeCost1764600000000 implements MigrationInterface {
  name = 'RealtimeCost1764600000000';

  async up(q: QueryRunner): Promise<void> {
    // period_start/period_end: the billing period of the last trigger or dismissal. An alert whose
    // stored period is not the subscription's current one is armed again (status reads as ok).
    await q.query(`
      CREATE TABLE cost_alerts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        name text NOT NULL,
        type text NOT NULL CHECK (type IN ('spend', 'budget_percent', 'forecast')),
        threshold_cents bigint CHECK (threshold_cents >= 0),
        percent numeric CHECK (percent > 0),
        cost_center_id uuid REFERENCES cost_centers (id),
        metric text REFERENCES metrics (key),
        webhook_url text,
        status text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'triggered', 'dismissed')),
        period_start timestamptz,
        period_end timestamptz,
        triggered_at timestamptz,
        dismissed_at timestamptz,
        last_value_cents bigint,
        last_evaluated_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((type = 'budget_percent') = (percent IS NOT NULL)),
        CHECK ((type = 'budget_percent') = (threshold_cents IS NULL)),
        CHECK (type <> 'budget_percent' OR cost_center_id IS NOT NULL)
      )`);
    await q.query('CREATE INDEX cost_alerts_tenant_created ON cost_alerts (tenant_id, created_at, id)');

    // The outbox of trigger notifications: written in the trigger's transaction, delivered after
    // commit by the dispatcher. One row per alert and period: a trigger is delivered once.
    await q.query(`
      CREATE TABLE alert_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        alert_id uuid NOT NULL REFERENCES cost_alerts (id),
        period_start timestamptz NOT NULL,
        webhook_url text NOT NULL,
        payload jsonb NOT NULL,
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        failed_at timestamptz,
        last_status int,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (alert_id, period_start)
      )`);
    await q.query('CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL');
    await q.query('CREATE INDEX alert_deliveries_tenant ON alert_deliveries (tenant_id, alert_id, created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE alert_deliveries');
    await q.query('DROP TABLE cost_alerts');
  }
}

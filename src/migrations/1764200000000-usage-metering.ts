import { MigrationInterface, QueryRunner } from 'typeorm';

/** Partitions of usage_events, by tenant hash: (tenant_id, event_id) stays a real primary key. */
export const USAGE_EVENT_PARTITIONS = 16;

export class UsageMetering1764200000000 implements MigrationInterface {
  name = 'UsageMetering1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cost_centers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        code text NOT NULL,
        name text NOT NULL,
        description text,
        budget_cents bigint CHECK (budget_cents >= 0),
        parent_id uuid REFERENCES cost_centers (id),
        rules jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        archived_at timestamptz
      )`);
    // Codes are unique among a tenant's live cost centers; an archived one frees its code.
    await q.query('CREATE UNIQUE INDEX cost_centers_tenant_code ON cost_centers (tenant_id, code) WHERE archived_at IS NULL');
    await q.query('CREATE INDEX cost_centers_tenant_created ON cost_centers (tenant_id, created_at, id)');

    await q.query(`
      CREATE TABLE quotas (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        metric text NOT NULL REFERENCES metrics (key),
        "limit" numeric NOT NULL CHECK ("limit" >= 0),
        period text NOT NULL CHECK (period IN ('day', 'month', 'billing_period')),
        enforcement text NOT NULL CHECK (enforcement IN ('hard', 'soft')),
        cost_center_id uuid REFERENCES cost_centers (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX quotas_tenant_metric ON quotas (tenant_id, metric)');
    await q.query('CREATE INDEX quotas_tenant_created ON quotas (tenant_id, created_at, id)');

    // Raw events: the record of truth. seq orders ingestion (ties of "latest", late usage).
    await q.query('CREATE SEQUENCE usage_events_seq');
    await q.query(`
      CREATE TABLE usage_events (
        tenant_id text NOT NULL,
        event_id text NOT NULL,
        seq bigint NOT NULL DEFAULT nextval('usage_events_seq'),
        metric text NOT NULL,
        quantity numeric NOT NULL CHECK (quantity >= 0),
        ts timestamptz NOT NULL,
        resource_type text,
        resource_id text,
        cost_center_id uuid,
        properties jsonb,
        ingested_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, event_id)
      ) PARTITION BY HASH (tenant_id)`);
    for (let i = 0; i < USAGE_EVENT_PARTITIONS; i++) {
      await q.query(`CREATE TABLE usage_events_p${i} PARTITION OF usage_events FOR VALUES WITH (MODULUS ${USAGE_EVENT_PARTITIONS}, REMAINDER ${i})`);
    }
    await q.query('CREATE INDEX usage_events_tenant_metric_ts ON usage_events (tenant_id, metric, ts)');
    await q.query('CREATE INDEX usage_events_tenant_ingested ON usage_events (tenant_id, ingested_at)');

    // Rollups kept exact in the ingest transaction. granularity: 'h' hour, 'd' day, 'm' month.
    // resource_key '*' rows aggregate every resource (all granularities); other rows are one
    // resource (hour and day only). cost_center_key is the cost center id, or '' for none.
    await q.query(`
      CREATE TABLE usage_rollups (
        tenant_id text NOT NULL,
        metric text NOT NULL,
        granularity "char" NOT NULL,
        bucket_start timestamptz NOT NULL,
        cost_center_key text NOT NULL,
        resource_key text NOT NULL,
        sum numeric NOT NULL,
        count bigint NOT NULL,
        max numeric NOT NULL,
        latest_ts timestamptz NOT NULL,
        latest_seq bigint NOT NULL,
        latest_value numeric NOT NULL,
        PRIMARY KEY (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key)
      )`);
    // Distinct property values of unique_count metrics per bucket, in the same two families as
    // the rollups: resource_key '*' (every resource; hour, day, month) and per resource (hour, day).
    await q.query(`
      CREATE TABLE usage_unique_values (
        tenant_id text NOT NULL,
        metric text NOT NULL,
        granularity "char" NOT NULL,
        bucket_start timestamptz NOT NULL,
        cost_center_key text NOT NULL,
        resource_key text NOT NULL,
        value text NOT NULL,
        PRIMARY KEY (tenant_id, metric, granularity, bucket_start, cost_center_key, resource_key, value)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['usage_unique_values', 'usage_rollups', 'usage_events', 'quotas', 'cost_centers']) await q.query(`DROP TABLE ${t}`);
    await q.query('DROP SEQUENCE usage_events_seq');
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version per tenant of what usage ingest reads about it (its live cost centers with their
 * rules, and the metrics it has quotas on), bumped by triggers on every write to cost_centers or
 * quotas, whatever writes them. Ingest keeps the context in memory with its version and its
 * storing statement checks the versions it used: a group read with a stale context stores
 * nothing and is redone with a fresh one, so attribution stays exact across instances without
 * a read of the context per commit. A tenant without a row is at version 0.
 */
export class IngestContextVersions1764800000000 implements MigrationInterface {
  name = 'IngestContextVersions1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE tenant_ingest_versions (tenant_id text PRIMARY KEY, version bigint NOT NULL)');
    await q.query(`
      CREATE FUNCTION bump_tenant_ingest_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'DELETE' THEN
          INSERT INTO tenant_ingest_versions AS v (tenant_id, version) VALUES (NEW.tenant_id, 1)
          ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1;
        END IF;
        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.tenant_id IS DISTINCT FROM NEW.tenant_id) THEN
          INSERT INTO tenant_ingest_versions AS v (tenant_id, version) VALUES (OLD.tenant_id, 1)
          ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1;
        END IF;
        RETURN NULL;
      END $$`);
    for (const table of ['cost_centers', 'quotas']) {
      await q.query(`CREATE TRIGGER ${table}_ingest_version AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION bump_tenant_ingest_version()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['cost_centers', 'quotas']) await q.query(`DROP TRIGGER ${table}_ingest_version ON ${table}`);
    await q.query('DROP FUNCTION bump_tenant_ingest_version()');
    await q.query('DROP TABLE tenant_ingest_versions');
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CatalogFile } from './catalog.types';

/** The only place the catalog tables (metrics, plans) are written. */
@Injectable()
export class CatalogRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Upserts the file's metrics and plans in one transaction and deactivates plans that left it
   * (never deleted: subscriptions point at them). Instances starting together take turns; the
   * last one to write wins with the same file.
   */
  async upsert(catalog: CatalogFile): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      await em.query("SELECT pg_advisory_xact_lock(hashtext('billing:catalog'))");
      for (const m of [...catalog.metrics].sort((a, b) => a.key.localeCompare(b.key))) {
        await em.query(
          `INSERT INTO metrics (key, name, unit, aggregation, property, updated_at) VALUES ($1, $2, $3, $4, $5, now())
           ON CONFLICT (key) DO UPDATE SET name = EXCLUDED.name, unit = EXCLUDED.unit, aggregation = EXCLUDED.aggregation,
             property = EXCLUDED.property, updated_at = now()`,
          [m.key, m.name, m.unit, m.aggregation, m.property ?? null],
        );
      }
      for (const p of [...catalog.plans].sort((a, b) => a.id.localeCompare(b.id))) {
        await em.query(
          `INSERT INTO plans (id, name, currency, interval, base_price, trial_days, active, charges, limits, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency, interval = EXCLUDED.interval,
             base_price = EXCLUDED.base_price, trial_days = EXCLUDED.trial_days, active = EXCLUDED.active,
             charges = EXCLUDED.charges, limits = EXCLUDED.limits, updated_at = now()`,
          [p.id, p.name, p.currency, p.interval, p.basePrice, p.trialDays, p.active, JSON.stringify(p.charges), JSON.stringify(p.limits)],
        );
      }
      await em.query('UPDATE plans SET active = false, updated_at = now() WHERE active AND NOT (id = ANY($1))', [catalog.plans.map((p) => p.id)]);
    });
  }
}

import * as fs from 'node:fs';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/app-config';
import { Dec, parseDecimal } from '../common/money/decimal';
import { toMinorUnits } from '../common/money/money';
import { CatalogRepository } from './catalog.repository';
import { catalogProblems } from './catalog.schema';
import type { CatalogFile, MetricDef, PlanDef } from './catalog.types';
import type { ChargeDto, PlanDto } from './dto/plan.dto';

export class CatalogError extends Error {}

/** Reads and validates a catalog file; throws CatalogError listing every problem. */
export function readCatalogFile(file: string): CatalogFile {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CatalogError(`Cannot read the catalog ${file} (CATALOG_PATH): ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new CatalogError(`The catalog ${file} (CATALOG_PATH) is not valid JSON: ${(e as Error).message}`);
  }
  const problems = catalogProblems(parsed);
  if (problems.length > 0) {
    throw new CatalogError(`The catalog ${file} (CATALOG_PATH) is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  return parsed as CatalogFile;
}

const dec = (v: string | number | undefined | null, fallback = '0'): string => (parseDecimal(v ?? fallback) ?? new Dec(0)).toFixed();

/**
 * The catalog file is the source of truth: loaded at start, upserted into the database (plans
 * that left the file are deactivated, never deleted, since subscriptions point at them) and kept
 * in memory for the hot paths.
 */
@Injectable()
export class CatalogService implements OnModuleInit {
  private readonly logger = new Logger(CatalogService.name);
  private metrics = new Map<string, MetricDef>();
  private plans = new Map<string, PlanDef>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: CatalogRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    const catalog = readCatalogFile(this.config.catalogPath);
    await this.repository.upsert(catalog);
    this.metrics = new Map(catalog.metrics.map((m) => [m.key, m]));
    this.plans = new Map(catalog.plans.map((p) => [p.id, p]));
    this.logger.log(`catalog loaded: ${catalog.metrics.length} metrics, ${catalog.plans.length} plans from ${this.config.catalogPath}`);
  }

  metric(key: string): MetricDef | undefined {
    return this.metrics.get(key);
  }

  allMetrics(): MetricDef[] {
    return [...this.metrics.values()];
  }

  plan(id: string): PlanDef | undefined {
    return this.plans.get(id);
  }

  /** Active plans ordered by id, after `afterId` when paging. */
  activePlans(afterId: string | null, limit: number): PlanDef[] {
    return [...this.plans.values()]
      .filter((p) => p.active && (afterId === null || p.id > afterId))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, limit);
  }

  toDto(p: PlanDef): PlanDto {
    return {
      id: p.id,
      name: p.name,
      currency: p.currency,
      interval: p.interval,
      basePrice: p.basePrice,
      basePriceCents: toMinorUnits(p.basePrice, p.currency),
      trialDays: p.trialDays,
      active: p.active,
      charges: p.charges.map((c): ChargeDto => {
        const metric = this.metrics.get(c.metric)!;
        return {
          metric: c.metric,
          metricName: metric.name,
          unit: metric.unit,
          aggregation: metric.aggregation,
          model: c.model,
          includedQuantity: dec(c.includedQuantity),
          unitPrice: c.unitPrice ?? null,
          tiers: c.tiers ? c.tiers.map((t) => ({ upTo: t.upTo === null ? null : dec(t.upTo), unitPrice: t.unitPrice, flatFee: t.flatFee ?? '0' })) : null,
          packageSize: c.packageSize === undefined ? null : dec(c.packageSize),
          packagePrice: c.packagePrice ?? null,
        };
      }),
      limits: Object.fromEntries(Object.entries(p.limits).map(([k, v]) => [k, dec(v)])),
    };
  }
}

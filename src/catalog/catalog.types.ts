/** The catalog file's shapes (CONTRACT.md, Catalog), exactly as written in JSON. */
export const AGGREGATIONS = ['sum', 'count', 'max', 'unique_count', 'latest'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export const CHARGE_MODELS = ['per_unit', 'graduated', 'volume', 'package'] as const;
export type ChargeModel = (typeof CHARGE_MODELS)[number];

export const INTERVALS = ['month', 'year'] as const;
export type Interval = (typeof INTERVALS)[number];

export interface MetricDef {
  key: string;
  name: string;
  unit: string;
  aggregation: Aggregation;
  property?: string;
}

export interface Tier {
  /** Inclusive upper bound; null for the last, open tier. */
  upTo: string | number | null;
  unitPrice: string;
  flatFee?: string;
}

export interface ChargeDef {
  metric: string;
  model: ChargeModel;
  includedQuantity?: string | number;
  unitPrice?: string;
  tiers?: Tier[];
  packageSize?: string | number;
  packagePrice?: string;
}

export interface PlanDef {
  id: string;
  name: string;
  currency: string;
  interval: Interval;
  basePrice: string;
  trialDays: number;
  active: boolean;
  charges: ChargeDef[];
  limits: Record<string, string | number>;
}

export interface CatalogFile {
  metrics: MetricDef[];
  plans: PlanDef[];
}

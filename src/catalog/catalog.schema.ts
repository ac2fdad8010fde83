import Ajv, { ErrorObject } from 'ajv';
import { Dec, parseDecimal } from '../common/money/decimal';
import { isKnownCurrency } from '../common/money/money';
import { AGGREGATIONS, CHARGE_MODELS, CatalogFile, INTERVALS } from './catalog.types';

const price = { type: 'string', pattern: '^\\d+(\\.\\d+)?$', maxLength: 40 };
const quantity = {
  anyOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', pattern: '^\\d+(\\.\\d+)?$', maxLength: 40 },
  ],
};

/** JSON Schema of the catalog file: exactly the contract's fields, nothing else. */
export const CATALOG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['metrics', 'plans'],
  properties: {
    metrics: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'name', 'unit', 'aggregation'],
        properties: {
          key: { type: 'string', pattern: '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$', maxLength: 100 },
          name: { type: 'string', minLength: 1, maxLength: 200 },
          unit: { type: 'string', minLength: 1, maxLength: 50 },
          aggregation: { enum: AGGREGATIONS },
          property: { type: 'string', minLength: 1, maxLength: 100 },
        },
      },
    },
    plans: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'name', 'currency', 'interval', 'basePrice', 'trialDays', 'active', 'charges', 'limits'],
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' },
          name: { type: 'string', minLength: 1, maxLength: 200 },
          currency: { type: 'string', pattern: '^[A-Z]{3}$' },
          interval: { enum: INTERVALS },
          basePrice: price,
          trialDays: { type: 'integer', minimum: 0, maximum: 365 },
          active: { type: 'boolean' },
          charges: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['metric', 'model'],
              properties: {
                metric: { type: 'string' },
                model: { enum: CHARGE_MODELS },
                includedQuantity: quantity,
                unitPrice: price,
                packageSize: quantity,
                packagePrice: price,
                tiers: {
                  type: 'array',
                  minItems: 1,
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['upTo', 'unitPrice'],
                    properties: {
                      upTo: { anyOf: [{ type: 'null' }, ...quantity.anyOf] },
                      unitPrice: price,
                      flatFee: price,
                    },
                  },
                },
              },
            },
          },
          limits: { type: 'object', additionalProperties: quantity },
        },
      },
    },
  },
} as const;

const validateShape = new Ajv({ allErrors: true, strict: false }).compile<CatalogFile>(CATALOG_SCHEMA);

function describe(e: ErrorObject): string {
  const where = e.instancePath || '(root)';
  const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
  return `${where}: ${e.message ?? 'is invalid'}${extra}`;
}

/** Checks a parsed catalog and returns every problem found (empty when valid). */
export function catalogProblems(input: unknown): string[] {
  if (!validateShape(input)) return (validateShape.errors ?? []).map(describe);
  const catalog = input;
  const problems: string[] = [];
  const metricKeys = new Set<string>();
  catalog.metrics.forEach((m, i) => {
    if (metricKeys.has(m.key)) problems.push(`/metrics/${i}: duplicate metric key "${m.key}"`);
    metricKeys.add(m.key);
    if (m.aggregation === 'unique_count' && !m.property) problems.push(`/metrics/${i}: unique_count needs "property"`);
    if (m.aggregation !== 'unique_count' && m.property) problems.push(`/metrics/${i}: "property" is only for unique_count`);
  });
  const planIds = new Set<string>();
  catalog.plans.forEach((p, i) => {
    const at = `/plans/${i} (${p.id})`;
    if (planIds.has(p.id)) problems.push(`${at}: duplicate plan id`);
    planIds.add(p.id);
    if (!isKnownCurrency(p.currency)) problems.push(`${at}: unknown currency ${p.currency}`);
    const charged = new Set<string>();
    p.charges.forEach((c, j) => {
      const cat = `${at}/charges/${j}`;
      if (!metricKeys.has(c.metric)) problems.push(`${cat}: unknown metric "${c.metric}"`);
      if (charged.has(c.metric)) problems.push(`${cat}: metric "${c.metric}" is charged twice`);
      charged.add(c.metric);
      const needs: Record<string, string[]> = {
        per_unit: ['unitPrice'],
        graduated: ['tiers'],
        volume: ['tiers'],
        package: ['packageSize', 'packagePrice'],
      };
      const allowed = new Set(['metric', 'model', 'includedQuantity', ...needs[c.model]]);
      for (const f of needs[c.model]) if ((c as unknown as Record<string, unknown>)[f] === undefined) problems.push(`${cat}: ${c.model} needs "${f}"`);
      for (const f of Object.keys(c)) if (!allowed.has(f)) problems.push(`${cat}: "${f}" does not belong to a ${c.model} charge`);
      if (c.model === 'package' && c.packageSize !== undefined && !(parseDecimal(c.packageSize) ?? new Dec(0)).gt(0)) {
        problems.push(`${cat}: packageSize must be > 0`);
      }
      if (c.tiers) {
        c.tiers.forEach((t, k) => {
          const last = k === c.tiers!.length - 1;
          if (last !== (t.upTo === null)) problems.push(`${cat}/tiers/${k}: only the last tier has upTo null`);
          if (k > 0 && t.upTo !== null) {
            const prev = parseDecimal(c.tiers![k - 1].upTo);
            const cur = parseDecimal(t.upTo);
            if (prev && cur && !cur.gt(prev)) problems.push(`${cat}/tiers/${k}: upTo must increase`);
          }
        });
      }
    });
    for (const metric of Object.keys(p.limits)) {
      if (!metricKeys.has(metric)) problems.push(`${at}/limits: unknown metric "${metric}"`);
    }
  });
  return problems;
}

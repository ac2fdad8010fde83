import { randomUUID } from 'node:crypto';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import type { MetricDef } from '../catalog/catalog.types';
import { FieldError, ProblemError, ValidationFailed } from '../common/errors/problem';
import { Dec, checkQuantity } from '../common/money/decimal';
import { daysInMonth } from '../subscriptions/domain/periods';

/**
 * Usage input is checked by a compiled JSON Schema (ajv), not per-object class-validator: this
 * is the hot path, and a compiled schema costs a fraction of it. Semantic checks (exact
 * quantity, clock skew, catalog) follow in plain code.
 */
export const MAX_BATCH = 1000;
export const MAX_FUTURE_MS = 5 * 60 * 1000;
export const EARLIEST_TIMESTAMP = Date.UTC(2000, 0, 1);

const ISO_INSTANT = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';

export const USAGE_EVENT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['metric', 'quantity'],
  properties: {
    eventId: { type: 'string', pattern: '^[\\x21-\\x7e]{1,128}$' },
    metric: { type: 'string', minLength: 1, maxLength: 100 },
    quantity: {
      anyOf: [
        { type: 'number', minimum: 0 },
        { type: 'string', maxLength: 40, pattern: '^\\s*\\d+(\\.\\d+)?\\s*$' },
      ],
    },
    timestamp: { type: 'string', pattern: ISO_INSTANT, maxLength: 40 },
    resourceType: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
    resourceId: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f]+$' },
    costCenterId: { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' },
    properties: {
      type: 'object',
      maxProperties: 32,
      propertyNames: { pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
      additionalProperties: {
        anyOf: [{ type: 'string', maxLength: 256 }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }],
      },
    },
  },
} as const;

export const USAGE_BATCH_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['events'],
  properties: {
    events: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: USAGE_EVENT_SCHEMA },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateEvent = ajv.compile(USAGE_EVENT_SCHEMA);
const validateBatch = ajv.compile(USAGE_BATCH_SCHEMA);

export interface UsageEventInput {
  eventId?: string;
  metric: string;
  quantity: number | string;
  timestamp?: string;
  resourceType?: string;
  resourceId?: string;
  costCenterId?: string;
  properties?: Record<string, string | number | boolean | null>;
}

/** A validated event, ready to store. */
export interface UsageEvent {
  eventId: string;
  /** True when the service made the id (the caller sent none). */
  generatedId: boolean;
  metric: string;
  quantity: Dec;
  timestamp: Date;
  resourceType: string | null;
  resourceId: string | null;
  costCenterId: string | null;
  properties: Record<string, string | number | boolean | null> | null;
}

/** `/events/3/quantity` → `events[3].quantity`; the missing or extra property is named. */
function ajvPath(e: ErrorObject, prefix: string): string {
  let path = e.instancePath
    .split('/')
    .slice(1)
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`))
    .join('');
  if (e.keyword === 'required') path += `.${(e.params as { missingProperty: string }).missingProperty}`;
  if (e.keyword === 'additionalProperties') path += `.${(e.params as { additionalProperty: string }).additionalProperty}`;
  if (e.keyword === 'propertyNames') path += `.${(e.params as { propertyName: string }).propertyName}`;
  const full = `${prefix}${path}`.replace(/^\./, '');
  return full || '(body)';
}

function ajvMessage(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return 'is not a known field';
    case 'required':
      return 'is required';
    case 'anyOf':
      return 'must be a decimal number or decimal string';
    case 'pattern':
      return e.instancePath.endsWith('/timestamp') ? 'must be an ISO-8601 instant with a zone (2026-01-31T12:00:00Z)' : 'has an invalid format';
    default:
      return e.message ?? 'is invalid';
  }
}

function schemaErrors(v: ValidateFunction, prefix = ''): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of v.errors ?? []) {
    // anyOf repeats its branches' errors; keep one line per path.
    if (e.schemaPath.includes('/anyOf/')) continue;
    const err = { path: ajvPath(e, prefix), message: ajvMessage(e) };
    const key = `${err.path}|${err.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(err);
    }
  }
  return out;
}

/** Epoch ms of a schema-valid ISO instant, or null for a date the calendar lacks (Feb 30, 25:00). */
export function parseInstant(text: string): number | null {
  const m = INSTANT_FIELDS.exec(text);
  if (!m) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return null;
  const y = +m[1];
  const mo = +m[2];
  const d = +m[3];
  const valid = mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo - 1) && +m[4] < 24 && +m[5] < 60 && +m[6] < 60;
  return valid ? ms : null;
}

const INSTANT_FIELDS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/;

/**
 * What the events of one request share: the time that stamps events without one (one Date for
 * all), and the quantities already checked (a batch repeats a few values; a Dec is immutable).
 */
interface RequestScope {
  now: number;
  stamp: Date;
  quantities: Map<unknown, Dec | string>;
}

function requestScope(now: number): RequestScope {
  return { now, stamp: new Date(now), quantities: new Map() };
}

/**
 * Semantic checks of one schema-valid event; returns the event or pushes field errors.
 * `lookupMetric` is the catalog; unknown metrics are collected apart (422, not 400).
 */
function normalize(
  input: UsageEventInput,
  index: number | null,
  scope: RequestScope,
  lookupMetric: (key: string) => MetricDef | undefined,
  errors: FieldError[],
  unknownMetrics: FieldError[],
): UsageEvent | null {
  const before = errors.length;
  // A path is only written out for an error.
  const at = (field: string) => (index === null ? field : `events[${index}].${field}`);
  let quantity = scope.quantities.get(input.quantity);
  if (quantity === undefined) scope.quantities.set(input.quantity, (quantity = checkQuantity(input.quantity)));
  if (typeof quantity === 'string') errors.push({ path: at('quantity'), message: quantity });
  const now = scope.now;
  let timestamp = scope.stamp;
  if (input.timestamp !== undefined) {
    const ms = parseInstant(input.timestamp);
    if (ms === null) errors.push({ path: at('timestamp'), message: 'is not a valid date' });
    else if (ms > now + MAX_FUTURE_MS) errors.push({ path: at('timestamp'), message: 'must not be more than 5 minutes in the future' });
    else if (ms < EARLIEST_TIMESTAMP) errors.push({ path: at('timestamp'), message: 'must not be before 2000-01-01' });
    else timestamp = new Date(ms);
  }
  const metric = lookupMetric(input.metric);
  if (!metric) unknownMetrics.push({ path: at('metric'), message: `unknown metric "${input.metric}"` });
  else if (metric.aggregation === 'unique_count') {
    const value = input.properties?.[metric.property!];
    if (value === undefined || value === null || value === '') {
      errors.push({ path: at(`properties.${metric.property}`), message: `is required: ${metric.key} counts distinct values of it` });
    }
  }
  if ((input.resourceId === undefined) !== (input.resourceType === undefined)) {
    errors.push({ path: at(input.resourceId === undefined ? 'resourceId' : 'resourceType'), message: 'resourceType and resourceId go together' });
  }
  if (errors.length > before || !metric) return null;
  return {
    eventId: input.eventId ?? randomUUID(),
    generatedId: input.eventId === undefined,
    metric: input.metric,
    quantity: quantity as Dec,
    timestamp,
    resourceType: input.resourceType ?? null,
    resourceId: input.resourceId ?? null,
    costCenterId: input.costCenterId?.toLowerCase() ?? null,
    properties: input.properties ?? null,
  };
}

function finish(events: (UsageEvent | null)[], errors: FieldError[], unknownMetrics: FieldError[]): UsageEvent[] {
  if (errors.length > 0) throw new ValidationFailed([...errors, ...unknownMetrics]);
  if (unknownMetrics.length > 0) {
    throw new ProblemError('UNKNOWN_METRIC', unknownMetrics.map((e) => `${e.path}: ${e.message}`).join('; '), { errors: unknownMetrics });
  }
  return events as UsageEvent[];
}

export function parseUsageEvent(body: unknown, lookupMetric: (key: string) => MetricDef | undefined, now = Date.now()): UsageEvent {
  if (!validateEvent(body)) throw new ValidationFailed(schemaErrors(validateEvent));
  const errors: FieldError[] = [];
  const unknown: FieldError[] = [];
  return finish([normalize(body as UsageEventInput, null, requestScope(now), lookupMetric, errors, unknown)], errors, unknown)[0];
}

export function parseUsageBatch(body: unknown, lookupMetric: (key: string) => MetricDef | undefined, now = Date.now()): UsageEvent[] {
  if (!validateBatch(body)) {
    const errors = schemaErrors(validateBatch);
    const tooMany = (validateBatch.errors ?? []).some((e) => e.keyword === 'maxItems');
    throw new ValidationFailed(errors, tooMany ? `events: a batch holds at most ${MAX_BATCH} events` : undefined);
  }
  const errors: FieldError[] = [];
  const unknown: FieldError[] = [];
  const scope = requestScope(now);
  const events = (body as { events: UsageEventInput[] }).events.map((e, i) => normalize(e, i, scope, lookupMetric, errors, unknown));
  return finish(events, errors, unknown);
}

import { randomUUID } from 'node:crypto';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import type { MetricDef } from '../catalog/catalog.types';
import { FieldError, ProblemError, ValidationFailed } from '../common/errors/problem';
import { QuantityProblem, quantityText } from '../common/money/decimal';
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
  /** The exact quantity as the contract writes it: no exponent, no trailing zeros ('2.5'). */
  quantity: string;
  /** When the usage happened, in epoch milliseconds (finer digits of the input are dropped). */
  timestampMs: number;
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
      // The branches' own errors are dropped (one line per path): say the whole rule here.
      return e.instancePath.includes('/properties/')
        ? 'must be a string of at most 256 characters, a number, a boolean or null'
        : 'must be a number >= 0 or a decimal string (digits with an optional point, at most 40 characters)';
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

/**
 * Epoch ms of a schema-valid ISO instant (ISO_INSTANT), or null for a date the calendar lacks
 * (Feb 30, 25:00) or an offset beyond ±23:59: what Date.parse gives, digits beyond milliseconds
 * dropped, read from the fixed positions without building strings or a Date (ingest hot path).
 */
export function parseInstant(text: string): number | null {
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  const h = digits(text, 11, 2);
  const mi = digits(text, 14, 2);
  const sec = digits(text, 17, 2);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo - 1) || h > 23 || mi > 59 || sec > 59) return null;
  let i = 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46 /* . */) {
    // Fraction digits run up to the zone: Z, + or -.
    for (let scale = 100; !isZoneStart(text.charCodeAt(++i)); scale /= 10) if (scale >= 1) ms += (text.charCodeAt(i) - 48) * scale;
  }
  let offsetMinutes = 0;
  if (text.charCodeAt(i) !== 90 /* Z */) {
    const oh = digits(text, i + 1, 2);
    const om = digits(text, i + 4, 2);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (text.charCodeAt(i) === 45 /* - */ ? -1 : 1) * (oh * 60 + om);
  }
  return ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi - offsetMinutes) * 60_000 + sec * 1000 + ms;
}

function isZoneStart(c: number): boolean {
  return c === 90 /* Z */ || c === 43 /* + */ || c === 45 /* - */;
}

/** The number written by `length` digits at `at` (the schema has checked they are digits). */
function digits(text: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
}

/** Days from 1970-01-01 to a proleptic Gregorian date, month 1–12 (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
}

/**
 * Semantic checks of one schema-valid event; returns the event or pushes field errors.
 * `lookupMetric` is the catalog; unknown metrics are collected apart (422, not 400).
 */
function normalize(
  input: UsageEventInput,
  index: number | null,
  now: number,
  lookupMetric: (key: string) => MetricDef | undefined,
  errors: FieldError[],
  unknownMetrics: FieldError[],
): UsageEvent | null {
  const before = errors.length;
  const quantity = quantityText(input.quantity);
  if (quantity instanceof QuantityProblem) errors.push({ path: fieldPath(index, 'quantity'), message: quantity.message });
  let timestampMs = now;
  if (input.timestamp !== undefined) {
    const ms = parseInstant(input.timestamp);
    if (ms === null) errors.push({ path: fieldPath(index, 'timestamp'), message: 'is not a valid date' });
    else if (ms > now + MAX_FUTURE_MS) errors.push({ path: fieldPath(index, 'timestamp'), message: 'must not be more than 5 minutes in the future' });
    else if (ms < EARLIEST_TIMESTAMP) errors.push({ path: fieldPath(index, 'timestamp'), message: 'must not be before 2000-01-01' });
    else timestampMs = ms;
  }
  const metric = lookupMetric(input.metric);
  if (!metric) unknownMetrics.push({ path: fieldPath(index, 'metric'), message: `unknown metric "${input.metric}"` });
  else if (metric.aggregation === 'unique_count') {
    const value = input.properties?.[metric.property!];
    if (value === undefined || value === null || value === '') {
      errors.push({ path: fieldPath(index, `properties.${metric.property}`), message: `is required: ${metric.key} counts distinct values of it` });
    }
  }
  if ((input.resourceId === undefined) !== (input.resourceType === undefined)) {
    errors.push({ path: fieldPath(index, input.resourceId === undefined ? 'resourceId' : 'resourceType'), message: 'resourceType and resourceId go together' });
  }
  if (errors.length > before || !metric) return null;
  return {
    eventId: input.eventId ?? randomUUID(),
    generatedId: input.eventId === undefined,
    metric: input.metric,
    quantity: quantity as string,
    timestampMs,
    resourceType: input.resourceType ?? null,
    resourceId: input.resourceId ?? null,
    costCenterId: input.costCenterId?.toLowerCase() ?? null,
    properties: input.properties ?? null,
  };
}

/** The path of a field in an error: `events[3].quantity` in a batch; written out only for an error. */
function fieldPath(index: number | null, field: string): string {
  return index === null ? field : `events[${index}].${field}`;
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
  return finish([normalize(body as UsageEventInput, null, now, lookupMetric, errors, unknown)], errors, unknown)[0];
}

export function parseUsageBatch(body: unknown, lookupMetric: (key: string) => MetricDef | undefined, now = Date.now()): UsageEvent[] {
  if (!validateBatch(body)) {
    const errors = schemaErrors(validateBatch);
    const tooMany = (validateBatch.errors ?? []).some((e) => e.keyword === 'maxItems');
    throw new ValidationFailed(errors, tooMany ? `events: a batch holds at most ${MAX_BATCH} events` : undefined);
  }
  const errors: FieldError[] = [];
  const unknown: FieldError[] = [];
  const events = (body as { events: UsageEventInput[] }).events.map((e, i) => normalize(e, i, now, lookupMetric, errors, unknown));
  return finish(events, errors, unknown);
}

import type { OpenAPIObject } from '@nestjs/swagger';

const PROBLEM_REF = '#/components/schemas/ProblemDto';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; items?: Schema };

/** `null` as OpenAPI 3.0 validators read it: a schema that is only null (ajv wants a type beside `nullable`). */
const NULL_ONLY = { type: 'object', nullable: true, enum: [null] };

/**
 * In OpenAPI 3.0 `nullable` acts on the `type` beside it only: `{ nullable, allOf: [$ref] }` (what
 * Nest writes for a nullable class property) still refuses null through the referenced schema, and
 * a nullable enum refuses null unless null is one of its values. Clients generated from such a
 * document, and validating proxies, took `pendingChange: null` for an error. Rewritten here:
 * a nullable reference becomes `anyOf: [$ref, null]`, a nullable enum lists null.
 */
function nullableAsNull(schema: Schema): void {
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const refs = (property.allOf ?? property.oneOf) as Array<{ $ref?: string }> | undefined;
    const ref = typeof property.$ref === 'string' ? property.$ref : refs?.length === 1 ? refs[0].$ref : undefined;
    if (property.nullable === true && ref) {
      schema.properties![name] = { ...(property.description ? { description: property.description } : {}), anyOf: [{ $ref: ref }, NULL_ONLY] };
    } else if (property.nullable === true && Array.isArray(property.enum) && !property.enum.includes(null)) {
      property.enum = [...(property.enum as unknown[]), null];
    }
    nullableAsNull(property);
    if (property.items) nullableAsNull(property.items);
  }
}

type Responses = Record<string, { description: string; content?: Record<string, { schema?: { $ref?: string } }> }>;

function problem(description: string) {
  return { description, content: { 'application/problem+json': { schema: { $ref: PROBLEM_REF } } } };
}

/**
 * What every route can answer, written into the document once instead of on each route:
 * - problem answers are `application/problem+json`, whatever else a route produces (a route that
 *   answers a PDF still answers its errors as problem+json);
 * - a route with a path id answers 404 for a malformed or over-long one (CONTRACT.md, Settled details),
 *   and 400 for a URL that is not validly percent-encoded;
 * - a route that takes a body answers 413 over BODY_LIMIT, and 415 for another media type (but
 *   the Stripe webhook, public, which takes its raw body as sent);
 * - an authenticated route answers 429 over RATE_LIMIT_PER_MINUTE.
 * Responses seen in the e2e tests are validated against the result (test/support/openapi-responses.ts).
 */
export function documentCommonAnswers(document: OpenAPIObject): void {
  for (const schema of Object.values(document.components?.schemas ?? {})) nullableAsNull(schema as Schema);
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const responses = op.responses as Responses;
      for (const response of Object.values(responses)) {
        const media = Object.values(response.content ?? {});
        if (media.some((m) => m.schema?.$ref === PROBLEM_REF)) response.content = problem('').content;
      }
      const hasPathId = (op.parameters ?? []).some((p) => 'in' in p && p.in === 'path');
      if (hasPathId) {
        responses['404'] ??= problem('problem+json with code NOT_FOUND: no such resource, or a malformed id in the path');
        responses['400'] ??= problem('The URL is not validly percent-encoded. problem+json with code VALIDATION_FAILED');
      }
      if (op.requestBody) {
        responses['413'] ??= problem('The body exceeds BODY_LIMIT. problem+json with code PAYLOAD_TOO_LARGE');
        if (op.security === undefined || op.security.length > 0) responses['415'] ??= problem('The body is not application/json. problem+json with code UNSUPPORTED_MEDIA_TYPE');
      }
      if (op.security === undefined || op.security.length > 0) {
        responses['429'] ??= problem('Over RATE_LIMIT_PER_MINUTE for this caller (Retry-After says when to retry). problem+json with code RATE_LIMITED');
      }
    }
  }
}

/**
 * Fuzzes every operation of the generated OpenAPI document (/api/docs-json) with hostile requests
 * built by fast-check: wrong types, huge and negative numbers, 1e308 / 1e999, nesting 200 deep,
 * 100k-character strings, unicode, `__proto__` / `constructor` keys, SQL-like strings in path
 * params, query and body, bad JSON and content types, each with a valid token of a role the route
 * allows. Asserts: never a 5xx; every 4xx is problem+json without stack traces or SQL; a rejected
 * request changes no row count of the main tables (snapshotted around every request; 2xx may).
 *
 * FUZZ_RUNS (cases per operation, default 150) and FUZZ_SEED (replay a run) tune it.
 */
import type { Client } from 'pg';
import fc from 'fast-check';
import { TestApp, bootApp } from '../support/app';
import { connect } from '../support/db-client';
import { StripeStub, startStripeStub } from '../support/stripe-stub';
import { API, HttpResult, expectProblem, httpClient } from '../support/http';
import { platformAdmin, token } from '../support/tokens';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const TENANT = 'fz';
const TABLES = ['usage_events', 'subscriptions', 'invoices', 'coupons', 'quotas', 'cost_centers', 'credit_entries'];
/** Stack frames or database errors in a response (user input echoed in a detail is fine). */
const LEAK = /\bat .*\.(ts|js):\d+|QueryFailedError|syntax error at or near|violates .* constraint|duplicate key value|invalid input syntax for|relation "|column "|node_modules/;
const COUNT_SQL = `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM ${t})::int AS ${t}`).join(', ')}`;

type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  id: string;
  roles: string[];
  isPublic: boolean;
  pathParams: string[];
  query: Array<{ name: string; schema: Schema }>;
  body: Schema | null;
}
interface Case {
  role: string;
  params: Record<string, { raw: boolean; value: string }>;
  query: Array<[string, string]>;
  body: { contentType: string; text: string } | null;
  idempotencyKey: string | null;
}

// ---------------------------------------------------------------- hostile values

const SQL = ["' OR 1=1 --", "'; DROP TABLE invoices; --", '" OR ""="', "1; SELECT pg_sleep(5)--", "') UNION SELECT * FROM usage_events--", '\\x27', "%' AND '1'='1"];
const TRICKY = [
  '', ' ', '\u0000', 'null', 'undefined', 'true', 'NaN', 'Infinity', '-Infinity', '-1', '0', '1e308', '-1e308', '1e999', '0x1F', '1_000',
  '9'.repeat(400), '-0.0000000000001', '1.2345678901234567', '00000000-0000-0000-0000-000000000000', '2026-02-30T00:00:00Z', '0000-00-00',
  '9999-12-31T23:59:59.999Z', '-271821-04-20T00:00:00Z', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
  '../../../etc/passwd', '..%2f..%2f', '<script>alert(1)</script>', '${jndi:ldap://x/a}', '{{7*7}}', '%s%s%s%n', 'Ωmega', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '👩‍👩‍👧‍👦',
  '\u202Eevil', 'ﬀ', 'İ', '\ud800', 'a\nb\r\nc', '\t', 'http://127.0.0.1:9/x', 'file:///etc/passwd', 'javascript:alert(1)',
];
const LONG = ['A'.repeat(100_000), '💩'.repeat(30_000), `${'9'.repeat(100_000)}`, `${"' OR 1=1 --".repeat(9000)}`];
const NUMBERS = [1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER - 2, 2 ** 31, -(2 ** 31), 2 ** 63, 1e18, 1e21, -1, 0, -0, 0.1 + 0.2, 1.5, 5e-324, 1e-13, 123456789.12345679];

function deep(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

const shortString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SQL) },
  { weight: 4, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
);
const anyString = fc.oneof({ weight: 8, arbitrary: shortString }, { weight: 1, arbitrary: fc.constantFrom(...LONG) });
const anyNumber = fc.oneof(fc.constantFrom(...NUMBERS), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
const leaf: fc.Arbitrary<unknown> = fc.oneof(anyString, anyNumber, fc.boolean(), fc.constant(null));
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: leaf },
  { weight: 1, arbitrary: fc.constantFrom(deep(200, 'array'), deep(200, 'object'), [], {}, [null], { '': '' }) },
  { weight: 2, arbitrary: fc.array(leaf, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(shortString, fc.constantFrom('__proto__', 'constructor')), leaf, { maxKeys: 4 }) },
);

/** JSON text of an object, written by hand so that `__proto__` keys survive. */
function objectText(entries: Array<[string, unknown]>): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
}

// ---------------------------------------------------------------- plausible values from the schema

function resolve(doc: Schema, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 10 && s.$ref; i++) s = doc.components.schemas[String(s.$ref).split('/').pop()!] ?? {};
  return s;
}

function plausible(doc: Schema, schemaIn: Schema | undefined, ids: Map<string, string[]>, name: string, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(doc, schemaIn);
  const options: Array<fc.Arbitrary<unknown>> = [];
  if (schema.example !== undefined) options.push(fc.constant(schema.example));
  if (Array.isArray(schema.enum)) options.push(fc.constantFrom(...schema.enum));
  const known = ids.get(name) ?? [];
  if (known.length > 0) options.push(fc.constantFrom(...known));
  if (schema.format === 'uuid') options.push(fc.uuid());
  if (schema.format === 'date-time') options.push(fc.constantFrom(new Date().toISOString(), new Date(Date.now() - 86_400_000 * 40).toISOString()));
  if (/tenantId$/.test(name)) options.push(fc.constant(TENANT));
  if (schema.type === 'integer') options.push(fc.integer({ min: -5, max: 100_000 }));
  if (schema.type === 'number') options.push(fc.double({ min: -5, max: 1e6, noNaN: true }));
  if (schema.type === 'boolean') options.push(fc.boolean());
  if (schema.type === 'object' && schema.properties && depth < 3) {
    options.push(fc.record(Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, plausible(doc, v as Schema, ids, k, depth + 1)])), { requiredKeys: [] }));
  }
  if (schema.type === 'array' && depth < 3) options.push(fc.array(plausible(doc, schema.items, ids, name, depth + 1), { maxLength: 3 }));
  if (options.length === 0) options.push(fc.string({ maxLength: 12 }));
  return fc.oneof(...options);
}

// ---------------------------------------------------------------- one operation → one arbitrary of cases

function operations(doc: Schema): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths)) {
    for (const [method, op] of Object.entries<Schema>(item)) {
      const params: Schema[] = op.parameters ?? [];
      const forbidden: string = op.responses?.['403']?.description ?? '';
      const allowed = /allowed: ([^)]*)\)/.exec(forbidden)?.[1].split(',').map((r) => r.trim()) ?? [];
      const content = op.requestBody?.content ?? {};
      out.push({
        method: method.toUpperCase(),
        path,
        id: `${method.toUpperCase()} ${path}`,
        roles: allowed.length > 0 ? allowed : ['platform-admin'],
        isPublic: !op.security,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: content['application/json']?.schema ?? (['POST', 'PUT', 'PATCH'].includes(method.toUpperCase()) ? {} : null),
      });
    }
  }
  return out;
}

function caseArbitrary(doc: Schema, op: Operation, ids: Map<string, string[]>): fc.Arbitrary<Case> {
  const pathParam = (name: string) =>
    fc.oneof(
      { weight: 3, arbitrary: plausible(doc, { type: 'string' }, ids, name).map((v) => ({ raw: false, value: String(v) })) },
      { weight: 4, arbitrary: shortString.filter((s) => s.length > 0).map((value) => ({ raw: false, value })) },
      { weight: 1, arbitrary: fc.constantFrom('%zz', '%E0%A4%A', '..%2f..%2f', '%00', 'a%2Fb', '%252e').map((value) => ({ raw: true, value })) },
    );
  const queryValue = (q: { name: string; schema: Schema }) =>
    fc.oneof({ weight: 2, arbitrary: plausible(doc, q.schema, ids, q.name).map(String) }, { weight: 3, arbitrary: shortString });
  const query = fc
    .tuple(
      fc.subarray(op.query).chain((qs) => (qs.length === 0 ? fc.constant([] as Array<[string, string]>) : fc.tuple(...qs.map((q) => queryValue(q).map((v): [string, string] => [q.name, v]))))),
      fc.oneof(
        { weight: 4, arbitrary: fc.constant([] as Array<[string, string]>) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom('__proto__', 'constructor', 'limit', 'tenantId', "' OR 1=1 --", 'a[b]'), shortString).map((e) => [e]) },
      ),
    )
    .map(([declared, extra]) => [...declared, ...extra]);

  let body: fc.Arbitrary<Case['body']> = fc.constant(null);
  if (op.body) {
    const schema = resolve(doc, op.body);
    const props = Object.entries<Schema>(schema.properties ?? {});
    const keys = props.map(([k]) => k);
    const fieldValue = (name: string, s: Schema) => fc.oneof({ weight: 2, arbitrary: plausible(doc, s, ids, name) }, { weight: 3, arbitrary: hostileValue });
    const objectBody = fc
      .tuple(
        props.length === 0 ? fc.constant([] as Array<[string, unknown]>) : fc.subarray(props, { minLength: 0 }).chain((ps) => (ps.length === 0 ? fc.constant([] as Array<[string, unknown]>) : fc.tuple(...ps.map(([k, s]) => fieldValue(k, s).map((v): [string, unknown] => [k, v]))))),
        fc.oneof(
          { weight: 3, arbitrary: fc.constant([] as Array<[string, unknown]>) },
          { weight: 1, arbitrary: fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'tenantId', 'id', 'status', "'; DROP TABLE invoices; --"), hostileValue).map((e) => [e]) },
        ),
      )
      .map(([declared, extra]) => objectText([...declared, ...extra]));
    const rawBodies = [
      '{"__proto__":{"isAdmin":true,"roles":["platform-admin"]}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      `${'['.repeat(200)}${']'.repeat(200)}`,
      `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`,
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      '', 'null', '[]', '"str"', '0', 'true', '{', '{"a":1,"a":2}', '{"a":NaN}', '{"a":1e999}', '\u0000', '\uFEFF{}',
      ...keys.flatMap((k) => [`{"${k}":1e999}`, `{"${k}":-1e999}`, `{"${k}":1e308}`, `{"${k}":${'9'.repeat(400)}}`, `{"${k}":"${"' OR 1=1 --"}"}`, `{"${k}":{"__proto__":{"x":1}}}`]),
    ];
    body = fc.oneof(
      { weight: 6, arbitrary: objectBody.map((text) => ({ contentType: 'application/json', text })) },
      { weight: 2, arbitrary: fc.constantFrom(...rawBodies).map((text) => ({ contentType: 'application/json', text })) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data', 'application/xml'), fc.constantFrom('a=1', '<x/>', '{}')).map(([contentType, text]) => ({ contentType, text })) },
    );
  }
  const params = op.pathParams.length === 0 ? fc.constant({}) : fc.record(Object.fromEntries(op.pathParams.map((p) => [p, pathParam(p)])));
  const idempotencyKey = fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.oneof(fc.uuid(), fc.constantFrom('', ' ', "' OR 1=1 --", 'x'.repeat(5000), '\t'), fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''))) },
  );
  return fc.record({ role: fc.constantFrom(...op.roles), params, query, body, idempotencyKey }) as fc.Arbitrary<Case>;
}

function tokenFor(role: string): string {
  return ['platform-admin', 'service'].includes(role) ? token({ tenantId: null, roles: [role], sub: `fuzz-${role}` }) : token({ tenantId: TENANT, roles: [role] });
}

/** encodeURIComponent, after replacing lone surrogates (not encodable in UTF-8) with U+FFFD. */
const encode = (v: string): string => encodeURIComponent(v.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));

function urlOf(op: Operation, c: Case): string {
  let path = op.path;
  for (const [name, { raw, value }] of Object.entries(c.params)) path = path.replace(`{${name}}`, raw ? value : encode(value));
  const qs = c.query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  return qs ? `${path}?${qs}` : path;
}

// ---------------------------------------------------------------- the test

describe('fuzz every operation of the OpenAPI document', () => {
  let stub: StripeStub;
  let t: TestApp;
  let db: Client;
  let doc: Schema;
  const ids = new Map<string, string[]>();

  beforeAll(async () => {
    // Stripe configured (a local stub) so that its routes are fuzzed past STRIPE_NOT_CONFIGURED.
    stub = await startStripeStub();
    t = await bootApp({ env: { ...stub.env(), STRIPE_WEBHOOK_SECRET: 'whsec_fuzz_0123456789', RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'warn' } });
    db = await connect(t.databaseUrl);
    doc = (await (await fetch(`${t.baseUrl}/api/docs-json`)).json()) as Schema;
    await seed();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
    await stub?.close();
  });

  /** Real resources of tenant `fz`, so that plausible ids reach the code behind the 404s. */
  async function seed(): Promise<void> {
    const request = httpClient(t.baseUrl);
    const admin = token({ tenantId: TENANT, roles: ['tenant-admin'] });
    const add = (name: string, id: unknown) => {
      if (typeof id === 'string') ids.set(name, [...(ids.get(name) ?? []), id]);
    };
    const post = async (path: string, body: unknown, tk = admin) => (await request('POST', `${API}${path}`, { token: tk, body })).body as Record<string, any>;
    add('costCenterId', (await post('/cost-centers', { tenantId: TENANT, code: 'fz-eng', name: 'Fuzz engineering' })).id);
    add('quotaId', (await post('/quotas', { tenantId: TENANT, metric: 'compute.cpu_hours', limit: '1000', period: 'month', enforcement: 'soft' })).id);
    add('couponId', (await post('/coupons', { code: 'FUZZ10', name: 'Fuzz', percentOff: '10', duration: 'once' }, platformAdmin())).id);
    const sub = await post(`/tenants/${TENANT}/subscriptions`, { planId: 'team-monthly', trial: false });
    add('subscriptionId', sub.id);
    await post(`/tenants/${TENANT}/usage`, { metric: 'compute.cpu_hours', quantity: '2.5' });
    const draft = await post(`/tenants/${TENANT}/invoices`, {});
    add('invoiceId', draft.id);
    add('alertId', (await post(`/realtime-cost/tenants/${TENANT}/alerts`, { name: 'fz', type: 'spend', thresholdCents: 100 })).id);
    ids.set('planId', ['team-monthly', 'free', 'starter-legacy']);
    ids.set('code', ['FUZZ10']);
    ids.set('couponCode', ['FUZZ10']);
    ids.set('metric', ['compute.cpu_hours', 'api.requests', 'users.active']);
    for (const name of ['costCenterId', 'quotaId', 'couponId', 'subscriptionId', 'invoiceId', 'alertId']) {
      expect({ name, seeded: (ids.get(name) ?? []).length }).toEqual({ name, seeded: 1 });
    }
  }

  const counts = async (): Promise<Record<string, number>> => (await db.query(COUNT_SQL)).rows[0];

  it('never answers 5xx, answers problem+json on every 4xx, and changes nothing when it refuses', async () => {
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThanOrEqual(49);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let cases = 0;
    let before = await counts();

    for (const op of ops) {
      const arb = caseArbitrary(doc, op, ids);
      const details = await fc.check(
        fc.asyncProperty(arb, async (c) => {
          cases++;
          const headers: Record<string, string> = {};
          if (!op.isPublic) headers.authorization = `Bearer ${tokenFor(c.role)}`;
          if (c.body) headers['content-type'] = c.body.contentType;
          if (c.idempotencyKey !== null) headers['idempotency-key'] = c.idempotencyKey;
          const url = urlOf(op, c);
          const res = await fetch(`${t.baseUrl}${url}`, { method: op.method, headers, body: c.body?.text });
          const text = await res.text();
          const after = await counts();
          const seen = before;
          before = after;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const where = `${op.method} ${url.slice(0, 300)} (${c.role}) body=${(c.body?.text ?? '').slice(0, 300)}`;
          if (res.status >= 500) {
            const requestId = res.headers.get('x-request-id') ?? '-';
            const logged = t.logs.filter((l) => l.includes(requestId)).join('\n');
            throw new Error(`${res.status} on ${where}: ${text.slice(0, 500)}\n  logged: ${logged.slice(0, 800)}`);
          }
          if (res.status >= 400) {
            const ct = res.headers.get('content-type') ?? '';
            if (!ct.includes('application/problem+json')) throw new Error(`${res.status} without problem+json (${ct}) on ${where}`);
            const body = JSON.parse(text) as { code?: unknown; status?: unknown };
            if (typeof body.code !== 'string' || body.status !== res.status) throw new Error(`malformed problem on ${where}: ${text.slice(0, 300)}`);
            if (LEAK.test(text)) throw new Error(`stack trace or SQL in ${where}: ${text.slice(0, 500)}`);
            if (JSON.stringify(after) !== JSON.stringify(seen)) {
              throw new Error(`${res.status} changed state on ${where}: ${JSON.stringify(seen)} -> ${JSON.stringify(after)}`);
            }
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      if (details.failed) {
        const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
        failures.push(`${op.id}: ${error.slice(0, 1500)}\n  replay: FUZZ_SEED=${details.seed} (counterexample ${JSON.stringify(details.counterexample).slice(0, 800)})`);
      }
    }
    const summary = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(' ');
    console.log(`fuzz: ${cases} cases over ${ops.length} operations (${RUNS} per operation); statuses ${summary}`);
    expect(failures).toEqual([]);
    // The fuzz reached past validation too, not only 400s.
    expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
    expect(statuses.get(404) ?? 0).toBeGreaterThan(0);
  }, 120_000 + RUNS * 400);

  it('keeps the fixes of what it found (deterministic regressions)', async () => {
    const request = httpClient(t.baseUrl);
    const admin = token({ tenantId: TENANT, roles: ['tenant-admin'] });
    const json = { 'content-type': 'application/json' };
    const quotaId = ids.get('quotaId')![0];
    // A body nested 5000 deep overflowed class-transformer's recursion (500): refused at 64 levels.
    for (const depth of [65, 200, 5000]) {
      const res = await request('PUT', `${API}/quotas/${quotaId}`, { token: admin, rawBody: `${'['.repeat(depth)}${']'.repeat(depth)}`, headers: json });
      expect(expectProblem(res, 400, 'VALIDATION_FAILED').detail).toMatch(/deeper than 64/);
    }
    // Malformed percent-encoding and over-long path params were plain JSON 400/414.
    expect(expectProblem(await request('GET', `${API}/invoices/%zz`, { token: admin }), 400, 'VALIDATION_FAILED').detail).toMatch(/percent-encoded/);
    // An over-long id is a malformed id in a path: no such resource (CONTRACT.md, Settled details).
    expect(expectProblem(await request('GET', `${API}/invoices/${'9'.repeat(300)}`, { token: admin }), 404, 'NOT_FOUND').detail).toMatch(/too long/);
    // null for a non-nullable field of PUT /quotas reached Decimal and the database (500).
    for (const body of [{ limit: null }, { period: null }, { enforcement: null }]) {
      expectProblem(await request('PUT', `${API}/quotas/${quotaId}`, { token: admin, body }), 400, 'VALIDATION_FAILED');
    }
    // IsNumber's maxDecimalPlaces threw on 3e-323 (500).
    const alert = await request('POST', `${API}/realtime-cost/tenants/${TENANT}/alerts`, { token: admin, body: { name: 'x', type: 'budget_percent', percent: 3e-323 } });
    expect(expectProblem(alert, 400, 'VALIDATION_FAILED').errors).toEqual(expect.arrayContaining([{ path: 'percent', message: 'must have at most 4 decimal places' }]));
    // An object key that is not a valid regular expression, named in a validation message (500).
    const costCenterId = ids.get('costCenterId')![0];
    const bad = await request('PUT', `${API}/cost-centers/${costCenterId}`, { token: admin, body: { name: 'x', rules: { '_(`u': 1e308 } } });
    expectProblem(bad, 400, 'VALIDATION_FAILED');
    // U+0000 reached PostgreSQL (text and jsonb cannot hold it): a planId of "\u0000" with an
    // Idempotency-Key failed storing the 404 answer as jsonb (500). Refused before any handler,
    // with the path of the offending string, key or query parameter.
    const platform = token({ tenantId: null, roles: ['platform-admin'], sub: 'fuzz-nul' });
    const sub = await request('POST', `${API}/tenants/${TENANT}/subscriptions`, {
      token: platform,
      rawBody: '{"planId":"\\u0000","trial":false}',
      headers: { ...json, 'idempotency-key': 'nul-1' },
    });
    expect(expectProblem(sub, 400, 'VALIDATION_FAILED').errors).toEqual([{ path: 'planId', message: 'must not contain U+0000' }]);
    const usage = await request('POST', `${API}/tenants/${TENANT}/usage/batch`, {
      token: admin,
      rawBody: '{"events":[{"metric":"api_calls","quantity":"1"},{"metric":"api_calls","quantity":"1","properties":{"a":"x\\u0000y"}}]}',
      headers: json,
    });
    expect(expectProblem(usage, 400, 'VALIDATION_FAILED').errors).toEqual([{ path: 'events[1].properties.a', message: 'must not contain U+0000' }]);
    const key = await request('PUT', `${API}/cost-centers/${costCenterId}`, { token: admin, rawBody: '{"rules":{"a\\u0000":1}}', headers: json });
    expect(expectProblem(key, 400, 'VALIDATION_FAILED').errors).toEqual([{ path: 'rules.a\\u0000', message: 'key must not contain U+0000' }]);
    const query = await request('GET', `${API}/tenants/${TENANT}/usage/summary?metric=api%00calls`, { token: admin });
    expect(expectProblem(query, 400, 'VALIDATION_FAILED').errors).toEqual([{ path: 'metric', message: 'must not contain U+0000' }]);
  });

  it('still serves a valid request afterwards (no poisoned prototypes or state)', async () => {
    const res: HttpResult = await httpClient(t.baseUrl)('GET', `${API}/plans`, { token: token({ tenantId: TENANT, roles: ['tenant-viewer'] }) });
    expect(res.status).toBe(200);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

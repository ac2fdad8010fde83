import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Every response an e2e test receives is checked against the committed openapi.json: its status
 * must be documented for the operation, its media type too, and a JSON body must match the
 * schema. So the document cannot drift from what the service answers (a client generated from
 * it would be typed wrong). Routes the document does not have (test probes, unknown paths) are
 * not checked.
 */
type Media = { schema?: object };
type Operation = { responses: Record<string, { content?: Record<string, Media> }> };
type Doc = { paths: Record<string, Record<string, Operation>>; components: object };

const doc: Doc = JSON.parse(fs.readFileSync(path.join(__dirname, '../../openapi.json'), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);

/** Paths as patterns; literal segments win over parameters (`/invoices/{id}` vs `/invoices/x/pdf`). */
const routes = Object.entries(doc.paths)
  .map(([template, ops]) => ({
    template,
    ops,
    params: (template.match(/\{/g) ?? []).length,
    pattern: new RegExp(`^${template.split('/').map((seg) => (seg.startsWith('{') ? '[^/]+' : seg.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/')}$`),
  }))
  .sort((a, b) => a.params - b.params);

const compiled = new Map<string, ValidateFunction>();

function validator(key: string, schema: object): ValidateFunction {
  let v = compiled.get(key);
  if (!v) {
    v = ajv.compile({ allOf: [schema], components: doc.components });
    compiled.set(key, v);
  }
  return v;
}

/** What is wrong with a response by the document, or null (also for routes it does not describe). */
export function responseMismatch(method: string, url: string, status: number, contentType: string | null, body: unknown): string | null {
  const pathname = url.split('?')[0];
  const route = routes.find((r) => r.pattern.test(pathname) && r.ops[method.toLowerCase()]);
  if (!route) return null;
  const op = route.ops[method.toLowerCase()];
  const response = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses.default;
  const where = `${method} ${route.template} → ${status}`;
  if (!response) return `${where}: status not documented (documented: ${Object.keys(op.responses).join(', ')})`;
  const content = response.content ?? {};
  if (Object.keys(content).length === 0) return body === '' || body === undefined ? null : `${where}: documented without a body, answered one`;
  const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const documented = content[media];
  if (!documented) return `${where}: media type ${media || '(none)'} not documented (documented: ${Object.keys(content).join(', ')})`;
  if (!media.includes('json') || !documented.schema) return null;
  const v = validator(`${where} ${media}`, documented.schema);
  if (v(body)) return null;
  return `${where} (${media}): ${ajv.errorsText(v.errors, { dataVar: 'body' })}`;
}

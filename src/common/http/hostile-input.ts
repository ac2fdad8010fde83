import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from '../errors/problem-filter';
import { ProblemError } from '../errors/problem';

/**
 * Deepest JSON nesting a request body may have. No DTO of the API nests deeper than a few
 * levels (a Stripe event about eight); the limit exists because class-transformer and
 * class-validator recurse, so a body nested a few thousand levels deep overflowed the stack (500).
 */
export const MAX_JSON_DEPTH = 64;

/** What makes a parsed JSON body unacceptable before any handler sees it. */
export interface HostileJson {
  path: string;
  message: string;
}

const NUL = '\u0000';

/**
 * Keys that would reach an object's prototype if a body were ever copied by assignment: JSON
 * gives them as plain own keys (the parser keeps them, so they can be named in the answer), and
 * no field of the API is called so; a body carrying one is refused wherever it sits.
 */
function isPrototypeKey(key: string, child: unknown): boolean {
  return key === '__proto__' || (key === 'constructor' && child !== null && typeof child === 'object');
}

function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * The first reason a parsed body cannot be accepted, or null: nesting deeper than `maxDepth`, a
 * `__proto__` key (or a `constructor` object) anywhere, a number a double may not hold exactly
 * (isLossyNumber), or a U+0000 in a string or key (PostgreSQL text and jsonb cannot hold it, so it would fail deep in a
 * handler as a 500, and no field of the API has a use for it). Iterative: a hostile body cannot
 * overflow the stack here.
 */
export function findHostileJson(value: unknown, maxDepth: number): HostileJson | null {
  if (typeof value === 'string') return value.includes(NUL) ? { path: '', message: 'must not contain U+0000' } : null;
  // Nearly every body is fine: a walk that builds no paths says so; the one below, which names
  // the offending path, runs only when this one finds something.
  return isPlainJson(value, maxDepth) ? null : locateHostileJson(value, maxDepth);
}

/** True when no string or key holds U+0000 and nothing nests deeper than `maxDepth` (iterative, no allocation per leaf). */
function isPlainJson(value: unknown, maxDepth: number): boolean {
  const nodes: unknown[] = [value];
  const depths: number[] = [0];
  while (nodes.length > 0) {
    const node = nodes.pop() as Record<string, unknown> | unknown[];
    const depth = depths.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > maxDepth) return false;
    // A string or number child is checked here; an object or array child is walked later.
    const plain = (child: unknown): boolean => {
      if (typeof child === 'string') return !child.includes(NUL);
      if (typeof child === 'number') return !isLossyNumber(child);
      if (child !== null && typeof child === 'object') {
        nodes.push(child);
        depths.push(depth + 1);
      }
      return true;
    };
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) if (!plain(node[i])) return false;
    } else {
      for (const key in node) {
        if (Object.prototype.hasOwnProperty.call(node, key) && (key.includes(NUL) || isPrototypeKey(key, node[key]) || !plain(node[key]))) return false;
      }
    }
  }
  return true;
}

function locateHostileJson(value: unknown, maxDepth: number): HostileJson | null {
  const stack: Array<[unknown, number, string]> = [[value, 0, '']];
  while (stack.length > 0) {
    const [node, depth, path] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > maxDepth) return { path: '', message: `nests deeper than ${maxDepth} levels` };
    const isArray = Array.isArray(node);
    const keys: Array<string | number> = isArray ? node.map((_, i) => i) : Object.keys(node);
    for (const key of keys) {
      if (typeof key === 'string' && key.includes(NUL)) return { path: childPath(path, key.replaceAll(NUL, '\\u0000')), message: 'key must not contain U+0000' };
      const child = (node as Record<string | number, unknown>)[key];
      if (typeof key === 'string' && isPrototypeKey(key, child)) return { path: childPath(path, key), message: 'is not a field of this body (a reserved property name)' };
      if (typeof child === 'number' && isLossyNumber(child)) return { path: childPath(path, key), message: LOSSY_MESSAGE };
      if (typeof child === 'string') {
        if (child.includes(NUL)) return { path: childPath(path, key), message: 'must not contain U+0000' };
      } else if (child !== null && typeof child === 'object') stack.push([child, depth + 1, childPath(path, key)]);
    }
  }
  return null;
}

/** Significant digits a JSON number (an IEEE double) carries exactly: any decimal of 15 or fewer round-trips. */
export const MAX_JSON_NUMBER_DIGITS = 15;

/**
 * A JSON number that may not be what the client wrote: its double prints with more than 15
 * significant digits (9007199254740993 is read as 9007199254740992, 0.12345678901234567890 as
 * 0.12345678901234568), or it overflowed. Such a number is refused, never rounded silently:
 * beyond 15 digits a client sends a decimal string. Integers below 10^15 are exact without a look.
 */
export function isLossyNumber(n: number): boolean {
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return false;
  if (!Number.isFinite(n)) return true;
  if (hasShortDecimal(n)) return false;
  const text = String(n);
  const e = text.indexOf('e');
  // Significant digits: 123456789012345680000 has 17, 1e+21 and 100000000000000000000 one.
  const digits = (e === -1 ? text : text.slice(0, e)).replace(/[-.]/g, '').replace(/^0+/, '').replace(/0+$/, '');
  return digits.length > MAX_JSON_NUMBER_DIGITS;
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * A quick sufficient test that `n` is the double of a decimal of at most 15 significant digits m ×
 * 10^-k: m and 10^k are exact doubles and division rounds correctly, so m / 10^k === n means that
 * decimal reads as n. Measured: a tenth of String(n), which the ingest path would pay per event.
 */
function hasShortDecimal(n: number): boolean {
  const k = 14 - Math.floor(Math.log10(Math.abs(n)));
  if (k < 0 || k > 22) return false;
  const m = Math.round(n * POW10[k]);
  return Math.abs(m) < 1e15 && m / POW10[k] === n;
}

const LOSSY_MESSAGE = `has more than ${MAX_JSON_NUMBER_DIGITS} significant digits, more than a JSON number (a double) holds exactly; send it as a decimal string`;

/** The first query-string parameter holding U+0000 (`%00`), or null. */
function nulInQuery(query: unknown): string | null {
  if (query === null || typeof query !== 'object') return null;
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    const values = Array.isArray(value) ? value : [value];
    if (key.includes(NUL) || values.some((v) => typeof v === 'string' && v.includes(NUL))) return key.replaceAll(NUL, '\\u0000');
  }
  return null;
}

/**
 * Refuses, with 400 VALIDATION_FAILED and before any handler sees them, JSON bodies nested deeper
 * than `max`, holding a prototype key or a number of more than 15 significant digits (its digits
 * would be lost silently), and any body string, key or query parameter holding U+0000.
 */
export function registerHostileInputChecks(fastify: FastifyInstance, max = MAX_JSON_DEPTH): void {
  fastify.addHook('preValidation', (request, reply, done) => {
    const queryKey = nulInQuery(request.query);
    if (queryKey !== null) {
      sendProblem(reply, request, new ProblemError('VALIDATION_FAILED', `Query parameter ${queryKey} holds U+0000`, { errors: [{ path: queryKey, message: 'must not contain U+0000' }] }).toBody());
      return;
    }
    const body = request.body;
    const hostile = (body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) || typeof body === 'string' ? findHostileJson(body, max) : null;
    if (hostile !== null) {
      const detail = hostile.path === '' ? `The JSON body ${hostile.message}` : `${hostile.path} ${hostile.message}`;
      sendProblem(reply, request, new ProblemError('VALIDATION_FAILED', detail, { errors: [hostile] }).toBody());
      return;
    }
    done();
  });
}

/**
 * Fastify's router errors (malformed percent-encoding in the URL, a path parameter over
 * maxParamLength) are answered before any hook or Nest filter: without this handler they are
 * plain JSON (400 / 414). Malformed encoding is a malformed request (400 VALIDATION_FAILED); an
 * over-long path parameter is a malformed id, which names no resource (404 NOT_FOUND, CONTRACT.md
 * Settled details). Both as problem+json.
 */
export function frameworkErrors(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  const problem =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new ProblemError('NOT_FOUND', 'No resource has this id (an id in the path is too long)')
      : error.code === 'FST_ERR_BAD_URL'
        ? new ProblemError('VALIDATION_FAILED', 'The URL is not validly percent-encoded')
        : new ProblemError('INTERNAL', 'An unexpected error occurred');
  void reply.header('x-content-type-options', 'nosniff');
  sendProblem(reply, request, problem.toBody());
}

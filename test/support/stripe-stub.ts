import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the SDK made, as the stub received it. */
export interface StubRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  /** The form body, flat as sent: `metadata[tenantId]` → `t1`. */
  form: Record<string, string>;
  /** True when the stub answered it from its idempotency store. */
  replayed: boolean;
  status: number;
}

export interface StubFailure {
  method?: string;
  /** Exact path or a pattern, e.g. '/v1/checkout/sessions'. Default: any request. */
  path?: string | RegExp;
  status: number;
  type: 'api_error' | 'card_error' | 'invalid_request_error' | 'rate_limit_error' | 'authentication_error' | 'idempotency_error';
  message: string;
  code?: string;
  declineCode?: string;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** Sent as Stripe-Should-Retry (default false: the SDK gives up at once). */
  retryable?: boolean;
}

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: unknown;
}

type Handler = (form: Record<string, string>, params: string[]) => [number, unknown];

const stripeError = (status: number, type: string, message: string, extra: Record<string, unknown> = {}): [number, unknown] => [
  status,
  { error: { type, message, ...extra } },
];

/** `a[b][0][c]=v` form fields back into nested objects (arrays as index-keyed objects are fine here). */
function nest(form: Record<string, string>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [key, value] of Object.entries(form)) {
    const parts = key.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let node = out;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = value;
      else node = node[part] ??= {};
    });
  }
  return out;
}

/**
 * A local Stripe-compatible HTTP server for the e2e tests: just the endpoints the service's SDK
 * calls, Stripe's error shape, its idempotency (same key + same parameters → the same object;
 * other parameters → 400 idempotency_error; a key still in flight → 409, which the SDK retries),
 * failure injection and latency. Every request is recorded with its Idempotency-Key and form body.
 */
export class StripeStub {
  readonly requests: StubRequest[] = [];
  readonly customers = new Map<string, Record<string, any>>();
  readonly checkoutSessions = new Map<string, Record<string, any>>();
  readonly portalSessions = new Map<string, Record<string, any>>();
  readonly paymentIntents = new Map<string, Record<string, any>>();
  private readonly idempotency = new Map<string, StoredResponse>();
  private readonly inFlight = new Set<string>();
  private failures: StubFailure[] = [];
  private delays: Array<{ path: string | RegExp | undefined; ms: number }> = [];
  private server: http.Server | null = null;
  private counter = 0;
  port = 0;

  private readonly routes: Array<{ method: string; pattern: RegExp; handle: Handler }> = [
    { method: 'POST', pattern: /^\/v1\/customers$/, handle: (f) => this.createCustomer(f) },
    { method: 'POST', pattern: /^\/v1\/checkout\/sessions$/, handle: (f) => this.createCheckoutSession(f) },
    { method: 'POST', pattern: /^\/v1\/billing_portal\/sessions$/, handle: (f) => this.createPortalSession(f) },
    { method: 'POST', pattern: /^\/v1\/payment_intents$/, handle: (f) => this.createPaymentIntent(f) },
    { method: 'GET', pattern: /^\/v1\/payment_intents\/([^/]+)$/, handle: (_f, [id]) => this.retrievePaymentIntent(id) },
    { method: 'POST', pattern: /^\/v1\/payment_intents\/([^/]+)\/cancel$/, handle: (f, [id]) => this.cancelPaymentIntent(id, f) },
    { method: 'POST', pattern: /^\/v1\/payment_intents\/([^/]+)$/, handle: (f, [id]) => this.updatePaymentIntent(id, f) },
  ];

  constructor(private readonly apiKey = 'sk_test_x') {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** The env that points the service's SDK here. */
  env(): Record<string, string> {
    return { STRIPE_SECRET_KEY: this.apiKey, STRIPE_API_HOST: '127.0.0.1', STRIPE_API_PORT: String(this.port), STRIPE_API_PROTOCOL: 'http' };
  }

  /** Makes the next matching request(s) answer with a Stripe error. */
  fail(failure: StubFailure): void {
    this.failures.push({ times: 1, ...failure });
  }

  /** Adds latency to matching requests (all when no path). */
  slow(ms: number, path?: string | RegExp): void {
    this.delays.push({ path, ms });
  }

  /** Forgets injected failures and latency (objects and recorded requests stay). */
  reset(): void {
    this.failures = [];
    this.delays = [];
  }

  requestsTo(method: string, path: string | RegExp): StubRequest[] {
    return this.requests.filter((r) => r.method === method && matches(path, r.path));
  }

  /** Plays Stripe's side of a payment: e.g. `{ status: 'canceled' }` as if done in the dashboard. */
  updatePaymentIntentDirectly(id: string, patch: Record<string, unknown>): void {
    Object.assign(this.paymentIntents.get(id)!, patch);
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://stub');
    const form = Object.fromEntries(new URLSearchParams(req.method === 'GET' ? url.search : raw));
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const keyHeader = req.headers['idempotency-key'];
    const key = typeof keyHeader === 'string' ? keyHeader : null;
    const record: StubRequest = { method, path, idempotencyKey: key, form, replayed: false, status: 0 };
    this.requests.push(record);

    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${++this.counter}`, ...(key ? { 'idempotency-key': key } : {}), ...headers });
      res.end(JSON.stringify(body));
    };

    const delay = this.delays.filter((d) => matches(d.path, path)).reduce((n, d) => n + d.ms, 0);
    const work = () => new Promise((r) => setTimeout(r, delay));

    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      const [status, body] = stripeError(401, 'invalid_request_error', 'Invalid API Key provided: sk_test_****');
      return send(status, body);
    }
    const failure = this.failures.find((f) => (f.method ?? method) === method && matches(f.path, path) && (f.times ?? 1) > 0);
    if (failure) {
      await work();
      failure.times = (failure.times ?? 1) - 1;
      const extra = { ...(failure.code ? { code: failure.code } : {}), ...(failure.declineCode ? { decline_code: failure.declineCode } : {}) };
      const [status, body] = stripeError(failure.status, failure.type, failure.message, extra);
      return send(status, body, { 'stripe-should-retry': String(failure.retryable ?? false) });
    }

    const route = this.routes.find((r) => r.method === method && r.pattern.test(path));
    if (!route) {
      const [status, body] = stripeError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}).`);
      return send(status, body);
    }
    const params = route.pattern.exec(path)!.slice(1);
    if (method !== 'POST' || key === null) {
      await work();
      const [status, body] = route.handle(form, params);
      return send(status, body);
    }

    // Stripe's idempotency: per key, with a fingerprint of the request it was first used with.
    const fingerprint = createHash('sha256').update(`${method} ${path}\n${raw}`).digest('hex');
    const stored = this.idempotency.get(key);
    if (stored) {
      if (stored.fingerprint !== fingerprint) {
        const [status, body] = stripeError(400, 'idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`);
        return send(status, body);
      }
      record.replayed = true;
      return send(stored.status, stored.body, { 'idempotent-replayed': 'true' });
    }
    if (this.inFlight.has(key)) {
      const [status, body] = stripeError(409, 'idempotency_error', 'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through).');
      return send(status, body);
    }
    // The key is held while the request is worked on (latency included), as in Stripe.
    this.inFlight.add(key);
    try {
      await work();
      const [status, body] = route.handle(form, params);
      if (status < 500) this.idempotency.set(key, { fingerprint, status, body });
      return send(status, body);
    } finally {
      this.inFlight.delete(key);
    }
  }

  private id(prefix: string): string {
    return `${prefix}_${randomBytes(8).toString('hex')}`;
  }

  private createCustomer(form: Record<string, string>): [number, unknown] {
    const p = nest(form);
    const customer = { id: this.id('cus'), object: 'customer', name: p.name ?? null, metadata: p.metadata ?? {}, created: now() };
    this.customers.set(customer.id, customer);
    return [200, customer];
  }

  private createCheckoutSession(form: Record<string, string>): [number, unknown] {
    const p = nest(form);
    if (!p.success_url) return stripeError(400, 'invalid_request_error', 'Missing required param: success_url.', { param: 'success_url' });
    if (p.customer && !this.customers.has(p.customer)) return stripeError(400, 'invalid_request_error', `No such customer: '${p.customer}'`, { code: 'resource_missing' });
    const id = this.id('cs_test');
    const session = {
      id,
      object: 'checkout.session',
      mode: p.mode,
      status: 'open',
      customer: p.customer ?? null,
      subscription: null,
      success_url: p.success_url,
      cancel_url: p.cancel_url ?? null,
      client_reference_id: p.client_reference_id ?? null,
      metadata: p.metadata ?? {},
      url: `https://checkout.stripe.test/c/pay/${id}`,
      created: now(),
    };
    this.checkoutSessions.set(id, { ...session, line_items: p.line_items, subscription_data: p.subscription_data });
    return [200, session];
  }

  private createPortalSession(form: Record<string, string>): [number, unknown] {
    const p = nest(form);
    if (!p.customer || !this.customers.has(p.customer)) return stripeError(400, 'invalid_request_error', `No such customer: '${p.customer}'`, { code: 'resource_missing' });
    const id = this.id('bps');
    const session = { id, object: 'billing_portal.session', customer: p.customer, return_url: p.return_url ?? null, url: `https://billing.stripe.test/p/session/${id}`, created: now() };
    this.portalSessions.set(id, session);
    return [200, session];
  }

  private createPaymentIntent(form: Record<string, string>): [number, unknown] {
    const p = nest(form);
    const amount = Number(p.amount);
    if (!Number.isInteger(amount) || amount < 1) return stripeError(400, 'invalid_request_error', 'This value must be greater than or equal to 1.', { param: 'amount' });
    const id = this.id('pi');
    const intent = {
      id,
      object: 'payment_intent',
      amount,
      amount_received: 0,
      currency: p.currency,
      customer: p.customer ?? null,
      description: p.description ?? null,
      metadata: p.metadata ?? {},
      status: 'requires_payment_method',
      client_secret: `${id}_secret_${randomBytes(8).toString('hex')}`,
      created: now(),
    };
    this.paymentIntents.set(id, intent);
    return [200, intent];
  }

  private retrievePaymentIntent(id: string): [number, unknown] {
    const intent = this.paymentIntents.get(id);
    return intent ? [200, intent] : stripeError(404, 'invalid_request_error', `No such payment_intent: '${id}'`, { code: 'resource_missing' });
  }

  private updatePaymentIntent(id: string, form: Record<string, string>): [number, unknown] {
    const intent = this.paymentIntents.get(id);
    if (!intent) return stripeError(404, 'invalid_request_error', `No such payment_intent: '${id}'`, { code: 'resource_missing' });
    const p = nest(form);
    if (p.metadata) intent.metadata = { ...intent.metadata, ...p.metadata };
    if (p.description) intent.description = p.description;
    return [200, intent];
  }

  private cancelPaymentIntent(id: string, form: Record<string, string>): [number, unknown] {
    const intent = this.paymentIntents.get(id);
    if (!intent) return stripeError(404, 'invalid_request_error', `No such payment_intent: '${id}'`, { code: 'resource_missing' });
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      return stripeError(400, 'invalid_request_error', `You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`, { code: 'payment_intent_unexpected_state' });
    }
    intent.status = 'canceled';
    intent.cancellation_reason = nest(form).cancellation_reason ?? null;
    return [200, intent];
  }
}

function matches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}

const now = (): number => Math.floor(Date.now() / 1000);

export async function startStripeStub(apiKey?: string): Promise<StripeStub> {
  return new StripeStub(apiKey).start();
}

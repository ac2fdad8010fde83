/**
 * A seeded demo: `npm run demo`. Starts the service on the embedded engine (data in ./data-demo,
 * never ./data), seeds three tenants through the public API (subscriptions, cost centers, a month
 * of usage through the batch API, a coupon, credits, quotas, a spend alert), runs period close
 * once, prints URLs and tokens to explore, and keeps running until Ctrl-C. A second run on the same
 * DATA_DIR skips the seeding; delete ./data-demo for a fresh one.
 *
 * Variables: DATA_DIR (./data-demo), PORT (8087), EMBEDDED_PG_PORT (5489, beside `npm start`'s 5488).
 */
import 'reflect-metadata';
import * as jwt from 'jsonwebtoken';
import { createApp } from '../src/app.factory';
import { ensureDevSecret } from '../src/common/auth/dev-secret';
import { startEmbeddedPostgres } from '../src/common/database/embedded-postgres';
import { createLogger } from '../src/common/logging/logger';
import { loadConfig } from '../src/config/app-config';
import { PeriodCloseService } from '../src/invoices/period-close.service';

const API = '/api/v1/billing';
const DAY = 86_400_000;

interface DemoTenant {
  id: string;
  name: string;
  planId: string;
  /** Subscription start relative to now. */
  start: (now: Date) => Date;
  couponCode?: string;
  /** Events per tenant (scaled by plan size). */
  events: number;
  costCenters: { code: string; name: string; budgetCents?: number; rules: Record<string, unknown>[] }[];
  resources: { type: string; id: string }[];
}

const monthsAgo = (now: Date, months: number, extraDays = 0): Date => {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return new Date(d.getTime() - extraDays * DAY);
};

const TENANTS: DemoTenant[] = [
  {
    id: 'acme',
    name: 'Acme Analytics (team-monthly, started two months ago: period close invoices its ended periods)',
    planId: 'team-monthly',
    start: (now) => monthsAgo(now, 2, 3),
    events: 2500,
    costCenters: [
      { code: 'analytics', name: 'Analytics', budgetCents: 40_000, rules: [{ resourceType: 'warehouse' }] },
      { code: 'platform', name: 'Platform engineering', budgetCents: 60_000, rules: [{ resourceIdPrefix: 'cl-prod-' }] },
    ],
    resources: [
      { type: 'warehouse', id: 'wh-reporting' },
      { type: 'warehouse', id: 'wh-adhoc' },
      { type: 'cluster', id: 'cl-prod-1' },
      { type: 'cluster', id: 'cl-dev-1' },
    ],
  },
  {
    id: 'globex',
    name: 'Globex Retail (business-monthly, 20 % coupon for 3 periods)',
    planId: 'business-monthly',
    start: (now) => new Date(now.getTime() - 35 * DAY),
    couponCode: 'DEMO20',
    events: 3500,
    costCenters: [
      { code: 'bi', name: 'Business intelligence', budgetCents: 150_000, rules: [{ resourceType: 'warehouse' }] },
      { code: 'ml', name: 'Machine learning', budgetCents: 250_000, rules: [{ resourceIdPrefix: 'cl-gpu-' }] },
      { code: 'web', name: 'Storefront', rules: [{ property: { key: 'team', value: 'web' } }] },
    ],
    resources: [
      { type: 'warehouse', id: 'wh-sales' },
      { type: 'warehouse', id: 'wh-finance' },
      { type: 'cluster', id: 'cl-gpu-a' },
      { type: 'cluster', id: 'cl-web-1' },
      { type: 'bucket', id: 'bk-lake' },
    ],
  },
  {
    id: 'initech',
    name: 'Initech (enterprise-yearly, spend alert)',
    planId: 'enterprise-yearly',
    start: (now) => new Date(now.getTime() - 32 * DAY),
    events: 4000,
    costCenters: [
      { code: 'data-platform', name: 'Data platform', budgetCents: 1_000_000, rules: [{ resourceIdPrefix: 'cl-' }] },
      { code: 'finance', name: 'Finance reporting', budgetCents: 300_000, rules: [{ resourceType: 'warehouse' }] },
    ],
    resources: [
      { type: 'warehouse', id: 'wh-ledger' },
      { type: 'warehouse', id: 'wh-risk' },
      { type: 'cluster', id: 'cl-etl-1' },
      { type: 'cluster', id: 'cl-etl-2' },
      { type: 'bucket', id: 'bk-archive' },
    ],
  },
];

/** Small deterministic PRNG (mulberry32): the same demo data on every fresh run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A month of usage for one tenant: several metrics, resources, users and cost centers, busier on weekdays and in office hours. */
function usageEvents(tenant: DemoTenant, now: Date, costCenterIds: string[]): Record<string, unknown>[] {
  const rnd = prng([...tenant.id].reduce((h, c) => h * 31 + c.charCodeAt(0), 7));
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const users = Array.from({ length: 25 }, (_, i) => `u-${String(i + 1).padStart(2, '0')}`);
  const teams = ['web', 'data', 'ops'];
  const end = now.getTime() - 10 * 60_000; // never ahead of the server's clock
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < tenant.events; i++) {
    // Spread over the last 30 days; retry a few times to favour weekdays and 08:00–20:00 UTC.
    let ts = end - rnd() * 30 * DAY;
    for (let k = 0; k < 2; k++) {
      const d = new Date(ts);
      const quiet = d.getUTCDay() === 0 || d.getUTCDay() === 6 || d.getUTCHours() < 8 || d.getUTCHours() >= 20;
      if (!quiet) break;
      ts = end - rnd() * 30 * DAY;
    }
    const r = rnd();
    const res = pick(tenant.resources);
    const props = { userId: pick(users), team: pick(teams), region: pick(['eu-west-1', 'us-east-1']) };
    let e: Record<string, unknown>;
    if (r < 0.3) {
      const wh = tenant.resources.filter((x) => x.type !== 'bucket');
      const w = pick(wh);
      e = { metric: 'compute.cpu_hours', quantity: (0.25 + rnd() * 3.75).toFixed(3), resourceType: w.type, resourceId: w.id, properties: props };
    } else if (r < 0.6) {
      e = { metric: 'api.requests', quantity: '1', resourceType: 'gateway', resourceId: 'api-gw', properties: props };
    } else if (r < 0.75) {
      const w = pick(tenant.resources.filter((x) => x.type === 'warehouse'));
      e = { metric: 'query.gb_scanned', quantity: (rnd() * 40).toFixed(2), resourceType: w.type, resourceId: w.id, properties: props };
    } else if (r < 0.85) {
      e = { metric: 'users.active', quantity: '1', properties: { userId: props.userId, team: props.team } };
    } else if (r < 0.95) {
      e = { metric: 'storage.gb_months', quantity: (rnd() * 2).toFixed(4), resourceType: res.type, resourceId: res.id, properties: props };
    } else {
      const c = pick(tenant.resources.filter((x) => x.type === 'cluster'));
      e = { metric: 'cluster.peak_nodes', quantity: String(2 + Math.floor(rnd() * 10)), resourceType: c.type, resourceId: c.id };
    }
    // One event in ten names its cost center explicitly; the others are attributed by the rules.
    if (rnd() < 0.1) e.costCenterId = pick(costCenterIds);
    events.push({ eventId: `demo-${tenant.id}-${String(i).padStart(5, '0')}`, timestamp: new Date(ts).toISOString(), ...e });
  }
  return events.sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
}

async function main(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.stderr.write('npm run demo seeds demo data and runs on the embedded engine only: unset DATABASE_URL.\n');
    process.exit(2);
  }
  const loaded = loadConfig({ ...process.env, DATA_DIR: process.env.DATA_DIR ?? './data-demo', EMBEDDED_PG_PORT: process.env.EMBEDDED_PG_PORT ?? '5489' });
  // HS256 with JWT_SECRET when given, else the key generated in the demo's DATA_DIR (as npm start does).
  const secret = loaded.jwt.secret ?? ensureDevSecret(loaded.dataDir);
  const config = { ...loaded, jwt: { ...loaded.jwt, secret, publicKey: null } };
  const logger = createLogger(loaded.logLevel === 'info' ? 'warn' : loaded.logLevel);

  process.stdout.write(`Starting the embedded PostgreSQL (data in ${config.dataDir}, port ${config.embeddedPgPort})…\n`);
  const embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, (line) => logger.warn({ context: 'EmbeddedPostgres' }, line));
  const app = await createApp({ config, databaseUrl: embedded.url, logger });
  app.getHttpAdapter().getInstance().addHook('onClose', async () => {
    await embedded.stop();
  });
  await app.listen({ port: config.port, host: config.host });
  const base = `http://localhost:${config.port}`;

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the demo…\n`);
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const sign = (claims: Record<string, unknown>) => jwt.sign(claims, secret, { algorithm: 'HS256', expiresIn: 12 * 3600 });
  const platform = sign({ sub: 'demo-platform-admin', roles: ['platform-admin'] });
  const tenantToken = (tenantId: string) => sign({ sub: `demo-admin-${tenantId}`, tenantId, roles: ['tenant-admin'] });

  async function call<T = any>(method: string, path: string, token: string, body?: unknown): Promise<T> {
    const res = await fetch(`${base}${API}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  const now = new Date();
  const existing = await fetch(`${base}${API}/tenants/${TENANTS[0].id}/subscription`, { headers: { authorization: `Bearer ${platform}` } });
  if (existing.ok) {
    process.stdout.write(`Demo data already in ${config.dataDir}: seeding skipped (delete that folder for a fresh seed).\n`);
  } else {
    const t0 = Date.now();
    process.stdout.write('Seeding three tenants through the API…\n');
    await call('POST', '/coupons', platform, {
      code: 'DEMO20',
      name: '20 % off for 3 months',
      percentOff: '20',
      duration: 'repeating',
      durationInPeriods: 3,
      maxRedemptions: 100,
    });
    let totalEvents = 0;
    for (const tenant of TENANTS) {
      const token = tenantToken(tenant.id);
      const centers: string[] = [];
      for (const cc of tenant.costCenters) {
        const made = await call<{ id: string }>('POST', '/cost-centers', token, { tenantId: tenant.id, ...cc });
        centers.push(made.id);
      }
      const sub = await call<{ id: string }>('POST', `/tenants/${tenant.id}/subscriptions`, token, {
        planId: tenant.planId,
        startDate: tenant.start(now).toISOString(),
        trial: false,
        ...(tenant.couponCode ? { couponCode: tenant.couponCode } : {}),
      });
      const events = usageEvents(tenant, now, centers);
      for (let i = 0; i < events.length; i += 1000) {
        await call('POST', `/tenants/${tenant.id}/usage/batch`, token, { events: events.slice(i, i + 1000) });
      }
      totalEvents += events.length;
      process.stdout.write(`  ${tenant.id}: ${tenant.name}; ${events.length} usage events, ${centers.length} cost centers\n`);

      // Quotas: a hard monthly compute limit and a soft daily API limit.
      await call('POST', '/quotas', platform, { tenantId: tenant.id, metric: 'compute.cpu_hours', limit: '2000', period: 'month', enforcement: 'hard' });
      await call('POST', '/quotas', platform, { tenantId: tenant.id, metric: 'api.requests', limit: '150', period: 'day', enforcement: 'soft' });
      if (tenant.id === 'acme') {
        await call('POST', `/subscriptions/${sub.id}/credits`, platform, { amountCents: 2500, reason: 'Goodwill credit for the demo outage' });
      }
      if (tenant.id === 'initech') {
        await call('POST', `/realtime-cost/tenants/${tenant.id}/alerts`, token, { name: 'Spend over 1,000 USD this period', type: 'spend', thresholdCents: 100_000 });
        await call('POST', `/realtime-cost/tenants/${tenant.id}/alerts`, token, {
          name: 'Data platform at 80 % of budget',
          type: 'budget_percent',
          percent: 80,
          costCenterId: centers[0],
        });
      }
    }
    const summary = await app.get(PeriodCloseService).run();
    process.stdout.write(`  ${totalEvents} usage events in all; period close: ${JSON.stringify(summary)}\n`);
    process.stdout.write(`Seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s.\n`);
  }

  const t = TENANTS[0].id;
  const lines = [
    '',
    `Billing Service demo on ${base}`,
    '',
    `  Swagger UI        ${base}/api/docs   (Authorize: paste a token below)`,
    `  OpenAPI JSON      ${base}/api/docs-json`,
    `  Plans             ${base}${API}/plans`,
    `  Subscription      ${base}${API}/tenants/${t}/subscription`,
    `  Invoices          ${base}${API}/tenants/${t}/invoices`,
    `  Usage summary     ${base}${API}/tenants/${t}/usage/summary?groupBy=metric`,
    `  Preview           ${base}${API}/tenants/${t}/billing/preview`,
    `  Real-time cost    ${base}${API}/realtime-cost/tenants/${t}/current`,
    `  Cost centers      ${base}${API}/cost-centers/tenants/${t}`,
    `  Quota check       ${base}${API}/quotas/tenants/${t}/check?metric=compute.cpu_hours`,
    `  Alerts (initech)  ${base}${API}/realtime-cost/tenants/initech/alerts`,
    `  Metrics           ${base}/metrics`,
    '',
    `Tenant-admin token for "${t}" (12 h; tenants: ${TENANTS.map((x) => x.id).join(', ')}; npm run token -- --tenant globex works with DATA_DIR=${config.dataDir}):`,
    tenantToken(t),
    '',
    'Platform-admin token (12 h):',
    platform,
    '',
    `Try:  curl -H "Authorization: Bearer <token>" ${base}${API}/tenants/${t}/invoices`,
    'Ctrl-C stops the demo.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});

import { createHmac, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { AlertEvaluator } from '../../src/realtime-cost/alerts/alert-evaluator.service';
import { TestApp, bootApp } from '../support/app';
import { connect, count } from '../support/db-client';
import { API, expectProblem, httpClient } from '../support/http';
import { serviceToken, tenantAdmin, tenantViewer } from '../support/tokens';

// Fast evaluator and dispatcher for tests (read by the realtime-cost module from the environment).
process.env.ALERT_EVAL_INTERVAL_MS = '200';
process.env.ALERT_FULL_EVAL_INTERVAL_MS = '1000';
process.env.ALERT_DISPATCH_INTERVAL_MS = '100';
process.env.ALERT_RETRY_BASE_MS = '200';
process.env.ALERT_RETRY_WINDOW_MS = '3000';

const SECRET = 'whsec_test_0123456789';
const ENV = { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_SIGNING_SECRET: SECRET };

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
  signatureValid: boolean;
}

/** A webhook receiver on 127.0.0.1 that checks the Billing-Signature and answers per path from a script. */
async function startReceiver() {
  const received: Received[] = [];
  const scripts = new Map<string, number[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const header = String(req.headers['billing-signature'] ?? '');
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
      const expected = m ? createHmac('sha256', SECRET).update(`${m[1]}.${raw}`).digest('hex') : '';
      const signatureValid = !!m && timingSafeEqual(Buffer.from(m[2]), Buffer.from(expected)) && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
      received.push({ path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw), signatureValid });
      const script = scripts.get(req.url ?? '') ?? [];
      res.statusCode = script.length > 0 ? script.shift()! : 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (path: string, statuses: number[] = []) => {
      scripts.set(path, statuses);
      return `${base}${path}`;
    },
    to: (path: string) => received.filter((r) => r.path === path),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cost alerts', () => {
  let t: TestApp;
  let request: ReturnType<typeof httpClient>;
  let db: Client;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  const subscribe = async (tenant: string) => {
    const res = await request('POST', `${API}/tenants/${tenant}/subscriptions`, { token: tenantAdmin(tenant), body: { planId: 'team-monthly', trial: false } });
    expect(res.status).toBe(201);
    return res.body;
  };
  const usage = async (tenant: string, events: object[]) => {
    const res = await request('POST', `${API}/tenants/${tenant}/usage/batch`, { token: serviceToken(), body: { events } });
    expect(res.status).toBe(200);
  };
  const createAlert = (tenant: string, body: object, via = request) =>
    via('POST', `${API}/realtime-cost/tenants/${tenant}/alerts`, { token: tenantAdmin(tenant), body });
  const alertOf = async (tenant: string, id: string) =>
    (await request('GET', `${API}/realtime-cost/tenants/${tenant}/alerts?limit=100`, { token: tenantViewer(tenant) })).body.data.find((a: any) => a.id === id);

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await bootApp({ env: ENV });
    request = httpClient(t.baseUrl);
    db = await connect(t.databaseUrl);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await receiver.close();
  });

  afterAll(() => {
    // The background passes never failed (errors are logged, never thrown).
    expect(t.logs.filter((l) => /alert (evaluation|dispatch)[^"]* failed/.test(l))).toEqual([]);
  });

  describe('POST and GET /realtime-cost/tenants/:tenantId/alerts', () => {
    it('creates an alert (201) and lists it, ok and not yet evaluated', async () => {
      const res = await createAlert('al-1', { name: 'Compute spend', type: 'spend', thresholdCents: 100000, metric: 'compute.cpu_hours' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        tenantId: 'al-1',
        name: 'Compute spend',
        type: 'spend',
        thresholdCents: 100000,
        percent: null,
        costCenterId: null,
        metric: 'compute.cpu_hours',
        webhookUrl: null,
        status: 'ok',
        triggeredAt: null,
        dismissedAt: null,
        lastValueCents: null,
        lastEvaluatedAt: null,
        periodStart: null,
        periodEnd: null,
        delivery: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      await createAlert('al-1', { name: 'Forecast', type: 'forecast', thresholdCents: 10 });
      const first = await request('GET', `${API}/realtime-cost/tenants/al-1/alerts?limit=1`, { token: tenantViewer('al-1') });
      expect(first.body.data.map((a: any) => a.id)).toEqual([res.body.id]);
      const second = await request('GET', `${API}/realtime-cost/tenants/al-1/alerts?limit=1&cursor=${first.body.nextCursor}`, { token: tenantViewer('al-1') });
      expect(second.body).toMatchObject({ data: [{ name: 'Forecast' }], nextCursor: null });
    });

    it('refuses fields that do not fit the type (400), unknown metrics and cost centers (422)', async () => {
      const bad = async (body: object, path: string) => {
        const p = expectProblem(await createAlert('al-1', body), 400, 'VALIDATION_FAILED');
        expect(p.errors.map((e: any) => e.path)).toContain(path);
      };
      await bad({ name: 'x', type: 'spend' }, 'thresholdCents');
      await bad({ name: 'x', type: 'spend', thresholdCents: 1, percent: 50 }, 'percent');
      await bad({ name: 'x', type: 'budget_percent', thresholdCents: 1 }, 'percent');
      await bad({ name: 'x', type: 'forecast', thresholdCents: 1, costCenterId: '6c0e5d0c-8d0b-4a5e-9f55-0c6b9a9a7e11' }, 'costCenterId');
      await bad({ name: 'x', type: 'hourly', thresholdCents: 1 }, 'type');
      await bad({ name: 'x', type: 'spend', thresholdCents: -1 }, 'thresholdCents');
      await bad({ name: 'x', type: 'spend', thresholdCents: 1, tenantId: 'al-1', extra: true }, 'extra');
      await bad({ name: 'x', type: 'spend', thresholdCents: 1, webhookUrl: 'not a url' }, 'webhookUrl');
      expectProblem(await createAlert('al-1', { name: 'x', type: 'spend', thresholdCents: 1, metric: 'nope' }), 422, 'UNKNOWN_METRIC');
      const unknownCc = { name: 'x', type: 'budget_percent', percent: 80, costCenterId: '6c0e5d0c-8d0b-4a5e-9f55-0c6b9a9a7e11' };
      expectProblem(await createAlert('al-1', unknownCc), 422, 'UNKNOWN_COST_CENTER');
      const cc = await request('POST', `${API}/cost-centers`, { token: tenantAdmin('al-1'), body: { tenantId: 'al-1', code: 'nobudget', name: 'No budget' } });
      expectProblem(await createAlert('al-1', { ...unknownCc, costCenterId: cc.body.id }), 422, 'UNPROCESSABLE');
      expectProblem(await createAlert('al-1', { name: 'x', type: 'spend', thresholdCents: 1, webhookUrl: 'ftp://example.com/x' }), 422, 'UNPROCESSABLE');
    });

    it('is 403 for another tenant’s path and for a viewer creating, 401 without a token', async () => {
      expectProblem(await request('POST', `${API}/realtime-cost/tenants/al-1/alerts`, { token: tenantAdmin('al-2'), body: { name: 'x', type: 'spend', thresholdCents: 1 } }), 403, 'FORBIDDEN');
      expectProblem(await request('GET', `${API}/realtime-cost/tenants/al-1/alerts`, { token: tenantViewer('al-2') }), 403, 'FORBIDDEN');
      expectProblem(await request('POST', `${API}/realtime-cost/tenants/al-1/alerts`, { token: tenantViewer('al-1'), body: { name: 'x', type: 'spend', thresholdCents: 1 } }), 403, 'FORBIDDEN');
      expectProblem(await request('GET', `${API}/realtime-cost/tenants/al-1/alerts`), 401, 'UNAUTHORIZED');
    });
  });

  describe('evaluation and delivery', () => {
    it('triggers a spend alert within 5 s of the crossing usage and delivers one signed webhook', async () => {
      await subscribe('al-spend');
      const created = (await createAlert('al-spend', { name: 'Spend 100', type: 'spend', thresholdCents: 10000, webhookUrl: receiver.url('/spend') })).body;
      await usage('al-spend', [{ metric: 'compute.cpu_hours', quantity: 500 }]); // 450 × 0.12 = 54.00: under
      await waitFor('a first evaluation', async () => (await alertOf('al-spend', created.id)).lastValueCents === 5400);
      expect(receiver.to('/spend')).toHaveLength(0);
      const crossedAt = Date.now();
      await usage('al-spend', [{ metric: 'compute.cpu_hours', quantity: 500 }]); // 950 × 0.12 = 114.00: over
      const [hook] = await waitFor('the webhook', async () => receiver.to('/spend').length > 0 && receiver.to('/spend'));
      expect(Date.now() - crossedAt).toBeLessThan(5000);
      expect(hook.signatureValid).toBe(true);
      expect(hook.headers['content-type']).toBe('application/json');
      const sub = (await request('GET', `${API}/tenants/al-spend/subscription`, { token: tenantViewer('al-spend') })).body;
      expect(hook.body).toEqual({
        type: 'cost_alert.triggered',
        alertId: created.id,
        tenantId: 'al-spend',
        name: 'Spend 100',
        alertType: 'spend',
        thresholdCents: 10000,
        valueCents: 11400,
        currency: 'USD',
        metric: null,
        costCenterId: null,
        periodStart: sub.currentPeriodStart,
        periodEnd: sub.currentPeriodEnd,
        triggeredAt: expect.any(String),
      });
      const alert = await waitFor('delivered', async () => {
        const a = await alertOf('al-spend', created.id);
        return a.delivery?.status === 'delivered' && a;
      });
      expect(alert).toMatchObject({ status: 'triggered', lastValueCents: 11400, triggeredAt: hook.body.triggeredAt, periodStart: sub.currentPeriodStart });
      expect(alert.delivery).toMatchObject({ attempts: 1, lastStatus: 200, lastError: null });
      // More usage in the same period: no second trigger, no second delivery.
      await usage('al-spend', [{ metric: 'compute.cpu_hours', quantity: 500 }]);
      await sleep(1000);
      expect(receiver.to('/spend')).toHaveLength(1);
      expect(await count(db, 'SELECT count(*) FROM alert_deliveries WHERE alert_id = $1', [created.id])).toBe(1);
    });

    it('retries a failing receiver with backoff: 500, 500, then 200 is delivered once with 3 attempts', async () => {
      await subscribe('al-retry');
      const created = (await createAlert('al-retry', { name: 'Flaky', type: 'spend', thresholdCents: 0, webhookUrl: receiver.url('/flaky', [500, 500]) })).body;
      const alert = await waitFor('delivered', async () => {
        const a = await alertOf('al-retry', created.id);
        return a.delivery?.status === 'delivered' && a;
      });
      expect(alert.delivery).toMatchObject({ attempts: 3, lastStatus: 200 });
      const hooks = receiver.to('/flaky');
      expect(hooks.map((h) => h.headers['billing-webhook-attempt'])).toEqual(['1', '2', '3']);
      expect(new Set(hooks.map((h) => h.raw)).size).toBe(1);
      expect(hooks.every((h) => h.signatureValid)).toBe(true);
      // Backoff: 200 ms then 400 ms (ALERT_RETRY_BASE_MS=200).
      const at = (await db.query('SELECT attempts, delivered_at FROM alert_deliveries WHERE alert_id = $1', [created.id])).rows;
      expect(at).toEqual([{ attempts: 3, delivered_at: expect.any(Date) }]);
      await sleep(500);
      expect(receiver.to('/flaky')).toHaveLength(3);
    });

    it('gives up after the retry window and records why', async () => {
      await subscribe('al-down');
      const created = (await createAlert('al-down', { name: 'Down', type: 'spend', thresholdCents: 0, webhookUrl: receiver.url('/down', Array(100).fill(503)) })).body;
      const alert = await waitFor(
        'given up',
        async () => {
          const a = await alertOf('al-down', created.id);
          return a.delivery?.status === 'failed' && a;
        },
        10_000,
      );
      expect(alert.delivery).toMatchObject({ lastStatus: 503, lastError: 'HTTP 503', failedAt: expect.any(String), nextAttemptAt: null });
      expect(alert.delivery.attempts).toBeGreaterThanOrEqual(3);
      expect(receiver.to('/down')).toHaveLength(alert.delivery.attempts);
      const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/cost_alert_webhook_attempts_total\{outcome="gave_up"\} [1-9]/);
      expect(metrics).toMatch(/cost_alert_webhook_attempts_total\{outcome="delivered"\} [1-9]/);
      expect(metrics).toMatch(/cost_alerts_triggered_total\{type="spend"\} [1-9]/);
    });

    it('triggers a budget_percent alert on the cost center’s attributed share', async () => {
      const cc = (await request('POST', `${API}/cost-centers`, { token: tenantAdmin('al-budget'), body: { tenantId: 'al-budget', code: 'ml', name: 'ML', budgetCents: 10000 } })).body;
      await subscribe('al-budget');
      const created = (await createAlert('al-budget', { name: 'ML at 50 %', type: 'budget_percent', percent: 50, costCenterId: cc.id, webhookUrl: receiver.url('/budget') })).body;
      // 1050 cpu-hours, 1000 billable = 120.00, of which vm-ml holds 500/1050 → 5714 cents: 57 % of the 100.00 budget.
      await usage('al-budget', [
        { metric: 'compute.cpu_hours', quantity: 550, resourceType: 'vm', resourceId: 'vm-other' },
        { metric: 'compute.cpu_hours', quantity: 500, resourceType: 'vm', resourceId: 'vm-ml', costCenterId: cc.id },
      ]);
      const [hook] = await waitFor('the webhook', async () => receiver.to('/budget').length > 0 && receiver.to('/budget'));
      expect(hook.body).toMatchObject({ alertId: created.id, alertType: 'budget_percent', percent: 50, budgetCents: 10000, valueCents: 5714, costCenterId: cc.id });
      expect(hook.body.thresholdCents).toBeUndefined();
      const byResource = (await request('GET', `${API}/realtime-cost/tenants/al-budget/by-resource`, { token: tenantViewer('al-budget') })).body;
      expect(byResource.data.find((r: any) => r.costCenterId === cc.id).costCents).toBe(5714);
    });

    it('triggers a forecast alert on the billing estimate', async () => {
      await subscribe('al-forecast');
      const created = (await createAlert('al-forecast', { name: 'Forecast', type: 'forecast', thresholdCents: 4900, webhookUrl: receiver.url('/forecast') })).body;
      const [hook] = await waitFor('the webhook', async () => receiver.to('/forecast').length > 0 && receiver.to('/forecast'));
      const estimate = (await request('GET', `${API}/tenants/al-forecast/billing/estimate`, { token: tenantViewer('al-forecast') })).body;
      expect(hook.body).toMatchObject({ alertId: created.id, alertType: 'forecast', thresholdCents: 4900, valueCents: estimate.projectedTotalCents });
    });
  });

  describe('POST /realtime-cost/alerts/:alertId/dismiss', () => {
    it('silences the alert until the next period, then it is armed and triggers again', async () => {
      await subscribe('al-dis');
      const created = (await createAlert('al-dis', { name: 'Any spend', type: 'spend', thresholdCents: 100, webhookUrl: receiver.url('/dismiss') })).body;
      const res = await request('POST', `${API}/realtime-cost/alerts/${created.id}/dismiss`, { token: tenantAdmin('al-dis'), body: {} });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: created.id, status: 'dismissed', dismissedAt: expect.any(String) });
      await usage('al-dis', [{ metric: 'compute.cpu_hours', quantity: 1000 }]);
      await sleep(1500);
      expect(receiver.to('/dismiss')).toHaveLength(0);
      expect((await alertOf('al-dis', created.id)).status).toBe('dismissed');
      // The period moves on: the stored dismissal is of an earlier period, so the alert is armed again.
      await db.query("UPDATE cost_alerts SET period_start = period_start - interval '1 month', period_end = period_end - interval '1 month' WHERE id = $1", [created.id]);
      const [hook] = await waitFor('the webhook of the new period', async () => receiver.to('/dismiss').length > 0 && receiver.to('/dismiss'));
      expect(hook.body).toMatchObject({ alertId: created.id, valueCents: 11400 });
      expect((await alertOf('al-dis', created.id)).status).toBe('triggered');
    });

    it('is 404 for another tenant’s alert and a malformed id, 403 for a viewer, 400 for a body', async () => {
      const created = (await createAlert('al-dis2', { name: 'x', type: 'spend', thresholdCents: 1 })).body;
      expectProblem(await request('POST', `${API}/realtime-cost/alerts/${created.id}/dismiss`, { token: tenantAdmin('al-other'), body: {} }), 404, 'NOT_FOUND');
      expectProblem(await request('POST', `${API}/realtime-cost/alerts/not-a-uuid/dismiss`, { token: tenantAdmin('al-dis2'), body: {} }), 404, 'NOT_FOUND');
      expectProblem(await request('POST', `${API}/realtime-cost/alerts/${created.id}/dismiss`, { token: tenantViewer('al-dis2'), body: {} }), 403, 'FORBIDDEN');
      expectProblem(await request('POST', `${API}/realtime-cost/alerts/${created.id}/dismiss`, { token: tenantAdmin('al-dis2'), body: { now: true } }), 400, 'VALIDATION_FAILED');
      expect((await alertOf('al-dis2', created.id)).status).toBe('ok');
    });
  });

  describe('several instances', () => {
    let second: TestApp;

    beforeAll(async () => {
      second = await bootApp({ databaseUrl: t.databaseUrl, env: ENV });
    });
    afterAll(() => second.close());

    it('triggers and delivers once when two instances evaluate at once', async () => {
      await subscribe('al-two');
      const created = (await createAlert('al-two', { name: 'Two', type: 'spend', thresholdCents: 100, webhookUrl: receiver.url('/two') })).body;
      await usage('al-two', [{ metric: 'compute.cpu_hours', quantity: 1000 }]);
      // Both evaluate the tenant at the same moment, besides their background passes.
      await Promise.all([t.app.get(AlertEvaluator).evaluateTenant('al-two'), second.app.get(AlertEvaluator).evaluateTenant('al-two')]);
      await waitFor('the webhook', async () => receiver.to('/two').length > 0);
      await sleep(1500);
      expect(receiver.to('/two')).toHaveLength(1);
      expect(await count(db, 'SELECT count(*) FROM alert_deliveries WHERE alert_id = $1', [created.id])).toBe(1);
    });

    it('delivers each trigger once while both dispatchers run', async () => {
      const paths = ['/m1', '/m2', '/m3', '/m4', '/m5', '/m6'];
      for (const [i, path] of paths.entries()) {
        await subscribe(`al-many-${i}`);
        await createAlert(`al-many-${i}`, { name: 'Many', type: 'spend', thresholdCents: 0, webhookUrl: receiver.url(path, [500]) });
      }
      await waitFor('every webhook delivered', async () => paths.every((p) => receiver.to(p).length >= 2), 10_000);
      await sleep(1000);
      expect(paths.map((p) => receiver.to(p).length)).toEqual(paths.map(() => 2));
    });
  });

  describe('webhook URL policy', () => {
    it('refuses loopback and private webhook URLs with 422 unless WEBHOOK_ALLOW_PRIVATE=true', async () => {
      const strict = await bootApp({ env: { WEBHOOK_SIGNING_SECRET: SECRET } });
      try {
        const via = httpClient(strict.baseUrl);
        for (const url of ['http://127.0.0.1:9/hook', 'http://localhost:8080/hook', 'http://10.0.0.8/hook', 'http://192.168.1.10/hook', 'http://[::1]/hook', 'http://169.254.169.254/latest']) {
          const p = expectProblem(await createAlert('al-url', { name: 'x', type: 'spend', thresholdCents: 1, webhookUrl: url }, via), 422, 'UNPROCESSABLE');
          expect(p.detail).toMatch(/webhookUrl/);
        }
        const ok = await createAlert('al-url', { name: 'x', type: 'spend', thresholdCents: 1, webhookUrl: 'https://hooks.example.com/billing' }, via);
        expect(ok.status).toBe(201);
      } finally {
        await strict.close();
      }
      // The same loopback URL is accepted where private targets are allowed.
      expect((await createAlert('al-url', { name: 'x', type: 'spend', thresholdCents: 1, webhookUrl: 'http://127.0.0.1:9/hook' })).status).toBe(201);
    });
  });
});

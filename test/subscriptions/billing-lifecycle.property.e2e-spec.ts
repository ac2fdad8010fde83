import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { CatalogFile } from '../../src/catalog/catalog.types';
import type { Principal } from '../../src/common/auth/principal';
import { Dec } from '../../src/common/money/decimal';
import { PeriodCloseService } from '../../src/invoices/period-close.service';
import { SubscriptionsService } from '../../src/subscriptions/subscriptions.service';
import { BillingReference } from '../support/billing-reference';
import { API } from '../support/http';
import { serviceToken } from '../support/tokens';
import { useApp } from '../support/suite';

const catalog: CatalogFile = JSON.parse(fs.readFileSync(path.join(__dirname, '../../catalog/default.json'), 'utf8'));
const DAY = 86_400_000;
const PLANS = ['team-monthly', 'business-monthly', 'team-yearly', 'enterprise-yearly', 'free'];
const METRICS = ['compute.cpu_hours', 'storage.gb_months', 'api.requests', 'users.active', 'cluster.peak_nodes', 'warehouse.seats'];

type Step =
  | { kind: 'usage'; metric: string; quantity: string; user: number }
  | { kind: 'change'; planId: string; immediately: boolean; prorate: boolean }
  | { kind: 'cancel'; atPeriodEnd: boolean }
  | { kind: 'reactivate' }
  | { kind: 'pause'; resumeAfterMs: number | null }
  | { kind: 'resume' }
  | { kind: 'close' };

/** Time between steps: mostly hours to weeks, sometimes under a second (a period or part shorter than a second). */
const gap = fc.oneof({ weight: 1, arbitrary: fc.integer({ min: 1, max: 999 }) }, { weight: 5, arbitrary: fc.integer({ min: 1_000, max: 20 * DAY }) });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('usage' as const), metric: fc.constantFrom(...METRICS), quantity: fc.integer({ min: 0, max: 500_000 }).map((n) => new Dec(n).div(100).toFixed()), user: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('change' as const), planId: fc.constantFrom(...PLANS), immediately: fc.boolean(), prorate: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), atPeriodEnd: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reactivate' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), resumeAfterMs: fc.option(fc.integer({ min: 1_000, max: 40 * DAY }), { nil: null }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'resume' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'close' as const }) },
);

/**
 * CONTRACT.md, Settled details: random lives of a subscription (plan changes both ways and across
 * intervals, pauses, resumes, cancels, reactivations, usage, period closes at random instants or
 * not at all until an action) played on the service at simulated instants, and on an independent
 * reference that bills each second on the plan in effect and each event once. Every window the
 * reference closes has exactly one invoice billing exactly what the reference says, to the cent.
 */
describe('billing lifecycle against a reference (property)', () => {
  const { app, request, db } = useApp({ env: { PERIOD_CLOSE_CRON: 'off', ROLLUP_COMPACT_INTERVAL_MS: '0' } });
  let run = 0;
  /** What the lives went through, so a run that never split a window or paused cannot pass unnoticed. */
  const seen = { windows: 0, splitWindows: 0, pausedLives: 0, intervalChanges: 0, reactivations: 0, shortWindows: 0 };

  it('bills every window of every life exactly as the reference', async () => {
    const subscriptions = app().app.get(SubscriptionsService);
    const periodClose = app().app.get(PeriodCloseService);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PLANS), fc.array(fc.tuple(gap, step), { minLength: 1, maxLength: 18 }), async (firstPlan, steps) => {
        const tenant = `life-${++run}`;
        const principal: Principal = { sub: 'test', tenantId: tenant, roles: ['tenant-admin'] };
        // Lives end before now, so every event can carry its own past timestamp.
        let now = Date.now() - 400 * DAY + Math.floor(Math.random() * DAY);
        const created = await subscriptions.create(tenant, { planId: firstPlan, trial: false, startDate: new Date(now).toISOString() }, new Date(now));
        const ref = new BillingReference(catalog, firstPlan, now);
        const log: string[] = [`create ${firstPlan} at ${new Date(now).toISOString()}`];

        const act = async (name: string, applicable: (r: BillingReference) => boolean, apply: (r: BillingReference) => void, call: () => Promise<unknown>) => {
          const next = ref.clone();
          if (next.status !== 'canceled') next.catchUp(now);
          if (!applicable(next)) return;
          log.push(`${name} at ${new Date(now).toISOString()}`);
          await call();
          if (ref.status !== 'canceled') ref.catchUp(now);
          apply(ref);
        };

        for (const [dt, s] of steps) {
          now += dt;
          const at = new Date(now);
          switch (s.kind) {
            case 'usage': {
              const event = { metric: s.metric, quantity: s.quantity, timestamp: at.toISOString(), properties: { userId: `u${s.user}` } };
              const res = await request('POST', `${API}/tenants/${tenant}/usage`, { token: serviceToken(), body: event });
              expect(res.status).toBe(201);
              ref.events.push({ ts: now, metric: s.metric, quantity: new Dec(s.quantity), userId: `u${s.user}` });
              break;
            }
            case 'change':
              await act(
                `change ${s.planId} ${s.immediately ? 'immediately' : 'period_end'}${s.prorate ? '' : ' no-prorate'}`,
                (r) => r.canChangePlan(s.planId, s.immediately),
                (r) => r.changePlan(now, s.planId, s.immediately, s.prorate),
                () => subscriptions.changePlan(principal, created.id, { planId: s.planId, effective: s.immediately ? 'immediately' : 'period_end', prorate: s.prorate }, at),
              );
              break;
            case 'cancel':
              await act(`cancel${s.atPeriodEnd ? ' at period end' : ''}`, (r) => r.canCancel(), (r) => r.cancel(now, s.atPeriodEnd), () => subscriptions.cancel(principal, created.id, s.atPeriodEnd, at));
              break;
            case 'reactivate':
              await act('reactivate', (r) => r.canReactivate(), (r) => r.reactivate(now), () => subscriptions.reactivate(principal, created.id, at));
              break;
            case 'pause': {
              const resumesAt = s.resumeAfterMs === null ? null : now + s.resumeAfterMs;
              await act(
                `pause until ${resumesAt === null ? 'resumed' : new Date(resumesAt).toISOString()}`,
                (r) => r.status === 'active',
                (r) => r.pause(now, resumesAt),
                () => subscriptions.pause(principal, created.id, { resumesAt: resumesAt === null ? undefined : new Date(resumesAt).toISOString() }, at),
              );
              break;
            }
            case 'resume':
              await act('resume', (r) => r.status === 'paused', (r) => r.resume(now), () => subscriptions.resume(principal, created.id, at));
              break;
            case 'close':
              log.push(`period close at ${at.toISOString()}`);
              expect((await periodClose.run(at)).failed).toBe(0);
              ref.catchUp(now);
              break;
          }
        }
        // The end of the life: canceled now, and the job closes what is left.
        now += 1000;
        await act('final cancel', (r) => r.canCancel(), (r) => r.cancel(now, false), () => subscriptions.cancel(principal, created.id, false, new Date(now)));
        now += 1;
        expect((await periodClose.run(new Date(now))).failed).toBe(0);
        ref.catchUp(now);

        const { rows } = await db.query(
          `SELECT period_start, period_end, subtotal_cents FROM invoices WHERE tenant_id = $1 AND status <> 'void' ORDER BY period_start`,
          [tenant],
        );
        const billed = rows.map((r: any) => ({ start: r.period_start.toISOString(), end: r.period_end.toISOString(), cents: Number(r.subtotal_cents) }));
        const expected = ref.windows.map((w) => ({ start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString(), cents: ref.subtotalCents(w) }));
        seen.windows += ref.windows.length;
        seen.splitWindows += ref.windows.filter((w) => ref.changes.some((c) => c.at > w.start && c.at < w.end)).length;
        seen.pausedLives += ref.pauses.length > 0 ? 1 : 0;
        seen.intervalChanges += log.filter((l) => l.startsWith('change') && l.includes('immediately')).length;
        seen.reactivations += log.filter((l) => l.startsWith('reactivate')).length;
        seen.shortWindows += ref.windows.filter((w) => w.end - w.start < 1000).length;
        if (JSON.stringify(billed) !== JSON.stringify(expected)) {
          throw new Error(`life of ${tenant}:\n  ${log.join('\n  ')}\nbilled:   ${JSON.stringify(billed)}\nexpected: ${JSON.stringify(expected)}`);
        }
      }),
      { numRuns: Number(process.env.LIFECYCLE_RUNS ?? 150), endOnFailure: true, includeErrorInReport: true },
    );
    console.log(`lives: ${JSON.stringify(seen)}`);
    expect(seen.splitWindows).toBeGreaterThan(0);
    expect(seen.pausedLives).toBeGreaterThan(0);
    expect(seen.reactivations).toBeGreaterThan(0);
  }, 600_000);
});

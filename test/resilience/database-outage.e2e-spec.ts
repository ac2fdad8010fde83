import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { API } from '../support/http';
import { connect } from '../support/db-client';
import { ServiceProcess, freePort, startService, waitForReady } from '../support/process';
import { TEST_JWT_SECRET, serviceToken } from '../support/tokens';
import { Outcome, send, sleep, tally } from './load';
import { PrivatePostgres, startPrivatePostgres } from './private-postgres';

const OUTAGE_MS = 20_000;
const MAX_ANSWER_MS = 6_000;

interface Timed {
  at: number;
  phase: 'before' | 'outage' | 'after';
  what: 'usage' | 'quota';
  eventId?: string;
  o: Outcome;
}

/** The database goes away for 20 s under light load: fast 503s, readiness down, recovery by itself. */
describe('database outage', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-outage-'));
  fs.chmodSync(dataDir, 0o755); // the engine runs as the postgres user when we are root
  let pg: PrivatePostgres | null = null;
  let svc: ServiceProcess | null = null;
  let running = true;

  afterAll(async () => {
    running = false;
    if (svc && svc.child.exitCode === null) {
      svc.child.kill('SIGKILL');
      await svc.exited;
    }
    await pg?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 problem+json fast while the database is down and recovers without a restart', async () => {
    const pgPort = await freePort();
    pg = await startPrivatePostgres(dataDir, pgPort);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    svc = startService({ DATABASE_URL: pg.url, JWT_SECRET: TEST_JWT_SECRET, PORT: String(port), HOST: '127.0.0.1' });
    await waitForReady(base, 90_000);
    const token = serviceToken();

    let phase: Timed['phase'] = 'before';
    const log: Timed[] = [];
    const worker = async (w: number) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; running; i++) {
        const eventId = `w${w}-${i}-${randomUUID()}`;
        const p = phase;
        const o = await send(agent, base, 'POST', `${API}/tenants/t-outage/usage`, token, { eventId, metric: 'compute.cpu_hours', quantity: '0.5' }, 30_000);
        log.push({ at: Date.now(), phase: p, what: 'usage', eventId, o });
        const q = await send(agent, base, 'GET', `${API}/quotas/tenants/t-outage/check?metric=compute.cpu_hours&quantity=1`, token, undefined, 30_000);
        log.push({ at: Date.now(), phase: p, what: 'quota', o: q });
        await sleep(100);
      }
      agent.destroy();
    };
    const workers = Array.from({ length: 4 }, (_, w) => worker(w));
    await sleep(1_500);

    await pg.kill();
    phase = 'outage';
    const outageStarted = Date.now();
    await sleep(3_000);
    const readyDuring = await fetch(`${base}/health/ready`).then((r) => r.status);
    const liveDuring = await fetch(`${base}/health/live`).then((r) => r.status);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));
    await pg.close(); // the helper of the killed server
    pg = await startPrivatePostgres(dataDir, pgPort);
    phase = 'after';
    const back = Date.now();
    await waitForReady(base, 30_000);
    const recoveredInMs = Date.now() - back;
    await sleep(2_000);
    running = false;
    await Promise.all(workers);

    const answers = log.filter((l) => l.o.kind === 'answer');
    const during = log.filter((l) => l.phase === 'outage');
    const summary = {
      before: tally(log.filter((l) => l.phase === 'before').map((l) => l.o)),
      outage: tally(during.map((l) => l.o)),
      after: tally(log.filter((l) => l.phase === 'after').map((l) => l.o)),
      slowestMs: Math.max(...log.map((l) => l.o.ms)),
      recoveredInMs,
    };
    console.log(`database outage: ${JSON.stringify(summary)}`);

    expect(svc.child.exitCode).toBeNull(); // no crash
    expect(readyDuring).toBe(503);
    expect(liveDuring).toBe(200);
    expect(log.filter((l) => l.o.kind === 'error').map((l) => (l.o as { code: string }).code)).toEqual([]);
    expect(log.filter((l) => l.o.ms > MAX_ANSWER_MS).map((l) => `${l.what} ${l.phase} ${l.o.ms}ms`)).toEqual([]);
    // Only success or a 503 UNAVAILABLE problem: never a 500 or a hang.
    for (const l of answers) {
      const a = l.o as Extract<Outcome, { kind: 'answer' }>;
      if (a.status === 201 || a.status === 200) continue;
      expect({ status: a.status, code: JSON.parse(a.body).code, type: a.contentType.split(';')[0] }).toEqual({ status: 503, code: 'UNAVAILABLE', type: 'application/problem+json' });
    }
    expect(during.filter((l) => (l.o as { status?: number }).status === 503).length).toBeGreaterThan(20);
    const last = log.filter((l) => l.phase === 'after').slice(-8);
    expect(last.map((l) => (l.o as { status?: number }).status)).toEqual(last.map((l) => (l.what === 'usage' ? 201 : 200)));

    const stored201 = log.filter((l) => l.what === 'usage' && (l.o as { status?: number }).status === 201).map((l) => l.eventId!);
    const db = await connect(pg.url);
    try {
      const r = await db.query(`SELECT count(*)::int AS n FROM usage_events WHERE tenant_id = 't-outage' AND event_id = ANY($1)`, [stored201]);
      expect(r.rows[0].n).toBe(stored201.length);
    } finally {
      await db.end();
    }
    svc.child.kill('SIGTERM');
    expect(await svc.exited).toBe(0);
  }, 180_000);
});

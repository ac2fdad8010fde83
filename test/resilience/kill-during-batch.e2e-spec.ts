import * as http from 'node:http';
import { Client } from 'pg';
import { API } from '../support/http';
import { createTestDatabase } from '../support/database';
import { connect, count } from '../support/db-client';
import { ServiceProcess, freePort, startService, waitForReady } from '../support/process';
import { TEST_JWT_SECRET, serviceToken } from '../support/tokens';
import { Outcome, send, sleep, tally } from './load';

const BATCH = 200;
const CLIENTS = 8;

/** kill -9 while concurrent 200-event batches are being stored: each batch is all there or not at all. */
describe('kill -9 during concurrent batch ingest', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Client;
  let svc: ServiceProcess | null = null;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await connect(database.url);
  });
  afterAll(async () => {
    if (svc && svc.child.exitCode === null) {
      svc.child.kill('SIGKILL');
      await svc.exited;
    }
    await db.end();
    await database.drop();
  });

  const batch = (name: string) => ({
    events: Array.from({ length: BATCH }, (_, i) => ({ eventId: `${name}-${i}`, metric: 'compute.cpu_hours', quantity: '0.25', resourceType: 'vm', resourceId: `r${i % 7}` })),
  });

  it('leaves every batch fully present or fully absent, and the restarted service takes them again', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, PORT: String(port), HOST: '127.0.0.1' };
    svc = startService(env);
    await waitForReady(base, 90_000);
    const token = serviceToken();
    const sent: string[] = [];
    const accepted: string[] = [];
    const outcomes: Outcome[] = [];
    let killed = false;

    const client = async (c: number) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; !killed; i++) {
        const name = `b${c}x${i}`;
        sent.push(name);
        const o = await send(agent, base, 'POST', `${API}/tenants/t-kill/usage/batch`, token, batch(name));
        outcomes.push(o);
        if (o.kind === 'answer' && (o.status === 200 || o.status === 201)) accepted.push(name);
        else if (o.kind === 'answer') throw new Error(`unexpected ${o.status}: ${o.body.slice(0, 300)}`);
      }
      agent.destroy();
    };
    const load = Array.from({ length: CLIENTS }, (_, c) => client(c));
    const deadline = Date.now() + 30_000;
    while ((await count(db, `SELECT count(*) FROM usage_events WHERE tenant_id = 't-kill'`)) < 20 * BATCH && Date.now() < deadline) await sleep(20);
    svc.child.kill('SIGKILL');
    killed = true;
    await svc.exited;
    await Promise.all(load);

    const perBatch = async () => {
      const r = await db.query<{ batch: string; n: number }>(
        `SELECT split_part(event_id, '-', 1) AS batch, count(*)::int AS n FROM usage_events WHERE tenant_id = 't-kill' GROUP BY 1`,
      );
      return new Map(r.rows.map((row) => [row.batch, row.n]));
    };
    const check = (present: Map<string, number>) => {
      expect([...present.values()].filter((n) => n !== BATCH)).toEqual([]);
      for (const name of accepted) expect(present.get(name)).toBe(BATCH);
    };
    const afterKill = await perBatch();
    console.log(`kill -9: ${JSON.stringify({ outcomes: tally(outcomes), sent: sent.length, accepted: accepted.length, present: afterKill.size })}`);
    expect(accepted.length).toBeGreaterThan(0);
    expect(sent.length).toBeGreaterThanOrEqual(afterKill.size); // usually some were cut mid-flight; each is all or nothing either way
    check(afterKill);

    svc = startService(env);
    await waitForReady(base, 90_000);
    check(await perBatch());
    // A client retries what was never answered: each lands whole, once (duplicates counted as such).
    const agent = new http.Agent({ keepAlive: true });
    const unanswered = sent.filter((s) => !accepted.includes(s));
    for (const name of unanswered) {
      const o = await send(agent, base, 'POST', `${API}/tenants/t-kill/usage/batch`, token, batch(name));
      expect(o.kind === 'answer' && [200, 201].includes(o.status)).toBe(true);
    }
    agent.destroy();
    const final = await perBatch();
    check(final);
    expect(final.size).toBe(sent.length);
    svc.child.kill('SIGTERM');
    expect(await svc.exited).toBe(0);
  });
});

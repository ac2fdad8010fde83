import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { bootApp } from '../support/app';
import { createTestDatabase } from '../support/database';
import { connect, count } from '../support/db-client';
import { ROOT } from '../support/process';
import { TEST_JWT_SECRET } from '../support/tokens';

const DAY = 86_400_000;
const TENANTS = 150;

function runCli(databaseUrl: string) {
  let out = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/close-periods.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

/** `npm run close-periods` killed with -9 in the middle of a run, then run again. */
describe('period close from the command line, killed mid-run', () => {
  let db: Client;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    const app = await bootApp({ databaseUrl: database.url }); // applies migrations and the catalog
    await app.app.close();
    db = await connect(database.url);
    const start = new Date(Date.now() - 95 * DAY);
    await db.query(
      `INSERT INTO subscriptions (tenant_id, plan_id, period_plan_id, status, interval, anchor_at, started_at, current_period_start, current_period_end, current_period_full_end)
       SELECT 'cli' || g, 'business-monthly', 'business-monthly', 'active', 'month', $1, $1, $1, $1::timestamptz + interval '1 month', $1::timestamptz + interval '1 month'
       FROM generate_series(1, $2) g`,
      [start, TENANTS],
    );
  });
  afterAll(async () => {
    await db.end();
    await database.drop();
  });

  it('finishes on the rerun with exactly one invoice per period and gapless numbers', async () => {
    const first = runCli(database.url);
    const deadline = Date.now() + 60_000;
    while ((await count(db, 'SELECT count(*) FROM invoices')) < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    first.child.kill('SIGKILL');
    await first.exited;
    const partial = await count(db, 'SELECT count(*) FROM invoices');
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(TENANTS * 3);

    const second = runCli(database.url);
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(/period close: \{"subscriptions":\d+/);

    expect(await count(db, 'SELECT count(*) FROM invoices')).toBe(TENANTS * 3);
    expect(await count(db, 'SELECT count(*) FROM (SELECT subscription_id, period_start FROM invoices GROUP BY 1, 2 HAVING count(*) > 1) d')).toBe(0);
    const gaps = await db.query(
      `SELECT tenant_id FROM invoices GROUP BY tenant_id
       HAVING array_agg(number ORDER BY number) <> ARRAY['INV-' || tenant_id || '-000001', 'INV-' || tenant_id || '-000002', 'INV-' || tenant_id || '-000003']`,
    );
    expect(gaps.rows).toEqual([]);
    expect(await count(db, 'SELECT count(*) FROM subscriptions WHERE current_period_end <= now()')).toBe(0);
  });
});

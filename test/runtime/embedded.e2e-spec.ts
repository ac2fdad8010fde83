import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { API } from '../support/http';
import { ServiceProcess, freePort, mintToken, startService, waitForReady } from '../support/process';

/** The service as a process: embedded PostgreSQL by default, data kept across restarts and kills. */
describe('npm start on the embedded engine', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-embedded-'));
  fs.chmodSync(dataDir, 0o755);
  let env: Record<string, string>;
  let svc: ServiceProcess | null = null;
  let pgPort: number;

  beforeAll(async () => {
    pgPort = await freePort();
    env = { DATA_DIR: dataDir, PORT: String(await freePort()), EMBEDDED_PG_PORT: String(pgPort) };
  });
  afterAll(async () => {
    if (svc && svc.child.exitCode === null) {
      svc.child.kill('SIGTERM');
      await svc.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const base = () => `http://127.0.0.1:${env.PORT}`;
  const marker = async (sql: string) => {
    const c = new Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${pgPort}/billing` });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };

  it('starts, generates a JWT key, prints how to mint a token and serves it', async () => {
    svc = startService(env);
    await waitForReady(base());
    expect(svc.output()).toContain('npm run token -- --tenant t1 --role tenant-admin');
    expect(fs.existsSync(path.join(dataDir, 'jwt-secret'))).toBe(true);
    const token = mintToken(env, ['--tenant', 't1', '--role', 'tenant-admin']);
    const res = await fetch(`${base()}${API}/plans`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    await marker('CREATE TABLE restart_marker (v text); INSERT INTO restart_marker VALUES (\'kept\')');
  });

  it('stops on SIGTERM with exit code 0', async () => {
    svc!.child.kill('SIGTERM');
    expect(await svc!.exited).toBe(0);
  });

  it('sees the same data and the same key after a restart', async () => {
    const token = mintToken(env, ['--tenant', 't1', '--role', 'tenant-viewer']);
    svc = startService(env);
    await waitForReady(base());
    expect(await marker('SELECT v FROM restart_marker')).toEqual([{ v: 'kept' }]);
    const res = await fetch(`${base()}${API}/plans/free`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
  });

  it('starts again after kill -9 left its postgres running', async () => {
    svc!.child.kill('SIGKILL');
    await svc!.exited;
    svc = startService(env);
    await waitForReady(base());
    expect(await marker('SELECT v FROM restart_marker')).toEqual([{ v: 'kept' }]);
    svc.child.kill('SIGTERM');
    expect(await svc.exited).toBe(0);
  });
});

describe('start-up configuration errors', () => {
  it('stops with a message naming a bad variable', async () => {
    const svc = startService({ PORT: 'eighty', DATABASE_URL: 'postgres://x@127.0.0.1:1/x', JWT_SECRET: 'x'.repeat(32) });
    expect(await svc.exited).toBe(1);
    expect(svc.output()).toContain('PORT must be an integer');
  });

  it('refuses to start on a real database without a JWT key', async () => {
    const svc = startService({ DATABASE_URL: 'postgres://x@127.0.0.1:1/x' });
    expect(await svc.exited).toBe(1);
    expect(svc.output()).toMatch(/JWT_SECRET or JWT_PUBLIC_KEY is required/);
  });
});

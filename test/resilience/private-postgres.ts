/**
 * Runs a private embedded PostgreSQL (the repo's startEmbeddedPostgres) as its own process, so a
 * test can stop that server (SIGINT to its postmaster) and start it again on the same data and
 * port, never touching the machine's server. Usage: node -r ts-node/register/transpile-only
 * test/resilience/private-postgres.ts <dataDir> <port>; prints `READY <url>`; SIGTERM stops it.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startEmbeddedPostgres } from '../../src/common/database/embedded-postgres';

const ROOT = path.resolve(__dirname, '../..');

export interface PrivatePostgres {
  url: string;
  /** Fast shutdown (SIGINT) of the postmaster: what an outage looks like to clients. */
  kill(): Promise<void>;
  /** Stops the helper process (and its server if still running). */
  close(): Promise<void>;
}

function postmasterPid(dataDir: string): number | null {
  const file = path.join(dataDir, 'pg', 'postmaster.pid');
  if (!fs.existsSync(file)) return null;
  const pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts (or restarts, same data and port) the private server in a helper process. */
export function startPrivatePostgres(dataDir: string, port: number): Promise<PrivatePostgres> {
  const child: ChildProcess = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'test/resilience/private-postgres.ts', dataDir, String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve({
          url: m[1],
          kill: async () => {
            const pid = postmasterPid(dataDir);
            if (pid === null) return;
            process.kill(pid, 'SIGINT');
            const deadline = Date.now() + 20_000;
            while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          },
          close: async () => {
            if (child.exitCode === null) child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(timer);
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`private postgres exited (${code}): ${out}`)));
  });
}

if (require.main === module) {
  const [dataDir, port] = process.argv.slice(2);
  startEmbeddedPostgres(dataDir, Number(port))
    .then((db) => {
      process.stdout.write(`READY ${db.url}\n`);
      const stop = () => {
        db.stop()
          .catch(() => undefined)
          .finally(() => process.exit(0));
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      setInterval(() => undefined, 1 << 30);
    })
    .catch((e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    });
}

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { ChildServer } from './child';
import { ROOT } from './config';

/** `npm run build` (nest build into dist/); the output is shown only when it fails. */
export function buildService(): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5 * 60_000);
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`npm run build failed (${code}):\n${out}`));
    });
  });
}

interface LogEntry {
  level: 'warn' | 'error';
  msg: string;
}

const PINO_LEVEL: Record<number, 'warn' | 'error'> = { 40: 'warn', 50: 'error', 60: 'error' };

/**
 * The real service, `node dist/src/main.js`, on a free loopback port with a fresh random
 * JWT key. It may be stopped and started again (same key, same database).
 */
export class ServiceProcess {
  private child: ChildServer | null = null;
  private readonly logs: LogEntry[] = [];
  private reported = 0;

  /** A second instance on the same database passes the first one's key (tokens valid on both). */
  constructor(
    private readonly databaseUrl: string,
    readonly jwtSecret: string = randomBytes(24).toString('base64url'), // 32 characters
  ) {}

  get running(): boolean {
    return this.child !== null;
  }

  get baseUrl(): string {
    if (!this.child) throw new Error('the service is not running');
    return this.child.baseUrl;
  }

  get pid(): number {
    if (!this.child) throw new Error('the service is not running');
    return this.child.pid;
  }

  async start(): Promise<number> {
    if (this.child) return 0;
    const t0 = performance.now();
    this.child = await ChildServer.start({
      name: 'service',
      // BENCH_SERVICE_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the service.
      args: [...(process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean), path.join(ROOT, 'dist', 'src', 'main.js')],
      cwd: ROOT,
      env: {
        NODE_ENV: 'production',
        DATABASE_URL: this.databaseUrl,
        JWT_SECRET: this.jwtSecret,
        LOG_LEVEL: 'warn',
        PERIOD_CLOSE_CRON: 'off',
      },
      readyPath: '/health/ready',
      readyTimeoutMs: 120_000,
      onLine: (line) => this.collect(line),
    });
    return performance.now() - t0;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    await child?.stop();
  }

  private collect(line: string): void {
    let level: 'warn' | 'error' = 'error';
    let msg = line;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if (typeof entry.level === 'number') {
        if (entry.level < 40) return;
        level = PINO_LEVEL[entry.level] ?? 'error';
      }
      msg = [entry.msg, entry.err?.message].filter(Boolean).join(': ') || line;
    } catch {
      // not JSON: stderr text, counted as an error line
    }
    if (this.logs.length < 10_000) this.logs.push({ level, msg: msg.slice(0, 300) });
  }

  /** Warnings and errors the service logged since the last call, grouped by message. */
  takeLogSummary(): string {
    const fresh = this.logs.slice(this.reported);
    this.reported = this.logs.length;
    if (fresh.length === 0) return 'service log: no warnings or errors';
    const groups = new Map<string, number>();
    for (const e of fresh) groups.set(`${e.level}: ${e.msg}`, (groups.get(`${e.level}: ${e.msg}`) ?? 0) + 1);
    const lines = [...groups].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([m, n]) => `    ${n} × ${m}`);
    const warn = fresh.filter((e) => e.level === 'warn').length;
    return `service log: ${warn} warnings, ${fresh.length - warn} errors\n${lines.join('\n')}`;
  }
}

import { ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import { httpRequest } from './http';

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ChildServerOptions {
  name: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Path polled until it answers 200. */
  readyPath: string;
  readyTimeoutMs: number;
  /** Each output line, e.g. to collect warnings. */
  onLine?: (line: string) => void;
}

const running = new Set<ChildServer>();

/**
 * A server started as a child `node` process on a free loopback port. Every instance is
 * registered so that `stopAllChildren()` (run in a finally and on signals) ends them all.
 */
export class ChildServer {
  readonly tail: string[] = [];
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined = undefined;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly proc: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    void this.exited.then((code) => {
      this.exitCode = code;
      running.delete(this);
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(opts: ChildServerOptions): Promise<ChildServer> {
    const port = await freePort();
    const proc = spawn(process.execPath, opts.args, {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const child = new ChildServer(opts.name, port, proc);
    running.add(child);
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        child.tail.push(line);
        if (child.tail.length > 50) child.tail.shift();
        opts.onLine?.(line);
      }
    };
    proc.stdout!.on('data', collect);
    proc.stderr!.on('data', collect);
    try {
      await child.waitReady(opts.readyPath, opts.readyTimeoutMs);
    } catch (err) {
      await child.stop();
      throw err;
    }
    return child;
  }

  private async waitReady(readyPath: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitCode !== undefined) {
        throw new Error(`${this.name} exited with ${this.exitCode} before it was ready:\n${this.tail.join('\n')}`);
      }
      try {
        const res = await httpRequest({ url: `${this.baseUrl}${readyPath}`, timeoutMs: 2000 });
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.tail.join('\n')}`);
  }

  /** SIGTERM, then SIGKILL after a grace period. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.proc.kill('SIGTERM');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop()));
}

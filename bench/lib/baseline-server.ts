import * as path from 'node:path';
import { ChildServer } from './child';
import { ROOT } from './config';

/** Starts bench/baselines/<file>.ts in its own node process (ts-node, transpile only). */
export function startBaseline(file: string, env: Record<string, string> = {}): Promise<ChildServer> {
  return ChildServer.start({
    name: file,
    args: ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'bench', 'baselines', `${file}.ts`)],
    cwd: ROOT,
    env: { NODE_ENV: 'production', ...env },
    readyPath: '/health',
    readyTimeoutMs: 60_000,
  });
}

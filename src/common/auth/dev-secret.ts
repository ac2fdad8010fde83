import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where the embedded default keeps its generated HS256 secret, so tokens survive restarts. */
export function devSecretPath(dataDir: string): string {
  return path.join(dataDir, 'jwt-secret');
}

export function readDevSecret(dataDir: string): string | null {
  const file = devSecretPath(dataDir);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : null;
}

export function ensureDevSecret(dataDir: string): string {
  const existing = readDevSecret(dataDir);
  if (existing) return existing;
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  fs.writeFileSync(devSecretPath(dataDir), secret, { mode: 0o600 });
  return secret;
}

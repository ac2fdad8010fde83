/**
 * Mints a development JWT: `npm run token -- --tenant t1 --role tenant-admin [--sub alice] [--ttl 3600]`.
 * Signs HS256 with JWT_SECRET, or with the key the embedded default generated under DATA_DIR;
 * with --private-key FILE it signs RS256 (for services configured with JWT_PUBLIC_KEY).
 */
import * as fs from 'node:fs';
import * as jwt from 'jsonwebtoken';
import { loadConfig } from '../src/config/app-config';
import { readDevSecret } from '../src/common/auth/dev-secret';
import { ROLES } from '../src/common/auth/principal';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const config = loadConfig();
const roles = (arg('role') ?? 'tenant-admin').split(',');
for (const r of roles) if (!(ROLES as readonly string[]).includes(r)) fail(`Unknown role ${r}; roles are ${ROLES.join(', ')}`);
const tenant = arg('tenant');
if (!tenant && roles.some((r) => r.startsWith('tenant-'))) fail('Tenant roles need --tenant <tenantId>');
const ttl = Number(arg('ttl') ?? 12 * 3600);
const privateKeyFile = arg('private-key');
const claims: Record<string, unknown> = { sub: arg('sub') ?? `dev-${roles[0]}`, roles };
if (tenant) claims.tenantId = tenant;
const options: jwt.SignOptions = { expiresIn: ttl };
if (config.jwt.issuer) options.issuer = config.jwt.issuer;
if (config.jwt.audience) options.audience = config.jwt.audience;

let token: string;
if (privateKeyFile) {
  token = jwt.sign(claims, fs.readFileSync(privateKeyFile, 'utf8'), { ...options, algorithm: 'RS256' });
} else {
  const secret = config.jwt.secret ?? readDevSecret(config.dataDir);
  if (!secret) fail(`No JWT_SECRET and no generated key in ${config.dataDir}; start the service once (npm start) or set JWT_SECRET`);
  token = jwt.sign(claims, secret, { ...options, algorithm: 'HS256' });
}
process.stdout.write(`${token}\n`);

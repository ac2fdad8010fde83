import * as path from 'node:path';
import { projectRoot } from './project-root';

/** A bad environment value: the message names the variable so the operator can fix it. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
  }
}

export interface AppConfig {
  port: number;
  host: string;
  /** PostgreSQL URL; null means "start the embedded engine". */
  databaseUrl: string | null;
  dataDir: string;
  embeddedPgPort: number;
  dbPoolSize: number;
  migrationsRun: boolean;
  jwt: {
    secret: string | null;
    publicKey: string | null;
    issuer: string | null;
    audience: string | null;
  };
  catalogPath: string;
  bodyLimit: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Pause between rollup compactions on this instance; 0 = this instance never compacts (ROLLUP_COMPACT_INTERVAL_MS). */
  rollupCompactIntervalMs: number;
  /** Six-field cron, or null when PERIOD_CLOSE_CRON=off. */
  periodCloseCron: string | null;
  webhookSigningSecret: string | null;
  webhookAllowPrivate: boolean;
  stripe: {
    secretKey: string | null;
    webhookSecret: string | null;
    apiHost: string | null;
    apiPort: number | null;
    apiProtocol: 'http' | 'https' | null;
  };
  /** Tax rate as a decimal string ("0.2" = 20 %), "0" when none is configured. */
  taxRate: string;
  corsOrigins: string[] | true | false;
  rateLimit: {
    /** Requests per minute per verified caller (tenant, or sub for platform callers); 0 = off. */
    perMinute: number;
    /** Callers with the `service` role are never limited. */
    serviceExempt: boolean;
  };
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function str(env: Env, name: string): string | null {
  const v = env[name];
  return v === undefined || v.trim() === '' ? null : v.trim();
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === null) return def;
  if (!/^\d+$/.test(v)) throw new ConfigError(name, `must be an integer, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const v = str(env, name);
  if (v === null) return def;
  if (/^(true|1|yes|on)$/i.test(v)) return true;
  if (/^(false|0|no|off)$/i.test(v)) return false;
  throw new ConfigError(name, `must be true or false, got "${v}"`);
}

/** Sizes such as 1048576, 512kb, 1mb. */
function bytes(env: Env, name: string, def: number): number {
  const v = str(env, name);
  if (v === null) return def;
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(v);
  if (!m) throw new ConfigError(name, `must be a size such as 1048576, 512kb or 1mb, got "${v}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const n = Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
  if (n < 1024 || n > 100 * 1024 * 1024) throw new ConfigError(name, 'must be between 1kb and 100mb');
  return n;
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const v = str(env, name);
  if (v === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use one of ${protocols.join(', ')}`);
  }
  return v;
}

/** Six fields (seconds first), each made of cron characters; the scheduler validates the rest. */
function cron(env: Env, name: string, def: string): string | null {
  const v = str(env, name) ?? def;
  if (v.toLowerCase() === 'off') return null;
  const fields = v.split(/\s+/);
  if (fields.length !== 6 || !fields.every((f) => /^[\d*/,\-A-Za-z?LW#]+$/.test(f))) {
    throw new ConfigError(name, `must be a six-field cron expression (with seconds) or "off", got "${v}"`);
  }
  return v;
}

function decimalRate(env: Env, name: string): string {
  const v = str(env, name);
  if (v === null) return '0';
  if (!/^(0(\.\d{1,6})?|1(\.0{1,6})?)$/.test(v)) {
    throw new ConfigError(name, `must be a decimal rate between 0 and 1 such as 0.2, got "${v}"`);
  }
  return v;
}

/** Reads and validates the whole configuration at once; throws ConfigError on the first bad value. */
export function loadConfig(env: Env = process.env): AppConfig {
  const logLevel = (str(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const publicKey = str(env, 'JWT_PUBLIC_KEY')?.replace(/\\n/g, '\n') ?? null;
  if (publicKey !== null && !publicKey.includes('BEGIN PUBLIC KEY')) {
    throw new ConfigError('JWT_PUBLIC_KEY', 'must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
  }
  const secret = str(env, 'JWT_SECRET');
  if (secret !== null && secret.length < 16) {
    throw new ConfigError('JWT_SECRET', 'must be at least 16 characters');
  }
  const protocol = str(env, 'STRIPE_API_PROTOCOL');
  if (protocol !== null && protocol !== 'http' && protocol !== 'https') {
    throw new ConfigError('STRIPE_API_PROTOCOL', `must be http or https, got "${protocol}"`);
  }
  const cors = str(env, 'CORS_ORIGINS');
  return {
    port: int(env, 'PORT', 8087, 0, 65535),
    host: str(env, 'HOST') ?? '0.0.0.0',
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: path.resolve(str(env, 'DATA_DIR') ?? path.join(projectRoot(), 'data')),
    embeddedPgPort: int(env, 'EMBEDDED_PG_PORT', 5488, 1024, 65535),
    dbPoolSize: int(env, 'DB_POOL_SIZE', 20, 1, 500),
    migrationsRun: bool(env, 'MIGRATIONS_RUN', true),
    jwt: {
      secret,
      publicKey,
      issuer: str(env, 'JWT_ISSUER'),
      audience: str(env, 'JWT_AUDIENCE'),
    },
    catalogPath: path.resolve(str(env, 'CATALOG_PATH') ?? path.join(projectRoot(), 'catalog', 'default.json')),
    bodyLimit: bytes(env, 'BODY_LIMIT', 1024 * 1024),
    logLevel: logLevel as AppConfig['logLevel'],
    rollupCompactIntervalMs: int(env, 'ROLLUP_COMPACT_INTERVAL_MS', 1000, 0, 3_600_000),
    periodCloseCron: cron(env, 'PERIOD_CLOSE_CRON', '0 */5 * * * *'),
    webhookSigningSecret: str(env, 'WEBHOOK_SIGNING_SECRET'),
    webhookAllowPrivate: bool(env, 'WEBHOOK_ALLOW_PRIVATE', false),
    stripe: {
      secretKey: str(env, 'STRIPE_SECRET_KEY'),
      webhookSecret: str(env, 'STRIPE_WEBHOOK_SECRET'),
      apiHost: str(env, 'STRIPE_API_HOST'),
      apiPort: str(env, 'STRIPE_API_PORT') === null ? null : int(env, 'STRIPE_API_PORT', 443, 1, 65535),
      apiProtocol: protocol as 'http' | 'https' | null,
    },
    taxRate: decimalRate(env, 'TAX_RATE'),
    corsOrigins: cors === null ? false : cors === '*' ? true : cors.split(',').map((o) => o.trim()),
    rateLimit: {
      perMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 6000, 0, 10_000_000),
      serviceExempt: bool(env, 'RATE_LIMIT_SERVICE_EXEMPT', true),
    },
  };
}

/** True when the service starts its own PostgreSQL. */
export function usesEmbeddedDatabase(config: AppConfig): boolean {
  return config.databaseUrl === null;
}

import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('has the contract defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8087,
      databaseUrl: null,
      bodyLimit: 1024 * 1024,
      periodCloseCron: '0 */5 * * * *',
      rollupCompactIntervalMs: 1000,
      webhookAllowPrivate: false,
      taxRate: '0',
      logLevel: 'info',
    });
    expect(c.catalogPath).toMatch(/catalog[/\\]default\.json$/);
    expect(c.dataDir).toMatch(/data$/);
  });

  it('reads overrides', () => {
    const c = loadConfig({ PORT: '9000', BODY_LIMIT: '2mb', PERIOD_CLOSE_CRON: 'off', WEBHOOK_ALLOW_PRIVATE: 'true', TAX_RATE: '0.2', ROLLUP_COMPACT_INTERVAL_MS: '0' });
    expect(c).toMatchObject({ port: 9000, bodyLimit: 2 * 1024 * 1024, periodCloseCron: null, webhookAllowPrivate: true, taxRate: '0.2', rollupCompactIntervalMs: 0 });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'not a url'],
    ['BODY_LIMIT', 'huge'],
    ['PERIOD_CLOSE_CRON', '*/5 * * * *'],
    ['LOG_LEVEL', 'loud'],
    ['JWT_SECRET', 'short'],
    ['JWT_PUBLIC_KEY', 'not-a-pem'],
    ['WEBHOOK_ALLOW_PRIVATE', 'maybe'],
    ['TAX_RATE', '20%'],
    ['STRIPE_API_PROTOCOL', 'ftp'],
    ['DB_POOL_SIZE', '0'],
    ['ROLLUP_COMPACT_INTERVAL_MS', '-1'],
  ])('refuses %s=%s with a message naming it', (name, value) => {
    let err: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
    expect((err as Error).message).toContain(name);
  });
});

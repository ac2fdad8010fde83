import { createHmac } from 'node:crypto';
import { retryDelayMs, retryWindowOver } from './retry-backoff';
import { signWebhook, verifyWebhook } from './webhook-signature';
import { checkWebhookUrl, isPrivateAddress } from './webhook-target';

describe('webhook URLs', () => {
  it.each([
    'http://127.0.0.1:8080/x',
    'http://127.9.9.9/',
    'http://10.1.2.3/',
    'http://172.16.0.1/',
    'http://172.31.255.255/',
    'http://192.168.1.1/',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]/',
    'http://[fd00::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://localhost:3000/',
    'http://LOCALHOST./',
    'http://api.localhost/',
    'http://0.0.0.0/',
    'http://2130706433/',
  ])('refuses %s', (url) => {
    expect(checkWebhookUrl(url, false)).toMatchObject({ ok: false, reason: 'private' });
    expect(checkWebhookUrl(url, true)).toMatchObject({ ok: true });
  });

  it('accepts public http(s) addresses and names', () => {
    for (const url of ['https://hooks.example.com/billing', 'http://8.8.8.8/x', 'http://172.32.0.1/', 'https://[2001:db8::1]/']) {
      expect(checkWebhookUrl(url, false)).toMatchObject({ ok: true });
    }
  });

  it('refuses other schemes and malformed URLs', () => {
    expect(checkWebhookUrl('ftp://example.com/x', true)).toMatchObject({ ok: false, reason: 'scheme' });
    expect(checkWebhookUrl('file:///etc/passwd', true)).toMatchObject({ ok: false, reason: 'scheme' });
    expect(checkWebhookUrl('not a url', true)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('classifies resolved addresses', () => {
    expect(isPrivateAddress('10.0.0.1')).toBe(true);
    expect(isPrivateAddress('fe80::1')).toBe(true);
    expect(isPrivateAddress('93.184.216.34')).toBe(false);
    expect(isPrivateAddress('example.com')).toBe(false);
  });
});

describe('webhook signature', () => {
  it('is t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const body = '{"type":"cost_alert.triggered"}';
    const header = signWebhook('whsec', body, new Date('2025-01-01T00:00:00Z'));
    const expected = createHmac('sha256', 'whsec').update(`1735689600.${body}`).digest('hex');
    expect(header).toBe(`t=1735689600,v1=${expected}`);
    expect(verifyWebhook('whsec', body, header, 300, new Date('2025-01-01T00:01:00Z'))).toBe(true);
    expect(verifyWebhook('whsec', `${body} `, header, 300, new Date('2025-01-01T00:01:00Z'))).toBe(false);
    expect(verifyWebhook('other', body, header, 300, new Date('2025-01-01T00:01:00Z'))).toBe(false);
    expect(verifyWebhook('whsec', body, header, 300, new Date('2025-01-01T01:00:00Z'))).toBe(false);
  });
});

describe('retry backoff', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => retryDelayMs(n, 1000, 60_000))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  });

  it('gives up once the delivery is older than the window', () => {
    const created = new Date('2025-01-01T00:00:00Z');
    expect(retryWindowOver(created, new Date('2025-01-01T00:14:59Z'), 15 * 60_000)).toBe(false);
    expect(retryWindowOver(created, new Date('2025-01-01T00:15:00Z'), 15 * 60_000)).toBe(true);
  });
});

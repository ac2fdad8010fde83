import * as jwt from 'jsonwebtoken';
import { VerifiedTokens } from './verified-tokens';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const principal = { sub: 'a', tenantId: 't1', roles: ['tenant-admin' as const] };

describe('VerifiedTokens', () => {
  let now = 1_800_000_000_000;
  const clock = () => now;
  const signed = (claims: object) => jwt.sign(claims, 'secret', { algorithm: 'HS256', noTimestamp: true });

  it('keeps a verified token until its exp, not a millisecond longer', () => {
    const tokens = new VerifiedTokens(10, clock);
    const t = signed({ sub: 'a', exp: now / 1000 + 60 });
    tokens.remember(t, principal);
    expect(tokens.get(t)).toEqual(principal);
    now += 59_999;
    expect(tokens.get(t)).toEqual(principal);
    now += 1;
    expect(tokens.get(t)).toBeNull();
    expect(tokens.size).toBe(0);
  });

  it('keeps nothing without a numeric exp, or already expired', () => {
    const tokens = new VerifiedTokens(10, clock);
    for (const t of [signed({ sub: 'a' }), `${b64({ alg: 'HS256' })}.${b64({ sub: 'a', exp: '9999999999' })}.sig`, signed({ sub: 'a', exp: now / 1000 - 1 }), 'not.a.jwt', 'garbage']) {
      tokens.remember(t, principal);
      expect(tokens.get(t)).toBeNull();
    }
  });

  it('is bounded, dropping the oldest', () => {
    const tokens = new VerifiedTokens(2, clock);
    const ts = [1, 2, 3].map((i) => signed({ sub: `s${i}`, exp: now / 1000 + 60 }));
    for (const t of ts) tokens.remember(t, principal);
    expect(tokens.size).toBe(2);
    expect(tokens.get(ts[0])).toBeNull();
    expect(tokens.get(ts[2])).toEqual(principal);
  });

  it('hands out a frozen principal', () => {
    const tokens = new VerifiedTokens(10, clock);
    const t = signed({ sub: 'a', exp: now / 1000 + 60 });
    tokens.remember(t, principal);
    expect(Object.isFrozen(tokens.get(t))).toBe(true);
    expect(Object.isFrozen(tokens.get(t)!.roles)).toBe(true);
  });
});

import { StripeKeys, requestWindow } from './idempotency-keys';

describe('Stripe idempotency keys', () => {
  const at = new Date('2026-01-01T10:00:30Z');

  it('gives one customer key per tenant', () => {
    expect(StripeKeys.customer('t1')).toBe('customer:t1');
  });

  it('derives the checkout key from tenant, every parameter and the request window', () => {
    const params = { planId: 'pro', successUrl: 'https://a' };
    const key = StripeKeys.checkout('t1', params, requestWindow(undefined, at));
    expect(key).toMatch(/^checkout:t1:[0-9a-f]{40}$/);
    expect(StripeKeys.checkout('t1', { successUrl: 'https://a', planId: 'pro' }, requestWindow(undefined, new Date('2026-01-01T10:00:59Z')))).toBe(key);
    expect(StripeKeys.checkout('t1', params, requestWindow(undefined, new Date('2026-01-01T10:01:00Z')))).not.toBe(key);
    expect(StripeKeys.checkout('t2', params, requestWindow(undefined, at))).not.toBe(key);
    expect(StripeKeys.checkout('t1', { ...params, planId: 'team' }, requestWindow(undefined, at))).not.toBe(key);
  });

  it("follows the caller's Idempotency-Key when there is one, whatever the time", () => {
    const a = StripeKeys.portal('t1', { returnUrl: 'https://a' }, requestWindow('k1', at));
    expect(StripeKeys.portal('t1', { returnUrl: 'https://a' }, requestWindow('k1', new Date('2026-01-02T00:00:00Z')))).toBe(a);
    expect(StripeKeys.portal('t1', { returnUrl: 'https://a' }, requestWindow('k2', at))).not.toBe(a);
  });

  it('keys a payment intent by invoice and amount, and a replacement by the one it replaces', () => {
    expect(StripeKeys.paymentIntent('inv', 1200, null)).toBe('payment-intent:inv:1200');
    expect(StripeKeys.paymentIntent('inv', 1200, 'pi_1')).toBe('payment-intent:inv:1200:replaces:pi_1');
  });
});

import Stripe from 'stripe';
import { loadConfig } from '../config/app-config';
import { SdkStripeGateway, redactSecrets, stripeProblem } from './sdk-stripe.gateway';

const SECRET = 'whsec_unit_0123456789';

function gateway(env: Record<string, string> = {}): SdkStripeGateway {
  return new SdkStripeGateway(loadConfig({ STRIPE_SECRET_KEY: 'sk_test_unit', STRIPE_WEBHOOK_SECRET: SECRET, ...env }));
}

function signed(payload: string, timestamp = Math.floor(Date.now() / 1000), secret = SECRET): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

const event = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', created: 1764500000, data: { object: { id: 'pi_1' } } });

describe('SdkStripeGateway.verifyEvent', () => {
  it('accepts a correctly signed event and exposes id, type, created and data.object', () => {
    expect(gateway().verifyEvent(Buffer.from(event), signed(event))).toEqual({ id: 'evt_1', type: 'payment_intent.succeeded', created: 1764500000, object: { id: 'pi_1' } });
  });

  it.each([
    ['missing', undefined],
    ['garbage', 'nonsense'],
    ['another secret', signed(event, undefined, 'whsec_other')],
    ['stale', signed(event, Math.floor(Date.now() / 1000) - 301)],
  ])('refuses a %s signature with INVALID_SIGNATURE', (_name, header) => {
    expect(() => gateway().verifyEvent(Buffer.from(event), header)).toThrow(expect.objectContaining({ code: 'INVALID_SIGNATURE', status: 400 }));
  });

  it('refuses a body that differs from the signed bytes', () => {
    expect(() => gateway().verifyEvent(Buffer.from(`${event} `), signed(event))).toThrow(expect.objectContaining({ code: 'INVALID_SIGNATURE' }));
  });

  it('answers 503 without STRIPE_WEBHOOK_SECRET', () => {
    const g = new SdkStripeGateway(loadConfig({}));
    expect(g.webhookConfigured).toBe(false);
    expect(g.apiConfigured).toBe(false);
    expect(() => g.verifyEvent(Buffer.from(event), signed(event))).toThrow(expect.objectContaining({ code: 'STRIPE_NOT_CONFIGURED', status: 503 }));
  });
});

describe('stripeProblem', () => {
  it("maps a declined card to 422 UNPROCESSABLE with Stripe's message and decline code", () => {
    const err = Stripe.errors.StripeError.generate({ type: 'card_error', message: 'Your card was declined.', code: 'card_declined', decline_code: 'insufficient_funds', statusCode: 402 });
    expect(stripeProblem(err).toBody()).toMatchObject({
      status: 422,
      code: 'UNPROCESSABLE',
      detail: 'Your card was declined.',
      stripe: { type: 'card_error', code: 'card_declined', declineCode: 'insufficient_funds', statusCode: 402 },
    });
  });

  it.each(['api_error', 'invalid_request_error', 'idempotency_error', 'rate_limit_error'])('maps %s to 502 STRIPE_ERROR', (type) => {
    const err = Stripe.errors.StripeError.generate({ type: type as never, message: 'Stripe says no', statusCode: 400 });
    expect(stripeProblem(err).toBody()).toMatchObject({ status: 502, code: 'STRIPE_ERROR', detail: 'Stripe says no' });
  });

  it('never echoes a key Stripe quotes back', () => {
    const err = Stripe.errors.StripeError.generate({ type: 'invalid_request_error', message: 'Invalid API Key provided: sk_live_abc***xyz', statusCode: 401 });
    expect(stripeProblem(err).detail).toBe('Invalid API Key provided: [redacted key]');
  });
});

describe('redactSecrets', () => {
  it('removes API keys and webhook secrets', () => {
    expect(redactSecrets('key sk_test_123 rk_live_9 secret whsec_abc done')).toBe('key [redacted key] [redacted key] secret [redacted secret] done');
  });
});

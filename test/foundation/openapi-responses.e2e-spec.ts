import { responseMismatch } from '../support/openapi-responses';

/** The check every e2e response goes through (test/support/http.ts): it must catch drift. */
describe('responses are validated against openapi.json', () => {
  const problem = { type: 'urn:billing:problem:not-found', title: 'Not found', status: 404, detail: 'x', code: 'NOT_FOUND' };

  it('takes null where the service answers null (pendingChange, discount, an enum reason)', () => {
    expect(responseMismatch('POST', '/api/v1/billing/coupons/validate', 200, 'application/json', { valid: true, reason: null, coupon: null })).toBeNull();
    expect(responseMismatch('POST', '/api/v1/billing/coupons/validate', 200, 'application/json', { valid: false, reason: 'BOGUS', coupon: null })).toMatch(/reason/);
    expect(responseMismatch('POST', '/api/v1/billing/coupons/validate', 200, 'application/json', { valid: false, reason: 'EXPIRED', coupon: 'x' })).toMatch(/coupon/);
  });

  it('refuses a wrong shape, an undocumented status and a wrong media type', () => {
    expect(responseMismatch('GET', '/api/v1/billing/plans/pro', 200, 'application/json', { id: 42 })).toMatch(/must/);
    expect(responseMismatch('GET', '/api/v1/billing/plans/pro', 418, 'application/problem+json', problem)).toMatch(/status not documented/);
    expect(responseMismatch('GET', '/api/v1/billing/invoices/00000000-0000-4000-8000-000000000000/pdf', 404, 'application/pdf', problem)).toMatch(/media type/);
    expect(responseMismatch('GET', '/api/v1/billing/invoices/00000000-0000-4000-8000-000000000000/pdf', 404, 'application/problem+json', problem)).toBeNull();
  });

  it('leaves routes the document does not describe alone', () => {
    expect(responseMismatch('GET', '/api/v1/billing/probe/x', 500, 'application/json', {})).toBeNull();
  });
});

import { NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { ProblemError } from './problem';
import { isDatabaseUnavailable, toProblem } from './problem-filter';

describe('toProblem', () => {
  it('keeps domain errors with their code and extras', () => {
    const { body, unexpected } = toProblem(new ProblemError('COUPON_EXHAUSTED', 'no more', { couponId: 'c' }));
    expect(body).toMatchObject({ status: 409, code: 'COUPON_EXHAUSTED', detail: 'no more', couponId: 'c', type: 'urn:billing:problem:coupon-exhausted' });
    expect(unexpected).toBe(false);
  });

  it('maps Nest HTTP exceptions to contract codes', () => {
    expect(toProblem(new NotFoundException()).body.code).toBe('NOT_FOUND');
    expect(toProblem(new PayloadTooLargeException()).body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('hides SQL and unknown errors behind a bare 500', () => {
    const { body, unexpected } = toProblem(new QueryFailedError('SELECT secret FROM t', [], new Error('syntax error at SELECT')));
    expect(body).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(JSON.stringify(body)).not.toMatch(/SELECT|syntax/);
    expect(unexpected).toBe(true);
  });

  it('answers 503 UNAVAILABLE when the database cannot be reached', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailable(refused)).toBe(true);
    expect(toProblem(refused).body).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('duplicate key'))).toBe(false);
  });

  it('maps Fastify client errors by their status', () => {
    expect(toProblem(Object.assign(new Error('too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' })).body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(toProblem(Object.assign(new Error('bad'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' })).body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

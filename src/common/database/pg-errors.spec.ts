import { QueryFailedError } from 'typeorm';
import { isCheckViolation, isUniqueViolation, pgError } from './pg-errors';

const failed = (code: string, constraint?: string) => new QueryFailedError('INSERT …', [], Object.assign(new Error('x'), { code, constraint }));

describe('pg-errors', () => {
  it('reads the SQLSTATE and constraint behind TypeORM, or of a pg error as it came', () => {
    expect(pgError(failed('23505', 'c'))).toMatchObject({ code: '23505', constraint: 'c' });
    expect(pgError({ code: '23505' })).toMatchObject({ code: '23505' });
    expect(pgError(new Error('plain'))).toBeUndefined();
  });

  it('tells a unique violation, on one constraint when named, and a check violation by prefix', () => {
    expect(isUniqueViolation(failed('23505', 'coupons_code_ci'))).toBe(true);
    expect(isUniqueViolation(failed('23505', 'coupons_code_ci'), 'coupons_code_ci')).toBe(true);
    expect(isUniqueViolation(failed('23505', 'other'), 'coupons_code_ci')).toBe(false);
    expect(isUniqueViolation(failed('23514', 'coupons_code_ci'))).toBe(false);
    expect(isCheckViolation(failed('23514', 'coupons_max'), 'coupons_')).toBe(true);
    expect(isCheckViolation(failed('23514', 'invoices_x'), 'coupons_')).toBe(false);
  });
});

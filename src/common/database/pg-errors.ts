import { QueryFailedError } from 'typeorm';

/** The SQLSTATEs the service turns into answers (PostgreSQL, Appendix A). */
const UNIQUE_VIOLATION = '23505';
const CHECK_VIOLATION = '23514';

interface PgError {
  code?: string;
  constraint?: string;
}

/** The driver's error behind TypeORM's wrapper (or a pg error as it came). */
export function pgError(err: unknown): PgError | undefined {
  if (err instanceof QueryFailedError) return err.driverError as PgError;
  if (err !== null && typeof err === 'object' && 'code' in err) return err as PgError;
  return undefined;
}

/** A unique violation, on `constraint` when given: the database said "already there". */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = pgError(err);
  return e?.code === UNIQUE_VIOLATION && (constraint === undefined || e.constraint === constraint);
}

/** A check violation on a constraint whose name starts with `prefix`. */
export function isCheckViolation(err: unknown, prefix = ''): boolean {
  const e = pgError(err);
  return e?.code === CHECK_VIOLATION && (e.constraint ?? '').startsWith(prefix);
}

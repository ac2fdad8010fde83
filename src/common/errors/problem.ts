/** Machine codes of the contract, each with its HTTP status and a human title. */
export const PROBLEM_CODES = {
  VALIDATION_FAILED: [400, 'Validation failed'],
  INVALID_SIGNATURE: [400, 'Invalid signature'],
  UNAUTHORIZED: [401, 'Unauthorized'],
  FORBIDDEN: [403, 'Forbidden'],
  NOT_FOUND: [404, 'Not found'],
  METHOD_NOT_ALLOWED: [405, 'Method not allowed'],
  NOT_ACCEPTABLE: [406, 'Not acceptable'],
  INVALID_STATE: [409, 'Invalid state'],
  SUBSCRIPTION_EXISTS: [409, 'Subscription exists'],
  NO_LIVE_SUBSCRIPTION: [409, 'No live subscription'],
  DUPLICATE_CODE: [409, 'Duplicate code'],
  COUPON_EXHAUSTED: [409, 'Coupon exhausted'],
  ALREADY_REDEEMED: [409, 'Already redeemed'],
  IDEMPOTENCY_CONFLICT: [409, 'Idempotency key reused with another request'],
  IDEMPOTENCY_IN_PROGRESS: [409, 'Idempotency key in progress'],
  PAYLOAD_TOO_LARGE: [413, 'Payload too large'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'Unsupported media type'],
  UNKNOWN_METRIC: [422, 'Unknown metric'],
  UNKNOWN_PLAN: [422, 'Unknown plan'],
  PLAN_INACTIVE: [422, 'Plan inactive'],
  UNKNOWN_COST_CENTER: [422, 'Unknown cost center'],
  CURRENCY_MISMATCH: [422, 'Currency mismatch'],
  UNPROCESSABLE: [422, 'Unprocessable request'],
  RATE_LIMITED: [429, 'Too many requests'],
  INTERNAL: [500, 'Internal error'],
  STRIPE_ERROR: [502, 'Stripe error'],
  STRIPE_NOT_CONFIGURED: [503, 'Stripe not configured'],
  UNAVAILABLE: [503, 'Service unavailable'],
} as const satisfies Record<string, readonly [number, string]>;

export type ProblemCode = keyof typeof PROBLEM_CODES;

export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 body, plus the contract's machine `code` and validation `errors`. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export function problemType(code: ProblemCode): string {
  return `urn:billing:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

/**
 * The one error type domains throw: a contract code, a detail for humans and optional extra
 * members. The global filter turns it into problem+json.
 */
export class ProblemError extends Error {
  readonly status: number;

  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.status = PROBLEM_CODES[code][0];
  }

  toBody(): ProblemBody {
    return {
      type: problemType(this.code),
      title: PROBLEM_CODES[this.code][1],
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...this.extra,
    };
  }
}

export class ValidationFailed extends ProblemError {
  constructor(errors: FieldError[], detail?: string) {
    super('VALIDATION_FAILED', detail ?? errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
  }
}

export const notFound = (what: string): ProblemError => new ProblemError('NOT_FOUND', `${what} not found`);

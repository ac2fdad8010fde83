import { Injectable, PipeTransform } from '@nestjs/common';
import { ProblemError } from '../errors/problem';
import { TENANT_ID_PATTERN } from '../auth/principal';

/** Tenant ids are opaque strings of 1–64 `[A-Za-z0-9_-]`. */
@Injectable()
export class TenantIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    // A malformed id in a path names no resource (CONTRACT.md, Settled details), as Stripe answers.
    if (typeof value !== 'string' || !TENANT_ID_PATTERN.test(value)) throw new ProblemError('NOT_FOUND', 'No tenant has this id (a tenant id is 1 to 64 characters of A-Z, a-z, 0-9, _ and -)');
    return value;
  }
}

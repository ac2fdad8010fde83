import { Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailed } from '../errors/problem';
import { TENANT_ID_PATTERN } from '../auth/principal';

/** Tenant ids are opaque strings of 1–64 `[A-Za-z0-9_-]`. */
@Injectable()
export class TenantIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !TENANT_ID_PATTERN.test(value)) {
      throw new ValidationFailed([{ path: 'tenantId', message: 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -' }]);
    }
    return value;
  }
}

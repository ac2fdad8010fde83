import { Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailed } from '../errors/problem';

/** For actions that take no input: an absent or empty JSON object, nothing else (unknown fields are 400). */
@Injectable()
export class EmptyBodyPipe implements PipeTransform<unknown, Record<string, never>> {
  transform(value: unknown): Record<string, never> {
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) throw new ValidationFailed([{ path: '(body)', message: 'must be an empty JSON object' }]);
    const keys = Object.keys(value);
    if (keys.length > 0) throw new ValidationFailed(keys.map((path) => ({ path, message: 'is not a known field' })));
    return {};
  }
}

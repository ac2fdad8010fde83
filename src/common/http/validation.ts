import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ValidationFailed } from '../errors/problem';

/** Flattens class-validator's tree into contract paths: `events[3].quantity`. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const segment = /^\d+$/.test(e.property) ? `[${e.property}]` : parent ? `.${e.property}` : e.property;
    const path = `${parent}${segment}`;
    for (const message of Object.values(e.constraints ?? {})) {
      // The property name is client text (an object key): stripped as a plain prefix, never as a pattern.
      const text = message.replace(/^property \S+ /, '');
      out.push({ path, message: text.startsWith(`${e.property} `) ? text.slice(e.property.length + 1) : text });
    }
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, path));
  }
  return out;
}

/**
 * Own keys of a body that name a property every object inherits (`toString`, `constructor`,
 * `valueOf`, …) or `prototype`: class-transformer skips them when it builds the DTO, so the
 * whitelist never sees them and they would be dropped silently. Paths as the contract writes them.
 */
export function inheritedNameKeys(value: unknown, parent = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v]) : Object.entries(value);
  for (const [key, child] of entries) {
    const path = key.startsWith('[') ? `${parent}${key}` : parent ? `${parent}.${key}` : key;
    if (!key.startsWith('[') && (key in Object.prototype || key === 'prototype')) out.push(path);
    out.push(...inheritedNameKeys(child, path));
  }
  return out;
}

class ContractValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const inherited = inheritedNameKeys(value);
      if (inherited.length > 0) throw new ValidationFailed(inherited.map((path) => ({ path, message: 'should not exist' })));
    }
    return super.transform(value, metadata);
  }
}

/** Global pipe: unknown fields are refused, payloads become DTO instances, errors list field paths. */
export function createValidationPipe(): ValidationPipe {
  return new ContractValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailed(flattenValidationErrors(errors)),
  });
}

import { ValidationError, ValidationPipe } from '@nestjs/common';
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

/** Global pipe: unknown fields are refused, payloads become DTO instances, errors list field paths. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailed(flattenValidationErrors(errors)),
  });
}

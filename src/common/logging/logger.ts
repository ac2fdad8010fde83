import type { LoggerService } from '@nestjs/common';
import pino, { Logger as Pino } from 'pino';

/** Headers and fields that must never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["stripe-signature"]',
  'req.headers.cookie',
  '*.secret',
  '*.secretKey',
  '*.password',
  '*.clientSecret',
];

/** One JSON-lines logger for Fastify's request logs and Nest's own messages. */
export function createLogger(level: string, destination?: pino.DestinationStream): Pino {
  return pino(
    {
      level,
      base: { service: 'billing-service' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ sync: false }),
  );
}

/** Nest's LoggerService on top of pino, so framework messages are JSON lines too. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  log(message: unknown, context?: string): void {
    this.pino.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    // Nest passes (message, context) when there is no stack.
    const ctx = context ?? (trace && !trace.includes('\n') ? trace : undefined);
    this.pino.error({ context: ctx }, String(message).split('\n')[0]);
  }
  warn(message: unknown, context?: string): void {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.pino.trace({ context }, String(message));
  }
}

type LogMethod = (...args: unknown[]) => void;

/**
 * The per-request logger Fastify hands every request (`request.log`), made only when something
 * logs through it. pino's child() serializes the bindings (through the redaction above) at
 * creation: on every request that is a few percent of a quota check or an ingest, and with
 * request logging off almost no request ever logs.
 */
export class LazyChildLogger {
  private made: Pino | undefined;

  constructor(
    private readonly parent: Pino,
    private readonly bindingsGiven: pino.Bindings,
    private readonly options: pino.ChildLoggerOptions,
  ) {}

  private real(): Pino {
    return (this.made ??= this.parent.child(this.bindingsGiven, this.options));
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }
  set level(level: string) {
    this.real().level = level;
  }
  isLevelEnabled(level: string): boolean {
    return this.real().isLevelEnabled(level);
  }
  bindings(): pino.Bindings {
    return this.real().bindings();
  }
  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Pino {
    return this.real().child(bindings, options);
  }
  fatal(...args: unknown[]): void {
    (this.real().fatal as LogMethod)(...args);
  }
  error(...args: unknown[]): void {
    (this.real().error as LogMethod)(...args);
  }
  warn(...args: unknown[]): void {
    (this.real().warn as LogMethod)(...args);
  }
  info(...args: unknown[]): void {
    (this.real().info as LogMethod)(...args);
  }
  debug(...args: unknown[]): void {
    (this.real().debug as LogMethod)(...args);
  }
  trace(...args: unknown[]): void {
    (this.real().trace as LogMethod)(...args);
  }
  silent(): void {}
}

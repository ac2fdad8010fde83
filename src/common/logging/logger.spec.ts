import { Writable } from 'node:stream';
import type pino from 'pino';
import { LazyChildLogger, createLogger } from './logger';

function capture(level = 'info'): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  // A synchronous destination, so lines are there when the assertion runs.
  const logger = createLogger(level, sink as unknown as pino.DestinationStream);
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('LazyChildLogger', () => {
  it('makes no pino child until something logs, then logs with the bindings and the redaction of a child', () => {
    const { logger, lines } = capture();
    const child = jest.spyOn(logger, 'child');
    const lazy = new LazyChildLogger(logger, { requestId: 'r-1' }, {});
    expect(lazy.level).toBe('info');
    lazy.debug('below the level');
    expect(child).toHaveBeenCalledTimes(1);
    lazy.info({ req: { headers: { authorization: 'Bearer secret-token' } } }, 'hello');
    lazy.error('second');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines()).toEqual([
      expect.objectContaining({ level: 'info', requestId: 'r-1', service: 'billing-service', msg: 'hello', req: { headers: { authorization: '[redacted]' } } }),
      expect.objectContaining({ level: 'error', requestId: 'r-1', msg: 'second' }),
    ]);
  });

  it('is not made at all for a request that never logs', () => {
    const { logger } = capture();
    const child = jest.spyOn(logger, 'child');
    const lazy = new LazyChildLogger(logger, { requestId: 'r-2' }, {});
    expect(typeof lazy.info).toBe('function');
    expect(lazy.level).toBe('info');
    expect(child).not.toHaveBeenCalled();
  });

  it('honours a route log level and nested children', () => {
    const { logger, lines } = capture();
    const lazy = new LazyChildLogger(logger, { requestId: 'r-3' }, { level: 'warn' });
    expect(lazy.level).toBe('warn');
    lazy.info('dropped');
    lazy.child({ step: 'x' }).warn('kept');
    expect(lazy.isLevelEnabled('info')).toBe(false);
    expect(lines()).toEqual([expect.objectContaining({ level: 'warn', requestId: 'r-3', step: 'x', msg: 'kept' })]);
  });
});

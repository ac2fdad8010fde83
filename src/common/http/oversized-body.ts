import type { FastifyInstance } from 'fastify';

/** The most of a refused body read and thrown away so that its client can read the 413. */
export const OVERSIZED_DRAIN_BYTES = 32 * 1024 * 1024;
/** How long that may take before the connection is closed all the same. */
export const OVERSIZED_DRAIN_MS = 10_000;

/**
 * A body over BODY_LIMIT is answered 413 and the connection closed (the client may still be
 * sending). Closed at once, a client that writes its whole request before it reads (most do) met
 * a reset connection (EPIPE) instead of the 413. So the answer waits while the rest of the body is
 * read and discarded, up to OVERSIZED_DRAIN_BYTES or OVERSIZED_DRAIN_MS; past either it goes out
 * and the connection closes anyway, so a client cannot hold the server with an endless body.
 */
export function registerOversizedBodyDrain(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const raw = request.raw;
    if (reply.statusCode !== 413 || raw.complete || raw.destroyed) {
      done(null, payload);
      return;
    }
    let drained = 0;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      raw.removeListener('data', onData);
      raw.removeListener('end', finish);
      raw.removeListener('error', finish);
      raw.removeListener('close', finish);
      done(null, payload);
    };
    const onData = (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > OVERSIZED_DRAIN_BYTES) finish();
    };
    const timer = setTimeout(finish, OVERSIZED_DRAIN_MS);
    raw.on('data', onData);
    raw.once('end', finish);
    raw.once('error', finish);
    raw.once('close', finish);
    raw.resume();
  });
}

import * as net from 'node:net';
import { OVERSIZED_DRAIN_MS } from '../../src/common/http/oversized-body';
import { API } from '../support/http';
import { tenantAdmin } from '../support/tokens';
import { useApp } from '../support/suite';

/**
 * A client that writes its whole request before it reads (as many do): the 10 MB body, then the
 * answer. Resolves with the answer's status line and body, or the socket error met while writing.
 */
function writeThenRead(baseUrl: string, path: string, size: number, chunked: boolean): Promise<{ head?: string; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const url = new URL(path, baseUrl);
    const socket = net.connect(Number(url.port), url.hostname);
    const received: Buffer[] = [];
    let error: string | undefined;
    socket.on('data', (c) => received.push(c));
    socket.on('error', (e) => (error ??= (e as NodeJS.ErrnoException).code ?? e.message));
    socket.on('close', () => {
      const text = Buffer.concat(received).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      resolve(error !== undefined && text === '' ? { error } : { head, body: rest.join('\r\n\r\n'), error });
    });
    socket.on('connect', async () => {
      const headers = [`POST ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, `Authorization: Bearer ${tenantAdmin()}`, 'Content-Type: application/json'];
      headers.push(chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${size}`);
      const write = (b: string | Buffer) => new Promise<void>((ok) => (socket.write(b) ? ok() : socket.once('drain', ok)));
      await write(`${headers.join('\r\n')}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      for (let sent = 0; sent < size && error === undefined; sent += chunk.length) {
        await write(chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
      }
      if (chunked && error === undefined) await write('0\r\n\r\n');
      // Only now read: the answer must still be there.
      socket.end();
    });
  });
}

/** CONTRACT.md, Runtime: bodies over BODY_LIMIT get 413, and a client can read it. */
describe('a body over the limit', () => {
  const { app } = useApp();

  it.each([false, true])('answers 413 PAYLOAD_TOO_LARGE to a client that writes 10 MB before it reads (chunked: %s)', async (chunked) => {
    for (let i = 0; i < 5; i++) {
      const res = await writeThenRead(app().baseUrl, `${API}/cost-centers`, 10 * 1024 * 1024, chunked);
      expect(res.error).toBeUndefined();
      expect(res.head).toMatch(/^HTTP\/1\.1 413 /);
      expect(res.head).toMatch(/content-type: application\/problem\+json/i);
      expect(JSON.parse(res.body!)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    }
  });

  it('stops reading past the drain cap: an endless body is cut off, not read for ever', async () => {
    const url = new URL(`${API}/cost-centers`, app().baseUrl);
    const socket = net.connect(Number(url.port), url.hostname);
    await new Promise((ok) => socket.once('connect', ok));
    let closed = false;
    socket.on('error', () => (closed = true));
    socket.on('close', () => (closed = true));
    socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${tenantAdmin()}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 'x'), Buffer.from('\r\n')]);
    let written = 0;
    const deadline = Date.now() + OVERSIZED_DRAIN_MS + 5_000;
    while (!closed && Date.now() < deadline) {
      if (!socket.write(chunk)) await new Promise((ok) => setTimeout(ok, 1));
      written += chunk.length;
      if (written % (1024 * 1024) < chunk.length) await new Promise((ok) => setImmediate(ok));
    }
    socket.destroy();
    expect(closed).toBe(true);
  }, 30_000);
});

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmbeddedPostgres } from '../../src/common/database/embedded-postgres';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * Tests need a PostgreSQL server: TEST_DATABASE_URL when given (CI points it at the machine's
 * server), else an embedded engine started for this run. Each e2e file makes its own database.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-test-pg-'));
  fs.chmodSync(dir, 0o755); // the engine runs as the postgres user when we are root
  const db = await startEmbeddedPostgres(dir, await freePort());
  process.env.TEST_DATABASE_URL = db.url;
  (globalThis as { __embeddedTestDb?: { stop(): Promise<void>; dir: string } }).__embeddedTestDb = { stop: db.stop, dir };
}

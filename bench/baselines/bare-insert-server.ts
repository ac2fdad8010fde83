/**
 * Baseline of single-event ingest: a bare Fastify route doing one autocommitted single-row
 * INSERT per request (one commit per request) with `pg`, no auth, no validation, no rollups.
 * Env: DATABASE_URL, PORT, HOST, SEARCH_PATH (the schema holding the usage_events copy).
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Pool } from 'pg';

interface Body {
  eventId?: string;
  metric: string;
  quantity: string | number;
  timestamp?: string;
  resourceType?: string;
  resourceId?: string;
}

const INSERT = `INSERT INTO usage_events (tenant_id, event_id, metric, quantity, ts, resource_type, resource_id)
  VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, event_id) DO NOTHING`;

const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: 20,
  options: `-c search_path=${process.env.SEARCH_PATH ?? 'public'}`,
});
const app = Fastify({ logger: false });

app.get('/health', async () => {
  await pool.query('SELECT 1');
  return { ok: true };
});

app.post<{ Params: { tenantId: string }; Body: Body }>('/api/v1/billing/tenants/:tenantId/usage', async (req, reply) => {
  const b = req.body;
  const eventId = b.eventId ?? randomUUID();
  const ts = b.timestamp ?? new Date().toISOString();
  const res = await pool.query(INSERT, [req.params.tenantId, eventId, b.metric, String(b.quantity), ts, b.resourceType ?? null, b.resourceId ?? null]);
  reply.code(res.rowCount === 1 ? 201 : 200);
  return { eventId, tenantId: req.params.tenantId, metric: b.metric, quantity: String(b.quantity), timestamp: ts, duplicate: res.rowCount !== 1 };
});

async function shutdown(): Promise<void> {
  await app.close();
  await pool.end();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('disconnect', () => void shutdown()); // the bench process is gone

app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' }).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

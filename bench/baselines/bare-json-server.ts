/**
 * Baseline of the quota check: a bare Fastify route answering a small JSON object, no auth,
 * no database. It answers the same path as the service's check. Env: PORT, HOST.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });

app.get('/health', async () => ({ ok: true }));

app.get<{ Params: { tenantId: string } }>('/api/v1/billing/quotas/tenants/:tenantId/check', async () => ({
  allowed: true,
  items: [{ metric: 'compute.cpu_hours', limit: '1000000', used: '250', remaining: '999750', utilization: 0.00025, enforcement: 'hard', period: 'month' }],
}));

async function shutdown(): Promise<void> {
  await app.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('disconnect', () => void shutdown());

app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' }).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

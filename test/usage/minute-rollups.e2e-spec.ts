import { RollupCompactor } from '../../src/usage/rollups/rollup-compactor';
import { RollupSweeper } from '../../src/usage/rollups/rollup-sweeper';
import { API } from '../support/http';
import { serviceToken } from '../support/tokens';
import { useApp } from '../support/suite';

/**
 * Minute rollups: recent windows are read from them (raw events only within a minute of each
 * edge), windows older than the read horizon are not, and the sweep removes only old minute rows.
 * The raw events are deleted behind the service's back to tell which source a read used.
 */
describe('minute rollups', () => {
  const { request, db, app } = useApp();

  const minute = (t: number) => Math.floor(t / 60_000) * 60_000;
  const iso = (t: number) => new Date(t).toISOString();

  async function ingest(tenant: string, timestamps: number[]) {
    const events = timestamps.map((t, i) => ({ eventId: `${tenant}-${i}`, metric: 'compute.cpu_hours', quantity: '1.5', timestamp: iso(t) }));
    const res = await request('POST', `${API}/tenants/${tenant}/usage/batch`, { token: serviceToken(), body: { events } });
    expect(res.status).toBe(200);
  }

  async function summed(tenant: string, from: number, to: number): Promise<{ value: string; eventCount: number } | undefined> {
    const res = await request('GET', `${API}/tenants/${tenant}/usage/summary?groupBy=metric&metric=compute.cpu_hours&from=${iso(from)}&to=${iso(to)}`, {
      token: serviceToken(),
    });
    expect(res.status).toBe(200);
    return res.body.items[0];
  }

  it('reads whole recent minutes from the minute rows and only the edges from raw events', async () => {
    const m = minute(Date.now()) - 5 * 60_000;
    await ingest('mr1', [m + 1_000, m + 2_000, m + 3_000, m + 70_000]);
    expect(await summed('mr1', m, m + 120_000)).toMatchObject({ value: '6', eventCount: 4 });
    // Without the raw events, whole minutes still read the same; a partial minute reads raw (none left).
    await db.query("DELETE FROM usage_events WHERE tenant_id = 'mr1'");
    expect(await summed('mr1', m, m + 120_000)).toMatchObject({ value: '6', eventCount: 4 });
    expect(await summed('mr1', m, m + 60_000)).toMatchObject({ value: '4.5', eventCount: 3 });
    expect(await summed('mr1', m + 500, m + 60_000)).toBeUndefined();
  });

  it('does not read minute rows older than the read horizon', async () => {
    const m = minute(Date.now()) - 50 * 3_600_000;
    await ingest('mr2', [m + 1_000]);
    expect(await summed('mr2', m, m + 60_000)).toMatchObject({ value: '1.5', eventCount: 1 });
    await db.query("DELETE FROM usage_events WHERE tenant_id = 'mr2'");
    expect(await summed('mr2', m, m + 60_000)).toBeUndefined();
  });

  it('sweeps minute rows older than 72 hours and nothing else', async () => {
    const now = Date.now();
    const old = minute(now) - 80 * 3_600_000;
    const young = minute(now) - 70 * 3_600_000;
    await ingest('mr3', [old + 1_000, young + 1_000]);
    // The sweep deletes compacted rows; deltas are folded within a second anyway.
    await app().app.get(RollupCompactor).compact();
    const count = async (table: string, granularity: string) =>
      Number((await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = 'mr3' AND granularity = $1`, [granularity])).rows[0].n);
    // Two minutes, each with a row of every resource together and one of its resource ('': none).
    expect(await count('usage_rollup_totals', 'i')).toBe(4);
    const hours = await count('usage_rollup_totals', 'h');
    const deleted = await app().app.get(RollupSweeper).sweep(new Date(now));
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect(await count('usage_rollup_totals', 'i')).toBe(2);
    expect(await count('usage_rollup_totals', 'h')).toBe(hours);
    const left = await db.query("SELECT DISTINCT bucket_start FROM usage_rollup_totals WHERE tenant_id = 'mr3' AND granularity = 'i'");
    expect(left.rows.map((r: { bucket_start: Date }) => new Date(r.bucket_start).getTime())).toEqual([young]);
  });

  it('keeps unique values per minute and sweeps them too', async () => {
    const m = minute(Date.now()) - 3 * 60_000;
    const old = minute(Date.now()) - 80 * 3_600_000;
    const events = [m + 1_000, m + 2_000, old].map((t, i) => ({ eventId: `u${i}`, metric: 'users.active', quantity: '1', timestamp: iso(t), properties: { userId: `user${i % 2}` } }));
    expect((await request('POST', `${API}/tenants/mr4/usage/batch`, { token: serviceToken(), body: { events } })).status).toBe(200);
    await db.query("DELETE FROM usage_events WHERE tenant_id = 'mr4'");
    const res = await request('GET', `${API}/tenants/mr4/usage/summary?groupBy=metric&metric=users.active&from=${iso(m)}&to=${iso(m + 60_000)}`, { token: serviceToken() });
    expect(res.body.items[0]).toMatchObject({ value: '2', eventCount: 2 });
    await app().app.get(RollupSweeper).sweep();
    const left = await db.query("SELECT count(*)::int AS n FROM usage_unique_values WHERE tenant_id = 'mr4' AND granularity = 'i'");
    // The recent minute's two users, for every resource together and for their resource ('').
    expect(left.rows[0].n).toBe(4);
  });

  it('folds deltas on its own within seconds of ingest', async () => {
    const tenant = 'scheduled';
    const res = await request('POST', `${API}/tenants/${tenant}/usage`, { token: serviceToken(), body: { eventId: 's1', metric: 'compute.cpu_hours', quantity: '2.5' } });
    expect(res.status).toBe(201);
    const deadline = Date.now() + 10_000;
    const deltasOf = async (t: string) => Number((await db.query('SELECT count(*)::int AS n FROM usage_rollup_deltas WHERE tenant_id = $1', [t])).rows[0].n);
    while ((await deltasOf(tenant)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await deltasOf(tenant)).toBe(0);
    const [row] = (await db.query(`SELECT sum::text, count::int FROM usage_rollup_totals WHERE tenant_id = $1 AND granularity = 'm' AND resource_key = '*'`, [tenant])).rows;
    expect(row).toEqual({ sum: '2.5', count: 1 });
  });
});

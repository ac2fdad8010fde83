import { compactRollups } from '../../src/usage/rollups/rollup-compactor';
import { API } from '../support/http';
import { platformAdmin, serviceToken } from '../support/tokens';
import { useApp } from '../support/suite';

/**
 * Per-resource reads over windows whose edges are not on whole hours (issue #16 item 10): recent
 * whole minutes come from per-resource minute rows (deltas not folded yet, then the totals), so
 * raw events are read only within a minute of each edge. The raw events of whole minutes are
 * deleted behind the service's back to tell which source a read used; every aggregation stays
 * what the raw events gave before.
 */
describe('per-resource reads at unaligned window edges', () => {
  // Deltas are folded only where a test says so, so reads meet them unfolded first.
  const { request, db } = useApp({ env: { ROLLUP_COMPACT_INTERVAL_MS: '0' } });
  const iso = (t: number) => new Date(t).toISOString();
  const compact = () => compactRollups({ query: async (sql, params) => (await db.query(sql, params)).rows });

  /** Minutes m … m+3, resources a and b, one metric of each aggregation; quantities differ by minute so a lost minute shows. */
  async function ingest(tenant: string, m: number) {
    const events = [];
    for (let k = 0; k < 4; k++) {
      for (const [r, res] of ['a', 'b'].entries()) {
        const ts = iso(m + k * 60_000 + 10_000 + r * 1_000);
        const common = { timestamp: ts, resourceType: 'vm', resourceId: res };
        events.push(
          { eventId: `s${k}${res}`, metric: 'compute.cpu_hours', quantity: `${k + 1}.5`, ...common },
          { eventId: `c${k}${res}`, metric: 'api.requests', quantity: '1', ...common },
          { eventId: `x${k}${res}`, metric: 'cluster.peak_nodes', quantity: String(k === 1 ? 40 + r : k + 1), ...common },
          { eventId: `l${k}${res}`, metric: 'warehouse.seats', quantity: String(10 * (k + 1) + r), ...common },
          { eventId: `u${k}${res}`, metric: 'users.active', quantity: '1', properties: { userId: `u${k}` }, ...common },
        );
      }
    }
    const res = await request('POST', `${API}/tenants/${tenant}/usage/batch`, { token: serviceToken(), body: { events } });
    expect(res.status).toBe(200);
  }

  const byResource = async (tenant: string, from: number, to: number) => {
    const res = await request('GET', `${API}/tenants/${tenant}/usage/summary?groupBy=resource&from=${iso(from)}&to=${iso(to)}`, { token: serviceToken() });
    expect(res.status).toBe(200);
    return res.body.items.map((i: any) => `${i.metric} ${i.resourceId} ${i.value} ${i.eventCount}`).sort();
  };

  it('reads recent whole minutes per resource from minute rows, unfolded and folded, for every aggregation', async () => {
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const m = hour - 2 * 3_600_000 + 20 * 60_000;
    await ingest('re1', m);
    // [m+30 s, m+3 min+30 s): edges in minutes m (its events at :10 and :11 fall outside) and m+3, whole minutes m+1 and m+2.
    const [from, to] = [m + 30_000, m + 3 * 60_000 + 30_000];
    const want = await byResource('re1', from, to);
    const row = (metric: string, a: string, b: string, n: number) => [`${metric} a ${a} ${n}`, `${metric} b ${b} ${n}`];
    expect(want).toEqual(
      [
        ...row('api.requests', '3', '3', 3),
        ...row('cluster.peak_nodes', '40', '41', 3),
        ...row('compute.cpu_hours', '10.5', '10.5', 3),
        ...row('users.active', '3', '3', 3),
        ...row('warehouse.seats', '40', '41', 3),
      ].sort(),
    );
    await db.query(`DELETE FROM usage_events WHERE tenant_id = 're1' AND ts >= $1 AND ts < $2`, [iso(m + 60_000), iso(m + 3 * 60_000)]);
    expect(await byResource('re1', from, to)).toEqual(want);
    await compact();
    expect(await byResource('re1', from, to)).toEqual(want);
    // An edge is still read from raw events: starting inside minute m+1 finds none of it left.
    expect(await byResource('re1', m + 65_000, m + 3 * 60_000)).toEqual(
      [
        ...row('api.requests', '1', '1', 1),
        ...row('cluster.peak_nodes', '3', '3', 1),
        ...row('compute.cpu_hours', '3.5', '3.5', 1),
        ...row('users.active', '1', '1', 1),
        ...row('warehouse.seats', '30', '31', 1),
      ].sort(),
    );
  });

  it('keeps reading raw events at the edges of windows older than the minute horizon', async () => {
    const m = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 60 * 3_600_000 + 20 * 60_000;
    await ingest('re2', m);
    await compact();
    const [from, to] = [m + 30_000, m + 3 * 60_000 + 30_000];
    const want = await byResource('re2', from, to);
    expect(want).toContain('compute.cpu_hours a 10.5 3');
    await db.query(`DELETE FROM usage_events WHERE tenant_id = 're2'`);
    expect(await byResource('re2', from, to)).toEqual([]);
  });

  it('answers real-time by-resource over an unaligned recent window from the minute rows', async () => {
    const created = await request('POST', `${API}/tenants/re3/subscriptions`, { token: platformAdmin(), body: { planId: 'business-monthly', trial: false } });
    expect(created.status).toBe(201);
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const m = hour - 3 * 3_600_000 + 40 * 60_000;
    await ingest('re3', m);
    const window = `from=${iso(m + 30_000)}&to=${iso(m + 3 * 60_000 + 30_000)}`;
    const paths = [`${API}/realtime-cost/tenants/re3/by-resource?${window}`, `${API}/realtime-cost/tenants/re3/timeline?granularity=hour&${window}`];
    const read = () => Promise.all(paths.map((p) => request('GET', p, { token: platformAdmin() })));
    const before = await read();
    expect(before.map((r) => r.status)).toEqual([200, 200]);
    expect(before[0].body.data.map((d: any) => d.resourceId).sort()).toEqual(['a', 'b']);
    expect(before[0].body.totalCents).toBeGreaterThan(0);
    await db.query(`DELETE FROM usage_events WHERE tenant_id = 're3' AND ts >= $1 AND ts < $2`, [iso(m + 60_000), iso(m + 3 * 60_000)]);
    expect((await read()).map((r) => r.body)).toEqual(before.map((r) => r.body));
    await compact();
    expect((await read()).map((r) => r.body)).toEqual(before.map((r) => r.body));
  });
  it('prices a by-resource window as the timeline does: sums and maxima taken from the per-resource rows', async () => {
    const created = await request('POST', `${API}/tenants/re4/subscriptions`, { token: platformAdmin(), body: { planId: 'business-monthly', trial: false } });
    expect(created.status).toBe(201);
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const m = hour - 2 * 3_600_000 + 20 * 60_000;
    await ingest('re4', m);
    // Minutes 1–3 of both resources: peak nodes 41 (the max of 40 on a and 41 on b, not their sum).
    const window = `from=${iso(m + 30_000)}&to=${iso(m + 3 * 60_000 + 30_000)}`;
    const get = (path: string) => request('GET', `${API}/realtime-cost/tenants/re4/${path}${window}`, { token: platformAdmin() });
    for (let folded = 0; folded < 2; folded++) {
      const [byResource, timeline] = await Promise.all([get('by-resource?'), get('timeline?granularity=hour&')]);
      expect([byResource.status, timeline.status]).toEqual([200, 200]);
      // (41 − 4 included) × 40.00, plus 21 cpu-hours (2.5 + 3.5 + 4.5 on each resource) × 0.11.
      expect(byResource.body.totalCents).toBe(148000 + 231);
      expect(byResource.body.totalCents).toBe(timeline.body.buckets[timeline.body.buckets.length - 1].cumulativeCents);
      await compact();
    }
  });
});

import { count } from '../support/db-client';
import { API, expectProblem } from '../support/http';
import { platformAdmin, serviceToken, tenantAdmin, tenantViewer } from '../support/tokens';
import { useApp } from '../support/suite';

describe('usage', () => {
  const { request, db } = useApp();
  const events = (tenant: string) => count(db, 'SELECT count(*) FROM usage_events WHERE tenant_id = $1', [tenant]);
  const record = (tenant: string, body: unknown, token = tenantAdmin(tenant)) => request('POST', `${API}/tenants/${tenant}/usage`, { token, body });
  const batch = (tenant: string, evs: unknown[], token = tenantAdmin(tenant)) => request('POST', `${API}/tenants/${tenant}/usage/batch`, { token, body: { events: evs } });
  const summary = (tenant: string, query: string) => request('GET', `${API}/tenants/${tenant}/usage/summary?${query}`, { token: tenantViewer(tenant) });


  describe('POST /tenants/:tenantId/usage', () => {
    it('records an event durably and answers 201 with the quota state', async () => {
      const res = await record('u1', { eventId: 'a-1', metric: 'compute.cpu_hours', quantity: 2.5, timestamp: '2026-01-10T10:00:00Z', resourceType: 'vm', resourceId: 'vm-1', properties: { region: 'eu' } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        eventId: 'a-1',
        tenantId: 'u1',
        metric: 'compute.cpu_hours',
        quantity: '2.5',
        timestamp: '2026-01-10T10:00:00.000Z',
        resourceType: 'vm',
        resourceId: 'vm-1',
        costCenterId: null,
        properties: { region: 'eu' },
        duplicate: false,
        quota: { allowed: true, items: [] },
      });
      const row = await db.query("SELECT quantity::text, ts FROM usage_events WHERE tenant_id = 'u1' AND event_id = 'a-1'");
      expect(row.rows).toEqual([{ quantity: '2.5', ts: new Date('2026-01-10T10:00:00Z') }]);
    });

    it('answers 200 duplicate:true for a repeated eventId and counts it once', async () => {
      const res = await record('u1', { eventId: 'a-1', metric: 'compute.cpu_hours', quantity: 99 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ eventId: 'a-1', duplicate: true, quantity: '2.5' });
      expect(await events('u1')).toBe(1);
      // The optimistic plain INSERT met the recorded event (a real unique violation) and the group
      // was stored again with ON CONFLICT.
      const metrics = await request('GET', '/metrics');
      expect(Number(/^usage_ingest_duplicate_redo_total (\d+)/m.exec(metrics.text)?.[1])).toBeGreaterThanOrEqual(1);
    });

    it('generates an eventId when none is given, and keeps decimal strings exact', async () => {
      const res = await record('u2', { metric: 'storage.gb_months', quantity: '0.000000000001' });
      expect(res.status).toBe(201);
      expect(res.body.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.quantity).toBe('0.000000000001');
    });

    it('stores one row for 50 concurrent requests with the same eventId', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, () => record('u3', { eventId: 'same', metric: 'api.requests', quantity: 1 })));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 200 && r.body.duplicate === true)).toHaveLength(49);
      expect(await events('u3')).toBe(1);
      const s = await summary('u3', '');
      expect(s.body.items).toEqual([expect.objectContaining({ metric: 'api.requests', value: '1', eventCount: 1 })]);
    });

    it('stores each of many concurrent distinct events exactly once', async () => {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => record('u4', { eventId: `c-${i}`, metric: 'compute.cpu_hours', quantity: '0.5' })));
      expect(results.every((r) => r.status === 201)).toBe(true);
      expect(await events('u4')).toBe(200);
      const s = await summary('u4', 'metric=compute.cpu_hours');
      expect(s.body.items[0]).toMatchObject({ value: '100', eventCount: 200 });
    });

    it.each([
      ['a negative quantity', { metric: 'compute.cpu_hours', quantity: -1 }, 'quantity'],
      ['a non-numeric quantity', { metric: 'compute.cpu_hours', quantity: 'ten' }, 'quantity'],
      ['an exponent', { metric: 'compute.cpu_hours', quantity: '1e3' }, 'quantity'],
      ['13 decimals', { metric: 'compute.cpu_hours', quantity: '0.1234567890123' }, 'quantity'],
      ['an absurdly large quantity', { metric: 'compute.cpu_hours', quantity: '1000000000000000000' }, 'quantity'],
      ['a boolean quantity', { metric: 'compute.cpu_hours', quantity: true }, 'quantity'],
      ['a timestamp 6 minutes ahead', { metric: 'compute.cpu_hours', quantity: 1, timestamp: new Date(Date.now() + 6 * 60_000).toISOString() }, 'timestamp'],
      ['a timestamp without zone', { metric: 'compute.cpu_hours', quantity: 1, timestamp: '2026-01-01T00:00:00' }, 'timestamp'],
      ['an impossible date', { metric: 'compute.cpu_hours', quantity: 1, timestamp: '2026-02-30T00:00:00Z' }, 'timestamp'],
      ['an unknown field', { metric: 'compute.cpu_hours', quantity: 1, price: 3 }, 'price'],
      ['a resourceType without resourceId', { metric: 'compute.cpu_hours', quantity: 1, resourceType: 'vm' }, 'resourceId'],
      ['nested properties', { metric: 'compute.cpu_hours', quantity: 1, properties: { a: { b: 1 } } }, 'properties.a'],
      ['a unique_count event without its property', { metric: 'users.active', quantity: 1 }, 'properties.userId'],
      ['a malformed costCenterId', { metric: 'compute.cpu_hours', quantity: 1, costCenterId: 'cc-1' }, 'costCenterId'],
      ['a missing metric', { quantity: 1 }, 'metric'],
    ])('refuses %s with 400 naming the field, storing nothing', async (_, body, path) => {
      const res = await record('bad', body);
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(problem.errors.map((e: { path: string }) => e.path)).toContain(path);
      expect(await events('bad')).toBe(0);
    });

    it('answers 422 UNKNOWN_METRIC for a metric not in the catalog', async () => {
      expectProblem(await record('bad', { metric: 'gpu.hours', quantity: 1 }), 422, 'UNKNOWN_METRIC');
      expect(await events('bad')).toBe(0);
    });

    it("answers 422 UNKNOWN_COST_CENTER for a cost center that is not the tenant's", async () => {
      const [cc] = (await db.query("INSERT INTO cost_centers (tenant_id, code, name) VALUES ('other', 'x', 'X') RETURNING id")).rows;
      expectProblem(await record('bad', { metric: 'compute.cpu_hours', quantity: 1, costCenterId: cc.id }), 422, 'UNKNOWN_COST_CENTER');
      expect(await events('bad')).toBe(0);
    });

    it('is for the tenant itself, services and platform admins', async () => {
      expectProblem(await record('u5', { metric: 'api.requests', quantity: 1 }, tenantAdmin('other')), 403, 'FORBIDDEN');
      expectProblem(await record('u5', { metric: 'api.requests', quantity: 1 }, tenantViewer('u5')), 403, 'FORBIDDEN');
      expect((await record('u5', { metric: 'api.requests', quantity: 1 }, serviceToken())).status).toBe(201);
      expect((await record('u5', { metric: 'api.requests', quantity: 1 }, platformAdmin())).status).toBe(201);
      expect(await events('u5')).toBe(2);
    });
  });

  describe('POST /tenants/:tenantId/usage/batch', () => {
    it('stores all events in one transaction and counts accepted and duplicates', async () => {
      await record('b1', { eventId: 'old', metric: 'api.requests', quantity: 1 });
      const res = await batch('b1', [
        { eventId: 'n1', metric: 'api.requests', quantity: 1 },
        { eventId: 'n2', metric: 'compute.cpu_hours', quantity: '3' },
        { eventId: 'n1', metric: 'api.requests', quantity: 1 },
        { eventId: 'old', metric: 'api.requests', quantity: 1 },
      ]);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ accepted: 2, duplicates: 2 });
      expect(res.body.events).toEqual([
        { eventId: 'n1', duplicate: false },
        { eventId: 'n2', duplicate: false },
        { eventId: 'n1', duplicate: true },
        { eventId: 'old', duplicate: true },
      ]);
      expect(res.body.quotas.map((q: { metric: string }) => q.metric)).toEqual(['api.requests', 'compute.cpu_hours']);
      expect(await events('b1')).toBe(3);
      // The statement that failed on 'old' left nothing behind: each event counted once in the rollups.
      const s = await summary('b1', 'from=2026-01-01T00:00:00Z&to=2027-06-01T00:00:00Z');
      expect(s.body.items).toEqual([
        expect.objectContaining({ metric: 'api.requests', value: '2', eventCount: 2 }),
        expect.objectContaining({ metric: 'compute.cpu_hours', value: '3', eventCount: 1 }),
      ]);
    });

    it('stores nothing when one event is invalid, and names its index', async () => {
      const res = await batch('b2', [
        { metric: 'api.requests', quantity: 1 },
        { metric: 'api.requests', quantity: 1 },
        { metric: 'api.requests', quantity: 1 },
        { metric: 'api.requests', quantity: '-2' },
      ]);
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual([expect.objectContaining({ path: 'events[3].quantity' })]);
      expect(await events('b2')).toBe(0);
    });

    it('names every index of a repeated bad quantity', async () => {
      const res = await batch('b2', [
        { metric: 'api.requests', quantity: '-2' },
        { metric: 'api.requests', quantity: 1 },
        { metric: 'api.requests', quantity: '-2' },
      ]);
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(problem.errors.map((e: { path: string }) => e.path)).toEqual(['events[0].quantity', 'events[2].quantity']);
      expect(await events('b2')).toBe(0);
    });

    it('stores each event its own quantity and time when a batch repeats values', async () => {
      const before = Date.now();
      const res = await batch('b-repeat', [
        { eventId: 'r1', metric: 'compute.cpu_hours', quantity: '1.50' },
        { eventId: 'r2', metric: 'compute.cpu_hours', quantity: 1.5 },
        { eventId: 'r3', metric: 'compute.cpu_hours', quantity: '1.50', timestamp: '2026-01-10T10:00:00Z' },
        { eventId: 'r4', metric: 'compute.cpu_hours', quantity: '2' },
        { eventId: 'r5', metric: 'compute.cpu_hours', quantity: '1.50' },
      ]);
      expect(res.status).toBe(200);
      const rows = (await db.query("SELECT event_id, quantity::text AS q, ts FROM usage_events WHERE tenant_id = 'b-repeat' ORDER BY event_id")).rows;
      expect(rows.map((r) => [r.event_id, r.q])).toEqual([['r1', '1.5'], ['r2', '1.5'], ['r3', '1.5'], ['r4', '2'], ['r5', '1.5']]);
      const stamped = rows.filter((r) => r.event_id !== 'r3').map((r) => (r.ts as Date).getTime());
      expect(new Set(stamped).size).toBe(1);
      expect(stamped[0]).toBeGreaterThanOrEqual(before - 1000);
      expect((rows.find((r) => r.event_id === 'r3')!.ts as Date).toISOString()).toBe('2026-01-10T10:00:00.000Z');
      const s = await summary('b-repeat', 'from=2026-01-01T00:00:00Z&to=2027-06-01T00:00:00Z');
      expect(s.body.items).toEqual([expect.objectContaining({ metric: 'compute.cpu_hours', value: '8', eventCount: 5 })]);
    });

    it('stores the instant of any zone and fraction, and the contract text of any quantity', async () => {
      const res = await batch('b-forms', [
        { eventId: 'f1', metric: 'compute.cpu_hours', quantity: '007.50', timestamp: '2026-01-10T12:30:00.1239+02:00' },
        { eventId: 'f2', metric: 'compute.cpu_hours', quantity: 0.1, timestamp: '2026-01-09T23:59:59.999-00:30' },
        { eventId: 'f3', metric: 'compute.cpu_hours', quantity: ' 3.000 ', timestamp: '2024-02-29T00:00:00.5Z' },
        { eventId: 'f4', metric: 'compute.cpu_hours', quantity: 2e-7, timestamp: '2000-01-01T00:00:00Z' },
      ]);
      expect(res.status).toBe(200);
      const rows = (await db.query("SELECT event_id, quantity::text AS q, ts FROM usage_events WHERE tenant_id = 'b-forms' ORDER BY event_id")).rows;
      expect(rows.map((r) => [r.event_id, r.q, (r.ts as Date).toISOString()])).toEqual([
        ['f1', '7.5', '2026-01-10T10:30:00.123Z'],
        ['f2', '0.1', '2026-01-10T00:29:59.999Z'],
        ['f3', '3', '2024-02-29T00:00:00.500Z'],
        ['f4', '0.0000002', '2000-01-01T00:00:00.000Z'],
      ]);
      const single = await record('b-forms', { eventId: 'f5', metric: 'compute.cpu_hours', quantity: '0010', timestamp: '2026-01-10T10:00:00.0001-01:00' });
      expect(single.body).toMatchObject({ quantity: '10', timestamp: '2026-01-10T11:00:00.000Z' });
    });

    it('answers 422 UNKNOWN_METRIC with the index and stores nothing', async () => {
      const problem = expectProblem(await batch('b2', [{ metric: 'api.requests', quantity: 1 }, { metric: 'nope', quantity: 1 }]), 422, 'UNKNOWN_METRIC');
      expect(problem.errors).toEqual([expect.objectContaining({ path: 'events[1].metric' })]);
      expect(await events('b2')).toBe(0);
    });

    it('stores nothing when a cost center is unknown', async () => {
      const res = await batch('b2', [{ metric: 'api.requests', quantity: 1 }, { metric: 'api.requests', quantity: 1, costCenterId: '00000000-0000-4000-8000-000000000000' }]);
      expect(expectProblem(res, 422, 'UNKNOWN_COST_CENTER').errors).toEqual([expect.objectContaining({ path: 'events[1].costCenterId' })]);
      expect(await events('b2')).toBe(0);
    });

    it('refuses an empty batch and one over 1,000 events', async () => {
      expectProblem(await batch('b2', []), 400, 'VALIDATION_FAILED');
      const tooMany = Array.from({ length: 1001 }, () => ({ metric: 'api.requests', quantity: 1 }));
      expect(expectProblem(await batch('b2', tooMany), 400, 'VALIDATION_FAILED').detail).toMatch(/at most 1000/);
      expect(await events('b2')).toBe(0);
    });

    it('accepts 1,000 events at once', async () => {
      const res = await batch('b3', Array.from({ length: 1000 }, (_, i) => ({ eventId: `k${i}`, metric: 'query.gb_scanned', quantity: '0.001' })));
      expect(res.body).toMatchObject({ accepted: 1000, duplicates: 0 });
      expect(await events('b3')).toBe(1000);
    });

    it('counts an event once across concurrent overlapping batches', async () => {
      const mk = (offset: number) => Array.from({ length: 100 }, (_, i) => ({ eventId: `o${offset + i}`, metric: 'compute.cpu_hours', quantity: 1 }));
      const results = await Promise.all([batch('b4', mk(0)), batch('b4', mk(50)), batch('b4', mk(25)), batch('b4', mk(0))]);
      expect(results.reduce((n, r) => n + r.body.accepted, 0)).toBe(150);
      expect(await events('b4')).toBe(150);
      const s = await summary('b4', 'metric=compute.cpu_hours');
      expect(s.body.items[0]).toMatchObject({ value: '150', eventCount: 150 });
    });
  });

  describe('GET /tenants/:tenantId/usage/summary', () => {
    // Worked by hand: events of tenant s1 in January 2026 (UTC).
    beforeAll(async () => {
      const ev = (eventId: string, metric: string, quantity: string | number, timestamp: string, extra: object = {}) => ({ eventId, metric, quantity, timestamp, ...extra });
      const res = await batch('s1', [
        ev('c1', 'compute.cpu_hours', '1.5', '2026-01-01T00:00:00Z', { resourceType: 'vm', resourceId: 'a' }),
        ev('c2', 'compute.cpu_hours', '2.25', '2026-01-01T23:59:59.999Z', { resourceType: 'vm', resourceId: 'b' }),
        ev('c3', 'compute.cpu_hours', '10', '2026-01-02T12:00:00Z', { resourceType: 'vm', resourceId: 'a' }),
        ev('c4', 'compute.cpu_hours', '100', '2026-02-01T00:00:00Z', { resourceType: 'vm', resourceId: 'a' }),
        ev('r1', 'api.requests', '5', '2026-01-01T10:00:00Z'),
        ev('r2', 'api.requests', '7', '2026-01-03T10:00:00Z'),
        ev('p1', 'cluster.peak_nodes', '4', '2026-01-01T10:00:00Z'),
        ev('p2', 'cluster.peak_nodes', '9', '2026-01-02T10:00:00Z'),
        ev('p3', 'cluster.peak_nodes', '6', '2026-01-03T10:00:00Z'),
        ev('w1', 'warehouse.seats', '12', '2026-01-03T10:00:00Z'),
        ev('w2', 'warehouse.seats', '10', '2026-01-02T10:00:00Z'),
        ev('w3', 'warehouse.seats', '15', '2026-01-01T10:00:00Z'),
        ev('a1', 'users.active', 1, '2026-01-01T10:00:00Z', { properties: { userId: 'ann' } }),
        ev('a2', 'users.active', 1, '2026-01-01T11:00:00Z', { properties: { userId: 'bob' } }),
        ev('a3', 'users.active', 1, '2026-01-02T10:00:00Z', { properties: { userId: 'ann' } }),
        ev('a4', 'users.active', 1, '2026-01-03T10:00:00Z', { properties: { userId: 'cat' } }),
      ]);
      expect(res.body.accepted).toBe(16);
    });
    const byMetric = (items: Array<{ metric: string }>) => Object.fromEntries(items.map((i) => [i.metric, i]));

    it('aggregates each metric its own way over [from, to)', async () => {
      const res = await summary('s1', 'from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ tenantId: 's1', from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', groupBy: 'metric' });
      const m = byMetric(res.body.items);
      expect(m['compute.cpu_hours']).toEqual({
        metric: 'compute.cpu_hours', unit: 'cpu-hour', aggregation: 'sum', value: '13.75', eventCount: 3,
        resourceType: null, resourceId: null, costCenterId: null, day: null,
      });
      expect(m['api.requests']).toMatchObject({ aggregation: 'count', value: '2', eventCount: 2 });
      expect(m['cluster.peak_nodes']).toMatchObject({ aggregation: 'max', value: '9', eventCount: 3 });
      expect(m['warehouse.seats']).toMatchObject({ aggregation: 'latest', value: '12', eventCount: 3 });
      expect(m['users.active']).toMatchObject({ aggregation: 'unique_count', value: '3', eventCount: 4 });
    });

    it('includes from and excludes to, at any precision', async () => {
      const res = await summary('s1', 'metric=compute.cpu_hours&from=2026-01-01T00:00:00Z&to=2026-01-01T23:59:59.999Z');
      expect(res.body.items).toEqual([expect.objectContaining({ value: '1.5', eventCount: 1 })]);
      const edge = await summary('s1', 'metric=compute.cpu_hours&from=2026-01-01T23:59:59.999Z&to=2026-02-01T00:00:00.001Z');
      expect(edge.body.items).toEqual([expect.objectContaining({ value: '112.25', eventCount: 3 })]);
    });

    it('reads odd windows the same as whole ones: latest and unique across raw and rollup parts', async () => {
      const res = await summary('s1', 'from=2026-01-01T10:30:00Z&to=2026-01-03T10:00:00.001Z');
      const m = byMetric(res.body.items);
      expect(m['warehouse.seats']).toMatchObject({ value: '12', eventCount: 2 });
      expect(m['users.active']).toMatchObject({ value: '3', eventCount: 3 });
      expect(m['cluster.peak_nodes']).toMatchObject({ value: '9', eventCount: 2 });
    });

    it('groups by day', async () => {
      const res = await summary('s1', 'metric=compute.cpu_hours&groupBy=day&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z');
      expect(res.body.items.map((i: { day: string; value: string }) => [i.day, i.value])).toEqual([
        ['2026-01-01', '3.75'],
        ['2026-01-02', '10'],
        ['2026-02-01', '100'],
      ]);
    });

    it('groups by resource', async () => {
      const res = await summary('s1', 'metric=compute.cpu_hours&groupBy=resource&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z');
      expect(res.body.items.map((i: any) => [i.resourceType, i.resourceId, i.value])).toEqual([
        ['vm', 'a', '11.5'],
        ['vm', 'b', '2.25'],
      ]);
    });

    it('defaults to the current UTC month and groupBy metric', async () => {
      await record('s2', { metric: 'api.requests', quantity: 1 });
      const res = await summary('s2', '');
      const now = new Date();
      expect(res.body.from).toBe(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString());
      expect(res.body.groupBy).toBe('metric');
      expect(res.body.items).toEqual([expect.objectContaining({ metric: 'api.requests', value: '1' })]);
    });

    it('refuses bad windows and parameters', async () => {
      expectProblem(await summary('s1', 'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z'), 400, 'VALIDATION_FAILED');
      expectProblem(await summary('s1', 'from=yesterday'), 400, 'VALIDATION_FAILED');
      expectProblem(await summary('s1', 'groupBy=week'), 400, 'VALIDATION_FAILED');
      expectProblem(await summary('s1', 'metric=nope'), 400, 'VALIDATION_FAILED');
    });

    it("keeps tenants apart: 403 on another tenant's summary", async () => {
      expectProblem(await request('GET', `${API}/tenants/s1/usage/summary`, { token: tenantViewer('s2') }), 403, 'FORBIDDEN');
    });
  });
});

import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { PgPool, driverPool } from '../../src/common/database/pg-pool';
import { useApp } from '../support/suite';

/**
 * The two framework internals the service leans on, fenced: if an upgrade of Nest or TypeORM
 * moves them, this file fails at once, naming the one place that uses each.
 */
describe('framework internals the service uses', () => {
  const { app } = useApp();

  it('ExecutionContextHost (src/common/http/direct-routes.ts) builds the context guards and filters read', () => {
    class C {}
    const handler = () => undefined;
    const request = { id: 'r' };
    const reply = { sent: false };
    const ctx = new ExecutionContextHost([request, reply], C, handler);
    ctx.setType('http');
    expect(ctx.getType()).toBe('http');
    expect(ctx.getClass()).toBe(C);
    expect(ctx.getHandler()).toBe(handler);
    expect(ctx.switchToHttp().getRequest()).toBe(request);
    expect(ctx.switchToHttp().getResponse()).toBe(reply);
  });

  it("TypeORM's pg pool (src/common/database/pg-pool.ts) is a pg Pool at driver.master", async () => {
    const dataSource = app().app.get(DataSource);
    expect(driverPool(dataSource)).toBeInstanceOf(Pool);
    const rows = await app().app.get(PgPool).prepared<{ one: number }>('fence_one', 'SELECT 1 AS one', []);
    expect(rows).toEqual([{ one: 1 }]);
    expect(() => driverPool({ driver: {} } as unknown as DataSource)).toThrow(/driver\.master/);
  });
});

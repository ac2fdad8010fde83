import type { DataSource, EntityManager } from 'typeorm';
import { Transactions } from './transactions';

/** A DataSource whose transaction() hands out a distinct manager per call, as TypeORM's does. */
function fakeDataSource(): { ds: DataSource; poolManager: EntityManager } {
  const poolManager = { name: 'pool' } as unknown as EntityManager;
  let n = 0;
  const ds = {
    manager: poolManager,
    transaction: async <T>(work: (em: EntityManager) => Promise<T>): Promise<T> => work({ name: `tx${++n}` } as unknown as EntityManager),
  } as unknown as DataSource;
  return { ds, poolManager };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('Transactions', () => {
  it('gives each concurrent use case its own transaction, also after another one has settled', async () => {
    const { ds, poolManager } = fakeDataSource();
    const tx = new Transactions(ds);
    let releaseB!: () => void;
    const bGate = new Promise<void>((r) => (releaseB = r));
    const seen: string[] = [];
    const b = tx.run(async (em) => {
      await bGate;
      await tick();
      // A settled meanwhile: the storage must still be on for B's continuations.
      seen.push(`b:${(tx.manager() as unknown as { name: string }).name}:${(em as unknown as { name: string }).name}`);
    });
    await tx.run(async () => {
      await tick();
      seen.push(`a:${(tx.manager() as unknown as { name: string }).name}`);
    });
    releaseB();
    await b;
    expect(seen).toEqual(['a:tx2', 'b:tx1:tx1']);
    // None open: plain reads use the pool, and a later transaction is seen again.
    expect(tx.manager()).toBe(poolManager);
    await tx.run(async () => {
      await tick();
      expect((tx.manager() as unknown as { name: string }).name).toBe('tx3');
    });
    expect(tx.manager()).toBe(poolManager);
  });

  it('joins the ambient transaction in a nested use case and leaves the storage off once all have settled', async () => {
    const { ds } = fakeDataSource();
    const tx = new Transactions(ds);
    const inner = await tx.run(async (outer) => tx.run(async (em) => em === outer));
    expect(inner).toBe(true);
    // Off: no store is kept (and Node runs no promise hooks for it) while no transaction is open.
    expect((tx as unknown as { current: { enabled?: boolean } }).current.enabled).not.toBe(true);
  });

  it('settles the bookkeeping when a use case fails', async () => {
    const { ds, poolManager } = fakeDataSource();
    const tx = new Transactions(ds);
    await expect(tx.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(tx.manager()).toBe(poolManager);
    expect((tx as unknown as { current: { enabled?: boolean } }).current.enabled).not.toBe(true);
  });
});

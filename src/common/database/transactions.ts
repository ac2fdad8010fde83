import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/**
 * One transaction per use case. A use case that runs inside another (an idempotent request
 * wraps its handler in a transaction) joins it, so the business effect and the stored response
 * commit together or not at all.
 */
@Injectable()
export class Transactions {
  private readonly current = new AsyncLocalStorage<EntityManager>();

  constructor(readonly dataSource: DataSource) {}

  run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const em = this.current.getStore();
    if (em) return work(em);
    return this.dataSource.transaction((tx) => this.current.run(tx, () => work(tx)));
  }

  /** The ambient transaction's manager, or the pool's when none is open (plain reads). */
  manager(): EntityManager {
    return this.current.getStore() ?? this.dataSource.manager;
  }
}

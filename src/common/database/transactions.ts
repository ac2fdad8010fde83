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
  /** Transactions opened by run() and not yet settled. */
  private open = 0;

  constructor(readonly dataSource: DataSource) {}

  run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const em = this.current.getStore();
    if (em) return work(em);
    this.open++;
    return this.dataSource
      .transaction((tx) => this.current.run(tx, () => work(tx)))
      .finally(() => {
        // An enabled AsyncLocalStorage makes Node 20 run promise hooks on every promise of the
        // process (about a tenth of the CPU of a quota check or an ingest request, paths that
        // open no transaction). It is switched off while no transaction is open; run() switches
        // it on again. Nothing is lost: with none open there is no store to propagate.
        if (--this.open === 0) this.current.disable();
      });
  }

  /** The ambient transaction's manager, or the pool's when none is open (plain reads). */
  manager(): EntityManager {
    return this.current.getStore() ?? this.dataSource.manager;
  }
}

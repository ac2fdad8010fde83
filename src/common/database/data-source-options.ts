import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from '../../migrations';

/** The one TypeORM configuration, shared by the app and the CLI's ormconfig.ts. */
export function dataSourceOptions(url: string, opts: { poolSize?: number; migrationsRun?: boolean } = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: opts.migrationsRun ?? true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    uuidExtension: 'pgcrypto',
    // Failed queries surface through the error filter (first line, with the request id).
    logging: ['migration'],
    logger: 'simple-console',
    extra: {
      max: opts.poolSize ?? 20,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      // Fail fast instead of hanging when the server stops answering.
      query_timeout: 30_000,
      application_name: 'billing-service',
    },
  } as DataSourceOptions;
}

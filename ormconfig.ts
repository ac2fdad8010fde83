import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/common/database/data-source-options';

/**
 * The TypeORM DataSource for the CLI (`npm run migration:run`, `migration:generate`): the same
 * entities and migrations as the service, on DATABASE_URL.
 */
const url = process.env.DATABASE_URL;
if (!url) {
  throw new Error('DATABASE_URL is required for the TypeORM CLI (the embedded engine runs its migrations on start)');
}

export default new DataSource({ ...dataSourceOptions(url, { migrationsRun: false }), migrations: ['src/migrations/*-*.ts'] });

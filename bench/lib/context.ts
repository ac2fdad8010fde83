import type { BenchConfig } from './config';
import type { BenchDatabase } from './db';
import type { Report } from './report';
import type { ServiceProcess } from './service';

export interface BenchContext {
  cfg: BenchConfig;
  db: BenchDatabase;
  service: ServiceProcess;
  report: Report;
  /** Unique per run: prefixes event ids. */
  runTag: string;
  /** Bearer headers of a `service` caller and a `platform-admin` caller. */
  auth: { service: Record<string, string>; admin: Record<string, string> };
}

export type Bench = (ctx: BenchContext) => Promise<void>;

export const API = '/api/v1/billing';

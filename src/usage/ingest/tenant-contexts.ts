import { Injectable } from '@nestjs/common';
import type { PreparedQuery } from '../../common/database/pg-pool';
import { IngestContextRepository, TenantIngestContext } from '../../cost-centers/ingest-context.repository';

/** Tenants whose ingest context is remembered; past this many the memory starts over. */
const MAX_CACHED_CONTEXTS = 10_000;

/**
 * The tenants' ingest contexts, remembered per instance (IngestContextRepository reads them). A
 * remembered context may be stale: the storing statement checks its version, and a group that
 * meets a stale one is redone with `fresh` contexts.
 */
@Injectable()
export class TenantIngestContexts {
  private readonly known = new Map<string, TenantIngestContext>();

  constructor(private readonly repository: IngestContextRepository) {}

  /** Remembered contexts unless `fresh`, the others read (and remembered) in one round trip; `cached` says whether any came from memory. */
  async get(db: PreparedQuery, tenantIds: string[], fresh: boolean): Promise<{ contexts: Map<string, TenantIngestContext>; cached: boolean }> {
    const contexts = new Map<string, TenantIngestContext>();
    const missing: string[] = [];
    for (const t of tenantIds) {
      const known = fresh ? undefined : this.known.get(t);
      if (known) contexts.set(t, known);
      else missing.push(t);
    }
    if (missing.length > 0) {
      const loaded = await this.repository.load(db, missing);
      if (this.known.size + loaded.size > MAX_CACHED_CONTEXTS) this.known.clear();
      for (const [t, c] of loaded) {
        this.known.set(t, c);
        contexts.set(t, c);
      }
    }
    return { contexts, cached: missing.length < tenantIds.length };
  }
}

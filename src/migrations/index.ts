import { Foundation1764100000000 } from './1764100000000-foundation';
import { UsageMetering1764200000000 } from './1764200000000-usage-metering';
import { Subscriptions1764300000000 } from './1764300000000-subscriptions';
import { Invoices1764400000000 } from './1764400000000-invoices';
import { Stripe1764500000000 } from './1764500000000-stripe';
import { RealtimeCost1764600000000 } from './1764600000000-realtime-cost';
import { RollupFamilies1764700000000 } from './1764700000000-rollup-families';
import { IngestContextVersions1764800000000 } from './1764800000000-ingest-context-versions';
import { RollupDeltas1764900000000 } from './1764900000000-rollup-deltas';
import { PlanChanges1765000000000 } from './1765000000000-plan-changes';
import { PerResourceMinutes1765100000000 } from './1765100000000-per-resource-minutes';
import { VoidDrafts1765200000000 } from './1765200000000-void-drafts';

/** Every migration, in order; listed explicitly so the app, the CLI and the tests run the same set. */
export const MIGRATIONS = [Foundation1764100000000, UsageMetering1764200000000, Subscriptions1764300000000, Invoices1764400000000, Stripe1764500000000, RealtimeCost1764600000000, RollupFamilies1764700000000, IngestContextVersions1764800000000, RollupDeltas1764900000000, PlanChanges1765000000000, PerResourceMinutes1765100000000, VoidDrafts1765200000000];

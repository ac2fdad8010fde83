import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CatalogModule } from './catalog/catalog.module';
import { CostCentersModule } from './cost-centers/cost-centers.module';
import { QuotasModule } from './quotas/quotas.module';
import { CouponsModule } from './coupons/coupons.module';
import { UsageModule } from './usage/usage.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';
import { InvoicesModule } from './invoices/invoices.module';
import { BillingModule } from './billing/billing.module';
import { StripeModule } from './stripe/stripe.module';
import { RealtimeCostModule } from './realtime-cost/realtime-cost.module';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { AccessGuard, JwtAuthGuard } from './common/auth/guards';
import { JwtStrategy } from './common/auth/jwt.strategy';
import { DatabaseModule } from './common/database/database.module';
import { dataSourceOptions } from './common/database/data-source-options';
import { ProblemFilter } from './common/errors/problem-filter';
import { HealthModule } from './common/health/health';
import { RateLimitGuard } from './common/http/rate-limit.guard';
import { IdempotencyModule } from './common/idempotency/idempotency.module';
import { MetricsModule } from './common/metrics/metrics';

/** The whole service for one configuration; `databaseUrl` is the resolved one (embedded or given). */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string, extra: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot({
          ...dataSourceOptions(databaseUrl, { poolSize: config.dbPoolSize, migrationsRun: config.migrationsRun }),
          retryAttempts: 3,
          retryDelay: 1000,
        }),
        ScheduleModule.forRoot(),
        PassportModule,
        DatabaseModule,
        MetricsModule,
        HealthModule,
        IdempotencyModule,
        CatalogModule,
        CostCentersModule,
        UsageModule,
        QuotasModule,
        CouponsModule,
        SubscriptionsModule,
        InvoicesModule,
        BillingModule,
        StripeModule,
        RealtimeCostModule,
        ...extra,
      ],
      providers: [
        JwtStrategy,
        // Guards and filter are providers of their own so the direct routes (app.factory.ts) run
        // the very instances Nest runs (one verified-token cache, one set of rate-limit buckets).
        JwtAuthGuard,
        AccessGuard,
        RateLimitGuard,
        ProblemFilter,
        { provide: APP_GUARD, useExisting: JwtAuthGuard },
        { provide: APP_GUARD, useExisting: AccessGuard },
        // After the two above (guards run in this order): counts only verified, authorized callers.
        { provide: APP_GUARD, useExisting: RateLimitGuard },
        { provide: APP_FILTER, useExisting: ProblemFilter },
      ],
    };
  }
}

import { Global, Module } from '@nestjs/common';
import { PgListener } from './pg-listener';
import { PgPool } from './pg-pool';
import { Transactions } from './transactions';

@Global()
@Module({ providers: [Transactions, PgPool, PgListener], exports: [Transactions, PgPool, PgListener] })
export class DatabaseModule {}

import { Global, Module } from '@nestjs/common';
import { PgPool } from './pg-pool';
import { Transactions } from './transactions';

@Global()
@Module({ providers: [Transactions, PgPool], exports: [Transactions, PgPool] })
export class DatabaseModule {}

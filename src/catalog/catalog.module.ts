import { Global, Module } from '@nestjs/common';
import { CatalogService } from './catalog.service';
import { PlansController } from './plans.controller';

@Global()
@Module({ providers: [CatalogService], controllers: [PlansController], exports: [CatalogService] })
export class CatalogModule {}

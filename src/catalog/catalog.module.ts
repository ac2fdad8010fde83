import { Global, Module } from '@nestjs/common';
import { CatalogRepository } from './catalog.repository';
import { CatalogService } from './catalog.service';
import { PlansController } from './plans.controller';

@Global()
@Module({ providers: [CatalogService, CatalogRepository], controllers: [PlansController], exports: [CatalogService] })
export class CatalogModule {}

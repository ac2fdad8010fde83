import { Module, OnModuleInit } from '@nestjs/common';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import { CouponsController } from './coupons.controller';
import { CouponsRepository } from './coupons.repository';
import { CouponsService } from './coupons.service';

/**
 * Coupons: platform-managed discount codes that tenants validate and redeem onto their live
 * subscription. Coupons depend on subscriptions, not the other way round: at start this module
 * hands CouponsService to SubscriptionsService as its CouponRedeemer (couponCode on create and
 * on discount).
 */
@Module({
  imports: [SubscriptionsModule],
  controllers: [CouponsController],
  providers: [CouponsService, CouponsRepository],
  exports: [CouponsService],
})
export class CouponsModule implements OnModuleInit {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly coupons: CouponsService,
  ) {}

  onModuleInit(): void {
    this.subscriptions.useCouponRedeemer(this.coupons);
  }
}

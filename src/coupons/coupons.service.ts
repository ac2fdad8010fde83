import { Injectable } from '@nestjs/common';
import { CatalogService } from '../catalog/catalog.service';
import { Transactions } from '../common/database/transactions';
import { FieldError, ValidationFailed } from '../common/errors/problem';
import { isUuid } from '../common/http/id-param';
import { Dec } from '../common/money/decimal';
import { Page, decodeCursor, toPage } from '../common/pagination/pagination';
import { Discount, makeDiscount } from '../subscriptions/domain/discount';
import type { CouponRedeemer } from '../subscriptions/subscriptions.service';
import { Coupon, TargetPlan, appliesToPlan, couponTermsProblems, ineligibility, isExhausted, isExpired, parseInstant } from './coupon-rules';
import { CouponProblems } from './coupons.errors';
import { CouponsRepository, RedemptionRow } from './coupons.repository';
import type { CreateCouponDto, RedeemCouponDto, ValidateCouponDto } from './dto/coupon-input.dto';
import type { CouponDto, CouponValidationDto, RedemptionDto, RedemptionResultDto } from './dto/coupon.dto';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function toCouponDto(c: Coupon): CouponDto {
  return {
    id: c.id,
    code: c.code,
    name: c.name,
    percentOff: c.percentOff === null ? null : new Dec(c.percentOff).toFixed(),
    amountOffCents: c.amountOffCents,
    currency: c.currency,
    duration: c.duration,
    durationInPeriods: c.durationInPeriods,
    maxRedemptions: c.maxRedemptions,
    timesRedeemed: c.timesRedeemed,
    redeemBy: c.redeemBy?.toISOString() ?? null,
    appliesToPlans: c.appliesToPlans,
    active: c.active,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

function toRedemptionDto(r: RedemptionRow): RedemptionDto {
  return { id: r.id, couponId: r.coupon_id, tenantId: r.tenant_id, subscriptionId: r.subscription_id, createdAt: r.created_at.toISOString() };
}

/** A coupon redeemed for a subscription: the redemption recorded, and the discount to store on the subscription. */
export interface ClaimedCoupon {
  coupon: Coupon;
  redemption: RedemptionDto;
  discount: Discount;
}

/** What redeemForSubscription needs of the subscription it applies a coupon to. */
export interface RedeemingSubscription {
  id: string;
  tenantId: string;
  planId: string;
  discount: Discount | null;
}

/**
 * Coupons: created and deactivated by the platform, validated and redeemed by tenants.
 *
 * Lock order, everywhere a coupon is redeemed: the tenant's subscription row first, then the
 * coupon row. redeem() takes them in that order, and redeemForSubscription() / claim() (what the
 * subscriptions domain calls for `couponCode`) expect the caller to hold the subscription already,
 * so the two paths cannot deadlock. The coupon's row lock is what makes maxRedemptions hold under any concurrency.
 */
@Injectable()
export class CouponsService implements CouponRedeemer {
  constructor(
    private readonly repository: CouponsRepository,
    private readonly catalog: CatalogService,
    private readonly transactions: Transactions,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  async create(input: CreateCouponDto, now = new Date()): Promise<CouponDto> {
    const errors = couponTermsProblems(input, now);
    if (errors.length > 0) throw new ValidationFailed(errors);
    const plans = input.appliesToPlans ?? null;
    if (plans !== null) {
      const unknown: FieldError[] = [];
      plans.forEach((id, i) => {
        if (!this.catalog.plan(id)) unknown.push({ path: `appliesToPlans[${i}]`, message: `"${id}" is not a plan of the catalog` });
      });
      if (unknown.length > 0) throw CouponProblems.unknownPlans(unknown);
      // An amount off in another currency could never apply to that plan.
      const amountOff = input.amountOffCents !== undefined && input.amountOffCents !== null;
      const other = plans.map((id) => this.catalog.plan(id)!).find((p) => amountOff && p.currency !== input.currency);
      if (other) throw CouponProblems.currencyMismatch(input.currency!, other.id, other.currency);
    }
    const coupon = await this.repository.insert({
      code: input.code,
      name: input.name.trim(),
      percentOff: typeof input.percentOff === 'string' ? new Dec(input.percentOff).toFixed() : null,
      amountOffCents: input.amountOffCents ?? null,
      currency: input.currency ?? null,
      duration: input.duration,
      durationInPeriods: input.durationInPeriods ?? null,
      maxRedemptions: input.maxRedemptions ?? null,
      redeemBy: typeof input.redeemBy === 'string' ? parseInstant(input.redeemBy) : null,
      appliesToPlans: plans === null ? null : [...new Set(plans)],
    });
    return toCouponDto(coupon);
  }

  /** Newest first, optionally only active or only deactivated coupons. */
  async list(opts: { limit: number; cursor?: string; active?: boolean }): Promise<Page<CouponDto>> {
    const key = decodeCursor(opts.cursor, 2);
    if (key && !(typeof key[0] === 'string' && CURSOR_TIME.test(key[0]) && typeof key[1] === 'string' && isUuid(key[1]))) {
      throw new ValidationFailed([{ path: 'cursor', message: 'is not a cursor this service issued' }]);
    }
    const rows = await this.repository.list({
      before: key ? [key[0] as string, key[1] as string] : null,
      limit: opts.limit + 1,
      active: opts.active ?? null,
    });
    return toPage(rows, opts.limit, (c) => [c.createdKey, c.id], toCouponDto);
  }

  async get(id: string): Promise<CouponDto> {
    const coupon = await this.repository.findById(id);
    if (!coupon) throw CouponProblems.notFound();
    return toCouponDto(coupon);
  }

  /** Stops new redemptions; discounts already applied run on. Deactivating an inactive coupon changes nothing. */
  deactivate(id: string): Promise<CouponDto> {
    return this.transactions.run(async () => {
      const coupon = await this.repository.findById(id, { forUpdate: true });
      if (!coupon) throw CouponProblems.notFound();
      return toCouponDto(coupon.active ? await this.repository.deactivate(id) : coupon);
    });
  }

  /**
   * Whether the tenant could redeem the code now, with the first reason it could not. The plan
   * checked is planId, else the plan of the tenant's live subscription, else none.
   */
  async validate(input: ValidateCouponDto, now = new Date()): Promise<CouponValidationDto> {
    let plan: TargetPlan | null = null;
    if (input.planId !== undefined) {
      const def = this.catalog.plan(input.planId);
      if (!def) throw CouponProblems.unknownPlan(input.planId);
      plan = { id: def.id, currency: def.currency };
    }
    const coupon = await this.repository.findByCode(input.code);
    if (!coupon) return { valid: false, reason: 'NOT_FOUND', coupon: null };
    if (plan === null) {
      const live = await this.repository.liveSubscription(input.tenantId);
      if (live) plan = { id: live.plan_id, currency: live.plan_currency };
    }
    const alreadyRedeemed = await this.repository.hasRedeemed(coupon.id, input.tenantId);
    const reason = ineligibility(coupon, { now, alreadyRedeemed, plan });
    return { valid: reason === null, reason, coupon: toCouponDto(coupon) };
  }

  /** Applies the coupon to the tenant's live subscription, replacing its discount, in one transaction. */
  redeem(input: RedeemCouponDto, now = new Date()): Promise<RedemptionResultDto> {
    return this.transactions.run(async () => {
      // Unknown, inactive and expired answer before the subscription is looked at; claim() checks again under the lock.
      const seen = await this.repository.findByCode(input.code);
      if (!seen) throw CouponProblems.notFound();
      this.assertOpen(seen, now);
      const subscription = await this.repository.liveSubscription(input.tenantId, { forUpdate: true });
      if (!subscription) throw CouponProblems.noLiveSubscription(input.tenantId);
      const claimed = await this.claim(
        input.code,
        input.tenantId,
        { subscriptionId: subscription.id, plan: { id: subscription.plan_id, currency: subscription.plan_currency } },
        now,
      );
      await this.repository.setSubscriptionDiscount(input.tenantId, subscription.id, claimed.discount);
      return { redemption: claimed.redemption, subscription: await this.subscriptions.live(input.tenantId), replacedDiscount: subscription.discount };
    });
  }

  /**
   * Redeems a coupon for one subscription of the tenant: locks the coupon, checks it (404, 409
   * INVALID_STATE with reason INACTIVE | EXPIRED | NOT_APPLICABLE, 422 CURRENCY_MISMATCH for an
   * amount off in another currency, 409 ALREADY_REDEEMED, 409 COUPON_EXHAUSTED), records the redemption and counts it. Returns the discount for the caller
   * to store on the subscription. Joins the caller's transaction, which should already hold the
   * subscription's row lock (the lock order of this domain).
   */
  claim(code: string, tenantId: string, target: { subscriptionId: string; plan: TargetPlan }, now = new Date()): Promise<ClaimedCoupon> {
    return this.transactions.run(async () => {
      const coupon = await this.repository.findByCode(code, { forUpdate: true });
      if (!coupon) throw CouponProblems.notFound();
      this.assertOpen(coupon, now);
      if (coupon.appliesToPlans !== null && !coupon.appliesToPlans.includes(target.plan.id)) throw CouponProblems.notApplicable(coupon.code, target.plan.id);
      if (!appliesToPlan(coupon, target.plan)) throw CouponProblems.couponCurrency(coupon.code, coupon.currency!, target.plan.id, target.plan.currency);
      if (await this.repository.hasRedeemed(coupon.id, tenantId)) throw CouponProblems.alreadyRedeemed(coupon.code, tenantId);
      if (isExhausted(coupon)) throw CouponProblems.exhausted(coupon.code);
      const redemption = await this.repository.recordRedemption(coupon, tenantId, target.subscriptionId);
      const discount = makeDiscount(
        {
          percentOff: coupon.percentOff === null ? null : new Dec(coupon.percentOff).toFixed(),
          amountOffCents: coupon.amountOffCents,
          currency: coupon.currency,
          duration: coupon.duration,
          durationInPeriods: coupon.durationInPeriods,
        },
        { source: 'coupon', couponId: coupon.id, couponCode: coupon.code },
        now,
      );
      return { coupon: { ...coupon, timesRedeemed: coupon.timesRedeemed + 1 }, redemption: toRedemptionDto(redemption), discount };
    });
  }

  /**
   * The subscriptions domain's CouponRedeemer (subscription create with couponCode, discount with
   * couponCode): claims the coupon for the subscription and stores its discount there, inside the
   * caller's transaction, which holds the subscription's row lock. Returns the discount it replaced.
   */
  async redeemForSubscription(code: string, subscription: RedeemingSubscription, now = new Date()): Promise<{ discount: Discount; replaced: Discount | null }> {
    return this.transactions.run(async () => {
      const currency = this.catalog.plan(subscription.planId)?.currency ?? (await this.repository.planCurrency(subscription.planId));
      const claimed = await this.claim(code, subscription.tenantId, { subscriptionId: subscription.id, plan: { id: subscription.planId, currency } }, now);
      await this.repository.setSubscriptionDiscount(subscription.tenantId, subscription.id, claimed.discount);
      return { discount: claimed.discount, replaced: subscription.discount };
    });
  }

  private assertOpen(coupon: Coupon, now: Date): void {
    if (!coupon.active) throw CouponProblems.inactive(coupon.code);
    if (isExpired(coupon, now)) throw CouponProblems.expired(coupon.code);
  }
}

import { Injectable } from '@nestjs/common';
import { isCheckViolation, isUniqueViolation } from '../common/database/pg-errors';
import { Transactions } from '../common/database/transactions';
import type { Discount, DiscountDuration } from '../subscriptions/domain/discount';
import type { SubscriptionStatus } from '../subscriptions/domain/subscription-state';
import type { Coupon } from './coupon-rules';
import { CouponProblems } from './coupons.errors';

interface CouponRow {
  id: string;
  code: string;
  name: string;
  percent_off: string | null;
  amount_off_cents: string | null;
  currency: string | null;
  duration: DiscountDuration;
  duration_in_periods: number | null;
  max_redemptions: number | null;
  times_redeemed: number;
  redeem_by: Date | null;
  applies_to_plans: string[] | null;
  active: boolean;
  created_at: Date;
  updated_at: Date;
  /** created_at at full (microsecond) precision, the list's keyset. */
  created_key: string;
}

/** A coupon with the key the list pages by. */
export type ListedCoupon = Coupon & { createdKey: string };

export interface NewCoupon {
  code: string;
  name: string;
  percentOff: string | null;
  amountOffCents: number | null;
  currency: string | null;
  duration: DiscountDuration;
  durationInPeriods: number | null;
  maxRedemptions: number | null;
  redeemBy: Date | null;
  appliesToPlans: string[] | null;
}

export interface RedemptionRow {
  id: string;
  coupon_id: string;
  tenant_id: string;
  subscription_id: string;
  created_at: Date;
}

/** The columns of a live subscription the coupons domain reads and writes. */
export interface SubscriptionRow {
  id: string;
  tenant_id: string;
  plan_id: string;
  status: SubscriptionStatus;
  discount: Discount | null;
  /** The currency of plan_id, from the plans table. */
  plan_currency: string;
}

const SELECTED = `id, code, name, percent_off::text AS percent_off, amount_off_cents, currency, duration, duration_in_periods,
  max_redemptions, times_redeemed, redeem_by, applies_to_plans, active, created_at, updated_at,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key`;

const SUBSCRIPTION_COLUMNS = 's.id, s.tenant_id, s.plan_id, s.status, s.discount, p.currency AS plan_currency';

function toCoupon(r: CouponRow): ListedCoupon {
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    percentOff: r.percent_off,
    amountOffCents: r.amount_off_cents === null ? null : Number(r.amount_off_cents),
    currency: r.currency,
    duration: r.duration,
    durationInPeriods: r.duration_in_periods,
    maxRedemptions: r.max_redemptions,
    timesRedeemed: r.times_redeemed,
    redeemBy: r.redeem_by,
    appliesToPlans: r.applies_to_plans,
    active: r.active,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    createdKey: r.created_key,
  };
}

/**
 * The only place coupons and redemptions are queried. Coupons belong to the platform, not to a
 * tenant; redemptions and subscriptions are always looked up with their tenant.
 */
@Injectable()
export class CouponsRepository {
  constructor(private readonly transactions: Transactions) {}

  private query<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.transactions.manager().query(sql, params) as Promise<T[]>;
  }

  /** The case-insensitive unique index turns a taken code into a 409, whoever wins a race. */
  async insert(c: NewCoupon): Promise<Coupon> {
    try {
      const [row] = await this.query<CouponRow>(
        `INSERT INTO coupons (code, name, percent_off, amount_off_cents, currency, duration, duration_in_periods, max_redemptions, redeem_by, applies_to_plans)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${SELECTED}`,
        [c.code, c.name, c.percentOff, c.amountOffCents, c.currency, c.duration, c.durationInPeriods, c.maxRedemptions, c.redeemBy, c.appliesToPlans],
      );
      return toCoupon(row);
    } catch (err) {
      throw isUniqueViolation(err, 'coupons_code_ci') ? CouponProblems.duplicateCode(c.code) : err;
    }
  }

  async findById(id: string, opts: { forUpdate?: boolean } = {}): Promise<Coupon | null> {
    const rows = await this.query<CouponRow>(`SELECT ${SELECTED} FROM coupons WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? toCoupon(rows[0]) : null;
  }

  /** Case-insensitive, through the coupons_code_ci index; `forUpdate` serializes redemptions of the coupon. */
  async findByCode(code: string, opts: { forUpdate?: boolean } = {}): Promise<Coupon | null> {
    const rows = await this.query<CouponRow>(`SELECT ${SELECTED} FROM coupons WHERE lower(code) = lower($1)${opts.forUpdate ? ' FOR UPDATE' : ''}`, [
      code,
    ]);
    return rows[0] ? toCoupon(rows[0]) : null;
  }

  /** Newest first; `before` is the (created_key, id) of the last row of the previous page. */
  async list(opts: { before: [string, string] | null; limit: number; active: boolean | null }): Promise<ListedCoupon[]> {
    const rows = await this.query<CouponRow>(
      `SELECT ${SELECTED} FROM coupons
       WHERE ($1::boolean IS NULL OR active = $1)
         AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
       ORDER BY created_at DESC, id DESC LIMIT $4`,
      [opts.active, opts.before?.[0] ?? null, opts.before?.[1] ?? null, opts.limit],
    );
    return rows.map(toCoupon);
  }

  async deactivate(id: string): Promise<Coupon> {
    const [[row]] = (await this.transactions.manager().query(
      `UPDATE coupons SET active = false, updated_at = now() WHERE id = $1 RETURNING ${SELECTED}`,
      [id],
    )) as [CouponRow[], number];
    return toCoupon(row);
  }

  async hasRedeemed(couponId: string, tenantId: string): Promise<boolean> {
    const rows = await this.query('SELECT 1 FROM coupon_redemptions WHERE coupon_id = $1 AND tenant_id = $2', [couponId, tenantId]);
    return rows.length > 0;
  }

  /**
   * Records a redemption and counts it on the coupon. UNIQUE (coupon_id, tenant_id) and the
   * coupon's CHECK (times_redeemed <= max_redemptions) are the last guards behind the row lock.
   */
  async recordRedemption(coupon: Coupon, tenantId: string, subscriptionId: string): Promise<RedemptionRow> {
    try {
      const [row] = await this.query<RedemptionRow>(
        `INSERT INTO coupon_redemptions (coupon_id, tenant_id, subscription_id) VALUES ($1, $2, $3)
         RETURNING id, coupon_id, tenant_id, subscription_id, created_at`,
        [coupon.id, tenantId, subscriptionId],
      );
      await this.query('UPDATE coupons SET times_redeemed = times_redeemed + 1, updated_at = now() WHERE id = $1', [coupon.id]);
      return row;
    } catch (err) {
      if (isUniqueViolation(err)) throw CouponProblems.alreadyRedeemed(coupon.code, tenantId);
      if (isCheckViolation(err, 'coupons_')) throw CouponProblems.exhausted(coupon.code);
      throw err;
    }
  }

  /** The tenant's live (not canceled) subscription; `forUpdate` holds it until commit. */
  async liveSubscription(tenantId: string, opts: { forUpdate?: boolean } = {}): Promise<SubscriptionRow | null> {
    const rows = await this.query<SubscriptionRow>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions s JOIN plans p ON p.id = s.plan_id
       WHERE s.tenant_id = $1 AND s.status <> 'canceled'${opts.forUpdate ? ' FOR UPDATE OF s' : ''}`,
      [tenantId],
    );
    return rows[0] ?? null;
  }

  /** A plan's currency from the plans table (plans that left the catalog file stay there). */
  async planCurrency(planId: string): Promise<string> {
    const [row] = await this.query<{ currency: string }>('SELECT currency FROM plans WHERE id = $1', [planId]);
    return row.currency;
  }

  async setSubscriptionDiscount(tenantId: string, subscriptionId: string, discount: Discount): Promise<SubscriptionRow> {
    // TypeORM answers an UPDATE with [rows, rowCount].
    const [[row]] = (await this.transactions.manager().query(
      `UPDATE subscriptions s SET discount = $3, updated_at = now() FROM plans p
       WHERE s.tenant_id = $1 AND s.id = $2 AND p.id = s.plan_id RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [tenantId, subscriptionId, JSON.stringify(discount)],
    )) as [SubscriptionRow[], number];
    return row;
  }
}

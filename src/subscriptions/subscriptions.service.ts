import { Injectable } from '@nestjs/common';
import { CatalogService } from '../catalog/catalog.service';
import { CostCentersService } from '../cost-centers/cost-centers.service';
import type { PlanDef } from '../catalog/catalog.types';
import { Principal, reachesAllTenants } from '../common/auth/principal';
import { Transactions } from '../common/database/transactions';
import { ProblemError, ValidationFailed, notFound } from '../common/errors/problem';
import { Page, decodeCursor, toPage } from '../common/pagination/pagination';
import { CreditLedger } from './credit-ledger.service';
import { Discount, makeDiscount } from './domain/discount';
import { addIntervals, periodAt, trialEnd as trialEndOf } from './domain/periods';
import { planChangeProration } from './domain/proration';
import { SubscriptionAction, canApply, nextStatus } from './domain/subscription-state';
import type {
  AddCreditsDto,
  ApplyDiscountDto,
  ChangePlanDto,
  CreateSubscriptionDto,
  CreditGrantDto,
  DiscountResultDto,
  PauseDto,
  SubscriptionDto,
} from './dto/subscription.dto';
import { invalidTransition, isOneLiveViolation, subscriptionExists } from './subscriptions.errors';
import { SubscriptionPatch, SubscriptionsRepository } from './subscriptions.repository';
import type { Subscription } from './subscription.types';

const MAX_FUTURE_START_MS = 5 * 60 * 1000;

/** Redeems a coupon onto a live subscription inside the caller's transaction (the coupons domain provides it). */
export interface CouponRedeemer {
  redeemForSubscription(code: string, subscription: Subscription): Promise<{ discount: Discount; replaced: Discount | null }>;
}

@Injectable()
export class SubscriptionsService {
  private couponRedeemer: CouponRedeemer | null = null;

  constructor(
    private readonly subscriptions: SubscriptionsRepository,
    private readonly credits: CreditLedger,
    private readonly catalog: CatalogService,
    private readonly tx: Transactions,
    private readonly costCenters: CostCentersService,
  ) {}

  /** Wired by the coupons module (it depends on subscriptions, not the other way round). */
  useCouponRedeemer(redeemer: CouponRedeemer): void {
    this.couponRedeemer = redeemer;
  }

  // ---- reads ----------------------------------------------------------------------------

  async toDto(s: Subscription): Promise<SubscriptionDto> {
    const plan = this.catalog.plan(s.planId);
    const lines = await this.subscriptions.pendingLines(s.id);
    return {
      id: s.id,
      tenantId: s.tenantId,
      planId: s.planId,
      status: s.status,
      currency: plan?.currency ?? 'USD',
      interval: s.interval,
      startedAt: s.startedAt,
      currentPeriodStart: s.currentPeriodStart,
      currentPeriodEnd: s.currentPeriodEnd,
      anchorDay: s.anchorAt.getUTCDate(),
      trialEnd: s.trialEnd,
      cancelAtPeriodEnd: s.cancelAtPeriodEnd,
      canceledAt: s.canceledAt,
      pausedAt: s.pausedAt,
      resumesAt: s.resumesAt,
      pendingChange: s.pendingChange,
      discount: s.discount,
      creditBalanceCents: await this.credits.balance(s.id),
      costCenterId: s.costCenterId,
      pendingLines: lines.map((l) => ({
        id: l.id,
        type: 'proration',
        description: l.description,
        amountCents: Number(l.amount_cents),
        currency: l.currency,
        periodStart: l.period_start,
        periodEnd: l.period_end,
        computation: l.computation,
      })),
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
    };
  }

  async live(tenantId: string): Promise<SubscriptionDto> {
    const s = await this.subscriptions.findLive(tenantId);
    if (!s) throw notFound(`Live subscription of tenant ${tenantId}`);
    return this.toDto(s);
  }

  /** The live subscription's current period, for quotas and summaries (null without one). */
  async liveBillingPeriod(tenantId: string): Promise<{ start: Date; end: Date } | null> {
    const s = await this.subscriptions.findLive(tenantId);
    return s ? { start: s.currentPeriodStart, end: s.currentPeriodEnd } : null;
  }

  async list(tenantId: string, cursor: string | undefined, limit: number): Promise<Page<SubscriptionDto>> {
    const after = decodeCursor(cursor, 2) as [string, string] | null;
    const rows = await this.subscriptions.list(tenantId, after, limit + 1);
    const page = toPage(rows, limit, (s) => [s.createdAt.toISOString(), s.id], (s) => s);
    return { data: await Promise.all(page.data.map((s) => this.toDto(s))), nextCursor: page.nextCursor };
  }

  // ---- create ---------------------------------------------------------------------------

  private requirePlan(planId: string): PlanDef {
    const plan = this.catalog.plan(planId);
    if (!plan) throw new ProblemError('UNKNOWN_PLAN', `Unknown plan ${planId}`);
    if (!plan.active) throw new ProblemError('PLAN_INACTIVE', `Plan ${planId} is not open to new subscriptions`);
    return plan;
  }

  async create(tenantId: string, dto: CreateSubscriptionDto, now = new Date()): Promise<SubscriptionDto> {
    const plan = this.requirePlan(dto.planId);
    const start = dto.startDate ? new Date(dto.startDate) : now;
    if (start.getTime() > now.getTime() + MAX_FUTURE_START_MS) {
      throw new ValidationFailed([{ path: 'startDate', message: 'must not be in the future' }]);
    }
    const trial = (dto.trial ?? plan.trialDays > 0) && plan.trialDays > 0;
    return this.tx.run(async () => {
      if (dto.costCenterId && !(await this.costCenters.belongsToTenant(dto.costCenterId, tenantId))) {
        throw new ProblemError('UNKNOWN_COST_CENTER', `Cost center ${dto.costCenterId} is not a cost center of tenant ${tenantId}`);
      }
      const trialEnd = trial ? trialEndOf(start, plan.trialDays) : null;
      const anchor = trialEnd ?? start;
      const first = trialEnd ? { start, end: trialEnd } : periodAt(anchor, plan.interval, 0);
      let created: Subscription;
      try {
        created = await this.subscriptions.insert({
          tenantId,
          planId: plan.id,
          periodPlanId: plan.id,
          status: trial ? 'trialing' : 'active',
          interval: plan.interval,
          anchorAt: anchor,
          startedAt: start,
          currentPeriodStart: first.start,
          currentPeriodEnd: first.end,
          trialEnd,
          cancelAtPeriodEnd: false,
          canceledAt: null,
          billingClosed: false,
          pausedAt: null,
          resumesAt: null,
          pendingChange: null,
          discount: null,
          costCenterId: dto.costCenterId?.toLowerCase() ?? null,
        });
      } catch (err) {
        if (isOneLiveViolation(err)) throw subscriptionExists(tenantId);
        throw err;
      }
      if (dto.couponCode) {
        const { discount } = await this.redeemer().redeemForSubscription(dto.couponCode, created);
        created = { ...created, discount };
      }
      return this.toDto(created);
    });
  }

  private redeemer(): CouponRedeemer {
    if (!this.couponRedeemer) throw new Error('coupons module not wired');
    return this.couponRedeemer;
  }

  // ---- actions --------------------------------------------------------------------------

  /** Locks the subscription (404 for another tenant's) and checks the transition. */
  private async lockFor(principal: Principal, id: string, action: SubscriptionAction): Promise<Subscription> {
    const s = await this.subscriptions.findById(reachesAllTenants(principal) ? null : principal.tenantId, id, true);
    if (!s) throw notFound(`Subscription ${id}`);
    if (!canApply(action, s.status)) throw invalidTransition(action, s.status);
    return s;
  }

  /** Actions need the stored period to hold now; right after downtime the period close catches up first. */
  private requireCurrentPeriod(s: Subscription, now: Date): void {
    if (now.getTime() >= s.currentPeriodEnd.getTime()) {
      throw new ProblemError('INVALID_STATE', 'Ended periods of this subscription are still being invoiced; retry after period close');
    }
  }

  async changePlan(principal: Principal, id: string, dto: ChangePlanDto, now = new Date()): Promise<SubscriptionDto> {
    const plan = this.requirePlan(dto.planId);
    return this.tx.run(async () => {
      const s = await this.lockFor(principal, id, 'change_plan');
      const current = this.catalog.plan(s.planId)!;
      if (plan.currency !== current.currency) {
        throw new ProblemError('CURRENCY_MISMATCH', `Plan ${plan.id} is billed in ${plan.currency}, the subscription in ${current.currency}`);
      }
      if (plan.id === s.planId && dto.effective === 'immediately') {
        throw new ProblemError('INVALID_STATE', `The subscription is already on plan ${plan.id}`);
      }
      if (dto.effective === 'period_end') {
        const pendingChange = plan.id === s.planId ? null : { planId: plan.id, effectiveAt: s.currentPeriodEnd.toISOString() };
        return this.toDto(await this.subscriptions.update(s.id, { pendingChange }));
      }
      this.requireCurrentPeriod(s, now);
      if (s.status === 'trialing') {
        // The trial is free: nothing to prorate; the first paid period starts on the new plan.
        return this.toDto(await this.subscriptions.update(s.id, { planId: plan.id, periodPlanId: plan.id, interval: plan.interval, pendingChange: null }));
      }
      const prorate = dto.prorate ?? true;
      if (plan.interval !== s.interval) {
        // A new interval restarts the period at the change: the cut period bills the old plan's fee
        // for the time used (prorated by the second over its full length), the new plan's first
        // period starts now and bills in full at its end. No proration lines are needed.
        if (now.getTime() - s.currentPeriodStart.getTime() < 1000) {
          return this.toDto(await this.subscriptions.update(s.id, this.restartPatch(plan, s.currentPeriodStart, { pendingChange: null })));
        }
        return this.toDto(await this.subscriptions.update(s.id, { planId: plan.id, interval: plan.interval, anchorAt: now, currentPeriodEnd: now, pendingChange: null }));
      }
      if (prorate) {
        const lines = planChangeProration({
          periodStart: s.currentPeriodStart,
          periodEnd: s.currentPeriodFullEnd,
          changeAt: now,
          oldBasePrice: current.basePrice,
          newBasePrice: plan.basePrice,
          currency: plan.currency,
        });
        await this.addLine(s, lines.credit, `Unused time on ${current.name}`, plan.currency);
        await this.addLine(s, lines.charge, `Remaining time on ${plan.name}`, plan.currency);
      }
      return this.toDto(await this.subscriptions.update(s.id, { planId: plan.id, pendingChange: null }));
    });
  }

  /** A period that starts at `at` on `plan`, anchored there. */
  private restartPatch(plan: PlanDef, at: Date, extra: SubscriptionPatch = {}): SubscriptionPatch {
    const end = addIntervals(at, plan.interval, 1);
    return {
      planId: plan.id,
      periodPlanId: plan.id,
      interval: plan.interval,
      anchorAt: at,
      currentPeriodStart: at,
      currentPeriodEnd: end,
      currentPeriodFullEnd: end,
      ...extra,
    };
  }

  private async addLine(s: Subscription, line: { amountCents: number; periodStart: Date; periodEnd: Date; computation: object }, description: string, currency: string): Promise<void> {
    if (line.amountCents === 0) return;
    await this.subscriptions.addPendingLine({
      tenantId: s.tenantId,
      subscriptionId: s.id,
      description,
      amountCents: line.amountCents,
      currency,
      periodStart: line.periodStart,
      periodEnd: line.periodEnd,
      computation: line.computation,
    });
  }

  async cancel(principal: Principal, id: string, atPeriodEnd: boolean, now = new Date()): Promise<SubscriptionDto> {
    return this.tx.run(async () => {
      const s = await this.lockFor(principal, id, 'cancel');
      if (atPeriodEnd) return this.toDto(await this.subscriptions.update(s.id, { cancelAtPeriodEnd: true, pendingChange: null }));
      if (s.status === 'paused') await this.subscriptions.closePause(s.id, now);
      const trialing = s.status === 'trialing';
      // What is owed up to now is owed: the period ends now and period close invoices it (a trial owes nothing).
      const end = new Date(Math.max(now.getTime(), s.currentPeriodStart.getTime() + 1));
      return this.toDto(
        await this.subscriptions.update(s.id, {
          status: 'canceled',
          canceledAt: now,
          currentPeriodEnd: end < s.currentPeriodEnd ? end : s.currentPeriodEnd,
          cancelAtPeriodEnd: false,
          pendingChange: null,
          pausedAt: null,
          resumesAt: null,
          billingClosed: trialing,
        }),
      );
    });
  }

  async reactivate(principal: Principal, id: string, now = new Date()): Promise<SubscriptionDto> {
    return this.tx.run(async () => {
      const s = await this.lockFor(principal, id, 'reactivate');
      if (s.status !== 'canceled') {
        if (!s.cancelAtPeriodEnd) throw new ProblemError('INVALID_STATE', 'The subscription is live and not set to cancel');
        return this.toDto(await this.subscriptions.update(s.id, { cancelAtPeriodEnd: false }));
      }
      const plan = this.requirePlan(s.planId);
      // Last period not invoiced yet: undo the cancel, the period runs to its full end.
      // Already closed: restart on its plan, anchored now.
      const patch: SubscriptionPatch = !s.billingClosed
        ? { status: 'active', canceledAt: null, currentPeriodEnd: s.currentPeriodFullEnd }
        : this.restartPatch(plan, now, { status: 'active', canceledAt: null, billingClosed: false, trialEnd: null, discount: null });
      try {
        return this.toDto(await this.subscriptions.update(s.id, patch));
      } catch (err) {
        if (isOneLiveViolation(err)) throw subscriptionExists(s.tenantId);
        throw err;
      }
    });
  }

  async pause(principal: Principal, id: string, dto: PauseDto, now = new Date()): Promise<SubscriptionDto> {
    const resumesAt = dto.resumesAt ? new Date(dto.resumesAt) : null;
    if (resumesAt && resumesAt.getTime() <= now.getTime()) throw new ValidationFailed([{ path: 'resumesAt', message: 'must be in the future' }]);
    return this.tx.run(async () => {
      const s = await this.lockFor(principal, id, 'pause');
      await this.subscriptions.openPause(s.id, now);
      return this.toDto(await this.subscriptions.update(s.id, { status: nextStatus('pause', s.status), pausedAt: now, resumesAt }));
    });
  }

  async resume(principal: Principal, id: string, now = new Date()): Promise<SubscriptionDto> {
    return this.tx.run(async () => this.toDto(await this.resumeLocked(await this.lockFor(principal, id, 'resume'), now)));
  }

  private async resumeLocked(s: Subscription, at: Date): Promise<Subscription> {
    await this.subscriptions.closePause(s.id, at);
    return this.subscriptions.update(s.id, { status: nextStatus('resume', s.status), pausedAt: null, resumesAt: null });
  }

  async applyDiscount(principal: Principal, id: string, dto: ApplyDiscountDto, now = new Date()): Promise<DiscountResultDto> {
    const adHoc = dto.percentOff !== undefined || dto.amountOffCents !== undefined || dto.duration !== undefined;
    if (dto.couponCode !== undefined && adHoc) throw new ValidationFailed([{ path: 'couponCode', message: 'give a couponCode or ad-hoc terms, not both' }]);
    if (dto.couponCode === undefined) this.checkAdHoc(dto);
    return this.tx.run(async () => {
      const s = await this.lockFor(principal, id, 'discount');
      if (dto.couponCode !== undefined) {
        const { replaced } = await this.redeemer().redeemForSubscription(dto.couponCode, s);
        const after = (await this.subscriptions.findById(null, s.id))!;
        return { ...(await this.toDto(after)), replacedDiscount: replaced };
      }
      const currency = this.catalog.plan(s.planId)!.currency;
      const discount = makeDiscount(
        { percentOff: dto.percentOff ?? null, amountOffCents: dto.amountOffCents ?? null, currency, duration: dto.duration!, durationInPeriods: dto.durationInPeriods ?? null },
        { source: 'ad_hoc' },
        now,
      );
      const updated = await this.subscriptions.update(s.id, { discount });
      return { ...(await this.toDto(updated)), replacedDiscount: s.discount };
    });
  }

  private checkAdHoc(dto: ApplyDiscountDto): void {
    const errors: Array<{ path: string; message: string }> = [];
    if ((dto.percentOff === undefined) === (dto.amountOffCents === undefined)) errors.push({ path: 'percentOff', message: 'give exactly one of percentOff and amountOffCents (or a couponCode)' });
    if (dto.percentOff !== undefined && (Number(dto.percentOff) <= 0 || Number(dto.percentOff) > 100)) errors.push({ path: 'percentOff', message: 'must be > 0 and <= 100' });
    if (dto.duration === undefined) errors.push({ path: 'duration', message: 'is required for an ad-hoc discount' });
    if ((dto.duration === 'repeating') !== (dto.durationInPeriods !== undefined)) errors.push({ path: 'durationInPeriods', message: 'is required with repeating, and only then' });
    if (errors.length > 0) throw new ValidationFailed(errors);
  }

  async addCredits(principal: Principal, id: string, dto: AddCreditsDto, now = new Date()): Promise<CreditGrantDto> {
    const expiresAt = dto.expiresAt ? new Date(dto.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= now.getTime()) throw new ValidationFailed([{ path: 'expiresAt', message: 'must be in the future' }]);
    return this.tx.run(async () => {
      const s = await this.lockFor(principal, id, 'credits');
      const currency = this.catalog.plan(s.planId)!.currency;
      const entry = await this.credits.grant({ tenantId: s.tenantId, subscriptionId: s.id, amountCents: dto.amountCents, currency, reason: dto.reason, expiresAt });
      return {
        id: entry.id,
        tenantId: entry.tenantId,
        subscriptionId: entry.subscriptionId,
        kind: 'grant',
        amountCents: entry.amountCents,
        currency,
        reason: dto.reason,
        expiresAt,
        createdAt: entry.createdAt,
        creditBalanceCents: await this.credits.balance(s.id, now),
      };
    });
  }
}

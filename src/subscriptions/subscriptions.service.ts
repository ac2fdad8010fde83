import { Injectable } from '@nestjs/common';
import { InvoiceLine, baseLines } from '../pricing/invoice-builder';
import { CatalogService } from '../catalog/catalog.service';
import { CostCentersService } from '../cost-centers/cost-centers.service';
import type { PlanDef } from '../catalog/catalog.types';
import { Principal, reachesAllTenants } from '../common/auth/principal';
import { Transactions } from '../common/database/transactions';
import { ValidationFailed } from '../common/errors/problem';
import { Page, decodeCursor, toPage } from '../common/pagination/pagination';
import { CreditLedger } from './credit-ledger.service';
import { Discount, makeDiscount } from './domain/discount';
import { addIntervals, periodAt, trialEnd as trialEndOf } from './domain/periods';
import { subscriptionWindowParts } from './domain/plan-parts';
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
import { SubscriptionProblems, invalidTransition, isOneLiveViolation, subscriptionExists } from './subscriptions.errors';
import { SubscriptionPatch, SubscriptionsRepository } from './subscriptions.repository';
import type { Subscription } from './subscription.types';

const MAX_FUTURE_START_MS = 5 * 60 * 1000;

/**
 * Closes the periods of a locked subscription that ended before the period-close job reached
 * them, inside the caller's transaction (the invoices domain provides it).
 */
export interface PeriodCatchUp {
  /** Every ended period invoiced and advanced (and a due resume applied); the subscription after. */
  catchUp(s: Subscription, now: Date): Promise<Subscription>;
  /** Ends the current period at `at` and invoices it now. */
  invoiceUpTo(s: Subscription, at: Date, now: Date): Promise<void>;
}

/** Redeems a coupon onto a live subscription inside the caller's transaction (the coupons domain provides it). */
export interface CouponRedeemer {
  redeemForSubscription(code: string, subscription: Subscription): Promise<{ discount: Discount; replaced: Discount | null }>;
}

@Injectable()
export class SubscriptionsService {
  private couponRedeemer: CouponRedeemer | null = null;
  private periods: PeriodCatchUp | null = null;

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

  /** Wired by the invoices module (it depends on subscriptions, not the other way round). */
  usePeriodCatchUp(periods: PeriodCatchUp): void {
    this.periods = periods;
  }

  private catchUp(): PeriodCatchUp {
    if (!this.periods) throw new Error('invoices module not wired');
    return this.periods;
  }

  // ---- reads ----------------------------------------------------------------------------

  async toDto(s: Subscription): Promise<SubscriptionDto> {
    const plan = this.catalog.plan(s.planId);
    const lines = await this.pendingLines(s);
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
        type: 'proration',
        description: l.description,
        amountCents: l.amountCents,
        currency: plan?.currency ?? 'USD',
        periodStart: l.periodStart,
        periodEnd: l.periodEnd,
        computation: l.computation,
      })),
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
    };
  }

  /**
   * The proration lines the current period's invoice will carry for its plan changes so far, as
   * if the period ran to its end (a later cancel or pause changes them: they are priced then).
   */
  private async pendingLines(s: Subscription): Promise<InvoiceLine[]> {
    if (s.status === 'canceled' || s.status === 'trialing') return [];
    const changes = (await this.subscriptions.planChangesAfter(s.id, s.currentPeriodStart)).filter((c) => c.at.getTime() < s.currentPeriodEnd.getTime());
    if (!changes.some((c) => c.prorate)) return [];
    const parts = subscriptionWindowParts(s.currentPeriodStart, s.currentPeriodEnd, changes, { currentPlanId: s.planId, periodPlanId: s.periodPlanId });
    const lines = baseLines({
      baseParts: parts.base.map((p) => ({ from: p.from, to: p.to, plan: this.catalog.plan(p.planId)! })),
      periodStart: s.currentPeriodStart,
      periodEnd: s.currentPeriodEnd,
      periodFullEnd: s.currentPeriodFullEnd,
      pauses: await this.subscriptions.pausesOverlapping(s.id, s.currentPeriodStart, s.currentPeriodEnd),
      currency: this.catalog.plan(s.planId)!.currency,
    });
    return lines.filter((l) => l.type === 'proration');
  }

  async live(tenantId: string): Promise<SubscriptionDto> {
    const s = await this.subscriptions.findLive(tenantId);
    if (!s) throw SubscriptionProblems.liveNotFound(tenantId);
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
    if (!plan) throw SubscriptionProblems.unknownPlan(planId);
    if (!plan.active) throw SubscriptionProblems.planInactive(planId);
    return plan;
  }

  async create(tenantId: string, dto: CreateSubscriptionDto, now = new Date()): Promise<SubscriptionDto> {
    const plan = this.requirePlan(dto.planId);
    const start = dto.startDate ? new Date(dto.startDate) : now;
    if (start.getTime() > now.getTime() + MAX_FUTURE_START_MS) {
      throw SubscriptionProblems.notInFuture('startDate', 'must not be in the future');
    }
    const trial = (dto.trial ?? plan.trialDays > 0) && plan.trialDays > 0;
    return this.tx.run(async () => {
      if (dto.costCenterId && !(await this.costCenters.belongsToTenant(dto.costCenterId, tenantId))) {
        throw SubscriptionProblems.unknownCostCenter(dto.costCenterId, tenantId);
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

  /**
   * Locks the subscription (404 for another tenant's), closes the periods that ended before the
   * period-close job reached them (as the job would), and checks the transition against the
   * state after that: an action always applies to the period that holds `now`.
   */
  private async lockFor(principal: Principal, id: string, action: SubscriptionAction, now: Date): Promise<Subscription> {
    const locked = await this.subscriptions.findById(reachesAllTenants(principal) ? null : principal.tenantId, id, true);
    if (!locked) throw SubscriptionProblems.notFound(id);
    const s = locked.status === 'canceled' ? locked : await this.catchUp().catchUp(locked, now);
    if (!canApply(action, s.status)) throw invalidTransition(action, s.status);
    return s;
  }

  async changePlan(principal: Principal, id: string, dto: ChangePlanDto, now = new Date()): Promise<SubscriptionDto> {
    const plan = this.requirePlan(dto.planId);
    return this.tx.run(async () => {
      const s = await this.lockFor(principal, id, 'change_plan', now);
      const current = this.catalog.plan(s.planId)!;
      if (plan.currency !== current.currency) {
        throw SubscriptionProblems.currencyMismatch(plan.id, plan.currency, current.currency);
      }
      if (plan.id === s.planId && dto.effective === 'immediately') {
        throw SubscriptionProblems.alreadyOnPlan(plan.id);
      }
      if (dto.effective === 'period_end') {
        const pendingChange = plan.id === s.planId ? null : { planId: plan.id, effectiveAt: s.currentPeriodEnd.toISOString() };
        return this.toDto(await this.subscriptions.update(s.id, { pendingChange }));
      }
      const change = { at: now, fromPlanId: s.planId, toPlanId: plan.id, prorate: dto.prorate ?? true };
      if (s.status === 'trialing') {
        // The trial is free: nothing to prorate; the first paid period starts on the new plan.
        await this.subscriptions.insertPlanChange(s.tenantId, s.id, change);
        return this.toDto(await this.subscriptions.update(s.id, { planId: plan.id, periodPlanId: plan.id, interval: plan.interval, pendingChange: null }));
      }
      if (plan.interval !== s.interval) {
        // A new interval restarts the period at the change: the part before is invoiced at once on
        // the plans it had (its base fee prorated over its full length), the new plan's first
        // period starts now, anchored there.
        const at = now.getTime() > s.currentPeriodStart.getTime() ? now : s.currentPeriodStart;
        if (at !== s.currentPeriodStart) await this.catchUp().invoiceUpTo(s, at, now);
        await this.subscriptions.insertPlanChange(s.tenantId, s.id, { ...change, at });
        return this.toDto(await this.subscriptions.update(s.id, this.restartPatch(plan, at, { pendingChange: null })));
      }
      // The period is split at the change: invoices bill the part before on the old plan and the
      // part after on the new one (see InvoiceComposer.partsOf).
      await this.subscriptions.insertPlanChange(s.tenantId, s.id, change);
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

  async cancel(principal: Principal, id: string, atPeriodEnd: boolean, now = new Date()): Promise<SubscriptionDto> {
    return this.tx.run(async () => {
      const s = await this.lockFor(principal, id, 'cancel', now);
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
      const s = await this.lockFor(principal, id, 'reactivate', now);
      if (s.status !== 'canceled') {
        if (!s.cancelAtPeriodEnd) throw SubscriptionProblems.notSetToCancel();
        return this.toDto(await this.subscriptions.update(s.id, { cancelAtPeriodEnd: false }));
      }
      const plan = this.requirePlan(s.planId);
      // Last period not invoiced yet: undo the cancel, the period runs to its full end.
      // Already closed: restart on its plan, anchored now.
      const patch: SubscriptionPatch = !s.billingClosed
        ? { status: 'active', canceledAt: null, currentPeriodEnd: s.currentPeriodFullEnd }
        : this.restartPatch(plan, now, { status: 'active', canceledAt: null, billingClosed: false, trialEnd: null, discount: null });
      try {
        // An undone cancel may give back a period that has ended meanwhile: close it as the job would.
        return this.toDto(await this.catchUp().catchUp(await this.subscriptions.update(s.id, patch), now));
      } catch (err) {
        if (isOneLiveViolation(err)) throw subscriptionExists(s.tenantId);
        throw err;
      }
    });
  }

  async pause(principal: Principal, id: string, dto: PauseDto, now = new Date()): Promise<SubscriptionDto> {
    const resumesAt = dto.resumesAt ? new Date(dto.resumesAt) : null;
    if (resumesAt && resumesAt.getTime() <= now.getTime()) throw SubscriptionProblems.notInFuture('resumesAt', 'must be in the future');
    return this.tx.run(async () => {
      const s = await this.lockFor(principal, id, 'pause', now);
      await this.subscriptions.openPause(s.id, now);
      return this.toDto(await this.subscriptions.update(s.id, { status: nextStatus('pause', s.status), pausedAt: now, resumesAt }));
    });
  }

  async resume(principal: Principal, id: string, now = new Date()): Promise<SubscriptionDto> {
    return this.tx.run(async () => this.toDto(await this.resumeLocked(await this.lockFor(principal, id, 'resume', now), now)));
  }

  private async resumeLocked(s: Subscription, at: Date): Promise<Subscription> {
    await this.subscriptions.closePause(s.id, at);
    return this.subscriptions.update(s.id, { status: nextStatus('resume', s.status), pausedAt: null, resumesAt: null });
  }

  async applyDiscount(principal: Principal, id: string, dto: ApplyDiscountDto, now = new Date()): Promise<DiscountResultDto> {
    const adHoc = dto.percentOff !== undefined || dto.amountOffCents !== undefined || dto.duration !== undefined;
    if (dto.couponCode !== undefined && adHoc) throw SubscriptionProblems.couponOrTerms();
    if (dto.couponCode === undefined) this.checkAdHoc(dto);
    return this.tx.run(async () => {
      const s = await this.lockFor(principal, id, 'discount', now);
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
    if (expiresAt && expiresAt.getTime() <= now.getTime()) throw SubscriptionProblems.notInFuture('expiresAt', 'must be in the future');
    return this.tx.run(async () => {
      const s = await this.lockFor(principal, id, 'credits', now);
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

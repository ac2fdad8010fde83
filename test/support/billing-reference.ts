import type { CatalogFile, PlanDef } from '../../src/catalog/catalog.types';
import { Dec } from '../../src/common/money/decimal';
import { toMinorUnits } from '../../src/common/money/money';
import { priceCharge } from '../../src/pricing/price-charge';
import { addIntervals, periodContaining } from '../../src/subscriptions/domain/periods';
import { activeSeconds } from '../../src/subscriptions/domain/proration';

/** A usage event as the reference counts it. */
export interface RefEvent {
  ts: number;
  metric: string;
  quantity: Dec;
  userId?: string;
}

/** A window the reference expects one invoice for, with what it must bill. */
export interface RefWindow {
  start: number;
  end: number;
  fullEnd: number;
}

/**
 * An independent model of a subscription's billing for property tests (CONTRACT.md, Subscription
 * and Settled details), written in instants and events rather than rows: it keeps the plan in
 * effect at every millisecond, the pauses, and the windows the service must invoice, and prices
 * each window by billing every second on the plan in effect then (base fee by unpaused seconds of
 * the full period, each plan's part rounded once) and every event once, in the part it fell in.
 * It shares only the pure, separately tested pieces: period arithmetic, second counting and the
 * pricing of one charge.
 */
export class BillingReference {
  planId: string;
  interval: 'month' | 'year';
  anchor: number;
  start: number;
  end: number;
  fullEnd: number;
  status: 'active' | 'paused' | 'canceled' = 'active';
  cancelAtPeriodEnd = false;
  pending: string | null = null;
  billingClosed = false;
  resumesAt: number | null = null;
  readonly pauses: Array<{ from: number; to: number | null }> = [];
  /** Every plan change: from `at` on, `to` holds; base fees follow only prorating ones. */
  readonly changes: Array<{ at: number; to: string; prorate: boolean }> = [];
  readonly events: RefEvent[] = [];
  readonly windows: RefWindow[] = [];

  constructor(
    private readonly catalog: CatalogFile,
    readonly initialPlanId: string,
    startedAt: number,
  ) {
    const plan = this.plan(initialPlanId);
    this.planId = plan.id;
    this.interval = plan.interval;
    this.anchor = startedAt;
    this.start = startedAt;
    this.end = this.fullEnd = addIntervals(new Date(startedAt), plan.interval, 1).getTime();
  }

  /** A copy to try an action on (events are immutable and shared). */
  clone(): BillingReference {
    const c = Object.assign(Object.create(BillingReference.prototype) as BillingReference, this);
    Object.assign(c, { pauses: this.pauses.map((p) => ({ ...p })), changes: [...this.changes], events: [...this.events], windows: [...this.windows] });
    return c;
  }

  plan(id: string): PlanDef {
    return this.catalog.plans.find((p) => p.id === id)!;
  }

  // ---- the lifecycle, as the contract describes it -------------------------------------------

  /** Closes what has ended by `now`: a due resume, then each ended window, advancing the period. */
  catchUp(now: number): void {
    for (;;) {
      if (this.billingClosed) return;
      if (this.status === 'paused' && this.resumesAt !== null && this.resumesAt <= now && this.resumesAt < this.end) {
        this.closePause(this.resumesAt);
        this.status = 'active';
        this.resumesAt = null;
        continue;
      }
      if (this.end > now) return;
      this.windows.push({ start: this.start, end: this.end, fullEnd: this.fullEnd });
      const boundary = this.end;
      if (this.status === 'canceled' || this.cancelAtPeriodEnd) {
        if (this.status === 'paused') this.closePause(boundary);
        this.status = 'canceled';
        this.cancelAtPeriodEnd = false;
        this.billingClosed = true;
        this.resumesAt = null;
        return;
      }
      const next = this.plan(this.pending ?? this.planId);
      if (next.id !== this.planId) this.changes.push({ at: boundary, to: next.id, prorate: true });
      if (next.interval !== this.interval) this.anchor = boundary;
      this.planId = next.id;
      this.interval = next.interval;
      this.pending = null;
      this.start = boundary;
      this.end = this.fullEnd = periodContaining(new Date(this.anchor), next.interval, new Date(boundary)).end.getTime();
    }
  }

  canChangePlan(planId: string, immediately: boolean): boolean {
    return this.status === 'active' && (!immediately || planId !== this.planId);
  }

  changePlan(now: number, planId: string, immediately: boolean, prorate: boolean): void {
    const plan = this.plan(planId);
    if (!immediately) {
      this.pending = planId === this.planId ? null : planId;
      return;
    }
    this.pending = null;
    if (plan.interval !== this.interval) {
      const at = Math.max(now, this.start);
      if (at !== this.start) this.windows.push({ start: this.start, end: at, fullEnd: this.fullEnd });
      this.changes.push({ at, to: planId, prorate });
      this.planId = planId;
      this.interval = plan.interval;
      this.anchor = this.start = at;
      this.end = this.fullEnd = addIntervals(new Date(at), plan.interval, 1).getTime();
      return;
    }
    this.changes.push({ at: now, to: planId, prorate });
    this.planId = planId;
  }

  canCancel(): boolean {
    return this.status !== 'canceled';
  }

  cancel(now: number, atPeriodEnd: boolean): void {
    this.pending = null;
    if (atPeriodEnd) {
      this.cancelAtPeriodEnd = true;
      return;
    }
    if (this.status === 'paused') this.closePause(now);
    this.status = 'canceled';
    this.end = Math.min(this.end, Math.max(now, this.start + 1));
    this.cancelAtPeriodEnd = false;
    this.resumesAt = null;
  }

  canReactivate(): boolean {
    return this.status === 'canceled' || this.cancelAtPeriodEnd;
  }

  reactivate(now: number): void {
    if (this.status !== 'canceled') {
      this.cancelAtPeriodEnd = false;
      return;
    }
    this.status = 'active';
    if (!this.billingClosed) {
      this.end = this.fullEnd;
      this.catchUp(now);
      return;
    }
    this.billingClosed = false;
    this.anchor = this.start = now;
    this.end = this.fullEnd = addIntervals(new Date(now), this.interval, 1).getTime();
  }

  pause(now: number, resumesAt: number | null): void {
    this.pauses.push({ from: now, to: null });
    this.status = 'paused';
    this.resumesAt = resumesAt;
  }

  resume(now: number): void {
    this.closePause(now);
    this.status = 'active';
    this.resumesAt = null;
  }

  private closePause(at: number): void {
    const open = this.pauses.find((p) => p.to === null);
    if (open) open.to = at;
  }

  // ---- pricing -------------------------------------------------------------------------------

  /** The plan whose charges are in effect at `at`. */
  private usagePlanAt(at: number): string {
    let plan = this.initialPlanId;
    for (const c of this.changes) if (c.at <= at) plan = c.to;
    return plan;
  }

  /** The plan whose base fee `at` bears: the plan at the window start, then each prorating change. */
  private basePlanAt(at: number, windowStart: number): string {
    let plan = this.usagePlanAt(windowStart);
    for (const c of this.changes) if (c.prorate && c.at > windowStart && c.at <= at) plan = c.to;
    return plan;
  }

  /** Maximal stretches of [start, end) on one plan, by the given plan-at function. */
  private stretches(w: RefWindow, planAt: (at: number) => string): Array<{ from: number; to: number; planId: string }> {
    const cuts = [...new Set(this.changes.map((c) => c.at).filter((at) => at > w.start && at < w.end))].sort((a, b) => a - b);
    const parts: Array<{ from: number; to: number; planId: string }> = [];
    for (const from of [w.start, ...cuts]) {
      const planId = planAt(from);
      const last = parts[parts.length - 1];
      if (last && last.planId === planId) continue;
      if (last) last.to = from;
      parts.push({ from, to: w.end, planId });
    }
    return parts;
  }

  private aggregate(metric: string, from: number, to: number): Dec {
    const def = this.catalog.metrics.find((m) => m.key === metric)!;
    const events = this.events.filter((e) => e.metric === metric && e.ts >= from && e.ts < to);
    switch (def.aggregation) {
      case 'sum':
        return events.reduce((n, e) => n.plus(e.quantity), new Dec(0));
      case 'count':
        return new Dec(events.length);
      case 'max':
        return events.reduce((n, e) => Dec.max(n, e.quantity), new Dec(0));
      case 'unique_count':
        return new Dec(new Set(events.map((e) => e.userId)).size);
      case 'latest':
        // The latest by timestamp; of equal timestamps, the one recorded last.
        return events.reduce<RefEvent | null>((last, e) => (last === null || e.ts >= last.ts ? e : last), null)?.quantity ?? new Dec(0);
    }
  }

  /** What the window's invoice must bill before discount and tax. */
  subtotalCents(w: RefWindow): number {
    const pauses = this.pauses.map((p) => ({ from: new Date(p.from), to: p.to === null ? null : new Date(p.to) }));
    const fullSeconds = Math.floor(w.fullEnd / 1000) - Math.floor(w.start / 1000);
    let cents = 0;
    for (const part of this.stretches(w, (at) => this.basePlanAt(at, w.start))) {
      const seconds = activeSeconds(new Date(part.from), new Date(part.to), pauses).seconds;
      cents += toMinorUnits(new Dec(this.plan(part.planId).basePrice).times(seconds).div(fullSeconds), 'USD');
    }
    for (const part of this.stretches(w, (at) => this.usagePlanAt(at))) {
      for (const charge of this.plan(part.planId).charges) cents += priceCharge(charge, this.aggregate(charge.metric, part.from, part.to), 'USD').amountCents;
    }
    return cents;
  }
}

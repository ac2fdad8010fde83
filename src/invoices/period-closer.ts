import { Injectable } from '@nestjs/common';
import { CatalogService } from '../catalog/catalog.service';
import { periodContaining } from '../subscriptions/domain/periods';
import { SubscriptionPatch, SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import type { PeriodCatchUp } from '../subscriptions/subscriptions.service';
import type { Subscription } from '../subscriptions/subscription.types';
import { InvoiceComposer } from './invoice-composer';
import { InvoicesRepository } from './invoices.repository';
import { InvoicesService } from './invoices.service';

/** What one step did; `more` when the next step may have work (another ended period, a due resume). */
export type CloseStep = 'done' | 'resumed' | { invoiced: boolean; canceled: boolean; more: boolean };

/**
 * Closes the periods of one subscription that the caller has locked, inside the caller's
 * transaction: the period-close job uses it, and so does every subscription action, which first
 * catches up the periods that ended before the job ran (CONTRACT.md, Settled details).
 */
@Injectable()
export class PeriodCloser implements PeriodCatchUp {
  constructor(
    private readonly subscriptions: SubscriptionsRepository,
    private readonly invoicesRepo: InvoicesRepository,
    private readonly invoices: InvoicesService,
    private readonly composer: InvoiceComposer,
    private readonly catalog: CatalogService,
  ) {}

  /** One step: a due resume, or the ended current period invoiced and advanced. */
  async step(s: Subscription, now: Date): Promise<CloseStep> {
    if (s.billingClosed) return 'done';
    if (s.status === 'paused' && s.resumesAt && s.resumesAt.getTime() <= now.getTime() && s.resumesAt.getTime() < s.currentPeriodEnd.getTime()) {
      await this.subscriptions.closePause(s.id, s.resumesAt);
      await this.subscriptions.update(s.id, { status: 'active', pausedAt: null, resumesAt: null });
      return 'resumed';
    }
    if (s.currentPeriodEnd.getTime() > now.getTime()) return 'done';
    const invoiced = await this.invoicePeriod(s, now);
    const { canceled, nextEnd } = await this.advance(s);
    const more = nextEnd !== null && (nextEnd.getTime() <= now.getTime() || s.status === 'paused');
    return { invoiced, canceled, more };
  }

  /** Every step due by `now`; the subscription as it is after them. */
  async catchUp(s: Subscription, now: Date): Promise<Subscription> {
    let current = s;
    while ((await this.step(current, now)) !== 'done') current = (await this.subscriptions.findById(null, s.id))!;
    return current;
  }

  /** Ends the current period at `at` and invoices it at once (a change of interval restarts the period there). */
  async invoiceUpTo(s: Subscription, at: Date, now: Date): Promise<void> {
    const cut = await this.subscriptions.update(s.id, { currentPeriodEnd: at });
    await this.invoicePeriod(cut, now);
  }

  /** Invoices the ended current period (a trial bills nothing, so it gets no invoice). */
  private async invoicePeriod(s: Subscription, now: Date): Promise<boolean> {
    const trial = s.trialEnd !== null && s.currentPeriodEnd.getTime() <= s.trialEnd.getTime();
    if (trial) return false;
    const period = { start: s.currentPeriodStart, end: s.currentPeriodEnd, fullEnd: s.currentPeriodFullEnd };
    const existing = await this.invoicesRepo.findForPeriod(s.id, period.start, true);
    if (existing && existing.status !== 'draft') return false;
    // Priced once: the draft is written and finalized from the same content in this transaction.
    const content = await this.composer.compose(s, period, 0, { lateUsage: true });
    const { invoice } = await this.invoices.writeDraft(s, period, existing, content);
    await this.invoices.finalizeLocked(s, invoice, period, now, content);
    return true;
  }

  /**
   * Moves to the next period, applying a pending cancel or plan change at the boundary. Says
   * whether it canceled now and where the next period ends (null: billing closed).
   */
  private async advance(s: Subscription): Promise<{ canceled: boolean; nextEnd: Date | null }> {
    const boundary = s.currentPeriodEnd;
    if (s.status === 'canceled' || s.cancelAtPeriodEnd) {
      await this.subscriptions.update(s.id, {
        status: 'canceled',
        canceledAt: s.canceledAt ?? boundary,
        cancelAtPeriodEnd: false,
        billingClosed: true,
        pausedAt: null,
        resumesAt: null,
      });
      if (s.status === 'paused') await this.subscriptions.closePause(s.id, boundary);
      return { canceled: s.status !== 'canceled', nextEnd: null };
    }
    const plan = this.catalog.plan(s.pendingChange?.planId ?? s.planId)!;
    if (plan.id !== s.planId) await this.subscriptions.insertPlanChange(s.tenantId, s.id, { at: boundary, fromPlanId: s.planId, toPlanId: plan.id, prorate: true });
    const anchorAt = plan.interval !== s.interval ? boundary : s.anchorAt;
    const next = periodContaining(anchorAt, plan.interval, boundary);
    const patch: SubscriptionPatch = {
      planId: plan.id,
      periodPlanId: plan.id,
      interval: plan.interval,
      anchorAt,
      currentPeriodStart: boundary,
      currentPeriodEnd: next.end,
      currentPeriodFullEnd: next.end,
      pendingChange: null,
    };
    if (s.status === 'trialing') patch.status = 'active';
    await this.subscriptions.update(s.id, patch);
    return { canceled: false, nextEnd: next.end };
  }
}

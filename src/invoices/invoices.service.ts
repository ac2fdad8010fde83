import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/app-config';
import { Principal, reachesAllTenants } from '../common/auth/principal';
import { Transactions } from '../common/database/transactions';
import { ProblemError, ValidationFailed, notFound } from '../common/errors/problem';
import { Responded } from '../common/http/responded';
import { Page, decodeCursor, toPage } from '../common/pagination/pagination';
import { CreditLedger } from '../subscriptions/credit-ledger.service';
import { afterInvoice } from '../subscriptions/domain/discount';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import { noLiveSubscription } from '../subscriptions/subscriptions.errors';
import type { Subscription } from '../subscriptions/subscription.types';
import type { GenerateInvoiceDto, InvoiceDto } from './dto/invoice.dto';
import { ComposedInvoice, InvoiceComposer, LateUsageComputation } from './invoice-composer';
import { Invoice, InvoiceStatus, invoiceNumber } from './invoice.types';
import { InvoicesRepository } from './invoices.repository';

const PAYMENT_TERMS_DAYS = 30;

export function toInvoiceDto(i: Invoice): InvoiceDto {
  return {
    id: i.id,
    tenantId: i.tenantId,
    subscriptionId: i.subscriptionId,
    number: i.number,
    status: i.status,
    currency: i.currency,
    periodStart: i.periodStart,
    periodEnd: i.periodEnd,
    lines: i.lines,
    subtotalCents: i.subtotalCents,
    discountCents: i.discountCents,
    taxCents: i.taxCents,
    totalCents: i.totalCents,
    creditAppliedCents: i.creditAppliedCents,
    amountDueCents: i.amountDueCents,
    taxRate: i.taxRate,
    finalizedAt: i.finalizedAt,
    dueAt: i.dueAt,
    paidAt: i.paidAt,
    voidedAt: i.voidedAt,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}

/** Invoices: one per subscription period, drafted, finalized with a gapless number, voided. */
@Injectable()
export class InvoicesService {
  constructor(
    private readonly invoices: InvoicesRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly composer: InvoiceComposer,
    private readonly credits: CreditLedger,
    private readonly tx: Transactions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private scope(p: Principal): string | null {
    return reachesAllTenants(p) ? null : p.tenantId;
  }

  async get(principal: Principal, id: string): Promise<Invoice> {
    const invoice = await this.invoices.findById(this.scope(principal), id);
    if (!invoice) throw notFound(`Invoice ${id}`);
    return invoice;
  }

  async list(tenantId: string, status: InvoiceStatus | undefined, cursor: string | undefined, limit: number): Promise<Page<InvoiceDto>> {
    const after = decodeCursor(cursor, 2) as [string, string] | null;
    const rows = await this.invoices.list(tenantId, status, after, limit + 1);
    return toPage(rows, limit, (i) => [i.createdAt.toISOString(), i.id], toInvoiceDto);
  }

  /** Makes the draft of a subscription period (201) or refreshes it (200); a finalized period is 409. */
  async generate(tenantId: string, dto: GenerateInvoiceDto): Promise<Responded<InvoiceDto>> {
    if ((dto.periodStart === undefined) !== (dto.periodEnd === undefined)) {
      throw new ValidationFailed([{ path: dto.periodStart === undefined ? 'periodStart' : 'periodEnd', message: 'periodStart and periodEnd go together' }]);
    }
    return this.tx.run(async () => {
      const s = dto.subscriptionId
        ? await this.subscriptions.findById(tenantId, dto.subscriptionId.toLowerCase(), true)
        : await this.subscriptions.findLive(tenantId, true);
      if (!s) throw dto.subscriptionId ? notFound(`Subscription ${dto.subscriptionId}`) : noLiveSubscription(tenantId);
      const period = dto.periodStart
        ? { start: new Date(dto.periodStart), end: new Date(dto.periodEnd!), fullEnd: new Date(dto.periodEnd!) }
        : { start: s.currentPeriodStart, end: s.currentPeriodEnd, fullEnd: s.currentPeriodFullEnd };
      if (period.end.getTime() <= period.start.getTime()) throw new ValidationFailed([{ path: 'periodEnd', message: 'must be after periodStart' }]);
      const { invoice, created } = await this.draftFor(s, period);
      return new Responded(created ? 201 : 200, toInvoiceDto(invoice));
    });
  }

  /** Inside the caller's transaction, with the subscription locked. */
  async draftFor(s: Subscription, period: { start: Date; end: Date; fullEnd: Date }): Promise<{ invoice: Invoice; created: boolean }> {
    const existing = await this.invoices.findForPeriod(s.id, period.start, true);
    if (existing && existing.status !== 'draft') {
      throw new ProblemError('INVALID_STATE', `The period already has ${existing.status} invoice ${existing.number}`, { invoiceId: existing.id });
    }
    const content = await this.composer.compose(s, period, await this.credits.balance(s.id), { lateUsage: true });
    return this.writeDraft(s, period, existing, content);
  }

  /** Writes composed content as the period's draft (new or refreshed). Caller holds the subscription lock. */
  async writeDraft(s: Subscription, period: { start: Date; end: Date }, existing: Invoice | null, content: ComposedInvoice): Promise<{ invoice: Invoice; created: boolean }> {
    const c = { ...content, taxRate: this.config.taxRate, discount: s.discount };
    if (existing) return { invoice: await this.invoices.refreshDraft(existing.id, period.end, c), created: false };
    return { invoice: await this.invoices.insertDraft(s.tenantId, s.id, period.start, period.end, c), created: true };
  }

  /** The period an invoice covers; the current period's base fee is prorated over its full length. */
  private periodOf(s: Subscription, invoice: Invoice): { start: Date; end: Date; fullEnd: Date } {
    const current = invoice.periodStart.getTime() === s.currentPeriodStart.getTime();
    return { start: invoice.periodStart, end: invoice.periodEnd, fullEnd: current ? s.currentPeriodFullEnd : invoice.periodEnd };
  }

  async finalize(principal: Principal, id: string, now = new Date()): Promise<InvoiceDto> {
    return this.tx.run(async () => {
      const peek = await this.invoices.findById(this.scope(principal), id);
      if (!peek) throw notFound(`Invoice ${id}`);
      // Lock order everywhere: subscription, then invoice (period close does the same).
      const s = (await this.subscriptions.findById(null, peek.subscriptionId, true))!;
      const invoice = (await this.invoices.findById(null, id, true))!;
      if (invoice.status !== 'draft') throw new ProblemError('INVALID_STATE', `Invoice ${invoice.number ?? id} is ${invoice.status}, not draft`);
      return toInvoiceDto(await this.finalizeLocked(s, invoice, this.periodOf(s, invoice), now));
    });
  }

  /**
   * Freezes a draft (lines recomputed one last time), draws credits, numbers it gaplessly and
   * leaves it open, or paid when nothing is due. Caller holds the subscription and invoice locks.
   */
  async finalizeLocked(s: Subscription, draft: Invoice, period: { start: Date; end: Date; fullEnd: Date }, now: Date, composed?: ComposedInvoice): Promise<Invoice> {
    let content = composed;
    if (!content) {
      content = await this.composer.compose(s, period, 0, { lateUsage: true });
      await this.invoices.refreshDraft(draft.id, period.end, { ...content, taxRate: this.config.taxRate, discount: s.discount });
    }
    const currency = content.currency;
    const drawn = content.totalCents > 0 ? await this.credits.draw({ tenantId: s.tenantId, subscriptionId: s.id, currency }, content.totalCents, draft.id, now) : 0;
    const amountDue = content.totalCents - drawn;
    const sequence = await this.invoices.nextSequence(s.tenantId);
    const finalized = await this.invoices.markFinalized(draft.id, {
      number: invoiceNumber(s.tenantId, sequence),
      status: amountDue === 0 ? 'paid' : 'open',
      creditAppliedCents: drawn,
      amountDueCents: amountDue,
      dueAt: new Date(now.getTime() + PAYMENT_TERMS_DAYS * 86_400_000),
      at: now,
    });
    await this.invoices.recordBilledUsage(s.id, content.billed.map((b) => ({ ...b, invoiceId: draft.id })));
    if (s.discount) await this.subscriptions.update(s.id, { discount: afterInvoice(s.discount) });
    if (content.creditRemainderCents > 0) {
      await this.credits.grant({ tenantId: s.tenantId, subscriptionId: s.id, amountCents: content.creditRemainderCents, currency, reason: `Credit carried from ${finalized.number}`, expiresAt: null });
    }
    return finalized;
  }

  /** platform-admin: draft or open only; drawn credits go back (a regenerated invoice of the period bills its plan parts again). */
  async void(id: string, now = new Date()): Promise<InvoiceDto> {
    return this.tx.run(async () => {
      const peek = await this.invoices.findById(null, id);
      if (!peek) throw notFound(`Invoice ${id}`);
      await this.subscriptions.findById(null, peek.subscriptionId, true);
      const invoice = (await this.invoices.findById(null, id, true))!;
      if (invoice.status !== 'draft' && invoice.status !== 'open') {
        throw new ProblemError('INVALID_STATE', `A ${invoice.status} invoice cannot be voided`);
      }
      if (invoice.status === 'open') {
        await this.credits.returnDraws({ tenantId: invoice.tenantId, subscriptionId: invoice.subscriptionId, currency: invoice.currency }, invoice.id);
        await this.restoreBilledUsage(invoice);
      }
      return toInvoiceDto((await this.invoices.setStatus(invoice.id, ['draft', 'open'], 'void', 'voided_at', now))!);
    });
  }

  /** A voided invoice bills nothing: its own period is forgotten, re-rated earlier periods go back to what they had been billed. */
  private async restoreBilledUsage(invoice: Invoice): Promise<void> {
    await this.invoices.forgetBilledUsage(invoice.id);
    for (const line of invoice.lines.filter((l) => l.type === 'late_usage' && l.metric)) {
      const c = line.computation as unknown as LateUsageComputation;
      await this.invoices.recordBilledUsage(
        invoice.subscriptionId,
        [{ periodStart: line.periodStart, periodEnd: line.periodEnd, metric: line.metric!, charge: c.charge, quantity: c.billedQuantity, amountCents: c.billedCents, invoiceId: c.billedInvoiceId }],
      );
    }
  }
}

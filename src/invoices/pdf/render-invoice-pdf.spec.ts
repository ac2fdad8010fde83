import {
  formatDeduction,
  formatMoney,
  formatPeriod,
  formatTaxRate,
  groupThousands,
  toWinAnsi,
} from './invoice-pdf-format';
import { renderInvoicePdf, type InvoicePdfInput, type InvoicePdfLine } from './render-invoice-pdf';
import { readPdfText } from '../../../test/support/pdf-text';
import { priceCharge } from '../../pricing/price-charge';

type Invoice = InvoicePdfInput['invoice'];

const JAN = { periodStart: new Date('2026-01-01T00:00:00Z'), periodEnd: new Date('2026-02-01T00:00:00Z') };

function pdfLine(overrides: Partial<InvoicePdfLine> = {}): InvoicePdfLine {
  return {
    type: 'usage',
    description: 'CPU hours',
    metric: 'compute.cpu_hours',
    quantity: '1500',
    unitPrice: '0.04',
    amountCents: 6000,
    ...JAN,
    ...overrides,
  };
}

/** An open January invoice whose totals add up, in the shape the renderer takes. */
function pdfInput(overrides: Partial<Invoice> = {}): InvoicePdfInput {
  const lines = overrides.lines ?? [
    pdfLine({ type: 'base', description: 'Pro plan (monthly)', metric: null, quantity: null, unitPrice: null, amountCents: 123456 }),
    pdfLine(),
  ];
  const subtotalCents = lines.reduce((sum, l) => sum + l.amountCents, 0);
  const discountCents = 1000;
  const taxCents = Math.round((subtotalCents - discountCents) * 0.2);
  const totalCents = subtotalCents - discountCents + taxCents;
  const creditAppliedCents = 1250;
  return {
    issuer: { name: 'Acme Data Platform GmbH', address: ['Musterstraße 12', '10115 Berlin', 'Germany'], email: 'billing@acme.example' },
    invoice: {
      id: '3f0c8a52-5d0e-4c1e-9a55-7b1f2f9c0d11',
      tenantId: 'tenant-acme_42',
      number: 'INV-tenant-acme_42-000042',
      status: 'open',
      currency: 'USD',
      ...JAN,
      lines,
      subtotalCents,
      discountCents,
      taxCents,
      taxRate: '0.2',
      totalCents,
      creditAppliedCents,
      amountDueCents: totalCents - creditAppliedCents,
      finalizedAt: new Date('2026-02-01T00:05:00Z'),
      dueAt: new Date('2026-02-15T00:05:00Z'),
      paidAt: null,
      voidedAt: null,
      createdAt: new Date('2026-02-01T00:04:00Z'),
      ...overrides,
    },
  };
}

/** Extracted text with runs of whitespace (line wraps, cell gaps) collapsed to one space. */
const flat = (s: string): string => s.replace(/\s+/g, ' ');

async function render(input: InvoicePdfInput) {
  const pdf = await renderInvoicePdf(input);
  const { text, pages } = await readPdfText(pdf);
  return { pdf, text: flat(text), pages: pages.map(flat) };
}

describe('invoice PDF formatting', () => {
  it('groups thousands and signs with the currency code in front', () => {
    expect(groupThousands('1234567.891')).toBe('1,234,567.891');
    expect(groupThousands('-1000')).toBe('-1,000');
    expect(groupThousands('999')).toBe('999');
    expect(formatMoney(123456, 'USD')).toBe('USD 1,234.56');
    expect(formatMoney(-1250, 'USD')).toBe('-USD 12.50');
    expect(formatMoney(5, 'EUR')).toBe('EUR 0.05');
    expect(formatMoney(1234567, 'JPY')).toBe('JPY 1,234,567');
    expect(formatMoney(1234567, 'BHD')).toBe('BHD 1,234.567');
    expect(formatDeduction(1250, 'USD')).toBe('-USD 12.50');
    expect(formatDeduction(0, 'USD')).toBe('USD 0.00');
  });

  it('prints a half-open period as its first and last day (UTC)', () => {
    expect(formatPeriod(new Date('2026-01-01T00:00:00Z'), new Date('2026-02-01T00:00:00Z'))).toBe('2026-01-01 \u2013 2026-01-31');
    expect(formatPeriod(new Date('2026-01-31T00:00:00Z'), new Date('2026-02-28T00:00:00Z'))).toBe('2026-01-31 \u2013 2026-02-27');
  });

  it('prints the tax rate fraction as a percentage', () => {
    expect(formatTaxRate('0.2')).toBe('20%');
    expect(formatTaxRate('0.075')).toBe('7.5%');
    expect(formatTaxRate('0')).toBe('0%');
  });

  it('keeps only what the standard fonts can draw', () => {
    expect(toWinAnsi('Straße – €5 — “ok”')).toBe('Straße – €5 — “ok”');
    expect(toWinAnsi('\u22125 数据\nnext')).toBe('-5 ?? next');
  });
});

describe('renderInvoicePdf', () => {
  it('renders an open invoice with number, tenant, period, lines and totals', async () => {
    const input = pdfInput();
    const { pdf, text, pages } = await render(input);

    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pages).toHaveLength(1);
    expect(text).toContain('INVOICE');
    expect(text).toContain('INV-tenant-acme_42-000042');
    expect(text).toContain('tenant-acme_42');
    expect(text).toContain('Acme Data Platform GmbH');
    expect(text).toContain('Musterstraße 12');
    expect(text).toContain('2026-01-01');
    expect(text).toContain('2026-01-31');
    expect(text).not.toContain('2026-02-01 \u2013'); // the exclusive end is never printed as the last day
    expect(text).toContain('Issue date 2026-02-01');
    expect(text).toContain('Due date 2026-02-15');
    expect(text).toContain('Pro plan (monthly)');
    expect(text).toContain('CPU hours');
    expect(text).toContain('1,234.56'); // base line amount
    expect(text).toContain('Subtotal USD 1,294.56');
    expect(text).toContain('Discount -USD 10.00');
    expect(text).toContain('Tax (20%) USD 256.91');
    expect(text).toContain(`Total ${formatMoney(input.invoice.totalCents, 'USD')}`);
    expect(text).toContain('Total USD 1,541.47');
    expect(text).toContain('Credits applied -USD 12.50');
    expect(text).toContain('Amount due USD 1,528.97');
    expect(text).toContain('Page 1 of 1');
    expect(text).not.toContain('DRAFT');
    expect(text).not.toContain('VOID');
    expect(text).not.toContain('PAID');
  });

  it('gives the same bytes for the same input', async () => {
    const a = await renderInvoicePdf(pdfInput());
    const b = await renderInvoicePdf(pdfInput());
    expect(a.equals(b)).toBe(true);
  });

  it('marks a draft as not yet numbered with a DRAFT watermark on every page', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => pdfLine({ description: `Draft line ${i + 1}` }));
    const { text, pages } = await render(
      pdfInput({ status: 'draft', number: null, finalizedAt: null, dueAt: null, lines }),
    );
    expect(text).toContain('DRAFT \u2014 not yet numbered');
    expect(text).toContain('Issue date Not issued');
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(page).toContain('DRAFT');
  });

  it('marks a void invoice with a VOID watermark on every page and keeps its number', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => pdfLine({ description: `Void line ${i + 1}` }));
    const { text, pages } = await render(pdfInput({ status: 'void', voidedAt: new Date('2026-02-03T08:00:00Z'), lines }));
    expect(text).toContain('INV-tenant-acme_42-000042');
    expect(text).toContain('Voided on 2026-02-03');
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(page).toContain('VOID');
    expect(text).not.toContain('DRAFT');
  });

  it('stamps a paid invoice PAID with its payment date', async () => {
    const { text } = await render(pdfInput({ status: 'paid', paidAt: new Date('2026-02-04T09:30:00Z') }));
    expect(text).toContain('PAID');
    expect(text).toContain('Paid on 2026-02-04');
    expect(text).not.toContain('DRAFT');
    expect(text).not.toContain('VOID');
  });

  it('pages 200 lines with every description, wrapping long ones, and numbers the pages', async () => {
    const long =
      'Object storage, standard tier, eu-central-1: GB-months measured hourly and averaged over the period, ' +
      'first 100 GB included, graduated pricing beyond that across three tiers';
    const lines = Array.from({ length: 200 }, (_, i) =>
      pdfLine({ description: i % 50 === 7 ? `${long} (#${i + 1})` : `Metered line #${String(i + 1).padStart(3, '0')}` }),
    );
    const { text, pages } = await render(pdfInput({ lines }));

    expect(pages.length).toBeGreaterThanOrEqual(4);
    expect(text).toContain(`Page 1 of ${pages.length}`);
    expect(text).toContain(`Page ${pages.length} of ${pages.length}`);
    for (const line of lines) expect(text).toContain(line.description);
    expect(pages[pages.length - 1]).toContain('Amount due');
  });

  it('shows a late usage line with its original period', async () => {
    const late = pdfLine({
      type: 'late_usage',
      description: 'CPU hours reported late',
      periodStart: new Date('2025-12-01T00:00:00Z'),
      periodEnd: new Date('2026-01-01T00:00:00Z'),
    });
    const { text } = await render(pdfInput({ lines: [pdfLine(), late] }));
    expect(text).toContain('CPU hours reported late');
    expect(text).toMatch(/2025-12-01 \u2013 2025-12-31/);
  });

  it('formats JPY without decimals', async () => {
    const lines = [pdfLine({ description: 'Pro plan (monthly, JPY)', amountCents: 1234567 })];
    const { text } = await render(
      pdfInput({ currency: 'JPY', lines, discountCents: 0, taxCents: 0, taxRate: null, totalCents: 1234567, creditAppliedCents: 0, amountDueCents: 1234567 }),
    );
    expect(text).toContain('Total JPY 1,234,567');
    expect(text).toContain('Amount due JPY 1,234,567');
    expect(text).toContain('Amount (JPY)');
    expect(text).not.toContain('1,234,567.');
    expect(text).toMatch(/Tax JPY 0\b/);
  });

  it('formats EUR with two decimals', async () => {
    const lines = [pdfLine({ description: 'Pro plan (monthly, EUR)', amountCents: 99999 })];
    const { text } = await render(
      pdfInput({ currency: 'EUR', lines, discountCents: 0, taxCents: 19000, taxRate: '0.19', totalCents: 118999, creditAppliedCents: 0, amountDueCents: 118999 }),
    );
    expect(text).toContain('Subtotal EUR 999.99');
    expect(text).toContain('Tax (19%) EUR 190.00');
    expect(text).toContain('Amount due EUR 1,189.99');
  });

  it('renders text the standard fonts lack as "?" instead of failing', async () => {
    const { text } = await render(pdfInput({ lines: [pdfLine({ description: 'GPU 时间 usage' })] }));
    expect(text).toContain('GPU ?? usage');
  });

  it('renders an invoice without lines', async () => {
    const { text } = await render(
      pdfInput({ lines: [], subtotalCents: 0, discountCents: 0, taxCents: 0, totalCents: 0, creditAppliedCents: 0, amountDueCents: 0 }),
    );
    expect(text).toContain('No charges in this period.');
    expect(text).toContain('Amount due USD 0.00');
  });
});

describe('renderInvoicePdf: tiered and package lines', () => {
  it('prints the tiers used under a tiered line, and no average unit price', async () => {
    const tiered = priceCharge(
      { metric: 'compute.cpu_hours', model: 'graduated', tiers: [{ upTo: 1000, unitPrice: '0.12' }, { upTo: 10000, unitPrice: '0.10', flatFee: '5' }, { upTo: null, unitPrice: '0.08' }] },
      '12345.5',
      'USD',
    );
    const packaged = priceCharge({ metric: 'api.requests', model: 'package', packageSize: 1000000, packagePrice: '2.00' }, '3000001', 'USD');
    const lines = [
      pdfLine({ description: 'CPU hours (graduated)', quantity: tiered.quantity, unitPrice: tiered.computation.unitPrice, amountCents: tiered.amountCents, computation: tiered.computation as never }),
      pdfLine({ description: 'API requests (package)', metric: 'api.requests', quantity: packaged.quantity, unitPrice: packaged.computation.unitPrice, amountCents: packaged.amountCents, computation: packaged.computation as never }),
    ];
    const { text } = await readPdfText(await renderInvoicePdf(pdfInput({ lines })));
    const flat = text.replace(/\s+/g, ' ');
    // 1000 × 0.12 = 120; 9000 × 0.10 + 5 = 905; 2345.5 × 0.08 = 187.64: 1212.64 in all.
    expect(flat).toContain('Tier 1 (0 \u2013 1,000) 1,000 0.12 120');
    expect(flat).toContain('Tier 2 (1,000 \u2013 10,000) + flat fee 5 9,000 0.1 905');
    expect(flat).toContain('Tier 3 (over 10,000) 2,345.5 0.08 187.64');
    expect(flat).toContain('1,212.64');
    // 3,000,001 requests: 4 packages (a partial one rounds up) × 2.00 = 8.
    expect(flat).toContain('Packages of 1,000,000 4 2 8');
    expect(flat).not.toMatch(/0\.\d{12,}/);
  });
});

import PDFDocument from 'pdfkit';
import type { InvoiceLine } from '../../pricing/invoice-builder';
import type { TierStep } from '../../pricing/price-charge';
import {
  formatAmountCell,
  formatDate,
  formatDecimalCell,
  formatDeduction,
  formatMoney,
  formatPeriod,
  formatTaxRate,
  toWinAnsi,
} from './invoice-pdf-format';

export type InvoicePdfStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
export type InvoicePdfLineType = InvoiceLine['type'];

/** An invoice line as printed; its computation (optional here) gives tiered and package lines their sub-rows. */
export type InvoicePdfLine = Omit<InvoiceLine, 'computation'> & { computation?: Record<string, unknown> | null };

export interface InvoicePdfInput {
  issuer: { name: string; address: string[]; email?: string | null };
  invoice: {
    id: string;
    tenantId: string;
    number: string | null;
    status: InvoicePdfStatus;
    currency: string;
    periodStart: Date;
    /** Exclusive: the last day printed is the day of periodEnd - 1 ms. */
    periodEnd: Date;
    lines: InvoicePdfLine[];
    subtotalCents: number;
    discountCents: number;
    taxCents: number;
    /** A fraction ("0.2" prints as "Tax (20%)"); omitted or null prints "Tax". */
    taxRate?: string | null;
    totalCents: number;
    creditAppliedCents: number;
    amountDueCents: number;
    finalizedAt: Date | null;
    dueAt: Date | null;
    paidAt: Date | null;
    voidedAt: Date | null;
    createdAt: Date;
  };
}

type Doc = PDFKit.PDFDocument;
type Invoice = InvoicePdfInput['invoice'];

const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const COLOR = {
  ink: '#1a1d21',
  muted: '#6b7280',
  accent: '#1f3a5f',
  rule: '#d9dde3',
  zebra: '#f5f7fa',
  watermark: '#9aa0a6',
  paid: '#1e7b4a',
};

const PAGE = { width: 595.28, height: 841.89 }; // A4 in points
const MARGIN = { top: 48, left: 50, right: 50, bottom: 48 };
const CONTENT_WIDTH = PAGE.width - MARGIN.left - MARGIN.right;
const FOOTER_HEIGHT = 34;
/** Lowest y that body content may reach: the footer lives below it. */
const BODY_BOTTOM = PAGE.height - MARGIN.bottom - FOOTER_HEIGHT;
const CELL_PAD = { x: 6, y: 5 };
const TABLE_FONT_SIZE = 9;
const DETAIL_FONT_SIZE = 7.5;
/** Keeps a pathological description from growing a row past one page. */
const MAX_DESCRIPTION_CHARS = 1500;

const COLUMNS = [
  { key: 'description', title: 'Description', width: 251, align: 'left' },
  { key: 'quantity', title: 'Quantity', width: 72, align: 'right' },
  { key: 'unitPrice', title: 'Unit price', width: 80, align: 'right' },
  { key: 'amount', title: 'Amount', width: CONTENT_WIDTH - 251 - 72 - 80, align: 'right' },
] as const;

const STATUS_LABEL: Record<InvoicePdfStatus, string> = {
  draft: 'Draft',
  open: 'Open',
  paid: 'Paid',
  void: 'Void',
  uncollectible: 'Uncollectible',
};

/**
 * Renders an invoice as an A4 PDF with the standard Helvetica fonts (nothing is read from disk
 * or the network). The same input gives the same bytes: the document dates come from the invoice.
 */
export function renderInvoicePdf(input: InvoicePdfInput): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    try {
      const { invoice, issuer } = input;
      const doc = new PDFDocument({
        size: 'A4',
        margins: MARGIN,
        autoFirstPage: false,
        bufferPages: true,
        info: {
          Title: toWinAnsi(`Invoice ${invoice.number ?? `${invoice.id} (draft)`}`),
          Author: toWinAnsi(issuer.name),
          Subject: toWinAnsi(`Invoice for ${invoice.tenantId}, ${formatPeriod(invoice.periodStart, invoice.periodEnd)}`),
          CreationDate: invoice.createdAt,
          ModDate: invoice.finalizedAt ?? invoice.createdAt,
        },
      });
      const chunks: Buffer[] = [];
      doc.on('data', (chunk: Buffer) => chunks.push(chunk));
      doc.on('end', () => resolve(Buffer.concat(chunks)));
      doc.on('error', reject);

      doc.addPage();
      let y = drawHeader(doc, input);
      y = drawDetails(doc, invoice, y + 18);
      y = drawLinesTable(doc, input, y + 22);
      drawTotals(doc, input, y + 14);
      decoratePages(doc, input);
      doc.end();
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

function text(doc: Doc, value: string, x: number, y: number, options: PDFKit.Mixins.TextOptions = {}): void {
  doc.text(toWinAnsi(value), x, y, options);
}

/** Shortens a one-line text with an ellipsis until it fits `width` in the current font. */
function fit(doc: Doc, value: string, width: number): string {
  let s = toWinAnsi(value);
  if (doc.widthOfString(s) <= width) return s;
  while (s.length > 1 && doc.widthOfString(`${s}\u2026`) > width) s = s.slice(0, -1);
  return `${s}\u2026`;
}

function font(doc: Doc, name: string, size: number, color: string = COLOR.ink): Doc {
  return doc.font(name).fontSize(size).fillColor(color);
}

function rule(doc: Doc, y: number, color: string = COLOR.rule, width = 0.75): void {
  doc.save().moveTo(MARGIN.left, y).lineTo(PAGE.width - MARGIN.right, y).lineWidth(width).strokeColor(color).stroke().restore();
}

function drawWatermark(doc: Doc, status: InvoicePdfStatus): void {
  const word = status === 'draft' ? 'DRAFT' : status === 'void' ? 'VOID' : null;
  if (word === null) return;
  const size = 150;
  const cx = PAGE.width / 2;
  const cy = PAGE.height / 2;
  doc.save();
  font(doc, BOLD, size, COLOR.watermark).fillOpacity(0.13);
  const w = doc.widthOfString(word, { characterSpacing: 8 });
  doc.rotate((-Math.atan2(PAGE.height, PAGE.width) * 180) / Math.PI, { origin: [cx, cy] });
  // lineBreak: false keeps pdfkit from wrapping or paging the oversized word.
  doc.text(word, cx - w / 2, cy - size * 0.36, { lineBreak: false, characterSpacing: 8 });
  doc.restore();
}

/** Issuer on the left, title and number on the right; returns the y below both. */
function drawHeader(doc: Doc, { issuer, invoice }: InvoicePdfInput): number {
  const left = MARGIN.left;
  const leftWidth = 260;
  let ly = MARGIN.top;
  font(doc, BOLD, 16);
  text(doc, issuer.name, left, ly, { width: leftWidth });
  ly = doc.y + 4;
  font(doc, FONT, 9, COLOR.muted);
  for (const line of [...issuer.address, ...(issuer.email ? [issuer.email] : [])]) {
    text(doc, line, left, ly, { width: leftWidth });
    ly = doc.y + 1;
  }

  const rightWidth = 220;
  const right = PAGE.width - MARGIN.right - rightWidth;
  let ry = MARGIN.top - 4;
  font(doc, BOLD, 28, COLOR.accent);
  text(doc, 'INVOICE', right, ry, { width: rightWidth, align: 'right', characterSpacing: 2 });
  ry = doc.y + 2;
  font(doc, BOLD, 11);
  text(doc, invoice.number ?? 'DRAFT \u2014 not yet numbered', right, ry, { width: rightWidth, align: 'right' });
  ry = doc.y + 6;
  ry = drawStatusBadge(doc, invoice.status, PAGE.width - MARGIN.right, ry);

  const bottom = Math.max(ly, ry) + 12;
  rule(doc, bottom, COLOR.accent, 1.5);
  return bottom;
}

/** A small rounded label ending at x = rightEdge; returns the y below it. */
function drawStatusBadge(doc: Doc, status: InvoicePdfStatus, rightEdge: number, y: number): number {
  const label = STATUS_LABEL[status].toUpperCase();
  const color = status === 'paid' ? COLOR.paid : status === 'open' ? COLOR.accent : COLOR.muted;
  font(doc, BOLD, 7.5);
  const w = doc.widthOfString(label) + 14;
  const h = 14;
  doc.save().roundedRect(rightEdge - w, y, w, h, 7).lineWidth(0.9).strokeColor(color).stroke().restore();
  doc.fillColor(color);
  text(doc, label, rightEdge - w, y + 3.8, { width: w, align: 'center', lineBreak: false });
  return y + h;
}

/** "Bill to" on the left, dates and currency on the right; returns the y below both. */
function drawDetails(doc: Doc, invoice: Invoice, top: number): number {
  const left = MARGIN.left;
  font(doc, BOLD, 7.5, COLOR.muted);
  text(doc, 'BILL TO', left, top);
  font(doc, BOLD, 12);
  text(doc, invoice.tenantId, left, doc.y + 3, { width: 230 });
  font(doc, FONT, 8, COLOR.muted);
  text(doc, `Invoice ID: ${invoice.id}`, left, doc.y + 2, { width: 230 });
  const leftBottom = doc.y;

  const rows: Array<[string, string]> = [
    ['Invoice number', invoice.number ?? 'Not yet numbered'],
    ['Billing period', formatPeriod(invoice.periodStart, invoice.periodEnd)],
    ['Issue date', invoice.finalizedAt ? formatDate(invoice.finalizedAt) : 'Not issued'],
    ['Due date', invoice.dueAt ? formatDate(invoice.dueAt) : '\u2014'],
  ];
  if (invoice.paidAt) rows.push(['Paid on', formatDate(invoice.paidAt)]);
  if (invoice.voidedAt) rows.push(['Voided on', formatDate(invoice.voidedAt)]);
  rows.push(['Status', STATUS_LABEL[invoice.status]], ['Currency', invoice.currency]);

  const labelX = PAGE.width - MARGIN.right - 250;
  const labelWidth = 95;
  const valueX = labelX + labelWidth;
  const valueWidth = 250 - labelWidth;
  let y = top;
  for (const [label, value] of rows) {
    font(doc, FONT, 9, COLOR.muted);
    text(doc, label, labelX, y, { width: labelWidth });
    font(doc, BOLD, 9);
    text(doc, value, valueX, y, { width: valueWidth, align: 'right' });
    y = Math.max(doc.y, y + 11) + 3;
  }
  return Math.max(leftBottom, y);
}

interface Row {
  cells: [string, string, string, string];
  /** Font size per cell: long numbers shrink to stay on one line where they can. */
  sizes: [number, number, number, number];
  detail: string | null;
  /** Indented rows under the line: the tiers (or packages) that priced it, amounts unrounded. */
  subRows: Array<[string, string, string, string]>;
  height: number;
}

const SUB_ROW_HEIGHT = 11;

/** The steps of a tiered or package line, as sub-rows: label, quantity, unit price, amount. */
function stepRows(computation: Record<string, unknown> | null | undefined): Array<[string, string, string, string]> {
  if (!computation) return [];
  const model = computation.model;
  if ((model === 'graduated' || model === 'volume') && Array.isArray(computation.tiers)) {
    return (computation.tiers as TierStep[]).map((t) => {
      const range = t.upTo === null ? `over ${formatDecimalCell(t.from)}` : `${formatDecimalCell(t.from)} \u2013 ${formatDecimalCell(t.upTo)}`;
      const fee = Number(t.flatFee) !== 0 ? ` + flat fee ${formatDecimalCell(t.flatFee)}` : '';
      return [`Tier ${t.index + 1} (${range})${fee}`, formatDecimalCell(t.units), formatDecimalCell(t.unitPrice), formatDecimalCell(t.amount)];
    });
  }
  if (model === 'package' && typeof computation.packages === 'string') {
    const { packages, packageSize, packagePrice, amount } = computation as Record<string, string>;
    return [[`Packages of ${formatDecimalCell(packageSize)}`, formatDecimalCell(packages), formatDecimalCell(packagePrice), formatDecimalCell(amount)]];
  }
  return [];
}

const MIN_NUMBER_FONT_SIZE = 6.5;

function lineDetail(line: InvoicePdfLine, invoice: Invoice): string | null {
  const period = formatPeriod(line.periodStart, line.periodEnd);
  if (line.type === 'late_usage') return `Late usage from the earlier period ${period}`;
  const samePeriod =
    line.periodStart.getTime() === invoice.periodStart.getTime() && line.periodEnd.getTime() === invoice.periodEnd.getTime();
  const parts = [line.metric, samePeriod ? null : period].filter((p): p is string => !!p);
  return parts.length > 0 ? parts.join(' \u00b7 ') : null;
}

function measureRow(doc: Doc, line: InvoicePdfLine, invoice: Invoice): Row {
  const description =
    line.description.length > MAX_DESCRIPTION_CHARS ? `${line.description.slice(0, MAX_DESCRIPTION_CHARS)}\u2026` : line.description;
  const cells: Row['cells'] = [
    toWinAnsi(description),
    formatDecimalCell(line.quantity),
    formatDecimalCell(line.unitPrice),
    formatAmountCell(line.amountCents, invoice.currency),
  ];
  const detail = lineDetail(line, invoice);
  const sizes: Row['sizes'] = [TABLE_FONT_SIZE, TABLE_FONT_SIZE, TABLE_FONT_SIZE, TABLE_FONT_SIZE];
  let height = 0;
  COLUMNS.forEach((col, i) => {
    const width = col.width - 2 * CELL_PAD.x;
    font(doc, FONT, TABLE_FONT_SIZE);
    const natural = doc.widthOfString(cells[i]);
    if (i > 0 && natural > width) sizes[i] = Math.max(MIN_NUMBER_FONT_SIZE, Math.floor((TABLE_FONT_SIZE * width * 10) / natural) / 10);
    font(doc, FONT, sizes[i]);
    let h = doc.heightOfString(cells[i] || ' ', { width });
    if (i === 0 && detail) {
      font(doc, FONT, DETAIL_FONT_SIZE);
      h += 2 + doc.heightOfString(toWinAnsi(detail), { width: col.width - 2 * CELL_PAD.x });
    }
    height = Math.max(height, h);
  });
  const subRows = line.type === 'usage' ? stepRows(line.computation) : [];
  return { cells, sizes, detail, subRows, height: height + 2 * CELL_PAD.y + subRows.length * SUB_ROW_HEIGHT };
}

function drawTableHeader(doc: Doc, currency: string, y: number): number {
  const h = 20;
  doc.save().rect(MARGIN.left, y, CONTENT_WIDTH, h).fill(COLOR.accent).restore();
  let x = MARGIN.left;
  font(doc, BOLD, 8, '#ffffff');
  for (const col of COLUMNS) {
    const title = col.key === 'unitPrice' || col.key === 'amount' ? `${col.title} (${currency})` : col.title;
    text(doc, title, x + CELL_PAD.x, y + 6.5, { width: col.width - 2 * CELL_PAD.x, align: col.align, lineBreak: false });
    x += col.width;
  }
  return y + h;
}

function drawRow(doc: Doc, row: Row, y: number, zebra: boolean): void {
  if (zebra) doc.save().rect(MARGIN.left, y, CONTENT_WIDTH, row.height).fill(COLOR.zebra).restore();
  let x = MARGIN.left;
  COLUMNS.forEach((col, i) => {
    font(doc, FONT, row.sizes[i], COLOR.ink);
    doc.text(row.cells[i], x + CELL_PAD.x, y + CELL_PAD.y, { width: col.width - 2 * CELL_PAD.x, align: col.align });
    if (i === 0 && row.detail) {
      font(doc, FONT, DETAIL_FONT_SIZE, COLOR.muted);
      text(doc, row.detail, x + CELL_PAD.x, doc.y + 2, { width: col.width - 2 * CELL_PAD.x });
    }
    x += col.width;
  });
  let subY = y + row.height - CELL_PAD.y - row.subRows.length * SUB_ROW_HEIGHT;
  for (const cells of row.subRows) {
    let cx = MARGIN.left;
    COLUMNS.forEach((col, i) => {
      font(doc, FONT, DETAIL_FONT_SIZE, COLOR.muted);
      const indent = i === 0 ? 10 : 0;
      text(doc, cells[i], cx + CELL_PAD.x + indent, subY, { width: col.width - 2 * CELL_PAD.x - indent, align: col.align, lineBreak: false });
      cx += col.width;
    });
    subY += SUB_ROW_HEIGHT;
  }
  doc.save().moveTo(MARGIN.left, y + row.height).lineTo(MARGIN.left + CONTENT_WIDTH, y + row.height)
    .lineWidth(0.5).strokeColor(COLOR.rule).stroke().restore();
}

/** Starts a page after the first with a short header; returns the y below it. */
function addContinuationPage(doc: Doc, { issuer, invoice }: InvoicePdfInput): number {
  doc.addPage();
  const y = MARGIN.top;
  font(doc, BOLD, 10);
  text(doc, fit(doc, issuer.name, 200), MARGIN.left, y, { lineBreak: false });
  font(doc, FONT, 9, COLOR.muted);
  const label = fit(doc, `Invoice ${invoice.number ?? '(draft)'} \u2014 continued`, 280);
  text(doc, label, PAGE.width - MARGIN.right - 280, y + 1, { width: 280, align: 'right', lineBreak: false });
  rule(doc, y + 18);
  return y + 30;
}

/** The lines, paging as needed with the table header repeated; returns the y below the table. */
function drawLinesTable(doc: Doc, input: InvoicePdfInput, top: number): number {
  const { invoice } = input;
  let y = drawTableHeader(doc, invoice.currency, top);
  if (invoice.lines.length === 0) {
    font(doc, FONT, TABLE_FONT_SIZE, COLOR.muted);
    text(doc, 'No charges in this period.', MARGIN.left + CELL_PAD.x, y + 8);
    rule(doc, y + 26, COLOR.rule, 0.5);
    return y + 26;
  }
  invoice.lines.forEach((line, i) => {
    const row = measureRow(doc, line, invoice);
    if (y + row.height > BODY_BOTTOM) {
      y = drawTableHeader(doc, invoice.currency, addContinuationPage(doc, input));
    }
    drawRow(doc, row, y, i % 2 === 1);
    y += row.height;
  });
  return y;
}

function drawTotals(doc: Doc, input: InvoicePdfInput, top: number): void {
  const { invoice } = input;
  const c = invoice.currency;
  const taxLabel = invoice.taxRate ? `Tax (${formatTaxRate(invoice.taxRate)})` : 'Tax';
  const rows: Array<{ label: string; value: string; strong?: boolean; ruleAbove?: boolean; highlight?: boolean }> = [
    { label: 'Subtotal', value: formatMoney(invoice.subtotalCents, c) },
    { label: 'Discount', value: formatDeduction(invoice.discountCents, c) },
    { label: taxLabel, value: formatMoney(invoice.taxCents, c) },
    { label: 'Total', value: formatMoney(invoice.totalCents, c), strong: true, ruleAbove: true },
    { label: 'Credits applied', value: formatDeduction(invoice.creditAppliedCents, c) },
    { label: 'Amount due', value: formatMoney(invoice.amountDueCents, c), strong: true, highlight: true },
  ];
  const rowHeight = 19;
  const blockHeight = rows.length * rowHeight + 8 + 40; // rows, the total's rule and the note
  let y = top;
  if (y + blockHeight > BODY_BOTTOM) y = addContinuationPage(doc, input) + 4;
  const width = 250;
  const x = PAGE.width - MARGIN.right - width;
  const blockTop = y;
  for (const row of rows) {
    if (row.ruleAbove) {
      doc.save().moveTo(x, y + 1).lineTo(x + width, y + 1).lineWidth(0.75).strokeColor(COLOR.ink).stroke().restore();
      y += 4;
    }
    if (row.highlight) {
      doc.save().rect(x, y, width, rowHeight + 4).fill(COLOR.zebra).restore();
      doc.save().rect(x, y, 3, rowHeight + 4).fill(COLOR.accent).restore();
    }
    const size = row.highlight ? 11 : 9.5;
    const ty = y + (row.highlight ? 6 : 4);
    font(doc, row.strong ? BOLD : FONT, size, row.strong ? COLOR.ink : COLOR.muted);
    text(doc, row.label, x + 10, ty, { width: 110, lineBreak: false });
    font(doc, row.strong ? BOLD : FONT, size, COLOR.ink);
    text(doc, row.value, x + 110, ty, { width: width - 120, align: 'right', lineBreak: false });
    y += rowHeight + (row.highlight ? 4 : 0);
  }

  if (invoice.status === 'paid') drawPaidStamp(doc, invoice.paidAt, MARGIN.left + 60, blockTop + 20);

  font(doc, FONT, 8, COLOR.muted);
  const note = invoice.dueAt && invoice.status === 'open'
    ? `Please pay ${formatMoney(invoice.amountDueCents, c)} by ${formatDate(invoice.dueAt)}. All amounts are in ${c}.`
    : `All amounts are in ${c}.`;
  text(doc, note, MARGIN.left, y + 16, { width: CONTENT_WIDTH });
}

function drawPaidStamp(doc: Doc, paidAt: Date | null, x: number, y: number): void {
  const w = 150;
  const h = paidAt ? 62 : 46;
  doc.save();
  doc.rotate(-12, { origin: [x + w / 2, y + h / 2] });
  doc.fillOpacity(0.85).strokeOpacity(0.85);
  doc.roundedRect(x, y, w, h, 6).lineWidth(2.5).strokeColor(COLOR.paid).stroke();
  doc.roundedRect(x + 4, y + 4, w - 8, h - 8, 4).lineWidth(0.8).strokeColor(COLOR.paid).stroke();
  font(doc, BOLD, 30, COLOR.paid);
  doc.text('PAID', x, y + 10, { width: w, align: 'center', characterSpacing: 1.5, lineBreak: false });
  if (paidAt) {
    font(doc, BOLD, 8, COLOR.paid);
    doc.text(formatDate(paidAt), x, y + 42, { width: w, align: 'center', lineBreak: false });
  }
  doc.restore();
}

/**
 * Footer ("Page i of N") and watermark on every page, written last, once the page count is
 * known. The watermark goes over the content (it is faint) so table stripes cannot hide it.
 */
function decoratePages(doc: Doc, { issuer, invoice }: InvoicePdfInput): void {
  const range = doc.bufferedPageRange();
  const y = PAGE.height - MARGIN.bottom - 12;
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    // Writing below the bottom margin would make pdfkit start a new page.
    const bottomMargin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    rule(doc, y - 8);
    font(doc, FONT, 8, COLOR.muted);
    text(doc, fit(doc, `${issuer.name} \u00b7 Invoice ${invoice.number ?? '(draft)'}`, CONTENT_WIDTH - 110), MARGIN.left, y, {
      lineBreak: false,
    });
    text(doc, `Page ${i + 1} of ${range.count}`, PAGE.width - MARGIN.right - 100, y, { width: 100, align: 'right', lineBreak: false });
    drawWatermark(doc, invoice.status);
    doc.page.margins.bottom = bottomMargin;
  }
}

/**
 * @module statements/pdf
 * A statement as an A4 PDF (pdf-lib, pure JS, so it runs in the worker): a header with the
 * organisation and the month, the totals, the adjustments, usage by project and model (continued
 * on further pages when long), and a footer on every page saying how it reconciles to the journal.
 *
 * pdf-lib's standard fonts encode WinAnsi only, and throw on any other character; every string
 * drawn goes through `winAnsi` first, so a name in any script renders (as close as it can) and
 * never fails the statement.
 */
import type { PDFDocument, PDFFont, PDFPage } from 'pdf-lib';
import { LocalClock } from '../lib/local-clock';
import { usdText } from '../lib/money';
import type { Statement } from './build';

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 50;
const LINE = 15;
const FOOTER_SPACE = 60;

// The WinAnsi (CP-1252) characters above Latin-1's printable range that standard fonts can draw.
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/** Text a standard font can encode: accents kept where WinAnsi has them, dropped where not, anything else as '?'. */
export function winAnsi(text: string): string {
  const drawable = (ch: string) => {
    const c = ch.codePointAt(0) ?? 0;
    return (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || WIN_ANSI_EXTRA.has(ch);
  };
  let out = '';
  for (const ch of text.replace(/[\t\r\n]+/g, ' ')) {
    if (drawable(ch)) out += ch;
    else {
      // "Ł" has no decomposition; "ő" → "o" + combining mark: keep the base letter when there is one.
      const base = ch.normalize('NFKD').replace(/\p{M}/gu, '');
      out += base && [...base].every(drawable) ? base : '?';
    }
  }
  return out;
}

/** Signed dollars for people: "$5.00", "-$0.000051". */
export const dollars = (micros: number): string => (micros < 0 ? `-${usdText(-micros)}` : usdText(micros));

const integer = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

interface Pen {
  doc: PDFDocument;
  page: PDFPage;
  y: number;
  regular: PDFFont;
  bold: PDFFont;
}

/** Draws `text` cut to `width` (an ellipsis marks the cut), left-aligned at x or right-aligned to x. */
function cell(pen: Pen, text: string, x: number, opts: { width?: number; right?: boolean; bold?: boolean; size?: number } = {}): void {
  const font = opts.bold ? pen.bold : pen.regular;
  const size = opts.size ?? 10;
  let t = winAnsi(text);
  if (opts.width !== undefined) while (t.length > 1 && font.widthOfTextAtSize(t, size) > opts.width) t = `${t.slice(0, -2)}…`;
  const w = font.widthOfTextAtSize(t, size);
  pen.page.drawText(t, { x: opts.right ? x - w : x, y: pen.y, size, font });
}

const RIGHT = A4[0] - MARGIN;
// Usage columns: project, model, then right-aligned requests, tokens in, tokens out, cost.
const COLS = { project: MARGIN, model: MARGIN + 140, requests: 380, input: 440, output: 500, cost: RIGHT };

function usageHeader(pen: Pen): void {
  cell(pen, 'Project', COLS.project, { bold: true });
  cell(pen, 'Model', COLS.model, { bold: true });
  cell(pen, 'Requests', COLS.requests, { right: true, bold: true });
  cell(pen, 'Tokens in', COLS.input, { right: true, bold: true });
  cell(pen, 'Tokens out', COLS.output, { right: true, bold: true });
  cell(pen, 'Cost', COLS.cost, { right: true, bold: true });
  pen.y -= LINE;
}

function newPage(pen: Pen, s: Statement, continued: boolean): void {
  pen.page = pen.doc.addPage(A4);
  pen.y = A4[1] - MARGIN;
  cell(pen, continued ? `Statement ${s.span.period} (continued)` : 'Statement', MARGIN, { bold: true, size: continued ? 12 : 20 });
  pen.y -= continued ? LINE * 1.5 : LINE * 2;
}

/** Moves down one line, starting a new page (with the usage header again) when this one is full. */
function nextLine(pen: Pen, s: Statement, inUsage: boolean): void {
  pen.y -= LINE;
  if (pen.y >= MARGIN + FOOTER_SPACE) return;
  newPage(pen, s, true);
  if (inUsage) usageHeader(pen);
}

function totalLine(pen: Pen, s: Statement, label: string, micros: number, bold = false): void {
  cell(pen, label, MARGIN, { bold, width: 360 });
  cell(pen, dollars(micros), RIGHT, { right: true, bold });
  nextLine(pen, s, false);
}

/** Renders the statement; the bytes start with `%PDF-`. */
export async function statementPdf(s: Statement, generatedAt: number): Promise<Uint8Array> {
  // Loaded when a statement is rendered, not when the worker starts (it is most of the bundle's growth).
  const { PDFDocument, StandardFonts, rgb } = await import('pdf-lib');
  const GREY = rgb(0.4, 0.4, 0.4);
  const doc = await PDFDocument.create();
  doc.setTitle(winAnsi(`Statement ${s.span.period} - ${s.accountName}`));
  doc.setCreator('GPU gateway');
  doc.setCreationDate(new Date(generatedAt));
  const pen: Pen = {
    doc,
    page: undefined as unknown as PDFPage,
    y: 0,
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
  };
  newPage(pen, s, false);
  const clock = new LocalClock(s.span.timeZone);
  const local = (ms: number) => clock.iso(ms).replace('T', ' ');
  cell(pen, s.accountName, MARGIN, { bold: true, size: 12, width: RIGHT - MARGIN });
  pen.y -= LINE;
  cell(pen, `Period ${s.span.period} in ${s.span.timeZone}: ${local(s.span.start)} to ${local(s.span.end)}`, MARGIN, { width: RIGHT - MARGIN });
  pen.y -= LINE;
  cell(pen, `Organisation ${s.accountId}`, MARGIN, { width: RIGHT - MARGIN });
  pen.y -= LINE * 2;

  totalLine(pen, s, 'Opening balance', s.openingMicros, true);
  totalLine(pen, s, `Top-ups (${s.topUpCount})`, s.topUpsMicros);
  totalLine(pen, s, 'Usage', -s.usageMicros);
  for (const a of s.adjustments) totalLine(pen, s, `Adjustment: ${a.label} (${a.count})`, a.amountMicros);
  totalLine(pen, s, 'Adjustments', s.adjustmentsMicros);
  totalLine(pen, s, 'Closing balance', s.closingMicros, true);
  nextLine(pen, s, false);

  cell(pen, 'Usage by project and model', MARGIN, { bold: true, size: 12 });
  nextLine(pen, s, false);
  usageHeader(pen);
  if (s.usage.length === 0 && s.unattributedUsageMicros === 0) {
    cell(pen, 'No usage in this period.', MARGIN);
    nextLine(pen, s, true);
  }
  for (const u of s.usage) {
    cell(pen, u.projectName, COLS.project, { width: 135 });
    cell(pen, u.model, COLS.model, { width: 130 });
    cell(pen, integer(u.requests), COLS.requests, { right: true });
    cell(pen, integer(u.inputTokens), COLS.input, { right: true });
    cell(pen, integer(u.outputTokens), COLS.output, { right: true });
    cell(pen, dollars(u.costMicros), COLS.cost, { right: true });
    nextLine(pen, s, true);
  }
  if (s.unattributedUsageMicros !== 0) {
    cell(pen, 'Not attributed to a project and model (settled across the month boundary, or corrected later)', COLS.project, { width: 420 });
    cell(pen, dollars(s.unattributedUsageMicros), COLS.cost, { right: true });
    nextLine(pen, s, true);
  }
  cell(pen, 'Usage', COLS.project, { bold: true });
  cell(pen, dollars(s.usageMicros), COLS.cost, { right: true, bold: true });

  const pages = doc.getPages();
  pages.forEach((page, i) => {
    const foot = { ...pen, page, y: MARGIN + 20 };
    cell(foot, 'Reconciles to the journal to the micro-dollar: opening + top-ups - usage + adjustments = closing,', MARGIN, { size: 8 });
    foot.y -= 10;
    cell(
      foot,
      `equal to the journal's balance after entry ${s.throughSeq}. Generated ${new Date(generatedAt).toISOString()}. Page ${i + 1} of ${pages.length}.`,
      MARGIN,
      { size: 8 },
    );
    page.drawLine({ start: { x: MARGIN, y: MARGIN + 32 }, end: { x: RIGHT, y: MARGIN + 32 }, thickness: 0.5, color: GREY });
  });
  return doc.save();
}

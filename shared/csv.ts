/**
 * @module shared/csv
 * CSV text (RFC 4180) that spreadsheets open safely: fields quoted where needed, and text that a
 * spreadsheet would run as a formula made inert. The one encoder of the worker's CSV exports and
 * the dashboard's tables.
 */

/** What a CSV cell can be given; null and undefined are an empty field. */
export type CsvValue = string | number | null | undefined;

// A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
const FORMULA_START = /^[=+\-@\t\r]/;
// A plain number ("-2.500000") starts with "-" but cannot run anything; prefixing it would turn
// every negative amount into text.
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field: a leading = + - @ tab or CR gets a ' prefix; fields with , " CR or LF are quoted, quotes doubled. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A header line and one line a row, CRLF-separated and CRLF-terminated. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly CsvValue[]>): string {
  return [header, ...rows].map((fields) => `${fields.map(csvField).join(',')}\r\n`).join('');
}

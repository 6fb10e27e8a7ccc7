/**
 * Reading what tables show and what their CSV downloads hold.
 */
import { expect } from 'vitest';

/** "$1,234.56" → 1234.56; "—" (no balance) → null. */
export function dollars(text: string): number | null {
  const match = /^(-)?\$([\d,]+\.\d+)$/.exec(text.trim());
  return match ? (match[1] ? -1 : 1) * Number(match[2].replace(/,/g, '')) : null;
}

/** Known values in `direction` (1 ascending, -1 descending) order, rows without a value last. */
export function expectOrdered(values: Array<number | null>, direction: 1 | -1) {
  const known = values.filter((v): v is number => v !== null);
  expect(values.slice(0, known.length), 'rows without a balance come last').toEqual(known);
  expect(known).toEqual([...known].sort((a, b) => direction * (a - b)));
}

/** RFC 4180 records (CRLF-terminated): quoted fields may hold commas, doubled quotes and line breaks. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch === ',') {
      record.push(field);
      field = '';
    } else if (!quoted && ch === '\r' && text[i + 1] === '\n') {
      records.push([...record, field]);
      record = [];
      field = '';
      i++;
    } else {
      field += ch;
    }
  }
  return records;
}

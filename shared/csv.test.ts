import { describe, expect, it } from 'vitest';
import { csvField, toCsv, type CsvValue } from './csv';

describe('csvField', () => {
  const cases: Array<[string, CsvValue, string]> = [
    ['leaves plain text as it is', 'Alice', 'Alice'],
    ['writes a number as it is', -3, '-3'],
    ['writes null as an empty field', null, ''],
    ['writes undefined as an empty field', undefined, ''],
    ['quotes a field with a comma', 'a,b', '"a,b"'],
    ['quotes a field with a quote and doubles it', 'say "hi"', '"say ""hi"""'],
    ['quotes a field with a line feed', 'two\nlines', '"two\nlines"'],
    ['quotes a field with a carriage return', 'cr\rhere', '"cr\rhere"'],
    ['makes a leading = inert', '=1+1', "'=1+1"],
    ['makes a leading + inert', '+cmd', "'+cmd"],
    ['makes a leading - inert', '-2+3', "'-2+3"],
    ['makes a leading @ inert', '@SUM(A1)', "'@SUM(A1)"],
    ['makes a leading tab inert', '\tx', "'\tx"],
    ['makes a formula inert and then quotes it', '=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
    ['keeps a plain negative amount a number', '-2.500000', '-2.500000'],
  ];
  it.each(cases)('%s', (_, value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});

describe('toCsv', () => {
  it('writes a header and one CRLF-terminated line a row', () => {
    expect(
      toCsv(
        ['name', 'amount_usd'],
        [
          ['Alice', '-1.000000'],
          ['B, "the" second', null],
        ],
      ),
    ).toBe('name,amount_usd\r\nAlice,-1.000000\r\n"B, ""the"" second",\r\n');
  });
});

/** Number and date dialects: each convention, and ambiguity refused rather than guessed. */
import { describe, expect, it } from 'vitest';
import { compileDateFormat, DialectError, parseDate, parseNumber, type DateFormat, type NumberFormat } from '../../src/input/mapping/dialect.js';

const DE: NumberFormat = { decimal: ',', thousands: '.' };
const US: NumberFormat = { decimal: '.', thousands: ',' };
const CH: NumberFormat = { decimal: '.', thousands: "'" };
const FR: NumberFormat = { decimal: ',', thousands: ' ' };
const PLAIN_COMMA: NumberFormat = { decimal: ',', thousands: undefined };
const AUTO: NumberFormat = { decimal: 'auto' };

const num = (text: string, f: NumberFormat): string => {
  const r = parseNumber(text, f);
  return r instanceof DialectError ? `${r.code}: ${r.reason}` : r;
};

describe('numbers', () => {
  it.each([
    ['1.234,56', DE, '1234.56'],
    ['1234,56', DE, '1234.56'],
    ['12,5', DE, '12.5'],
    ['1.234.567,89', DE, '1234567.89'],
    ['1.234', DE, '1234'],
    ['-1.234,50', DE, '-1234.50'],
    ['  780,00 ', DE, '780.00'],
    ['1,234.56', US, '1234.56'],
    ['1234.56', US, '1234.56'],
    ['1,234', US, '1234'],
    ['1,234,567.00', US, '1234567.00'],
    ["1'234.50", CH, '1234.50'],
    ['1 234,56', FR, '1234.56'],
    ['1\u00a0234,56', FR, '1234.56'],
    ['1\u202f234,56', FR, '1234.56'],
    ['99,90', PLAIN_COMMA, '99.90'],
  ] as const)('%j with %j → %s', (text, f, expected) => {
    expect(num(text, f)).toBe(expected);
  });

  it.each([
    ['12.50', DE, /invalid_number: is not a number with "," as decimal mark and "\." between thousands \(e\.g\. 1\.234,56\); it looks written with "\." as decimal mark/],
    ['1,234.56', DE, /invalid_number: .*it looks written with "\." as decimal mark/],
    ['1.234,56', US, /invalid_number: .*it looks written with "," as decimal mark/],
    ['1.234,56', PLAIN_COMMA, /invalid_number: .*no thousands separator/],
    ['12,34,56', DE, /invalid_number/],
    ['1.23,45', DE, /invalid_number/],
    ['€ 12,50', DE, /invalid_number/],
    ['12,50 EUR', DE, /invalid_number/],
    ['', DE, /invalid_number/],
    ['-', US, /invalid_number/],
  ] as const)('%j with %j is refused', (text, f, expected) => {
    expect(num(text, f)).toMatch(expected);
  });

  it.each([
    ['1.234,56', '1234.56'],
    ['1,234.56', '1234.56'],
    ['1234,56', '1234.56'],
    ['12.5', '12.5'],
    ['0,125', '0.125'],
    ['1234.567', '1234.567'],
    ['1.234.567', '1234567'],
    ['1,234,567', '1234567'],
    ['1 234,56', '1234.56'],
    ["1'234.56", '1234.56'],
    ['42', '42'],
  ] as const)('auto: %j → %s', (text, expected) => {
    expect(num(text, AUTO)).toBe(expected);
  });

  it.each([
    ['1,234', /ambiguous_number: could be 1234 or 1\.234; declare the number format/],
    ['1.234', /ambiguous_number: could be 1234 or 1\.234/],
    ['-12,500', /ambiguous_number: could be -12500 or -12\.500/],
  ] as const)('auto refuses the ambiguous %j', (text, expected) => {
    expect(num(text, AUTO)).toMatch(expected);
  });
});

const fmt = (...texts: string[]): DateFormat[] => texts.map((t) => compileDateFormat(t) as DateFormat);
const date = (text: string, formats: DateFormat[] | 'auto'): string => {
  const r = parseDate(text, formats);
  return r instanceof DialectError ? `${r.code}: ${r.reason}` : r;
};

describe('dates', () => {
  it.each([
    ['14.03.2025', 'DD.MM.YYYY', '2025-03-14'],
    ['03/14/2025', 'MM/DD/YYYY', '2025-03-14'],
    ['03/04/2025', 'MM/DD/YYYY', '2025-03-04'],
    ['03/04/2025', 'DD/MM/YYYY', '2025-04-03'],
    ['3/4/2025', 'D/M/YYYY', '2025-04-03'],
    ['14/3/2025', 'D/M/YYYY', '2025-03-14'],
    ['3/14/2025', 'M/D/YYYY', '2025-03-14'],
    ['2025-03-14', 'YYYY-MM-DD', '2025-03-14'],
    ['14-03-2025', 'DD-MM-YYYY', '2025-03-14'],
    ['14.3.25', 'D.M.YY', '2025-03-14'],
    ['29.02.2024', 'DD.MM.YYYY', '2024-02-29'],
    [' 01.01.2026 ', 'DD.MM.YYYY', '2026-01-01'],
  ] as const)('%j in %s → %s', (text, format, expected) => {
    expect(date(text, fmt(format))).toBe(expected);
  });

  it.each([
    ['3.4.2025', 'DD.MM.YYYY', /invalid_date: is not a date in the format DD\.MM\.YYYY/],
    ['14/03/2025', 'MM/DD/YYYY', /invalid_date: is not a real date \(expected MM\/DD\/YYYY\)/],
    ['29.02.2025', 'DD.MM.YYYY', /invalid_date: is not a real date/],
    ['2025-03-14', 'DD.MM.YYYY', /invalid_date/],
    ['14.03.2025 00:00', 'DD.MM.YYYY', /invalid_date/],
  ] as const)('%j in %s is refused', (text, format, expected) => {
    expect(date(text, fmt(format))).toMatch(expected);
  });

  it('two declared formats that read a value two ways make it ambiguous; one reading is fine', () => {
    const both = fmt('DD/MM/YYYY', 'MM/DD/YYYY');
    expect(date('03/04/2025', both)).toMatch(/ambiguous_date: reads as 3 April 2025 or 4 March 2025/);
    expect(date('14/03/2025', both)).toBe('2025-03-14');
    expect(date('14.03.2025', fmt('DD.MM.YYYY', 'YYYY-MM-DD'))).toBe('2025-03-14');
    expect(date('2025-03-14', fmt('DD.MM.YYYY', 'YYYY-MM-DD'))).toBe('2025-03-14');
  });

  it.each([
    ['2025-03-14', '2025-03-14'],
    ['2025/3/4', '2025-03-04'],
    ['14.03.2025', '2025-03-14'],
    ['3.4.2025', '2025-04-03'],
    ['14/03/2025', '2025-03-14'],
    ['03/14/2025', '2025-03-14'],
    ['05/05/2025', '2025-05-05'],
    ['12-31-2025', '2025-12-31'],
  ] as const)('auto: %j → %s (cannot be misread)', (text, expected) => {
    expect(date(text, 'auto')).toBe(expected);
  });

  it.each([
    ['03/04/2025', /ambiguous_date: could be 3 April 2025 \(DD\/MM\/YYYY\) or 4 March 2025 \(MM\/DD\/YYYY\); declare dates\.format/],
    ['01-02-2026', /ambiguous_date: could be 1 February 2026 \(DD-MM-YYYY\) or 2 January 2026/],
    ['31/31/2025', /invalid_date/],
    ['14/03/25', /invalid_date: is not a date \(expected YYYY-MM-DD, or declare dates\.format/],
    ['March 3, 2025', /invalid_date/],
  ] as const)('auto refuses %j', (text, expected) => {
    expect(date(text, 'auto')).toMatch(expected);
  });

  it.each([
    ['DD.MM.YYYY', true],
    ['D/M/YYYY', true],
    ['YYYY-MM-DD', true],
    ['MM DD YYYY', true],
    ['DDMMYYYY', /separator between/],
    ['DD.MM', /not a date format/],
    ['DD.DD.YYYY', /two day parts/],
    ['DD_MM_YYYY', /"_" is not a separator/],
    ['', /not a date format/],
  ] as const)('format %j compiles: %s', (text, expected) => {
    const c = compileDateFormat(text);
    if (expected === true) expect(typeof c).toBe('object');
    else expect(c).toMatch(expected);
  });
});

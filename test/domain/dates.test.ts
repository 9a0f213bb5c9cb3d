/** `implausible_date`: invoice and due dates far from today are a warning (src/domain/dates.ts); today is given, never read. */
import { describe, expect, it } from 'vitest';
import { dateWindow, implausibleDates, localDate } from '../../src/domain/dates.js';
import { InvoiceGrouper } from '../../src/domain/group.js';
import { records, withBase } from './helpers.js';

const TODAY = '2026-12-07';

/** Each date problem as `row:column:code:severity` for the invoice with these cells. */
function dateProblems(cells: Record<string, string | undefined>, opts: { today?: string } = { today: TODAY }): string[] {
  const grouper = new InvoiceGrouper(opts);
  for (const r of records(withBase(cells))) grouper.add(r);
  return grouper
    .finish()
    .invoices.flatMap((g) => g.problems)
    .filter((p) => p.code === 'implausible_date' || p.code === 'invalid_date')
    .map((p) => `${p.row}:${p.column}:${p.code}:${p.severity}`);
}

describe('implausible_date', () => {
  it.each<[string, Record<string, string | undefined>, string[]]>([
    ['9999-12-31 as invoice_date', { invoice_date: '9999-12-31' }, ['2:invoice_date:implausible_date:warning']],
    ['1899-12-31 as invoice_date', { invoice_date: '1899-12-31' }, ['2:invoice_date:implausible_date:warning']],
    ['9999-12-31 as invoice_due_date', { invoice_due_date: '9999-12-31' }, ['2:invoice_due_date:implausible_date:warning']],
    ['1899-12-31 as invoice_due_date', { invoice_due_date: '1899-12-31' }, ['2:invoice_due_date:implausible_date:warning']],
    ['both', { invoice_date: '9999-12-31', invoice_due_date: '1899-12-31' }, ['2:invoice_date:implausible_date:warning', '2:invoice_due_date:implausible_date:warning']],
    ['today', { invoice_date: TODAY, invoice_due_date: TODAY }, []],
    ['10 years ago to the day: plausible', { invoice_date: '2016-12-07' }, []],
    ['10 years and a day ago', { invoice_date: '2016-12-06' }, ['2:invoice_date:implausible_date:warning']],
    ['a year ahead to the day: plausible', { invoice_due_date: '2027-12-07' }, []],
    ['a year and a day ahead', { invoice_due_date: '2027-12-08' }, ['2:invoice_due_date:implausible_date:warning']],
    ['a date that is no date: only invalid_date', { invoice_date: '9999-13-01' }, ['2:invoice_date:invalid_date:error']],
  ])('%s', (_, cells, expected) => {
    expect(dateProblems(cells)).toEqual(expected);
  });

  it('without today (a grouper not told it), dates are not checked so', () => {
    expect(dateProblems({ invoice_date: '9999-12-31' }, {})).toEqual([]);
  });

  it('says what is odd, with today', () => {
    const grouper = new InvoiceGrouper({ today: TODAY });
    for (const r of records(withBase({ invoice_date: '1899-12-31', invoice_due_date: '9999-12-31' }))) grouper.add(r);
    expect(grouper.finish().invoices[0]!.problems.map((p) => p.message)).toEqual([
      'invoice_date 1899-12-31 is more than 10 years before today (2026-12-07): a placeholder or a mistyped year? Alma stores it as written; correct it if it is not the invoice\'s',
      'invoice_due_date 9999-12-31 is more than a year after today (2026-12-07): a placeholder or a mistyped year? Alma stores it as written; correct it if it is not the invoice\'s',
    ]);
  });

  it('the window and the local date are pure functions of what they are given', () => {
    expect(dateWindow('2028-02-29')).toEqual({ today: '2028-02-29', from: '2018-02-29', to: '2029-02-29' });
    expect(localDate(new Date(2026, 11, 7, 23, 59))).toBe('2026-12-07');
    const d = { key: { vendor: 'A', number: '1' }, file: 'b.csv', rows: [2], fields: { invoice_date: { value: '9999-12-31', row: 2, text: '9999-12-31' } }, lines: [] };
    expect(implausibleDates(d, dateWindow(TODAY)).map((p) => p.column)).toEqual(['invoice_date']);
  });
});

/** `implausible_date` (src/domain/dates.ts): the invoice date against today, the due date against the invoice date; today is given, never read. */
import { describe, expect, it } from 'vitest';
import { dateWindow, implausibleDates, localDate } from '../../src/domain/dates.js';
import type { DraftInvoice, Field } from '../../src/domain/draft.js';
import { InvoiceGrouper } from '../../src/domain/group.js';
import { records, withBase } from './helpers.js';

const TODAY = '2026-12-07';

const field = (value: string, written?: string): Field<string> => ({ value, row: 2, text: value, ...(written !== undefined ? { written } : {}) });

/** The rule alone on an invoice with these dates: each problem as `column:code:severity`. */
function dateProblems(dates: { invoice_date?: string; invoice_due_date?: string }, today = TODAY): string[] {
  const fields: DraftInvoice['fields'] = {};
  if (dates.invoice_date !== undefined) fields.invoice_date = field(dates.invoice_date);
  if (dates.invoice_due_date !== undefined) fields.invoice_due_date = field(dates.invoice_due_date);
  const d: DraftInvoice = { key: { vendor: 'A', number: '1' }, file: 'b.csv', rows: [2], fields, lines: [] };
  return implausibleDates(d, dateWindow(today)).map((p) => `${p.column}:${p.code}:${p.severity}`);
}

const INV = 'invoice_date:implausible_date:warning';
const DUE = 'invoice_due_date:implausible_date:warning';

describe('implausible_date', () => {
  it.each<[string, { invoice_date?: string; invoice_due_date?: string }, string[]]>([
    ['9999-12-31 as invoice_date', { invoice_date: '9999-12-31' }, [INV]],
    ['1899-12-31 as invoice_date', { invoice_date: '1899-12-31' }, [INV]],
    ['today', { invoice_date: TODAY, invoice_due_date: TODAY }, []],
    ['invoice_date tomorrow (a time zone ahead): plausible', { invoice_date: '2026-12-08' }, []],
    ['invoice_date two days ahead', { invoice_date: '2026-12-09' }, [INV]],
    ['invoice_date a year ahead (a one-year typo)', { invoice_date: '2027-12-01' }, [INV]],
    ['invoice_date 10 years ago to the day: plausible', { invoice_date: '2016-12-07' }, []],
    ['invoice_date 10 years and a day ago', { invoice_date: '2016-12-06' }, [INV]],
    ['a subscription due 13 months after its invoice: plausible', { invoice_date: '2026-12-01', invoice_due_date: '2028-01-07' }, []],
    ['due 2 years after the invoice to the day: plausible', { invoice_date: '2026-12-01', invoice_due_date: '2028-12-01' }, []],
    ['due 2 years and a day after the invoice', { invoice_date: '2026-12-01', invoice_due_date: '2028-12-02' }, [DUE]],
    ['due before the invoice date', { invoice_date: '2026-12-01', invoice_due_date: '2026-11-30' }, [DUE]],
    ['9999-12-31 as due date', { invoice_date: '2026-12-01', invoice_due_date: '9999-12-31' }, [DUE]],
    ['1899-12-31 as due date', { invoice_date: '2026-12-01', invoice_due_date: '1899-12-31' }, [DUE]],
    ['an old invoice with its due date a month later: only the invoice date', { invoice_date: '2012-03-01', invoice_due_date: '2012-04-01' }, [INV]],
    ['a due date without an invoice date is not compared', { invoice_due_date: '9999-12-31' }, []],
    ['both placeholders', { invoice_date: '9999-12-31', invoice_due_date: '1899-12-31' }, [INV, DUE]],
    ['across a leap day: the window is pure text', { invoice_date: '2028-03-01' }, []],
  ])('%s', (_, dates, expected) => {
    expect(dateProblems(dates, _ === 'across a leap day: the window is pure text' ? '2028-02-29' : TODAY)).toEqual(expected);
  });

  it('the window and the local date are pure functions of what they are given', () => {
    expect(dateWindow('2028-02-29')).toEqual({ today: '2028-02-29', from: '2018-02-29', to: '2028-03-01' });
    expect(dateWindow('2026-12-31')).toEqual({ today: '2026-12-31', from: '2016-12-31', to: '2027-01-01' });
    expect(localDate(new Date(2026, 11, 7, 23, 59))).toBe('2026-12-07');
  });

  it('says what is odd in neutral words (no target named), quoting the date as the file wrote it when a mapping rewrote it', () => {
    const d: DraftInvoice = {
      key: { vendor: 'A', number: '1' },
      file: 'b.csv',
      rows: [2],
      fields: { invoice_date: field('2027-12-01', '01.12.2027'), invoice_due_date: field('2026-11-30') },
      lines: [],
    };
    expect(implausibleDates(d, dateWindow(TODAY)).map((p) => p.message)).toEqual([
      'invoice_date "01.12.2027" (read as 2027-12-01) is after today (2026-12-07), and an invoice is dated when it is issued: a placeholder or a mistyped year? It is loaded as written; correct it if it is not the invoice\'s',
      'invoice_due_date "2026-11-30" is before the invoice_date ("01.12.2027" (read as 2027-12-01)): a placeholder or a mistyped date? It is loaded as written; correct it if it is not the invoice\'s',
    ]);
  });

  it('the grouper checks with the today it is given, and not without one', () => {
    const problems = (today?: string): string[] => {
      const grouper = new InvoiceGrouper({ today });
      for (const r of records(withBase({ invoice_date: '2027-12-01', invoice_due_date: '2028-01-07' }))) grouper.add(r);
      return grouper.finish().invoices.flatMap((g) => g.problems).filter((p) => p.code === 'implausible_date').map((p) => `${p.row}:${p.column}`);
    };
    expect(problems(TODAY)).toEqual(['2:invoice_date']);
    expect(problems(undefined)).toEqual([]);
  });
});

/**
 * Dates the target takes but no invoice has: `9999-12-31` (a placeholder for "none"),
 * `1899-12-31` (what a spreadsheet shows for an empty date cell: its day zero), a year typed
 * wrong. An `implausible_date` warning, not an error (README "What is checked before anything is
 * sent"): the date is a real one, it is loaded as written, and only a person can say it is wrong.
 *
 * The invoice date is compared with today: an invoice is not dated after the day it is loaded
 * (one day is allowed for time zones), nor more than PAST_YEARS before it. The due date is
 * compared with the invoice date, not today: a subscription invoice is often due a year or
 * more after today, and a due date before its invoice's date, or far after it, is the typo.
 *
 * Pure: the caller gives today's date (`dateWindow`), read once from the clock by the CLI; a
 * grouper without one does not check (src/domain/group.ts `GrouperOptions.today`). Target-neutral
 * words: the grouper serves every target.
 */
import { valueOf, type DraftInvoice, type Field } from './draft.js';
import { shownText } from './findings.js';
import { problem, type Problem } from './problem.js';

/** How far before today an invoice date is plausible. */
export const PAST_YEARS = 10;
/** How many days after today an invoice date is plausible: today somewhere else on Earth. */
export const FUTURE_DAYS = 1;
/** How far after its invoice date a due date is plausible. */
export const DUE_YEARS = 2;

/** The plausible invoice dates as `YYYY-MM-DD` texts (compared as texts, which orders them as dates). */
export interface DateWindow {
  today: string;
  from: string;
  to: string;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `date` (`YYYY-MM-DD`) shifted by whole years, the same month and day (29 February stays: compared as text). */
function shiftYears(date: string, years: number): string {
  const m = ISO_DATE.exec(date);
  if (m === null) throw new Error(`internal: ${JSON.stringify(date)} is not YYYY-MM-DD`);
  return `${String(Number(m[1]) + years).padStart(4, '0')}-${m[2]}-${m[3]}`;
}

/** `date` (`YYYY-MM-DD`) a number of days later, on the calendar. */
function addDays(date: string, days: number): string {
  const m = ISO_DATE.exec(date);
  if (m === null) throw new Error(`internal: ${JSON.stringify(date)} is not YYYY-MM-DD`);
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** The plausible invoice dates around `today` (`YYYY-MM-DD`): PAST_YEARS before it to FUTURE_DAYS after it. */
export function dateWindow(today: string): DateWindow {
  if (!ISO_DATE.test(today)) throw new Error(`internal: today ${JSON.stringify(today)} is not YYYY-MM-DD`);
  return { today, from: shiftYears(today, -PAST_YEARS), to: addDays(today, FUTURE_DAYS) };
}

/** The local calendar date of `now` as `YYYY-MM-DD`: the day the person running the load sees. */
export function localDate(now: Date): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(now.getFullYear(), 4)}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

const AFTER = "It is loaded as written; correct it if it is not the invoice's";

/**
 * An `implausible_date` warning for an invoice date outside the window around today, and for a
 * due date before its invoice date or more than DUE_YEARS after it (refused dates are said
 * already; without a valid invoice date the due date is not compared).
 */
export function implausibleDates(d: DraftInvoice, w: DateWindow): Problem[] {
  const out: Problem[] = [];
  const warn = (column: string, f: Field<unknown>, what: string): void =>
    void out.push(problem({ file: d.file, row: f.row }, 'implausible_date', `${column} ${shownText(f)} is ${what} ${AFTER}`, { column, severity: 'warning' }));
  const invoiceF = d.fields.invoice_date;
  const invoice = valueOf(invoiceF);
  if (invoiceF !== undefined && typeof invoice === 'string') {
    if (invoice < w.from) warn('invoice_date', invoiceF, `more than ${PAST_YEARS} years before today (${w.today}): a placeholder or a mistyped year?`);
    else if (invoice > w.to) warn('invoice_date', invoiceF, `after today (${w.today}), and an invoice is dated when it is issued: a placeholder or a mistyped year?`);
  }
  const dueF = d.fields.invoice_due_date;
  const due = valueOf(dueF);
  if (dueF !== undefined && typeof due === 'string' && typeof invoice === 'string') {
    if (due < invoice) warn('invoice_due_date', dueF, `before the invoice_date (${shownText(invoiceF!)}): a placeholder or a mistyped date?`);
    else if (due > shiftYears(invoice, DUE_YEARS)) warn('invoice_due_date', dueF, `more than ${DUE_YEARS} years after the invoice_date (${shownText(invoiceF!)}): a placeholder or a mistyped year?`);
  }
  return out;
}

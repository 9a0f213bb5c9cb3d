/**
 * Dates Alma takes but no invoice has: `9999-12-31` (a placeholder for "none"), `1899-12-31`
 * (what a spreadsheet shows for an empty date cell: its day zero), a year typed wrong. An
 * `implausible_date` warning, not an error (README "What is checked before anything is sent"):
 * the date is a real one, Alma stores it as written, and only a person can say it is wrong.
 *
 * Pure: the caller gives today's date (`dateWindow`), read once from the clock by the CLI; a
 * grouper without one does not check (src/domain/group.ts `GrouperOptions.today`).
 */
import { valueOf, type DraftInvoice } from './draft.js';
import { problem, type Problem } from './problem.js';

/** How far before today an invoice or due date is plausible. */
export const PAST_YEARS = 10;
/** How far after today an invoice or due date is plausible. */
export const FUTURE_YEARS = 1;

/** The plausible dates as `YYYY-MM-DD` texts (compared as texts, which orders them as dates). */
export interface DateWindow {
  today: string;
  from: string;
  to: string;
}

const ISO_DATE = /^(\d{4})-(\d{2}-\d{2})$/;

/** The window around `today` (`YYYY-MM-DD`): PAST_YEARS before it to FUTURE_YEARS after it. */
export function dateWindow(today: string): DateWindow {
  const m = ISO_DATE.exec(today);
  if (m === null) throw new Error(`internal: today ${JSON.stringify(today)} is not YYYY-MM-DD`);
  const year = Number(m[1]);
  const shift = (years: number): string => `${String(year + years).padStart(4, '0')}-${m[2]}`;
  return { today, from: shift(-PAST_YEARS), to: shift(FUTURE_YEARS) };
}

/** The local calendar date of `now` as `YYYY-MM-DD`: the day the person running the load sees. */
export function localDate(now: Date): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(now.getFullYear(), 4)}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

const CHECKED = ['invoice_date', 'invoice_due_date'] as const;

/** An `implausible_date` warning for each invoice date outside the window (refused dates are said already). */
export function implausibleDates(d: DraftInvoice, w: DateWindow): Problem[] {
  const out: Problem[] = [];
  for (const column of CHECKED) {
    const f = d.fields[column];
    const date = valueOf(f);
    if (f === undefined || typeof date !== 'string' || (date >= w.from && date <= w.to)) continue;
    const when =
      date < w.from
        ? `more than ${PAST_YEARS} years before today (${w.today})`
        : `more than ${FUTURE_YEARS === 1 ? 'a year' : `${FUTURE_YEARS} years`} after today (${w.today})`;
    out.push(
      problem({ file: d.file, row: f.row }, 'implausible_date', `${column} ${date} is ${when}: a placeholder or a mistyped year? Alma stores it as written; correct it if it is not the invoice's`, {
        column,
        severity: 'warning',
      }),
    );
  }
  return out;
}

/**
 * Small building blocks of every target's invoice rules (src/targets/<name>/rules.ts) and of Alma's (`rules.ts`):
 * the findings list, the decimal-places check and how a line is named in a message.
 * Same conventions: every problem names file, row, column, a stable code and a plain message;
 * a cell rejected while grouping is INVALID and is not reported again.
 */
import type { Decimal } from 'decimal.js';
import type { InvoiceColumn } from './columns.js';
import { quote } from './cells.js';
import { minorUnits } from './currencies.js';
import { valueOf, type DraftInvoice, type DraftLine, type Field } from './draft.js';
import { problem, type Problem, type Severity } from './problem.js';

export class Findings {
  readonly list: Problem[] = [];
  constructor(readonly d: DraftInvoice) {}
  add(row: number, column: string | undefined, code: string, message: string, severity: Severity = 'error'): void {
    this.list.push(problem({ file: this.d.file, row }, code, message, { column, severity }));
  }
  get firstRow(): number {
    return this.d.rows[0] ?? 0;
  }
}

/** `missing_value` for each column empty on every row of the invoice. */
export function checkMandatory(p: Findings, columns: readonly InvoiceColumn[], target: string, why: Partial<Record<InvoiceColumn, string>> = {}): void {
  for (const column of columns) {
    if (p.d.fields[column] !== undefined) continue;
    const reason = why[column] ?? `${target} requires it`;
    p.add(p.firstRow, column, 'missing_value', `${column} is empty on every row of the invoice; ${reason}`);
  }
}

/** No more decimals than the currency has (JPY 0, BHD 3), as for Alma; skipped without a currency. */
export function checkDecimals(p: Findings, columns: readonly [string, Field<Decimal> | undefined][]): void {
  const currency = valueOf(p.d.fields.currency);
  const places = currency === undefined ? undefined : minorUnits(currency);
  if (currency === undefined || places === undefined) return;
  for (const [column, f] of columns) tooManyDecimals(p, currency, places, column, f);
}

/**
 * `too_many_decimals` for one amount with more decimal places than the currency's `places`.
 * Alma's rules call it for every amount of every line (rules.ts), so it is a plain function.
 */
export function tooManyDecimals(p: Findings, currency: string, places: number, column: string, f: Field<Decimal> | undefined): void {
  const v = valueOf(f);
  if (f === undefined || v === undefined || v.decimalPlaces() <= places) return;
  p.add(f.row, column, 'too_many_decimals', `${column} ${quote(f.text)} has ${v.decimalPlaces()} decimal places; ${currency} has ${places}`);
}

/** A line as messages name it: its number as the file gives it, or the number the grouper gave it. */
export const lineName = (line: DraftLine): string => (line.explicit ? `line ${quote(line.number)}` : `line ${line.number} (numbered automatically)`);

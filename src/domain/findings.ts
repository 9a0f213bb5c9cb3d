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
import { decimalPlacesOfText, Money } from './money.js';
import { valueOf, type DraftInvoice, type DraftLine, type Field } from './draft.js';
import { problem, type Problem, type Severity } from './problem.js';
import { runLabels } from '../common/runs.js';

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
  if (f === undefined || v === undefined) return;
  // Not a cell a `--mapping` number format read (`written`): the profile declared how it is written.
  // Nor a JSON number (`native`): it has no thousands separator (RFC 8259 §6), `1.200` is 1.2.
  const ambiguous = f.written === undefined && f.native !== true ? dotThousands(f.text, currency, places) : undefined;
  if (ambiguous !== undefined) {
    p.add(f.row, column, 'ambiguous_number', `${column} ${quote(f.text)} ${ambiguous}`);
    return;
  }
  if (v.decimalPlaces() <= places) return;
  p.add(f.row, column, 'too_many_decimals', `${column} ${shownText(f)} has ${v.decimalPlaces()} decimal places; ${currency} has ${places}`);
}

/**
 * `1.200` with three digits after one dot, or more groups of three, and a first group of 1–3
 * digits: the form of 1,200 written with a dot between thousands (as in Germany, `1.200,00`) as
 * much as of 1.2 with three decimals.
 */
const DOT_GROUPED = /^-?[1-9]\d{0,2}(?:\.\d{3})+$/;
export const isDotGrouped = (text: string): boolean => DOT_GROUPED.test(text);

/**
 * Why an amount written `text` cannot be read in `currency` (of `places` decimals), or undefined
 * when it can. In a currency of fewer than three decimals, `1.200` is 1,200 with a dot between
 * thousands (as a German file writes it) or 1.2 with a third decimal the currency does not have,
 * and neither reading is sure: read as 1.2 it passed the decimals check, whose zeros at the end do
 * not count, and an invoice of 1,200 EUR was loaded as 1.20 (README "What is checked before
 * anything is sent"). Only a text with zeros at its end is refused here: `1.234` has three
 * decimals that count, and is `too_many_decimals` either way, and a workbook's number cell never
 * ends in a zero (input/xlsx.ts `numberText`: 1.2, not 1.200). For text only: a JSON number
 * `1.200` is 1.2 (JSON has no thousands separator), and `tooManyDecimals` does not ask this of a
 * field so read (`Field.native`). Not refused: 1.200 KWD (three
 * decimals: 1.2 dinars), `0.500` (no thousands start with 0), `12.5000` or `1200.000` (an ERP
 * writing four or three decimals: not thousands groups), each read as its value.
 */
export function dotThousands(text: string, currency: string, places: number, mapping = true): string | undefined {
  if (places >= 3 || !DOT_GROUPED.test(text)) return undefined;
  const value = new Money(text);
  if (value.decimalPlaces() === decimalPlacesOfText(text)) return undefined;
  const digits = text.replaceAll('.', '');
  const grouped = text.replaceAll('.', ',');
  const decimal = value.toFixed();
  const fits = value.decimalPlaces() <= places;
  const write = fits ? `${digits} or ${value.toFixed(places)}` : digits;
  return (
    `could be ${grouped} (a dot between thousands) or ${decimal} (a decimal point and three decimals); ${currency} has ${places}: write ${write}` +
    (mapping ? `, or, for a file that writes amounts with a decimal comma, read it with a --mapping profile ("numbers": {"decimal": ",", "thousands": "."})` : '')
  );
}

/**
 * A cell as a message quotes it: as the row has it, with the value it was read as when a
 * `--mapping` number format rewrote it (`"1,234" (read as 1.234)`), so the message never quotes
 * a text that is another row's cell.
 */
export const shownText = (f: Field<unknown>): string =>
  f.written === undefined || f.written === f.text ? quote(f.text) : `${quote(f.written)} (read as ${f.text})`;

/** A line as messages name it: its number as the file gives it, or the number the grouper gave it. */
export const lineName = (line: DraftLine): string => (line.explicit ? `line ${quote(line.number)}` : `line ${line.number} (numbered automatically)`);

/** Rows as people read them: `row 4`, `rows 2–3`, `rows 11–12 and 17` (runs of consecutive rows). */
export function rowsText(rows: readonly number[]): string {
  const runs = runLabels(rows);
  // Past 6 runs (an invoice of many scattered rows), the first 5 and the count.
  const listed =
    runs.length === 1 ? runs[0] : runs.length > 6 ? `${runs.slice(0, 5).join(', ')}, … (${rows.length} in all)` : `${runs.slice(0, -1).join(', ')} and ${runs.at(-1)}`;
  return `${rows.length === 1 ? 'row' : 'rows'} ${listed}`;
}

/**
 * For a total that does not match: the rows with the invoice's number and no vendor, which are
 * in no invoice (`DraftInvoice.leftOut`), so the difference is theirs — `` (row 4, invoice
 * number "G-24118" without a vendor, was left out)``; empty when there are none.
 */
export function leftOutNote(d: DraftInvoice): string {
  const rows = d.leftOut;
  if (rows === undefined || rows.length === 0) return '';
  return ` (${rowsText(rows)}, invoice number ${quote(d.key.number)} without a vendor, ${rows.length === 1 ? 'was' : 'were'} left out)`;
}

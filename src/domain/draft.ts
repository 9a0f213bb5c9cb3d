/**
 * A grouped invoice before the invoice-level rules have run: every value typed, every value with
 * the row it came from, nothing mandatory yet. The grouper builds drafts; `rules.ts` checks them
 * and turns the valid ones into the canonical `Invoice` of `model.ts`.
 */
import type { InvoiceColumn, LineColumn } from './columns.js';
import type { ColumnKind, KindValue } from './cells.js';
import type { InvoiceKey } from './model.js';

/** Marks a cell whose text was rejected: its problem is already reported, so rules skip it. */
export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

/** One value and where it was given: the first row of the invoice (or line) that had it. */
export interface Field<T> {
  value: T | Invalid;
  row: number;
  /** The cell text as written (trimmed), for messages. */
  text: string;
  /**
   * The vendor's own text when a `--mapping` number or date format rewrote the cell (`1,234`
   * for `text` 1.234): what a message quotes (`shownText`). Also set, to `text` itself, for an
   * amount like `1.200` the profile's declared format read as it is: the profile settled what its
   * dot is, which the rules otherwise refuse as ambiguous (findings.ts `dotThousands`). Absent otherwise.
   */
  written?: string | undefined;
  /**
   * True when the cell was a number in the file written like `1.200`, not a text (a JSON number:
   * SourceRecord.native). It has no thousands separator (RFC 8259 §6), so it is 1.2 and not
   * ambiguous (findings.ts `dotThousands`); `text` is its digits as the file has them. Absent otherwise.
   */
  native?: true | undefined;
}

export type InvoiceFields = { [C in InvoiceColumn]?: Field<KindValue[ColumnKind<C>]> };
export type LineFields = { [C in LineColumn]?: Field<KindValue[ColumnKind<C>]> };

export interface DraftFund {
  row: number;
  code?: Field<string> | undefined;
  percent?: Field<KindValue['percent']> | undefined;
  amount?: Field<KindValue['money']> | undefined;
}

export interface DraftLine {
  /** The explicit line number, or the one assigned to a row without one. */
  number: string;
  /** False when the number was assigned (the row had no line_number). */
  explicit: boolean;
  /** Rows of this line in input order; the first is where line-level problems are reported. */
  rows: number[];
  fields: LineFields;
  funds: DraftFund[];
}

export interface DraftInvoice {
  key: InvoiceKey;
  file: string;
  /** Every row of the invoice, in input order (all in `file`). */
  rows: number[];
  fields: InvoiceFields;
  lines: DraftLine[];
  /** Every distinct `attachment` cell of the invoice, in row order (`fields.attachment` is the first). */
  attachments?: Field<string>[] | undefined;
  /**
   * Rows of the same file with this invoice's invoice_number and an empty vendor: in no invoice
   * (`missing_value` on each), so the invoice lacks them. A total that does not match says so.
   */
  leftOut?: number[] | undefined;
}

/** The valid value of a field, or undefined when it is absent or invalid. */
export const valueOf = <T>(f: Field<T> | undefined): T | undefined =>
  f === undefined || f.value === INVALID ? undefined : (f.value as T);

export const isInvalid = (f: Field<unknown> | undefined): boolean => f !== undefined && f.value === INVALID;

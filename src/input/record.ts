import type { Problem, Provenance } from '../domain/problem.js';
import { STDIN_FILE } from '../common/shown.js';

export type { Provenance } from '../domain/problem.js';

/**
 * One flat record keyed by canonical column names (after any mapping). Values are the cell
 * text exactly as read (JSON numbers keep their source digits; JSON booleans become
 * "true"/"false"; null and missing become undefined). Nothing is typed yet: that is the
 * domain's job, so every problem can be reported with its row and column.
 */
export interface SourceRecord {
  source: Provenance;
  fields: Record<string, string | undefined>;
  /**
   * The same values by position: cell i is the value of column i as the reader announced them
   * (`onColumns`, CSV only), '' when empty. Lets the grouper read a cell by index rather than by
   * name (a name that changes at every read is a slow, megamorphic look-up: ~0.2 s on 1M rows).
   */
  cells?: readonly string[] | undefined;
  /**
   * Problems the input layer found in this record's cells (a `--mapping` profile refusing an
   * ambiguous date, say): the grouper files them under the record's invoice. Usually absent.
   */
  problems?: Problem[] | undefined;
  /**
   * The vendor's own text of the cells a `--mapping` profile's number or date format rewrote
   * (`1,234` → `1.234`), by canonical column: messages quote the cell as the file has it, since
   * the canonical text may be another row's cell word for word. Absent without such a cell.
   */
  written?: Readonly<Record<string, string>> | undefined;
  /**
   * The text of cells the input layer refused and left out of `fields` (an amount or a date its
   * dialect does not read, an Excel day number in a date column), by canonical column: the
   * rejects file writes it back under its column, for the person to correct (README "Rejects").
   * Absent without such a cell.
   */
  refused?: Readonly<Record<string, string>> | undefined;
  /**
   * Canonical columns whose cell was a number in the file, not a text — a JSON number (or a
   * workbook's number cell, read through a `--mapping` profile) — written like `1.200`
   * (domain/findings.ts `isDotGrouped`; other numbers are not listed, as nothing asks). A JSON
   * number has no thousands separator (RFC 8259 §6, https://www.rfc-editor.org/rfc/rfc8259#section-6):
   * `1.200` is 1.2, so the rules take its dot as a decimal point and do not refuse it as ambiguous
   * (domain/findings.ts `dotThousands`). Its text in `fields` is unchanged. Absent without such a cell.
   */
  native?: ReadonlySet<string> | undefined;
  /**
   * A `--mapping` profile's defaults for the record's invoice (and, for a row with a
   * line_number, its line), by canonical column: the grouper gives each to the invoice or line
   * after its last row, and only when no row of it has a value (README "Vendor layouts: mapping
   * profiles"). Filled in on the first row instead, a default clashed with a value a later row
   * gives. One map shared by the file's records. Absent without such defaults.
   */
  defaults?: ReadonlyMap<string, string> | undefined;
}

/** True for a workbook sheet's source name (`book.xlsx:Invoices`, xlsx.ts `sheetSource`). */
export const isSheetSource = (file: string): boolean => /\.xls[xm]:[^/\\]*$/i.test(file);

/**
 * A row's place as a person looks for it: `b.csv:4`, or in a workbook `book.xlsx:Invoices!12`;
 * standard input, which has no name to put before the row, `standard input, row 4` (`rows 4-6,9`
 * for several, as `formatRows` gives them).
 */
export const placeOf = (file: string, row: number | string): string =>
  file === STDIN_FILE ? `standard input, row${/[-,]/.test(String(row)) ? 's' : ''} ${row}` : `${file}${isSheetSource(file) ? '!' : ':'}${row}`;

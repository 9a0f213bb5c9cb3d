/**
 * The rejects file's own columns and its formula guard, shared by its writer (report/rejects.ts,
 * cli/rejects.ts) and the CSV reader (input/csv.ts), which takes the guard off when it reads a
 * rejects file back (README "Rejects: correct and load again").
 */

/** Appended to every rejected row; their presence in a header marks a rejects file. */
export const REJECT_COLUMNS = ['error_code', 'error_message'] as const;

/** A plain decimal number (a credit note's `-12.50`) is no formula: it stays a number. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
/**
 * A cell a spreadsheet would take for a formula (OWASP CSV Injection,
 * https://owasp.org/www-community/attacks/CSV_Injection: `=`, `+`, `-`, `@`, tab, CR first), or
 * one that is such a cell behind apostrophes already: each gets one more apostrophe, so that
 * `unquoteRejectCell` gives back exactly what was written (`'=x` written as `''=x`).
 */
const QUOTED_FORMULA = /^'*[=+\-@\t\r]/;

/** A rejects file's cell as written: `=1+1` → `'=1+1`; `-12.50` stays (README "Rejects"). */
export function quoteRejectCell(cell: string): string {
  return QUOTED_FORMULA.test(cell) && !PLAIN_NUMBER.test(cell) ? `'${cell}` : cell;
}

/** A cell of a rejects file (one with `REJECT_COLUMNS`) as it was before `quoteRejectCell`. */
export function unquoteRejectCell(cell: string): string {
  return cell.charCodeAt(0) === 39 /* ' */ && QUOTED_FORMULA.test(cell) ? cell.slice(1) : cell;
}

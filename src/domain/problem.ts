/** Where a record came from: the file as named on the command line (`-` for stdin) and its row. */
export interface Provenance {
  file: string;
  /**
   * 1-based line on which the record starts, as an editor shows it. In a CSV the header is
   * line 1, so the first data row is usually 2; a quoted field with line breaks makes the
   * next record start further down. In JSON, the line of the object's opening brace.
   */
  row: number;
}

export type Severity = 'error' | 'warning';

/**
 * A problem said of `problemFile` is about a row of `rowFile`: the same file, or a workbook's
 * sheet (`book.xlsx:B`, input/xlsx.ts `sheetSource`) when the problem is the workbook's own — a
 * sheet that stops part-way is said of `book.xlsx`, its rows are `book.xlsx:B`'s.
 */
export const problemOfFile = (problemFile: string, rowFile: string): boolean =>
  rowFile === problemFile || (/\.xls[xm]$/i.test(problemFile) && rowFile.startsWith(`${problemFile}:`));

/**
 * One thing wrong with the input, where it is, and what to do about it.
 * `code` is stable (snake_case) so scripts and tests can rely on it; `message` is for people.
 */
export interface Problem {
  file: string;
  /** 1-based editor line of the row; absent for problems about a whole file. */
  row?: number | undefined;
  /** Canonical column name, when the problem is about one cell. */
  column?: string | undefined;
  code: string;
  message: string;
  severity: Severity;
}

export function problem(
  at: Provenance | { file: string; row?: number | undefined },
  code: string,
  message: string,
  opts: { column?: string | undefined; severity?: Severity } = {},
): Problem {
  return {
    file: at.file,
    ...(at.row !== undefined ? { row: at.row } : {}),
    ...(opts.column !== undefined ? { column: opts.column } : {}),
    code,
    message,
    severity: opts.severity ?? 'error',
  };
}

export const isError = (p: Problem): boolean => p.severity === 'error';

/**
 * A line's or a fund's key on a nested JSON invoice (`fund_code`, `price`: src/input/shape.ts),
 * not read: an error of the invoice, with the line's column, that the grouper does not take as a
 * refused cell of the record's line (that line's own cell is not the one refused).
 */
export const MISPLACED_KEY = 'misplaced_key';

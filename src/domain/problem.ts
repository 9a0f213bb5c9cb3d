import type { Provenance } from '../input/record.js';

export type Severity = 'error' | 'warning';

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

/**
 * A vendor's file written in another style than the canonical layout's — amounts with a decimal
 * comma (`1.212,50`) or thousands separators (`1,212.50`), dates as day.month.year or
 * month/day/year — fails on every amount and date cell, and the person sees hundreds of errors
 * that do not say what to do. The mapping profile reads those styles (`numbers`, `dates`), and
 * `invoice-load mapping init` guesses them from the file; this notes the refused cells that look
 * like one of them, so the file's issues end with that one way out.
 */
import { problem, type Problem } from './problem.js';

export type StyleKind = 'decimal_comma' | 'thousands' | 'date_order';

/** `12,50`, `1.212,50`, `-0,5`: a decimal comma (a comma and one or two decimals; dots only as thousands). */
const DECIMAL_COMMA = /^[-+]?(?:\d{1,3}(?:[. ]\d{3})+|\d+),\d{1,2}$/;
/**
 * `1,212.50`, `12,000`: commas grouping thousands; `1.200.000`: dots grouping them (one dot,
 * `1.200`, is a number the codec reads, refused by the rules: findings.ts `dotThousands`).
 */
const THOUSANDS = /^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^[-+]?\d{1,3}(?:\.\d{3}){2,}$/;
/** `03.03.2025`, `3/3/2025`, `03-03-25`: day and month first, in one order or the other. */
export const DATE_ORDER = /^\d{1,2}([./-])\d{1,2}\1(?:\d{4}|\d{2})$/;

/** Which style a cell the canonical codecs refused is written in, if it looks like one a profile reads. */
export function styleOf(code: string, text: string): StyleKind | undefined {
  if (code === 'invalid_number') {
    if (DECIMAL_COMMA.test(text)) return 'decimal_comma';
    if (THOUSANDS.test(text)) return 'thousands';
  } else if (code === 'invalid_date' && DATE_ORDER.test(text)) return 'date_order';
  return undefined;
}

/**
 * The cells of one file refused in each style (how many, the first one's text and row), and the
 * rows that had one.
 */
export interface StyleTally {
  kinds: Partial<Record<StyleKind, { count: number; text: string; row: number }>>;
  rows: number;
  lastRow: number;
}

export const newStyleTally = (): StyleTally => ({ kinds: {}, rows: 0, lastRow: 0 });

export function tallyStyle(tally: StyleTally, kind: StyleKind, text: string, row: number): void {
  const seen = tally.kinds[kind];
  if (seen === undefined) tally.kinds[kind] = { count: 1, text, row };
  else seen.count++;
  if (row !== tally.lastRow) {
    tally.rows++;
    tally.lastRow = row;
  }
}

const WORDS: Record<StyleKind, [one: string, many: string, how: string]> = {
  decimal_comma: ['amount is', 'amounts are', 'written with a decimal comma'],
  thousands: ['amount is', 'amounts are', 'written with thousands separators'],
  date_order: ['date is', 'dates are', 'written with the year last'],
};

/** A file name as one shell word, quoted only when it must be. */
export const shellWord = (name: string): string => (/^[\w./:@%+=,-]+$/.test(name) ? name : `'${name.replaceAll("'", "'\\''")}'`);

/**
 * A batch file's name, as the problems give it, as the words of a command: a sheet's
 * `book.xlsx:Invoices` (input/xlsx.ts `sheetSource`) is the workbook and `--sheet Invoices`,
 * which `mapping init`, the load and `payments` all take. A sheet name has no `:` (Excel
 * forbids it), so the last one splits them.
 */
export function fileArgs(name: string): string {
  const m = /^(.+\.xlsx):([^:]+)$/i.exec(name);
  return m === null ? shellWord(name) : `${shellWord(m[1]!)} --sheet ${shellWord(m[2]!)}`;
}

/**
 * The one warning for a file whose refused cells look written in another style: what was seen
 * (how many, the first example and its row) and the command that writes a profile reading it.
 * Only when at least half of the file's `rows` had such a cell: a `1,00` among canonical amounts
 * is a cell to correct, and a profile reading decimal commas would misread the rest.
 */
export function styleProblem(file: string, tally: StyleTally, rows: number): Problem | undefined {
  const seen = (Object.keys(WORDS) as StyleKind[]).filter((k) => tally.kinds[k] !== undefined);
  if (seen.length === 0 || tally.rows * 2 < rows) return undefined;
  const parts = seen.map((k) => {
    const { count, text, row } = tally.kinds[k]!;
    const [one, many, how] = WORDS[k];
    return `${count.toLocaleString('en-US')} ${count === 1 ? one : many} ${how} (${JSON.stringify(text)} on row ${row})`;
  });
  const listed = parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]!}`;
  const base = file === '-' ? 'vendor' : file.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  const profile = shellWord(`${base}.mapping.json`);
  const those = seen.length === 1 ? 'that style' : 'those styles';
  const fix =
    file === '-'
      ? `a mapping profile reads ${those}: save the input to a file and run \`invoice-load mapping init <file> -o vendor.mapping.json\` to write one`
      : `a mapping profile reads ${those}: \`invoice-load mapping init ${fileArgs(file)} -o ${profile}\` writes one from this file (check its "_guess" notes), then run again with --mapping ${profile}`;
  return problem({ file }, 'mapping_needed', `${listed}, which the canonical layout does not read; ${fix}`, { severity: 'warning' });
}

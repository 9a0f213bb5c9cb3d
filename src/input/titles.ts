/**
 * A title above the header, as spreadsheets and vendor portals export it ("GOBI invoices, March
 * 2025" on line 1, the column names on line 3): lines that may be a title (domain/columns.ts
 * `isTitleLine`) are held until a line decides. A header line after them (`isHeaderLine`) is the
 * header and they are not read (one warning); anything else makes the first held line the
 * header and the others rows, as if nothing had been held. Shared by the CSV and Excel readers;
 * without this, the title was the header and every row an extra_cells error.
 */
import { isHeaderLine, isTitleLine } from '../domain/columns.js';

/** Lines held at most: after five, the first is the header whatever follows. */
const MAX_TITLE_LINES = 5;

/** A line before the header, as its reader keeps it. */
export interface HeldLine<T> {
  row: number;
  line: T;
}

/** The first held line is the header, the rest are rows. */
export interface NoTitle<T> {
  header: HeldLine<T>;
  rows: HeldLine<T>[];
}

export type TitleStep<T> =
  | { kind: 'held' }
  /** This line is the header; `skipped`, when there was one, the title above it (not read). */
  | { kind: 'header'; skipped?: { first: number; last: number } | undefined }
  /** No title after all; this line is a row after those. */
  | ({ kind: 'rows' } & NoTitle<T>);

export class TitleHold<T> {
  #held: HeldLine<T>[] = [];

  /** `enabled` false (a mapping profile says where its header is): every first line is the header. */
  constructor(private readonly enabled: boolean) {}

  /** A line before the header, with the texts of its cells. */
  offer(row: number, line: T, texts: readonly string[]): TitleStep<T> {
    if (this.enabled && this.#held.length < MAX_TITLE_LINES && isTitleLine(texts)) {
      this.#held.push({ row, line });
      return { kind: 'held' };
    }
    const held = this.#held;
    if (held.length === 0) return { kind: 'header' };
    this.#held = [];
    if (isHeaderLine(texts)) return { kind: 'header', skipped: { first: held[0]!.row, last: held[held.length - 1]!.row } };
    return { kind: 'rows', header: held[0]!, rows: held.slice(1) };
  }

  /** The input ended with lines held: the first was the header after all (no rows below a title). */
  end(): NoTitle<T> | undefined {
    const held = this.#held;
    this.#held = [];
    return held.length === 0 ? undefined : { header: held[0]!, rows: held.slice(1) };
  }
}

/** The `title_rows` warning: "line 1 is above the header (line 3), …" (`unit` row in a sheet). */
export function titleMessage(unit: 'line' | 'row', skipped: { first: number; last: number }, headerRow: number): string {
  const which = skipped.first === skipped.last ? `${unit} ${skipped.first} is` : `${unit}s ${skipped.first}–${skipped.last} are`;
  return `${which} above the header (${unit} ${headerRow}), a title rather than rows; not read`;
}

/**
 * A row after the header whose cells are all column names, in another order or with other
 * columns than the header: a second file's header, as when two exports are joined with `cat`.
 * Read as a row it was an invalid row, and the rows under it were read in the first header's
 * columns — price and quantity swapped, and loaded with --skip-invalid. Two names at least: one
 * cell that happens to read "price" is no header. `known` says whether a trimmed, lower-cased
 * cell names a column (of the header in use, or of the layout).
 */
export function isSecondHeader(texts: readonly string[], known: (name: string) => boolean): boolean {
  let names = 0;
  for (const t of texts) {
    const cell = t.trim();
    if (cell === '') continue;
    if (!known(cell.replace(/^\ufeff/, '').toLowerCase())) return false;
    names++;
  }
  return names >= 2;
}

/**
 * The `second_header` error: a file-level one, as the rows after it cannot be read right. The
 * problem is shown as a row ("row 17: …"), so the message says "this row" and "the rows under
 * it" in a CSV too, naming the header by its `unit` (a CSV's line, as repeated_header does).
 */
export function secondHeaderMessage(unit: 'line' | 'row', headerRow: number): string {
  return (
    `this row is a second header (its cells are column names, in another order or with other columns than the header on ${unit} ${headerRow}), as when two files are joined into one; ` +
    `the rows under it would be read in the first header's columns: load the files one by one, or put their rows in one header's column order`
  );
}

/**
 * Width-aware tables for a terminal: a row that wraps breaks the columns of every row under
 * it, so on a terminal the last (free-text) column is cut to fit with `…`. What is cut is
 * returned whole, so the caller can print it in full below the table — an Alma error message
 * or tracking id must never be lost to a narrow window. Only used when stdout is a terminal;
 * files and pipes get every cell whole.
 *
 * Widths are terminal columns, not characters: a CJK character or an emoji takes two (a
 * Japanese vendor's name, 丸善雄松堂, is ten columns wide), a combining accent none. The
 * measure is string-width's (the one ora uses for the spinner's own line).
 */
import stringWidth from 'string-width';

/**
 * The width of each column: its longest cell. Loops, not `Math.max(...rows.map(…))`: a million
 * rows spread into one call overflow the stack.
 */
export function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const r of rows) for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i] ?? 0, visibleWidth(r[i]!));
  return widths;
}

/** `text` followed by spaces up to `width` columns (`padEnd` counts UTF-16 units, not columns). */
export function padToWidth(text: string, width: number): string {
  const w = visibleWidth(text);
  return w >= width ? text : text + ' '.repeat(width - w);
}

/** Below this the last column is useless; let the terminal wrap instead. */
const MIN_LAST = 16;

/** The columns left for the last column when the others are laid out with `gap`-wide separators. */
export function lastColumnRoom(rows: readonly (readonly string[])[], width: number, gap = 2): number {
  let columns = 0;
  for (const r of rows) columns = Math.max(columns, r.length);
  let before = 0;
  for (let i = 0; i < columns - 1; i++) {
    let widest = 0;
    for (const r of rows) widest = Math.max(widest, visibleWidth(r[i] ?? ''));
    before += widest + gap;
  }
  return width - before;
}

/** Whether the last column gets room enough to be worth showing beside the others (else the terminal would wrap every row). */
export function lastColumnFits(rows: readonly (readonly string[])[], width: number, gap = 2): boolean {
  return lastColumnRoom(rows, width, gap) >= MIN_LAST;
}

/** How many rows (not the header, row 0) would not show their last cell whole in `width` columns. */
export function rowsNotWhole(rows: readonly (readonly string[])[], width: number, gap = 2): number {
  const room = lastColumnRoom(rows, width, gap);
  let n = 0;
  for (let ri = 1; ri < rows.length; ri++) {
    const last = rows[ri]![rows[ri]!.length - 1];
    if (last !== undefined && visibleWidth(last) > room) n++;
  }
  return n;
}

/**
 * Cuts the last cell of each row (not the header, row 0) so that the row, laid out with
 * `gap`-wide separators and the widths of the other columns, fits in `width` columns.
 * `keep: 'end'` keeps a cell's end instead of its start (`…ple-batch.csv:15`: a place, whose
 * row number is at the end). `ascii`: cut with `...` (see `cutToWidth`). Mutates `rows`; returns
 * the full text of every cell it cut, by row index.
 */
export function fitLastColumn(rows: string[][], width: number, gap = 2, keep: 'start' | 'end' = 'start', ascii = false): Map<number, string> {
  const cut = new Map<number, string>();
  // Loops, not Math.max(...rows): a million rows spread into one call overflow the stack.
  let columns = 0;
  for (const r of rows) columns = Math.max(columns, r.length);
  if (columns === 0 || !Number.isFinite(width) || width <= 0) return cut;
  const room = lastColumnRoom(rows, width, gap);
  if (room < MIN_LAST) return cut;
  rows.forEach((r, ri) => {
    const last = r[columns - 1];
    if (ri === 0 || last === undefined) return;
    if (visibleWidth(last) <= room) return;
    cut.set(ri, last);
    r[columns - 1] = cutToWidth(last, room, keep, ascii);
  });
  return cut;
}

/**
 * `text` in at most `width` columns: whole when it fits, else its start (or, `keep: 'end'`, its
 * end) with `…` where the rest was. Cut between graphemes, never inside one (a surrogate pair,
 * a letter and its accent, an emoji sequence); a wide character that would straddle the edge
 * goes with the rest. `ascii`: `...` instead of `…`, for a terminal that may not show it
 * (`Terminal.ascii`: TERM=dumb, a locale that is not UTF-8).
 */
export function cutToWidth(text: string, width: number, keep: 'start' | 'end' = 'start', ascii = false): string {
  if (visibleWidth(text) <= width) return text;
  const mark = ellipsis(ascii);
  const room = Math.max(0, width - mark.length);
  const parts = Array.from(graphemes.segment(text), (g) => g.segment);
  if (keep === 'end') parts.reverse();
  const kept: string[] = [];
  let used = 0;
  for (const g of parts) {
    const w = visibleWidth(g);
    if (used + w > room) break;
    kept.push(g);
    used += w;
  }
  return keep === 'end' ? mark + kept.reverse().join('').trimStart() : kept.join('').trimEnd() + mark;
}

/** The mark where text was cut: `…`, or `...` where the terminal may not show it (`ascii`). */
export const ellipsis = (ascii = false): string => (ascii ? '...' : '…');

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Text whose width is its length: printable ASCII, and Latin letters without combining marks. */
const ONE_COLUMN_EACH = /^[\x20-\x7e\xa0-\xac\xae-\u02ff]*$/;
/**
 * Widths of other text, remembered: string-width segments it into graphemes, ~20 µs a cell, and
 * a table's vendor names and outcomes repeat row after row (a million rows would take 20 s).
 */
const measured = new Map<string, number>();

/** The columns a line takes on a terminal: colour codes take none, wide characters two. */
export function visibleWidth(s: string): number {
  if (ONE_COLUMN_EACH.test(s)) return s.length;
  let w = measured.get(s);
  if (w === undefined) {
    w = stringWidth(s);
    if (measured.size >= 10_000) measured.clear();
    measured.set(s, w);
  }
  return w;
}

/**
 * A line broken at spaces into rows of at most `width` columns, each row after the
 * first led by `indent`. A word wider than a row is left whole for the terminal to wrap: a path
 * or a tracking id reads better unbroken. A line that fits is returned as it is.
 */
export function wrapLine(line: string, width: number, indent = ''): string[] {
  if (!(width > 0) || visibleWidth(line) <= width) return [line];
  const lead = /^ */.exec(line)![0];
  return wrapWords(line.slice(lead.length).split(' '), width, indent, lead);
}

/**
 * `words` joined by single spaces into rows of at most `width` columns, broken only between
 * words: a word (which may hold spaces, such as a path) is never broken, and one wider than a
 * row is left whole on a row of its own. Rows after the first are led by `indent`, the first
 * by `lead`.
 */
export function wrapWords(words: readonly string[], width: number, indent = '', lead = ''): string[] {
  const out: string[] = [];
  let row = lead + (words[0] ?? '');
  let used = visibleWidth(row);
  for (const word of words.slice(1)) {
    const w = visibleWidth(word);
    if (used + 1 + w <= width) {
      row += ' ' + word;
      used += 1 + w;
      continue;
    }
    out.push(row);
    row = indent + word;
    used = visibleWidth(indent) + w;
  }
  out.push(row);
  return out;
}

/**
 * Leaves `column` out of `rows` (header included) when that shows more last cells whole in
 * `width` columns; returns whether it did. For an id column on a narrow window: a person
 * finds an invoice by its number, and the ids are in the report files.
 */
export function leaveOutIfNarrow(rows: string[][], column: number, width: number): boolean {
  const without = rows.map((r) => r.filter((_, i) => i !== column));
  if (rowsNotWhole(without, width) >= rowsNotWhole(rows, width)) return false;
  // Row by row, not splice(0, n, ...without): a million rows spread into one call overflow the stack.
  for (let i = 0; i < without.length; i++) rows[i] = without[i]!;
  return true;
}

/**
 * A report's lines as text. On a terminal `width` wide, the lines from `from` on (the prose under
 * a table that is fitted already) are broken between words: an indented line (a problem under
 * its file) goes on four columns further in, a line at the margin at the margin. Files and pipes
 * (`width` undefined) keep one line each, for grep.
 */
export function proseText(lines: readonly string[], width: number | undefined, from = 0): string {
  if (width === undefined) return lines.join('\n') + '\n';
  const out = lines.slice(0, from);
  for (const line of lines.slice(from)) {
    const lead = /^ */.exec(line)![0];
    for (const part of wrapLine(line, width, lead.length > 0 ? lead + '    ' : '')) out.push(part);
  }
  return out.join('\n') + '\n';
}

/**
 * Width-aware tables for a terminal: a row that wraps breaks the columns of every row under
 * it, so on a terminal the last (free-text) column is cut to fit with `…`. What is cut is
 * returned whole, so the caller can print it in full below the table — an Alma error message
 * or tracking id must never be lost to a narrow window. Only used when stdout is a terminal;
 * files and pipes get every cell whole.
 */

/**
 * The width of each column: its longest cell. Loops, not `Math.max(...rows.map(…))`: a million
 * rows spread into one call overflow the stack.
 */
export function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const r of rows) for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i] ?? 0, r[i]!.length);
  return widths;
}

/** Below this the last column is useless; let the terminal wrap instead. */
const MIN_LAST = 16;

/** The characters left for the last column when the others are laid out with `gap`-wide separators. */
export function lastColumnRoom(rows: readonly (readonly string[])[], width: number, gap = 2): number {
  let columns = 0;
  for (const r of rows) columns = Math.max(columns, r.length);
  let before = 0;
  for (let i = 0; i < columns - 1; i++) {
    let widest = 0;
    for (const r of rows) widest = Math.max(widest, [...(r[i] ?? '')].length);
    before += widest + gap;
  }
  return width - before;
}

/** How many rows (not the header, row 0) would not show their last cell whole in `width` characters. */
export function rowsNotWhole(rows: readonly (readonly string[])[], width: number, gap = 2): number {
  const room = lastColumnRoom(rows, width, gap);
  let n = 0;
  for (let ri = 1; ri < rows.length; ri++) {
    const last = rows[ri]![rows[ri]!.length - 1];
    if (last !== undefined && [...last].length > room) n++;
  }
  return n;
}

/**
 * Cuts the last cell of each row (not the header, row 0) so that the row, laid out with
 * `gap`-wide separators and the widths of the other columns, fits in `width` characters.
 * `keep: 'end'` keeps a cell's end instead of its start (`…ple-batch.csv:15`: a place, whose
 * row number is at the end). Mutates `rows`; returns the full text of every cell it cut, by row index.
 */
export function fitLastColumn(rows: string[][], width: number, gap = 2, keep: 'start' | 'end' = 'start'): Map<number, string> {
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
    const chars = [...last];
    if (chars.length <= room) return;
    cut.set(ri, last);
    r[columns - 1] = cutToWidth(last, room, keep);
  });
  return cut;
}

/**
 * `text` in at most `width` characters (code points): whole when it fits, else its start (or,
 * `keep: 'end'`, its end) with `…` where the rest was.
 */
export function cutToWidth(text: string, width: number, keep: 'start' | 'end' = 'start'): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  const kept = Math.max(0, width - 1);
  return keep === 'end' ? '…' + chars.slice(chars.length - kept).join('').trimStart() : chars.slice(0, kept).join('').trimEnd() + '…';
}

/** Colour codes, which take no room on the screen. */
const SGR = /\x1b\[[0-9;]*m/g;

/** The characters a line takes on a terminal: colour codes left out, code points counted. */
export function visibleWidth(s: string): number {
  return [...s.replace(SGR, '')].length;
}

/**
 * A line broken at spaces into rows of at most `width` visible characters, each row after the
 * first led by `indent`. A word wider than a row is left whole for the terminal to wrap: a path
 * or a tracking id reads better unbroken. A line that fits is returned as it is.
 */
export function wrapLine(line: string, width: number, indent = ''): string[] {
  if (!(width > 0) || visibleWidth(line) <= width) return [line];
  const lead = /^ */.exec(line)![0];
  const words = line.slice(lead.length).split(' ');
  const out: string[] = [];
  let row = lead + words[0]!;
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
 * `width` characters; returns whether it did. For an id column on a narrow window: a person
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
 * Lines of prose for a terminal `width` wide, each broken between words: an indented line
 * (a problem under its file) goes on four columns further in, a line at the margin at the margin.
 */
export function wrapProse(lines: readonly string[], width: number): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const lead = /^ */.exec(line)![0];
    for (const part of wrapLine(line, width, lead.length > 0 ? lead + '    ' : '')) out.push(part);
  }
  return out;
}

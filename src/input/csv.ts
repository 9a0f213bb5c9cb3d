/**
 * CSV text → flat records keyed by the (trimmed, lower-cased) header, with the editor line on
 * which each record starts.
 *
 * csv-parse does the quoting (RFC 4180: quoted commas, doubled quotes, line breaks in quotes).
 * It runs without `columns` (arrays are cheaper than its per-field `defineProperty` objects)
 * and hands every record to `on_record` synchronously, in order with `on_skip` errors, so
 * records and problems come out in file order without a second buffer.
 */
import { parse, type CsvError, type InfoRecord, type Parser } from 'csv-parse';
import { problem } from '../domain/problem.js';
import type { InputEvent } from './event.js';

export interface CsvOptions {
  /** Forced delimiter (tab for .tsv); otherwise chosen from the header line. */
  delimiter?: string | undefined;
}

/**
 * A longer record is almost surely an unclosed quote swallowing the file. csv-parse's guard
 * (`max_record_size`) cannot skip and go on, so the file stops there with a problem.
 */
const MAX_RECORD_CHARS = 1_000_000;

/**
 * Comma by default. Excel writes `;` where the decimal separator is a comma (most of Europe),
 * and "Text (Tab delimited)" / "Unicode Text" use tabs: if the header line has no comma but
 * has one of those, the more frequent one is the delimiter.
 */
export function sniffDelimiter(headerLine: string): string {
  if (headerLine.includes(',')) return ',';
  let semis = 0;
  let tabs = 0;
  for (let i = 0; i < headerLine.length; i++) {
    const c = headerLine.charCodeAt(i);
    if (c === 59) semis++;
    else if (c === 9) tabs++;
  }
  if (semis === 0 && tabs === 0) return ',';
  return tabs > semis ? '\t' : ';';
}

/** Counts csv-parse's idea of the line breaks in a cell (each CR and each LF), and CRLF pairs. */
function lineBreaks(cells: readonly string[]): { breaks: number; crlf: number } {
  let breaks = 0;
  let crlf = 0;
  for (const cell of cells) {
    for (let i = 0; i < cell.length; i++) {
      const c = cell.charCodeAt(i);
      if (c === 10) breaks++;
      else if (c === 13) {
        breaks++;
        if (cell.charCodeAt(i + 1) === 10) crlf++;
      }
    }
  }
  return { breaks, crlf };
}

const SYNTAX_HINTS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed; check for a stray " character',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote must be followed by the delimiter or the end of the line; write a quote inside a quoted field as ""',
  INVALID_OPENING_QUOTE: 'a quote appears in the middle of an unquoted field; quote the whole field and write the quote as ""',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text follows a closing quote',
};

/**
 * Reads CSV text chunks and yields a record per data row and a problem per fault. The caller
 * has already ruled out an empty file.
 */
export async function* readCsv(text: AsyncIterable<string>, file: string, opts: CsvOptions = {}): AsyncGenerator<InputEvent, void, undefined> {
  const chunks = text[Symbol.asyncIterator]();
  // Look at the header line before creating the parser, to choose the delimiter.
  const head: string[] = [];
  let delimiter = opts.delimiter;
  if (delimiter === undefined) {
    let seen = '';
    for (;;) {
      const r = await chunks.next();
      if (r.done) break;
      head.push(r.value);
      seen += r.value;
      const line = firstLine(seen);
      if (line !== undefined) {
        delimiter = sniffDelimiter(line);
        break;
      }
    }
    delimiter ??= sniffDelimiter(seen);
  }

  const queue: InputEvent[] = [];
  const at = (row: number): { file: string; row: number } => ({ file, row });

  // Header state.
  let names: string[] | undefined; // '' marks an ignored column (blank or duplicate name)
  let width = 0;
  let headerRow = 1;
  let blankCols: number[] = [];
  const blankReported = new Set<number>();

  // Line bookkeeping. csv-parse's `info.lines` is right except that it counts CR and LF of a
  // CRLF inside a quoted field as two lines; `corr` is the running surplus to take off.
  let expectedStart = 1; // csv-parse line where the next record starts, NaN after a skipped one
  let lastEmpty = 0;
  let corr = 0;
  let stopped = false;
  let lastError = '';

  const onRecord = (cells: string[], ctx: InfoRecord): null => {
    const end = ctx.lines;
    let start = expectedStart + (ctx.empty_lines - lastEmpty);
    let rowCorr = 0;
    if (start !== end) {
      // The record spans lines (or follows a skipped one): work back from where it ends.
      const lb = lineBreaks(cells);
      start = end - lb.breaks;
      rowCorr = lb.crlf;
    }
    const row = start - corr;
    corr += rowCorr;
    expectedStart = end + 1;
    lastEmpty = ctx.empty_lines;
    if (names === undefined) {
      header(cells, row);
      return null;
    }
    const n = cells.length;
    const fields: Record<string, string | undefined> = {};
    let filled = 0;
    for (let i = 0; i < width; i++) {
      const name = names[i]!;
      const v = i < n ? cells[i]! : '';
      if (v.length > 0) filled++;
      if (name.length > 0) fields[name] = v.length > 0 ? v : undefined;
    }
    for (let i = width; i < n; i++) if (cells[i]!.length > 0) filled++;
    // A row of only delimiters (",,,," as Excel writes formatted empty rows) or of blanks is an
    // empty line too.
    if (filled === 0 || (n === 1 && cells[0]!.trim() === '')) return null;
    if (blankCols.length > 0) checkBlankColumns(cells, row);
    if (n > width) extraCells(cells, row);
    queue.push({ kind: 'record', record: { source: at(row), fields } });
    return null;
  };

  const header = (cells: string[], row: number): void => {
    headerRow = row;
    width = cells.length;
    names = new Array<string>(width);
    const firstAt = new Map<string, number>();
    for (let i = 0; i < width; i++) {
      const name = cells[i]!.trim().toLowerCase();
      names[i] = name;
      if (name === '') {
        blankCols.push(i);
        continue;
      }
      const first = firstAt.get(name);
      if (first === undefined) {
        firstAt.set(name, i);
        continue;
      }
      // Keep the first column of that name; the error stops the file from loading anyway.
      names[i] = '';
      queue.push({
        kind: 'problem',
        problem: problem(at(row), 'duplicate_column', `column '${name}' appears twice in the header (columns ${first + 1} and ${i + 1})`, { column: name }),
      });
    }
    if (names.includes('__proto__')) {
      // `fields.__proto__ = v` would set the prototype instead of a property; no canonical
      // column has that name, so it is dropped here rather than slowing every row down.
      for (let i = 0; i < width; i++) if (names[i] === '__proto__') names[i] = '';
    }
  };

  const checkBlankColumns = (cells: string[], row: number): void => {
    for (const i of blankCols) {
      const v = cells[i];
      if (v === undefined || v.trim() === '' || blankReported.has(i)) continue;
      blankReported.add(i);
      queue.push({
        kind: 'problem',
        problem: problem(at(row), 'blank_column', `column ${i + 1} has no name in the header (line ${headerRow}) but this row has a value under it; name the column or delete its values`),
      });
    }
  };

  const extraCells = (cells: string[], row: number): void => {
    // Empty extra cells (a trailing delimiter) carry nothing and are ignored.
    for (let i = width; i < cells.length; i++) {
      if (cells[i]!.length === 0) continue;
      queue.push({
        kind: 'problem',
        problem: problem(at(row), 'extra_cells', `this row has ${cells.length} cells but the header has ${width} columns; the cells after column ${width} are not read`),
      });
      return;
    }
  };

  const onSkip = (err: CsvError | undefined): undefined => {
    if (err === undefined) return undefined;
    const lines = typeof err['lines'] === 'number' ? err['lines'] : expectedStart;
    const empties = typeof err['empty_lines'] === 'number' ? err['empty_lines'] : lastEmpty;
    const start = (Number.isNaN(expectedStart) ? lines : expectedStart + (empties - lastEmpty)) - corr;
    const found = lines - corr;
    expectedStart = NaN;
    lastEmpty = empties;
    if (err.code === 'CSV_MAX_RECORD_SIZE') {
      stopped = true;
      queue.push({
        kind: 'problem',
        problem: problem(at(start), 'csv_syntax', `CSV syntax error (${err.code}): the record starting on line ${start} is longer than ${MAX_RECORD_CHARS} characters, probably because of an unclosed quote; the rest of the file is not read`),
      });
      return undefined;
    }
    const key = `${err.code}:${found}`;
    if (key === lastError) return undefined; // one record can trip the same rule repeatedly
    lastError = key;
    const where = found !== start ? `on line ${found} (in the record starting on line ${start})` : `on line ${found}`;
    const hint = SYNTAX_HINTS[err.code] ?? err.message;
    queue.push({
      kind: 'problem',
      problem: problem(at(start), 'csv_syntax', `CSV syntax error (${err.code}) ${where}: ${hint}; this record is skipped`),
    });
    return undefined;
  };

  const parser = parse({
    delimiter,
    // All three line-break conventions in one file: csv-parse otherwise fixes on the first
    // one it sees and would glue LF-only lines of a CRLF file together.
    record_delimiter: ['\r\n', '\n', '\r'],
    skip_empty_lines: true,
    relax_column_count: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_CHARS,
    on_record: onRecord,
    on_skip: onSkip,
  });
  parser.resume(); // nothing is pushed to the readable side; let it end by itself

  try {
    for (const chunk of head) {
      await write(parser, chunk);
      for (let i = 0; i < queue.length; i++) yield queue[i]!;
      queue.length = 0;
      if (stopped) return;
    }
    for (let r = await chunks.next(); !r.done; r = await chunks.next()) {
      await write(parser, r.value);
      for (let i = 0; i < queue.length; i++) yield queue[i]!;
      queue.length = 0;
      if (stopped) return;
    }
    await finish(parser);
    if (names !== undefined) {
      for (const i of blankCols) {
        if (blankReported.has(i)) continue;
        queue.push({
          kind: 'problem',
          problem: problem(at(headerRow), 'blank_column', `column ${i + 1} has no name in the header; it is ignored`, { severity: 'warning' }),
        });
      }
    }
    for (let i = 0; i < queue.length; i++) yield queue[i]!;
    queue.length = 0;
  } finally {
    if (!parser.destroyed) parser.destroy();
    await chunks.return?.();
  }
}

/** The first line of `text` with something on it, once its line break has been seen. */
function firstLine(text: string): string | undefined {
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 10 && c !== 13 && c !== 32 && c !== 9) break;
    i++;
  }
  const nl = text.slice(i).search(/[\r\n]/);
  return nl === -1 ? undefined : text.slice(i, i + nl);
}

function write(parser: Parser, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    parser.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

function finish(parser: Parser): Promise<void> {
  return new Promise((resolve, reject) => {
    parser.end((err?: Error | null) => (err ? reject(err) : resolve()));
  });
}

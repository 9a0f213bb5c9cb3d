/**
 * CSV text → flat records keyed by the (trimmed, lower-cased) header, with the editor line on
 * which each record starts.
 *
 * csv-parse (its stream API) does the quoting (RFC 4180: quoted commas, doubled quotes, line
 * breaks in quotes). It runs without `columns` (arrays are cheaper than its per-field
 * `defineProperty` objects), and each record is handled synchronously as csv-parse pushes it,
 * in order with the `on_skip` errors, so records and problems come out in file order.
 */
import { Parser, type CsvError, type Options } from 'csv-parse';
import { problem } from '../domain/problem.js';
import type { FormatReader, InputEvent } from './event.js';

/**
 * A longer record (csv-parse counts UTF-8 bytes) is almost surely an unclosed quote swallowing
 * the file. csv-parse's guard (`max_record_size`) cannot skip and go on, so the file stops there
 * with a problem.
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

/** Line breaks inside the cells of a record (after CRLF → LF, each CR and each LF is one). */
function lineBreaks(cells: readonly string[]): number {
  let breaks = 0;
  for (const cell of cells) {
    for (let i = 0; i < cell.length; i++) {
      const c = cell.charCodeAt(i);
      if (c === 10 || c === 13) breaks++;
    }
  }
  return breaks;
}

const SYNTAX_HINTS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed; check for a stray " character',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote must be followed by the delimiter or the end of the line; write a quote inside a quoted field as ""',
  INVALID_OPENING_QUOTE: 'a quote appears in the middle of an unquoted field; quote the whole field and write the quote as ""',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text follows a closing quote',
};

/**
 * csv-parse's stream, with each record taken at the moment it is pushed, while `info` still
 * describes it. (`on_record` or `info: true` would do the same but copy the whole `info` object
 * twice per record, which costs about a third of a bare parse.)
 */
class LineParser extends Parser {
  constructor(
    options: Options,
    private readonly sink: (cells: string[], lines: number, emptyLines: number) => void,
  ) {
    super(options);
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) return super.push(null, encoding);
    this.sink(chunk as string[], this.info.lines, this.info.empty_lines);
    return true;
  }
}

/** Reads CSV text chunks into records (one per data row) and problems. */
export class CsvReader implements FormatReader {
  readonly out: InputEvent[] = [];
  stopped = false;
  private parser: LineParser | undefined;
  private head = ''; // text seen before the header line is complete
  // Header.
  private names: string[] | undefined; // '' marks an ignored column (blank or duplicate name)
  private width = 0;
  private headerRow = 1;
  private readonly blankCols: number[] = [];
  private readonly blankReported = new Set<number>();
  // Line bookkeeping from csv-parse's `info` (lines, empty lines skipped so far).
  private expectedStart = 1; // line where the next record starts; NaN after a skipped record
  private lastEmpty = 0;
  private lastError = '';
  private heldCr = false; // a chunk ended with CR: its LF may start the next chunk

  constructor(
    private readonly file: string,
    private readonly delimiter?: string | undefined,
  ) {}

  async write(chunk: string): Promise<void> {
    chunk = this.crlfToLf(chunk);
    if (this.parser === undefined) {
      // Wait for the header line, to choose the delimiter from it.
      this.head += chunk;
      const line = firstLine(this.head);
      if (line === undefined && this.head.length <= MAX_RECORD_CHARS) return;
      this.parser = this.start(line ?? this.head);
      chunk = this.head;
      this.head = '';
    }
    if (chunk.length > 0) await write(this.parser, chunk);
  }

  async end(): Promise<void> {
    const rest = this.heldCr ? '\r' : '';
    this.heldCr = false;
    if (this.parser === undefined) {
      this.parser = this.start(this.head);
      if (this.head.length + rest.length > 0) await write(this.parser, this.head + rest);
    } else if (rest.length > 0) await write(this.parser, rest);
    await finish(this.parser);
    if (this.names === undefined) return;
    for (const i of this.blankCols) {
      if (this.blankReported.has(i)) continue;
      this.problem(this.headerRow, 'blank_column', `column ${i + 1} has no name in the header; it is ignored`, undefined, 'warning');
    }
  }

  /**
   * CRLF becomes LF before csv-parse sees it, also inside quoted values: csv-parse 7 counts the
   * CR and the LF of a CRLF inside quotes as two lines (`info.lines`), which would put every
   * later row number off by one. A value's line break then reads LF whatever the platform.
   */
  private crlfToLf(chunk: string): string {
    if (this.heldCr) {
      chunk = '\r' + chunk;
      this.heldCr = false;
    }
    if (chunk.endsWith('\r')) {
      this.heldCr = true;
      chunk = chunk.slice(0, -1);
    }
    return chunk.includes('\r\n') ? chunk.replaceAll('\r\n', '\n') : chunk;
  }

  private start(headerLine: string): LineParser {
    const parser = new LineParser(
      {
        delimiter: this.delimiter ?? sniffDelimiter(headerLine),
        // LF and (old Mac) CR both end a record, even mixed in one file; csv-parse otherwise
        // fixes on the first one it sees. CRLF is LF by now (see crlfToLf).
        record_delimiter: ['\n', '\r'],
        skip_empty_lines: true,
        relax_column_count: true,
        skip_records_with_error: true,
        max_record_size: MAX_RECORD_CHARS,
        on_skip: (err) => this.skipped(err),
      },
      (cells, lines, empties) => this.record(cells, lines, empties),
    );
    parser.resume(); // nothing reaches the readable side but its end
    return parser;
  }

  private problem(row: number, code: string, message: string, column?: string, severity: 'error' | 'warning' = 'error'): void {
    this.out.push({ kind: 'problem', problem: problem({ file: this.file, row }, code, message, { column, severity }) });
  }

  private record(cells: string[], end: number, empties: number): void {
    // `end` is the line the record ends on. A record on one line starts where the previous one
    // ended plus the empty lines skipped since; otherwise (line breaks in quoted values, or a
    // skipped record before it) count back from its end.
    let row = this.expectedStart + (empties - this.lastEmpty);
    if (row !== end) row = end - lineBreaks(cells);
    this.expectedStart = end + 1;
    this.lastEmpty = empties;
    const names = this.names;
    if (names === undefined) {
      this.header(cells, row);
      return;
    }
    const width = this.width;
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
    if (filled === 0 || (n === 1 && cells[0]!.trim() === '')) return;
    if (this.blankCols.length > 0) this.checkBlankColumns(cells, row);
    if (n > width) this.extraCells(cells, row);
    this.out.push({ kind: 'record', record: { source: { file: this.file, row }, fields } });
  }

  private header(cells: string[], row: number): void {
    this.headerRow = row;
    const width = (this.width = cells.length);
    const names = (this.names = new Array<string>(width));
    const firstAt = new Map<string, number>();
    for (let i = 0; i < width; i++) {
      const name = cells[i]!.trim().toLowerCase();
      names[i] = name;
      if (name === '') {
        this.blankCols.push(i);
        continue;
      }
      const first = firstAt.get(name);
      if (first === undefined) {
        firstAt.set(name, i);
        continue;
      }
      // Keep the first column of that name; the error stops the file from loading anyway.
      names[i] = '';
      this.problem(row, 'duplicate_column', `column '${name}' appears twice in the header (columns ${first + 1} and ${i + 1})`, name);
    }
    // `fields.__proto__ = v` would set the prototype instead of a property; no canonical column
    // has that name, so it is dropped here rather than slowing every row down.
    for (let i = 0; i < width; i++) if (names[i] === '__proto__') names[i] = '';
  }

  private checkBlankColumns(cells: string[], row: number): void {
    for (const i of this.blankCols) {
      const v = cells[i];
      if (v === undefined || v.trim() === '' || this.blankReported.has(i)) continue;
      this.blankReported.add(i);
      this.problem(row, 'blank_column', `column ${i + 1} has no name in the header (line ${this.headerRow}) but this row has a value under it; name the column or delete its values`);
    }
  }

  private extraCells(cells: string[], row: number): void {
    // Empty extra cells (a trailing delimiter) carry nothing and are ignored.
    for (let i = this.width; i < cells.length; i++) {
      if (cells[i]!.length === 0) continue;
      this.problem(row, 'extra_cells', `this row has ${cells.length} cells but the header has ${this.width} columns; the cells after column ${this.width} are not read`);
      return;
    }
  }

  private skipped(err: CsvError | undefined): undefined {
    if (err === undefined) return undefined;
    const lines = typeof err['lines'] === 'number' ? err['lines'] : this.expectedStart;
    const empties = typeof err['empty_lines'] === 'number' ? err['empty_lines'] : this.lastEmpty;
    const start = Number.isNaN(this.expectedStart) ? lines : this.expectedStart + (empties - this.lastEmpty);
    const found = lines;
    this.expectedStart = NaN;
    this.lastEmpty = empties;
    if (err.code === 'CSV_MAX_RECORD_SIZE') {
      this.stopped = true;
      this.problem(start, 'csv_syntax', `CSV syntax error (${err.code}): the record starting on line ${start} is longer than ${MAX_RECORD_CHARS} characters, probably because of an unclosed quote; the rest of the file is not read`);
      return undefined;
    }
    const key = `${err.code}:${found}`;
    if (key === this.lastError) return undefined; // one record can trip the same rule repeatedly
    this.lastError = key;
    const where = found !== start ? `on line ${found} (in the record starting on line ${start})` : `on line ${found}`;
    const hint = SYNTAX_HINTS[err.code] ?? err.message;
    this.problem(start, 'csv_syntax', `CSV syntax error (${err.code}) ${where}: ${hint}; this record is skipped`);
    return undefined;
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

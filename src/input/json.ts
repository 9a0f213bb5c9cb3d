/**
 * JSON and JSON Lines text → flat records (see shape.ts for the accepted shapes).
 *
 * Numbers go through the lossless `parseJson`, never `JSON.parse`: Alma ids exceed 2^53 and amounts
 * must keep their exact digits (README "What is checked before anything is sent": money is exact).
 */
import { problem } from '../domain/problem.js';
import { JsonSyntaxError, parseJson, type JsonValue, type ParseOptions } from '../common/json.js';
import type { FormatReader, InputEvent } from './event.js';
import { JsonSplitter, type ScanItem } from './json-scan.js';
import { formatLimit, MAX_CELL_CHARS, MAX_JSON_VALUE_CHARS } from './limits.js';
import { Shaper } from './shape.js';

/** How input files are parsed: a key twice in one object and an over-long text value are errors. */
export const INPUT_JSON: ParseOptions = { uniqueKeys: true, maxString: MAX_CELL_CHARS };

/** `JsonSyntaxError` puts the position in its message; the problem states it once, absolute. */
const bare = (err: JsonSyntaxError): string => err.message.replace(/ at line \d+, column \d+$/, '');

function syntax(file: string, line: number, column: number, message: string, code: JsonSyntaxError['code'] = 'json_syntax'): InputEvent {
  const what = code === 'json_syntax' ? 'JSON syntax error' : 'JSON error';
  return { kind: 'problem', problem: problem({ file, row: line }, code, `${what} on line ${line}, column ${column}: ${message}`) };
}

/**
 * Text chunks with every line end as LF: a CRLF, and a lone CR too — the line end of classic
 * Mac OS, which some exporters still write, and which editors show as a line break. A JSON
 * Lines file so written was one long line 1 ("unexpected text after the JSON value"), a JSON
 * file one where every object shared line 1. Safe in JSON: a raw CR cannot be inside a string
 * (RFC 8259 §7: control characters are escaped there, `\r`), so outside one it is whitespace
 * like LF, and between two JSON Lines values it can only end a line. As the CSV reader reads
 * CR (input/csv.ts `start`).
 */
export class LfLines {
  private cr = false; // the last chunk ended with a CR, given as LF: an LF first in the next one is its CRLF's

  push(chunk: string): string {
    if (chunk.length === 0) return chunk;
    if (this.cr && chunk.charCodeAt(0) === 10) chunk = chunk.slice(1);
    this.cr = chunk.charCodeAt(chunk.length - 1) === 13;
    return chunk.includes('\r') ? chunk.replace(/\r\n?/g, '\n') : chunk;
  }
}

/**
 * A JSON file: a top-level array of rows or invoices, one invoice or list-response object, or
 * several such values one after another. Streams element by element; a syntax error stops the
 * file, since nothing after it can be trusted to be where it seems.
 */
export class JsonReader implements FormatReader {
  readonly out: InputEvent[] = [];
  stopped = false;
  private readonly items: ScanItem[] = [];
  private readonly splitter = new JsonSplitter(this.items);
  private readonly shaper: Shaper;
  private readonly lf = new LfLines();

  constructor(private readonly file: string) {
    this.shaper = new Shaper(file, this.out);
  }

  write(chunk: string): void {
    this.splitter.push(this.lf.push(chunk));
    this.take();
  }

  end(): void {
    this.splitter.end();
    this.take();
  }

  private take(): void {
    const file = this.file;
    for (const item of this.items) {
      if (item.kind === 'syntax' || item.kind === 'too_long') {
        this.out.push(syntax(file, item.line, item.column, item.message, item.kind === 'too_long' ? 'too_long' : 'json_syntax'));
        this.stopped = true;
        break;
      }
      if (item.kind === 'shape') {
        // The file's top-level value: a problem of the whole file, without a row (domain/problem.ts
        // `Problem.row`), so no summary counts it as a row in no invoice.
        this.out.push({ kind: 'problem', problem: problem({ file }, 'json_shape', item.message) });
        this.stopped = true;
        break;
      }
      const lines = new WeakMap<object, number>();
      let value: JsonValue;
      try {
        value = parseJson(item.text, lines, INPUT_JSON);
      } catch (err) {
        if (!(err instanceof JsonSyntaxError)) throw err;
        const line = item.line + err.line - 1;
        const column = err.line === 1 ? item.column + err.column - 1 : err.column;
        // A key twice or an over-long text is valid JSON: the element ends where the splitter
        // says, so only it is skipped and the rest is read (all of it was, before, unread).
        if (err.code !== 'json_syntax') {
          this.out.push(syntax(file, line, column, `${bare(err)}; ${line === item.line ? 'this object' : `the object from line ${item.line}`} is skipped`, err.code));
          continue;
        }
        this.out.push(syntax(file, line, column, bare(err), err.code));
        this.stopped = true;
        break;
      }
      const first = item.line;
      this.shaper.element(
        value,
        first,
        (o) => {
          const l = lines.get(o);
          return l === undefined ? first : first + l - 1;
        },
        item.top,
      );
    }
    this.items.length = 0;
  }
}

/**
 * JSON Lines (jsonlines.org): one value per line, blank lines skipped. A bad line is reported
 * and reading goes on with the next, since lines do not depend on each other. A line ends at
 * LF, CRLF or a lone CR (`LfLines`).
 */
export class JsonLinesReader implements FormatReader {
  readonly out: InputEvent[] = [];
  readonly stopped = false;
  private readonly shaper: Shaper;
  private lineNo = 0;
  private partial = '';
  private skipping = false; // inside a line that was too long, until its line break
  private readonly lf = new LfLines();

  constructor(private readonly file: string) {
    this.shaper = new Shaper(file, this.out);
  }

  write(chunk: string): void {
    chunk = this.lf.push(chunk);
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', from)) {
      if (this.skipping) {
        this.skipping = false;
        this.lineNo++;
      } else {
        const piece = chunk.slice(from, nl);
        this.line(this.partial.length > 0 ? this.partial + piece : piece);
      }
      this.partial = '';
      from = nl + 1;
    }
    if (from < chunk.length && !this.skipping) {
      this.partial += chunk.slice(from);
      if (this.partial.length > MAX_JSON_VALUE_CHARS) {
        // Memory must not grow with a file that has no line breaks.
        this.partial = '';
        this.skipping = true;
        this.out.push(syntax(this.file, this.lineNo + 1, 1, `the line is longer than ${formatLimit(MAX_JSON_VALUE_CHARS)} characters (the most one line may hold); it is skipped`, 'too_long'));
      }
    }
  }

  end(): void {
    if (this.partial.length > 0) this.line(this.partial);
    this.partial = '';
  }

  private line(line: string): void {
    const at = ++this.lineNo;
    let i = 0;
    while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    if (i === line.length) return;
    let value: JsonValue;
    try {
      value = parseJson(line, undefined, INPUT_JSON);
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
      this.out.push(syntax(this.file, at, err.column, `${bare(err)}; this line is skipped`, err.code));
      return;
    }
    this.shaper.element(value, at, () => at);
  }
}

/**
 * A streaming splitter for JSON text: it slices out each element of a top-level array (and
 * each top-level object) so only one element is in memory at a time, tracking string/escape
 * state, nesting depth and line numbers across chunk boundaries. The slices are then parsed
 * by the lossless `parseJson`, which does the full syntax check; this scanner checks only
 * the structure between elements.
 */
import { MAX_JSON_DEPTH } from '../common/json.js';
import { formatLimit, MAX_JSON_VALUE_CHARS } from './limits.js';

export type ScanItem =
  /**
   * An element's text, starting at `line`/`column` of the file. `top`: it is a top-level value
   * of the file, not an element of the top-level array.
   */
  | { kind: 'element'; text: string; line: number; column: number; top: boolean }
  /** The file is malformed here; nothing after it is read. */
  | { kind: 'syntax'; message: string; line: number; column: number }
  /** An element longer than `MAX_JSON_VALUE_CHARS`; nothing after it is read. */
  | { kind: 'too_long'; message: string; line: number; column: number }
  /** The top-level value is not an array or object; nothing after it is read. */
  | { kind: 'shape'; message: string; line: number; column: number };

const Mode = {
  Top: 0, // between top-level values
  ArrayFirst: 1, // just after the top-level '['
  ArrayNext: 2, // after a ',' in the top-level array
  ArrayAfter: 3, // after an element of the top-level array
  Element: 4, // inside an element
  Done: 5, // stopped after a problem
} as const;
type Mode = (typeof Mode)[keyof typeof Mode];

const isWs = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

export class JsonSplitter {
  private mode: Mode = Mode.Top;
  private line = 1;
  /** Absolute offset of the current line's first character (for columns). */
  private lineStart = 0;
  /** Absolute offset of the current chunk's first character. */
  private base = 0;
  // Element state.
  private inArray = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scalar = false; // a bare number/literal: it ends before the next delimiter
  private parts: string[] = [];
  /** Characters of the current element held in `parts`. */
  private held = 0;
  private elemLine = 0;
  private elemColumn = 0;
  private arrayLine = 0;
  private arrayColumn = 0;

  constructor(
    private readonly out: ScanItem[],
    /** Longest element held (tests make it small). */
    private readonly maxValue = MAX_JSON_VALUE_CHARS,
  ) {}

  get done(): boolean {
    return this.mode === Mode.Done;
  }

  push(chunk: string): void {
    if (this.mode === Mode.Done) return;
    let start = this.mode === Mode.Element ? 0 : -1; // where the current element began in this chunk
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (this.mode === Mode.Element) {
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (c === 92) this.escaped = true;
          else if (c === 34) {
            this.inString = false;
            if (this.depth === 0) {
              this.endElement(chunk, start, i + 1);
              continue;
            }
          }
        } else if (this.scalar) {
          if (isWs(c) || c === 44 || c === 93 || c === 125) {
            this.endElement(chunk, start, i);
            i--; // the delimiter belongs to the array
            continue;
          }
        } else if (c === 34) this.inString = true;
        else if (c === 123 || c === 91) {
          if (++this.depth > MAX_JSON_DEPTH + 1) {
            this.fail('syntax', `nesting deeper than ${MAX_JSON_DEPTH} levels`, i);
            return;
          }
        } else if (c === 125 || c === 93) {
          if (--this.depth === 0) {
            this.endElement(chunk, start, i + 1);
            continue;
          }
        }
        if (c === 10) this.newline(i);
        continue;
      }
      if (isWs(c)) {
        if (c === 10) this.newline(i);
        continue;
      }
      switch (this.mode) {
        case Mode.Top:
          if (c === 91) {
            this.mode = Mode.ArrayFirst;
            this.inArray = true;
            this.arrayLine = this.line;
            this.arrayColumn = this.column(i);
          } else if (c === 123) {
            this.inArray = false;
            start = this.startElement(i, c);
          } else if (c === 93 || c === 125 || c === 44 || c === 58) {
            this.fail('syntax', `unexpected '${chunk[i]}'`, i);
            return;
          } else if (c === 34 || c === 45 || (c >= 48 && c <= 57) || /^(true|false|null)\b/.test(chunk.slice(i, i + 6))) {
            this.fail('shape', 'the file must hold a JSON array of invoice rows or invoices, or invoice objects; it holds a single value', i);
            return;
          } else {
            this.fail('syntax', notJson(chunk.slice(i, i + 80)), i);
            return;
          }
          break;
        case Mode.ArrayFirst:
          if (c === 93) this.mode = Mode.Top;
          else if (c === 125 || c === 44 || c === 58) {
            this.fail('syntax', `unexpected '${chunk[i]}'`, i);
            return;
          } else start = this.startElement(i, c);
          break;
        case Mode.ArrayNext:
          if (c === 93 || c === 125 || c === 44 || c === 58) {
            this.fail('syntax', c === 93 ? "a ',' before ']' (trailing commas are not JSON)" : `unexpected '${chunk[i]}'`, i);
            return;
          }
          start = this.startElement(i, c);
          break;
        case Mode.ArrayAfter:
          if (c === 44) this.mode = Mode.ArrayNext;
          else if (c === 93) this.mode = Mode.Top;
          else {
            this.fail('syntax', "expected ',' or ']'", i);
            return;
          }
          break;
      }
    }
    if (this.mode === Mode.Element) {
      this.held += n - start;
      if (this.held > this.maxValue) {
        // Refused while reading: memory must not grow with one endless value.
        const at = { line: this.elemLine, column: this.elemColumn };
        this.out.push({ kind: 'too_long', message: `the value that starts here is longer than ${formatLimit(this.maxValue)} characters (the most one row or invoice may hold)`, ...at });
        this.mode = Mode.Done;
        this.parts = [];
        return;
      }
      this.parts.push(chunk.slice(start));
    }
    this.base += n;
  }

  /** Call at the end of the input. */
  end(): void {
    if (this.mode === Mode.Element && this.scalar) {
      // A bare value may end with the input; it still cannot be inside an unclosed array.
      this.out.push({ kind: 'element', text: this.parts.join(''), line: this.elemLine, column: this.elemColumn, top: !this.inArray });
      this.parts = [];
      this.mode = this.inArray ? Mode.ArrayAfter : Mode.Top;
    }
    const at = { line: this.line, column: this.base - this.lineStart + 1 };
    if (this.mode === Mode.Element) {
      this.out.push({ kind: 'syntax', message: `the file ends inside the value that starts on line ${this.elemLine}, column ${this.elemColumn}`, ...at });
    } else if (this.mode !== Mode.Top && this.mode !== Mode.Done) {
      this.out.push({ kind: 'syntax', message: `the file ends before the array that starts on line ${this.arrayLine}, column ${this.arrayColumn} is closed`, ...at });
    }
    this.mode = Mode.Done;
  }

  private column(i: number): number {
    return this.base + i - this.lineStart + 1;
  }

  private newline(i: number): void {
    this.line++;
    this.lineStart = this.base + i + 1;
  }

  private startElement(i: number, c: number): number {
    this.mode = Mode.Element;
    this.elemLine = this.line;
    this.elemColumn = this.column(i);
    this.parts = [];
    this.held = 0;
    this.escaped = false;
    this.inString = c === 34;
    this.scalar = !this.inString && c !== 123 && c !== 91;
    this.depth = c === 123 || c === 91 ? 1 : 0;
    return i;
  }

  private endElement(chunk: string, start: number, end: number): void {
    const last = chunk.slice(start, end);
    const text = this.parts.length === 0 ? last : this.parts.join('') + last;
    this.parts = [];
    this.out.push({ kind: 'element', text, line: this.elemLine, column: this.elemColumn, top: !this.inArray });
    this.mode = this.inArray ? Mode.ArrayAfter : Mode.Top;
  }

  private fail(kind: 'syntax' | 'shape', message: string, i: number): void {
    this.out.push({ kind, message, line: this.line, column: this.column(i) });
    this.mode = Mode.Done;
    this.parts = [];
  }
}

/**
 * What a .json file that does not start as JSON starts with instead: a comment (JSON has none), an
 * HTML page (a web portal's error page saved as the download), or text such as CSV.
 */
function notJson(start: string): string {
  const shown = start.split('\n')[0]!.slice(0, 40);
  if (start.startsWith('//') || start.startsWith('/*')) return `the file starts with a comment (${JSON.stringify(shown)}); JSON has no comments: remove them`;
  if (start.startsWith('<')) return `the file starts with ${JSON.stringify(shown)}: it is HTML or XML, not JSON (a web page saved in place of the download?)`;
  return `the file does not start as JSON does (with [ or {) but with ${JSON.stringify(shown)}; if it is CSV, name it .csv`;
}

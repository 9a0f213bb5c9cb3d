/**
 * Format readers under a mapping profile: the CSV reader with the profile's delimiter, quote
 * and preamble, or a JSON reader that follows the profile's paths into nested vendor JSON;
 * every record then goes through the profile's `RecordMapper`.
 */
import { plainNumber } from '../shape.js';
import { extname } from 'node:path';
import { problem, type Problem } from '../../domain/problem.js';
import { JsonNumber, JsonSyntaxError, parseJson, type JsonValue } from '../../common/json.js';
import { CsvReader } from '../csv.js';
import type { FormatReader, InputEvent } from '../event.js';
import { INPUT_JSON, LfLines } from '../json.js';
import { formatLimit, MAX_JSON_DOCUMENT_CHARS, MAX_JSON_VALUE_CHARS } from '../limits.js';
import type { Format } from '../read.js';
import { canonicalByHeader, headerKey } from './names.js';
import { follow, isObject, type JsonObject } from './paths.js';
import type { MappingProfile } from './profile.js';
import { missingColumnText, RecordMapper, type VendorRecord } from './transform.js';

/**
 * Why a profile for nested JSON (`json.rows`) does not read a file of another format (`CSV`, `an
 * Excel workbook`): said for the file, and nothing of it read, rather than the profile silently
 * not applied.
 */
export function nestedProfileRefusal(profile: MappingProfile, what: string): string {
  return `the profile ${profile.source} reads nested JSON (json.rows), but this file reads as ${what}; give the vendor's JSON export or a profile for this layout (columns)`;
}

/** The reader for one file under `profile`. */
export function createMappedReader(profile: MappingProfile, file: string, format: Format): FormatReader {
  if (profile.json !== undefined && format === 'csv') {
    const reader = new MappedJsonReader(profile, file, false);
    reader.refuse(nestedProfileRefusal(profile, 'CSV'));
    return reader;
  }
  if (format !== 'csv') return new MappedJsonReader(profile, file, format === 'jsonl');
  return new MappedCsvReader(profile, file);
}

/**
 * Blanks the first `lines` lines of a text stream, keeping their line breaks: the CSV reader
 * skips empty lines and still counts them, so every later row keeps its editor line number and
 * the delimiter is sniffed from the header, not from a title block.
 */
export class PreambleBlanker {
  private left: number;
  private lastCr = false;
  /** The lines blanked, as they were (the rejects file writes them back: cli/rejects.ts). */
  skipped = '';
  constructor(lines: number) {
    this.left = lines;
  }

  get done(): boolean {
    return this.left === 0;
  }

  push(chunk: string): string {
    if (this.left === 0) return chunk;
    let out = '';
    let i = 0;
    for (; i < chunk.length && this.left > 0; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) {
        out += '\n';
        // The LF of a CRLF ends the line the CR already ended.
        if (!this.lastCr) this.left--;
        this.lastCr = false;
      } else if (c === 13) {
        out += '\r';
        this.left--;
        this.lastCr = true;
      } else this.lastCr = false;
    }
    this.skipped += chunk.slice(0, i);
    // A CRLF split after the last preamble CR: its LF must stay a line break, not start the header.
    return out + chunk.slice(i);
  }
}

class MappedCsvReader implements FormatReader {
  readonly out: InputEvent[] = [];
  private readonly csv: CsvReader;
  private readonly mapper: RecordMapper;
  private readonly preamble: PreambleBlanker;

  constructor(profile: MappingProfile, file: string) {
    const delimiter = profile.csv.delimiter ?? (extname(file).toLowerCase() === '.tsv' ? '\t' : undefined);
    // A vendor column the profile maps or ignores, or a canonical one, is a name it knows (a header cut short: csv.ts).
    const known = (cell: string): boolean => profile.columns.has(headerKey(cell)) || profile.ignore.has(headerKey(cell)) || canonicalByHeader(cell) !== undefined;
    this.csv = new CsvReader(file, delimiter, profile.csv.quote === '"' ? undefined : profile.csv.quote, undefined, false, known);
    this.mapper = new RecordMapper(profile, file, this.out, 'columns', true);
    this.preamble = new PreambleBlanker(profile.csv.skipLines);
  }

  get stopped(): boolean {
    return this.csv.stopped;
  }

  async write(chunk: string): Promise<void> {
    await this.csv.write(this.preamble.push(chunk));
    this.drain();
  }

  async end(): Promise<void> {
    await this.csv.end();
    this.drain();
  }

  private drain(): void {
    const events = this.csv.out;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.kind === 'record') this.mapper.map(e.record);
      else this.out.push(e);
    }
    events.length = 0;
  }
}


const kindOf = (v: JsonValue): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : v instanceof JsonNumber ? 'a number' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

/**
 * JSON under a profile. With `json.rows` the whole document is parsed (a vendor portal's export
 * is small; its nesting means no element stands alone) and walked along the row path; without
 * it, each element of a top-level array (or each JSON Lines line) is one flat record whose keys
 * are vendor columns. Rows are the editor line of the row's object.
 */
class MappedJsonReader implements FormatReader {
  readonly out: InputEvent[] = [];
  stopped = false;
  private readonly mapper: RecordMapper;
  private readonly parts: string[] = [];
  private size = 0;
  private lineNo = 0;
  private partial = '';
  /** Whether any record was read, and the canonical columns whose JSON path matched a value (null too). */
  private emitted = false;
  private readonly matched = new Set<string>();
  /**
   * Nested JSON, by level of json.rows: whether an object at that level was walked (`seen`), and
   * whether one held that level's list, even empty or null (`held`). A path whose list is empty
   * everywhere (every item without allocations) is not missing: no object could hold its key.
   */
  private readonly seen: boolean[] = [];
  private readonly held: boolean[] = [];
  /** Line ends as LF, a lone CR's too (`LfLines`): JSON Lines' lines, and a document's line numbers. */
  private readonly lf = new LfLines();

  constructor(
    private readonly profile: MappingProfile,
    private readonly file: string,
    private readonly jsonLines: boolean,
  ) {
    this.mapper = new RecordMapper(profile, file, this.out, profile.json !== undefined ? 'canonical' : 'columns', false);
  }

  write(chunk: string): void {
    if (this.stopped) return;
    chunk = this.lf.push(chunk);
    if (this.jsonLines) {
      const lines = (this.partial + chunk).split('\n');
      this.partial = lines.pop() ?? '';
      for (const l of lines) this.line(l);
      // Memory must not grow with a file that has no line breaks.
      if (this.partial.length > MAX_JSON_VALUE_CHARS) {
        this.fail(this.lineNo + 1, `line ${this.lineNo + 1} is longer than ${formatLimit(MAX_JSON_VALUE_CHARS)} characters (the most one line may hold); the rest of the file is not read`, 'too_long');
      }
      return;
    }
    this.size += chunk.length;
    if (this.size > MAX_JSON_DOCUMENT_CHARS) {
      this.fail(1, `the file is longer than ${formatLimit(MAX_JSON_DOCUMENT_CHARS)} characters, too large for a JSON profile (it is read whole); split the export`, 'too_long');
      return;
    }
    this.parts.push(chunk);
  }

  end(): void {
    if (this.stopped) return;
    if (this.jsonLines) {
      if (this.partial.length > 0) this.line(this.partial);
      this.checkColumns();
      return;
    }
    const text = this.parts.join('');
    this.parts.length = 0;
    const lines = new WeakMap<object, number>();
    let doc: JsonValue;
    try {
      doc = parseJson(text, lines, INPUT_JSON);
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
      this.fail(err.line, `JSON ${err.code === 'json_syntax' ? 'syntax ' : ''}error on line ${err.line}, column ${err.column}: ${err.message.replace(/ at line \d+, column \d+$/, '')}`, err.code);
      return;
    }
    this.document(doc, (o) => lines.get(o) ?? 1);
    this.checkColumns();
  }

  /**
   * After the last record: a mapped column found nowhere in the file is an error for the file, as
   * a CSV header without it is (transform.ts `checkHeader`): a json.columns path that matches
   * nothing — the export renamed a key — would load every row without that column.
   */
  private checkColumns(): void {
    if (this.stopped || !this.emitted) return;
    const json = this.profile.json;
    if (json === undefined) {
      this.mapper.finish();
      return;
    }
    // Objects that should hold a column's key exist: at its level, or the list leading there is
    // absent (not empty) in every parent that exists (README `json.rows`: an item without
    // allocations still gives its row).
    const shouldHold = (level: number): boolean =>
      this.seen[level] === true || (level > 0 && this.held[level - 1] !== true && shouldHold(level - 1));
    for (const c of json.columns) {
      const p = this.profile;
      if (this.matched.has(c.column) || p.constants.has(c.column) || !shouldHold(c.level)) continue;
      const t = missingColumnText(c.column, `the profile's path ${JSON.stringify(c.path)} for ${c.column} (json.columns) matches nothing in this file`, 'the path', '', p.source, p.defaults.get(c.column));
      this.out.push({ kind: 'problem', problem: problem({ file: this.file }, 'mapped_column_missing', t.message, { column: c.column, severity: t.severity }) });
    }
  }

  private line(text: string): void {
    const at = ++this.lineNo;
    if (text.trim() === '') return;
    let doc: JsonValue;
    try {
      doc = parseJson(text, undefined, INPUT_JSON);
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
      this.out.push({ kind: 'problem', problem: problem({ file: this.file, row: at }, err.code, `JSON ${err.code === 'json_syntax' ? 'syntax ' : ''}error on line ${at}, column ${err.column}: ${err.message.replace(/ at line \d+, column \d+$/, '')}; this line is skipped`) });
      return;
    }
    this.document(doc, () => at);
  }

  /** Reads nothing: the file is not what the profile is for. */
  refuse(message: string): void {
    this.fail(1, message, 'mapping_mismatch');
  }

  private fail(row: number, message: string, code = 'json_shape'): void {
    this.stopped = true;
    this.out.push({ kind: 'problem', problem: problem({ file: this.file, row }, code, message) });
  }

  private shape(row: number, message: string): void {
    this.out.push({ kind: 'problem', problem: problem({ file: this.file, row }, 'json_shape', message) });
  }

  private document(doc: JsonValue, lineOf: (o: object) => number): void {
    const json = this.profile.json;
    if (json === undefined) {
      const items = Array.isArray(doc) ? doc : [doc];
      for (const item of items) {
        const row = typeof item === 'object' && item !== null ? lineOf(item) : lineOf(items);
        if (!isObject(item)) {
          this.shape(row, `expected an object (one row of the vendor's layout), found ${kindOf(item)}`);
          continue;
        }
        this.flat(item, row);
      }
      return;
    }
    const levels = json.levels;
    const depth = levels.length - 1;
    const emit = (bound: JsonValue[]): void => {
      const last = bound[bound.length - 1]!;
      const source = { file: this.file, row: typeof last === 'object' && last !== null ? lineOf(last) : 1 };
      const fields: Record<string, string | undefined> = {};
      const native = new Set<string>();
      const scalars = new Map<string, JsonNumber | boolean>();
      const origin = new Map<string, string>();
      const problems: Problem[] = [];
      for (const c of json.columns) {
        if (c.level >= bound.length) continue; // a parent without children: its own columns only
        const v = follow(bound[c.level], c.rest);
        origin.set(c.column, c.path);
        if (v === undefined) continue;
        this.matched.add(c.column);
        if (v === null) continue;
        if (typeof v === 'string') fields[c.column] = v.length > 0 ? v : undefined;
        else if (v instanceof JsonNumber) {
          fields[c.column] = plainNumber(v.text);
          native.add(c.column);
          scalars.set(c.column, v);
        } else if (typeof v === 'boolean') {
          fields[c.column] = v ? 'true' : 'false';
          scalars.set(c.column, v);
        }
        else problems.push(problem(source, 'invalid_value', `${c.column} (JSON path ${c.path}) must be a single value, not ${kindOf(v)}`, { column: c.column }));
      }
      this.emitted = true;
      this.mapper.map({ source, fields, native, scalars, origin, problems });
    };
    const walk = (k: number, bound: JsonValue[]): void => {
      this.seen[k] = true;
      if (k === depth) {
        emit(bound);
        return;
      }
      const parent = bound[k];
      const arr = follow(parent, levels[k]!);
      if (arr !== undefined) this.held[k] = true;
      const at = typeof parent === 'object' && parent !== null ? lineOf(parent) : 1;
      if (arr === undefined || arr === null || (Array.isArray(arr) && arr.length === 0)) {
        if (k > 0) emit(bound);
        else if (arr === undefined || arr === null) this.shape(at, `the file has nothing at ${JSON.stringify(json.rows)} (json.rows of the profile ${this.profile.source}); is it the right profile?`);
        return;
      }
      if (!Array.isArray(arr)) {
        this.shape(at, `expected a list at level ${k + 1} of ${JSON.stringify(json.rows)}, found ${kindOf(arr)}`);
        return;
      }
      for (const el of arr) walk(k + 1, [...bound, el]);
    };
    walk(0, [doc]);
  }

  private flat(obj: JsonObject, row: number): void {
    const native = new Set<string>();
    const scalars = new Map<string, JsonNumber | boolean>();
    const rec: VendorRecord = { source: { file: this.file, row }, fields: {}, native, scalars };
    const problems: Problem[] = [];
    for (const key of Object.keys(obj)) {
      if (key === '__proto__') continue;
      const v = obj[key]!;
      if (v === null) rec.fields[key] = undefined;
      else if (typeof v === 'string') rec.fields[key] = v.length > 0 ? v : undefined;
      else if (v instanceof JsonNumber) {
        rec.fields[key] = plainNumber(v.text);
        native.add(key);
        scalars.set(key, v);
      } else if (typeof v === 'boolean') {
        rec.fields[key] = v ? 'true' : 'false';
        scalars.set(key, v);
      }
      else if (!this.profile.ignore.has(headerKey(key))) {
        problems.push(problem(rec.source, 'invalid_value', `column ${key} must be a single value, not ${kindOf(v)} (ignore it in the profile, or read it with a "json" section)`, { column: key }));
      }
    }
    this.emitted = true;
    this.mapper.map({ ...rec, problems });
  }
}

/**
 * Lossless JSON: numbers keep their source text.
 *
 * `JSON.parse` turns every number into an IEEE double, which silently corrupts Alma ids
 * (15334101100001021 > 2^53) and can round money. Here a number becomes a `JsonNumber`
 * holding its exact text, and `stringifyJson` writes `JsonNumber` and `Decimal` values
 * back as bare JSON numbers, so amounts travel as exact decimal text in both directions.
 */
import { Decimal } from 'decimal.js';

export class JsonNumber {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | { [key: string]: JsonValue };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    /** `json_syntax`, or with `ParseOptions`: `duplicate_key`, `too_long`. */
    readonly code: 'json_syntax' | 'duplicate_key' | 'too_long' = 'json_syntax',
  ) {
    super(`${message} at line ${line}, column ${column}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Stricter reading for input files (answers from APIs are read as they come). */
export interface ParseOptions {
  /** A key twice in one object is an error (`duplicate_key`) instead of the last one silently winning. */
  uniqueKeys?: boolean | undefined;
  /** A string longer than this is an error (`too_long`). */
  maxString?: number | undefined;
}

/** Nesting deeper than this is refused instead of overflowing the stack on hostile input. */
export const MAX_JSON_DEPTH = 256;

const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Parses JSON text; numbers become `JsonNumber`. Throws `JsonSyntaxError` with line and column.
 *
 * When `lines` is given, each object and array is mapped to the 1-based line of its opening
 * bracket, so a reader can say which line of the file a nested record came from.
 */
export function parseJson(text: string, lines?: WeakMap<object, number>, opts: ParseOptions = {}): JsonValue {
  const maxString = opts.maxString ?? Infinity;
  const uniqueKeys = opts.uniqueKeys === true;
  let pos = 0;
  // Line bookkeeping for `lines`: positions only grow, so counting from the last one is O(n).
  let lineNo = 1;
  let linePos = 0;
  const lineAt = (at: number): number => {
    for (; linePos < at; linePos++) if (text.charCodeAt(linePos) === 10) lineNo++;
    return lineNo;
  };
  const fail = (message: string, at = pos, code?: JsonSyntaxError['code']): never => {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new JsonSyntaxError(message, line, at - lineStart + 1, code);
  };
  const skipWs = (): void => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) pos++;
      else return;
    }
  };
  const parseString = (): string => {
    // pos is at the opening quote
    const from = pos;
    pos++;
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 34) {
        out += text.slice(start, pos);
        if (out.length > maxString) fail(`a text value longer than ${maxString.toLocaleString('en-US')} characters (the most one value may hold)`, from, 'too_long');
        pos++;
        return out;
      }
      if (c === 92) {
        out += text.slice(start, pos);
        const e = text[pos + 1];
        if (e === 'u') {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 6;
        } else if (e !== undefined && ESCAPES[e] !== undefined) {
          out += ESCAPES[e];
          pos += 2;
        } else {
          fail('bad escape');
        }
        start = pos;
        continue;
      }
      if (c < 32) fail('control character in string');
      pos++;
    }
  };
  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    skipWs();
    const c = text[pos];
    if (c === '{') {
      const obj: { [key: string]: JsonValue } = {};
      if (lines !== undefined) lines.set(obj, lineAt(pos));
      pos++;
      skipWs();
      if (text[pos] === '}') {
        pos++;
        return obj;
      }
      for (;;) {
        skipWs();
        if (text[pos] !== '"') fail('expected a property name');
        const keyAt = pos;
        const key = parseString();
        if (uniqueKeys && Object.prototype.hasOwnProperty.call(obj, key)) {
          fail(`the key ${JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key)} appears twice in one object; which value is meant is unclear`, keyAt, 'duplicate_key');
        }
        skipWs();
        if (text[pos] !== ':') fail("expected ':'");
        pos++;
        // defineProperty keeps a "__proto__" key as data instead of changing the prototype
        Object.defineProperty(obj, key, { value: parseValue(depth + 1), enumerable: true, writable: true, configurable: true });
        skipWs();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      const arr: JsonValue[] = [];
      if (lines !== undefined) lines.set(arr, lineAt(pos));
      pos++;
      skipWs();
      if (text[pos] === ']') {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        skipWs();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    NUMBER_RE.lastIndex = pos;
    const m = NUMBER_RE.exec(text);
    if (m) {
      pos += m[0].length;
      return new JsonNumber(m[0]);
    }
    return fail(pos >= text.length ? 'unexpected end of input' : `unexpected character '${c}'`);
  };
  const value = parseValue(0);
  skipWs();
  if (pos < text.length) fail('unexpected text after the JSON value');
  return value;
}

/**
 * Serialises like `JSON.stringify`, but `Decimal` and `JsonNumber` values are written as bare
 * JSON numbers with their exact digits, and `undefined` properties are dropped.
 */
export function stringifyJson(value: unknown, indent = 0): string {
  return serialize(value, 0, indent) ?? 'null';
}

/**
 * `stringifyJson(value, indent)`, handed to `write` piece by piece (about 64 KB at a time):
 * the objects and arrays of the two outer levels are walked here, everything below them is
 * serialised one element at a time. A report of 100k invoices is then never one 100+ MB string
 * (and its several times larger garbage), and the output starts before the end is serialised.
 * The text written is exactly `stringifyJson(value, indent)`.
 *
 * `plain: true` is the caller's promise that the value holds nothing `JSON.stringify` writes
 * differently (no Decimal, JsonNumber, toJSON, bigint or boxed primitive), as the report
 * document's types guarantee: the walk that checks it is then skipped, ~0.2 s of a 150 MB report.
 */
export function writeJson(value: unknown, indent: number, write: (text: string) => void, opts: { plain?: boolean } = {}): void {
  const trusted = opts.plain === true;
  const parts: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (parts.length > 0) write(parts.join(''));
    parts.length = 0;
    size = 0;
  };
  const put = (s: string): void => {
    if (s.length >= 1 << 14) {
      // A batch of invoices (tens of KB): handed on as it is, not copied once more by a join.
      flush();
      write(s);
      return;
    }
    parts.push(s);
    size += s.length;
    if (size >= 1 << 16) flush();
  };
  const pad = (depth: number): string => (indent > 0 ? '\n' + ' '.repeat(indent * depth) : '');
  const stream = (v: unknown, depth: number): void => {
    const container = typeof v === 'object' && v !== null && !(v instanceof Decimal) && !(v instanceof JsonNumber);
    if (!container || depth >= 2) {
      if (container && (trusted || isPlain(v))) {
        // The native serialiser writes plain data exactly as `serialize` does, 4–5× faster; its
        // line breaks are all structural (a string's are escaped), so re-indenting is a replace.
        const text = JSON.stringify(v, null, indent);
        put(indent > 0 && depth > 0 ? text.replaceAll('\n', '\n' + ' '.repeat(indent * depth)) : text);
      } else put(serialize(v, depth, indent) ?? 'null');
      return;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) return put('[]');
      put('[');
      // Elements per native call: as many as make ~BATCH_CHARS of text, by the size of the last.
      let most = 16;
      for (let i = 0; i < v.length; ) {
        const batch = depth !== 1 ? 0 : trusted ? Math.min(most, v.length - i) : plainRun(v, i, most);
        if (batch > 0) {
          // Elements of an array one level down (a report's invoices) go to the native
          // serialiser some at a time, wrapped so that it indents them at their depth:
          // `{"x": [a, b]}` puts a and b two levels deep, as they are here.
          const text = JSON.stringify({ x: v.slice(i, i + batch) }, null, indent);
          // The comma apart: a slice is handed on as it is, a concatenation would be copied flat.
          if (i > 0) put(',');
          put(text.slice(WRAP_HEAD(indent).length, text.length - WRAP_TAIL(indent).length));
          i += batch;
          most = Math.max(1, Math.min(256, Math.floor((BATCH_CHARS * batch) / text.length)));
          continue;
        }
        const x = v[i];
        put((i > 0 ? ',' : '') + pad(depth + 1));
        // An element that serialises to nothing is `null`, as in stringifyJson.
        if (isDropped(x)) put('null');
        else stream(x, depth + 1);
        i++;
      }
      return put(pad(depth) + ']');
    }
    let first = true;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (isDropped(x)) continue;
      put((first ? '{' : ',') + pad(depth + 1) + JSON.stringify(k) + (indent > 0 ? ': ' : ':'));
      first = false;
      stream(x, depth + 1);
    }
    put(first ? '{}' : pad(depth) + '}');
  };
  if (isDropped(value)) put('null');
  else stream(value, 0);
  flush();
}

/**
 * True when `JSON.stringify` writes `v` exactly as `serialize` does: only strings, finite or
 * non-finite numbers, booleans, null, dropped values, and arrays and objects of them, none with a
 * `toJSON` (Decimal, JsonNumber and Date have one: `serialize` writes the first two as bare
 * numbers, and JSON.stringify would call it) and no bigint (which JSON.stringify refuses).
 */
function isPlain(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return typeof v !== 'bigint';
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return false;
  // A boxed primitive: JSON.stringify unwraps it, `serialize` would list its characters.
  if (v instanceof String || v instanceof Number || v instanceof Boolean) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isPlain(v[i])) return false;
    return true;
  }
  for (const k in v) if (Object.hasOwn(v, k) && !isPlain((v as Record<string, unknown>)[k])) return false;
  return true;
}

/**
 * Text per native serialiser call. Below V8's large-object size (128 KB), so each batch's text
 * (and the join that hands it on) is young garbage a scavenge frees: 400 KB batches went to the
 * large-object space, which only a full collection frees, and a million-row dry run's 150 MB
 * report grew the heap by as much while it was written (peak RSS ~300 MB instead of ~200).
 */
const BATCH_CHARS = 48 * 1024;

/** How many elements from `start` are plain containers (at most `most`): one batch for JSON.stringify. */
function plainRun(v: readonly unknown[], start: number, most: number): number {
  let n = 0;
  while (n < most && start + n < v.length) {
    const x = v[start + n];
    if (typeof x !== 'object' || x === null || !isPlain(x)) break;
    n++;
  }
  return n;
}
/** What `JSON.stringify({x: [...]}, null, indent)` writes before the first element and after the last. */
const WRAP_HEAD = (indent: number): string => (indent > 0 ? `{\n${' '.repeat(indent)}"x": [` : '{"x":[');
const WRAP_TAIL = (indent: number): string => (indent > 0 ? `\n${' '.repeat(indent)}]\n}` : ']}');

/** Values `JSON.stringify` leaves out of an object (and writes as `null` in an array). */
const isDropped = (v: unknown): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/** One value at `depth` (for the indentation of its inner lines); undefined when it is dropped. */
function serialize(v: unknown, depth: number, indent: number): string | undefined {
  const pad = (d: number): string => (indent > 0 ? '\n' + ' '.repeat(indent * d) : '');
  const walk = (v: unknown, depth: number): string | undefined => {
    if (v === null) return 'null';
    if (v instanceof Decimal) return v.toFixed();
    if (v instanceof JsonNumber) return v.text;
    switch (typeof v) {
      case 'string':
        return JSON.stringify(v);
      case 'boolean':
        return v ? 'true' : 'false';
      case 'number':
        return Number.isFinite(v) ? String(v) : 'null';
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
      case 'bigint':
        return v.toString();
    }
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      const items = v.map((x) => walk(x, depth + 1) ?? 'null');
      return '[' + items.map((s) => pad(depth + 1) + s).join(',') + pad(depth) + ']';
    }
    const entries: string[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const s = walk(x, depth + 1);
      if (s !== undefined) entries.push(pad(depth + 1) + JSON.stringify(k) + (indent > 0 ? ': ' : ':') + s);
    }
    if (entries.length === 0) return '{}';
    return '{' + entries.join(',') + pad(depth) + '}';
  };
  return walk(v, depth);
}

/**
 * The JSON object of an error response's body, or undefined when the body is not one (an HTML
 * page from a proxy, an empty body, a cut-off text): error parsers fall back to the status.
 */
export function errorBodyObject(bodyText: string): { [key: string]: JsonValue } | undefined {
  const text = bodyText.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const doc = parseJson(text);
    return isJsonObject(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a JSON value that may be a string or a number as text (Alma sends amounts both ways). */
export function jsonText(v: JsonValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (v instanceof JsonNumber) return v.text;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return undefined;
}

export function isJsonObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

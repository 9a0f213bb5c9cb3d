/**
 * What exceljs's stream reader (4.4) gets wrong in a workbook's XML, mended before or instead of
 * its own parsing (src/input/xlsx.ts `workbookReaderClass`): every part is decoded as one UTF-8
 * stream with one text bounded (`cutLongTexts`), a sheet's misread cells are rewritten
 * (`fixSheetCells`), and the shared strings are read here (`sharedStringsReader`).
 *
 * The shared strings (`xl/sharedStrings.xml`): exceljs kept the text of an item's LAST `<t>`:
 * - A Japanese workbook stores the reading of text typed through the input method beside it, as
 *   phonetic runs (`<si><t>東京大学</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>`,
 *   ECMA-376 Part 1, 18.4.6 "rPh (Phonetic Run)"). exceljs read such a cell as its reading: a
 *   note "東京大学 図書館" went to Alma as "トショカン", a vendor code GOBI as ゴビ. The reading
 *   is not the cell's text (Excel shows it only above the text, on request): it is dropped.
 * - Excel writes a character XML cannot hold (a carriage return, a control character) as
 *   `_xHHHH_`, and a literal `_x` as `_x005F_x` (ECMA-376 Part 1, 22.9.2.19 "ST_Xstring"):
 *   decoded, as Excel shows the cell.
 * Rich text (`<r>` runs) is the runs' texts joined: the reader keeps text, not fonts.
 */

import { formatLimit, MAX_CELL_CHARS } from './limits.js';

/** One XML event as exceljs's `parse-sax` yields them (saxes's opentag, text, closetag). */
interface SaxEvent {
  eventType: string;
  value: { name?: string } | string;
}

type ParseSax = (iterable: AsyncIterable<unknown>) => AsyncIterable<SaxEvent[]>;
type IterateStream = (stream: unknown) => AsyncIterable<unknown>;

/** `_xHHHH_` → the UTF-16 code unit it stands for (ST_Xstring). */
export function decodeXstring(text: string): string {
  return text.includes('_x') ? text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : text;
}

/** A workbook the reader refuses for a reason it words itself: said as it is, an `invalid_workbook` problem (xlsx.ts `unreadable`). */
export class WorkbookRefused extends Error {
  override name = 'WorkbookRefused';
}

/** A workbook past one of the reader's own limits (README "Reliability"). */
export class WorkbookTooLarge extends WorkbookRefused {
  override name = 'WorkbookTooLarge';
}

/** How many shared strings, of how many characters in all, one workbook may hold. */
export interface SharedStringLimits {
  count: number;
  chars: number;
}

/**
 * The shared strings are the one part of a workbook held whole (every cell may point to any of
 * them), so their number and size are bounded: a 12 MB workbook of 300 million `<si><t>a</t></si>`
 * aborted V8 ("invalid size error", exit 133), 100 million took 2 GB and 102 s. 5 million
 * strings, 128 Mi characters, are far over a batch's (200,000 invoice lines with 25 texts each,
 * each of them distinct) and a few hundred MB at most.
 */
export const SHARED_STRING_LIMITS: SharedStringLimits = { count: 5_000_000, chars: 128 * 1024 * 1024 };

/**
 * The shared strings of a stream of XML events, in order: each the text of its `<si>` without
 * phonetic runs. Pure: `feed` takes one batch of events and returns the items it completed.
 * Throws WorkbookTooLarge past `limits`, counted as the text comes (one item of many runs too).
 */
export class SharedStrings {
  #parts: string[] = [];
  #phonetic = 0;
  #inText = false;
  #count = 0;
  #chars = 0;

  constructor(private readonly limits: SharedStringLimits = SHARED_STRING_LIMITS) {}

  feed(batch: readonly SaxEvent[]): string[] {
    const done: string[] = [];
    for (const { eventType, value } of batch) {
      const name = typeof value === 'string' ? undefined : value.name;
      if (eventType === 'opentag') {
        if (name === 'si') this.#parts = [];
        else if (name === 'rPh') this.#phonetic++;
        else if (name === 't') this.#inText = true;
      } else if (eventType === 'text') {
        if (this.#inText && this.#phonetic === 0 && typeof value === 'string') {
          this.#chars += value.length;
          if (this.#chars > this.limits.chars) {
            throw new WorkbookTooLarge(
              `the texts of the workbook's cells (its shared strings) come to more than the ${formatLimit(this.limits.chars)} characters the loader reads of one workbook; split the batch into several workbooks, or save it as CSV UTF-8`,
            );
          }
          this.#parts.push(value);
        }
      } else if (eventType === 'closetag') {
        if (name === 'rPh') this.#phonetic--;
        else if (name === 't') this.#inText = false;
        else if (name === 'si') {
          if (++this.#count > this.limits.count) {
            throw new WorkbookTooLarge(
              `the workbook holds more than the ${formatLimit(this.limits.count)} shared strings (the texts of its cells, each kept once) the loader reads of one workbook; split the batch into several workbooks, or save it as CSV UTF-8`,
            );
          }
          done.push(decodeXstring(this.#parts.join('')));
        }
      }
    }
    return done;
  }
}

/**
 * A replacement for exceljs's `WorkbookReader.prototype._parseSharedStrings` (exceljs 4.4,
 * lib/stream/xlsx/workbook-reader.js), for a reader made with `sharedStrings: 'cache'`: fills
 * `this.sharedStrings` as exceljs's does. Its helpers are exceljs's own, passed in.
 */
export function sharedStringsReader(parseSax: ParseSax, iterateStream: IterateStream, limits: SharedStringLimits = SHARED_STRING_LIMITS) {
  return async function* (this: { sharedStrings?: unknown[] }, entry: unknown): AsyncGenerator<never, void, undefined> {
    const out: unknown[] = [];
    this.sharedStrings = out;
    const strings = new SharedStrings(limits);
    // One loop over exceljs's own event batches, as its reader has: nothing more is awaited.
    for await (const batch of parseSax(cutLongTexts(iterateStream(entry), MAX_TEXT_BYTES))) for (const text of strings.feed(batch)) out.push(text);
  };
}

/**
 * Bytes of XML text between two tags kept of one run; the rest of the run is dropped. A cell of
 * MAX_CELL_CHARS characters takes at most 4 bytes a character (5 for `&amp;`), so no text a row
 * may hold is cut, and one cut still holds more than MAX_CELL_CHARS characters: its row gets
 * `cell_too_long` as before. The XML parser holds a text whole until the next tag, so without
 * this a 4.6 MB workbook of a few 400-million-character strings ran the process out of memory
 * (V8's abort, exit 134, no report).
 */
export const MAX_TEXT_BYTES = 8 * MAX_CELL_CHARS;

/**
 * The text of an XML entry's chunks, decoded as one UTF-8 stream, with every run of bytes without
 * a `<` cut to `max` bytes. A cut may split a character; what is kept of that text is over the
 * cell limit anyway.
 */
export async function* cutLongTexts(chunks: AsyncIterable<unknown>, max: number): AsyncGenerator<string, void, undefined> {
  // exceljs's parse-sax decodes each chunk apart (TextDecoder without `stream`), so a character
  // split between two chunks of the inflated entry became two U+FFFD: "Müller" as "M��ller" in a
  // long shared-strings part. Decoded here as one stream, it is handed text.
  const utf8 = new TextDecoder('utf-8');
  let run = 0; // bytes since the last `<`
  for await (const c of chunks) {
    const chunk = typeof c === 'string' ? Buffer.from(c) : Buffer.isBuffer(c) ? c : Buffer.from((c as Uint8Array).buffer, (c as Uint8Array).byteOffset, (c as Uint8Array).byteLength);
    const first = chunk.indexOf(0x3c);
    let piece: Buffer;
    if (first !== -1 && run + first <= max && chunk.length <= max) {
      // The common case: the run before the first `<` fits, and no run inside a chunk no longer
      // than the bound can pass it — two native searches, not one step per tag.
      piece = chunk;
      run = chunk.length - chunk.lastIndexOf(0x3c);
    } else {
      const kept: Buffer[] = [];
      let at = 0;
      while (at < chunk.length) {
        // A segment runs from a `<` (or the chunk's start) to the next `<`; at a `<` a new run begins.
        const tag = chunk[at] === 0x3c;
        if (tag) run = 0;
        const lt = chunk.indexOf(0x3c, tag ? at + 1 : at);
        const end = lt === -1 ? chunk.length : lt;
        const take = Math.min(end - at, Math.max(0, max - run));
        if (take > 0) kept.push(chunk.subarray(at, at + take));
        run += end - at;
        at = end;
      }
      piece = kept.length === 1 ? kept[0]! : Buffer.concat(kept);
    }
    const text = piece.length > 0 ? utf8.decode(piece, { stream: true }) : '';
    if (text.length > 0) yield text;
  }
  const rest = utf8.decode();
  if (rest.length > 0) yield rest;
}

/**
 * A sheet's XML text with two kinds of cell rewritten into what exceljs's stream reader reads
 * right (its WorksheetReader cannot be given another parser):
 * - an inline string of several runs (`<is><r><t>G-</t></r><r><t>1</t></r></is>`, as openpyxl
 *   and other libraries write rich text) kept only its last run: "G-1" was loaded as "1". The
 *   runs' texts are joined into one `<t>`, phonetic runs (`<rPh>`) left out as for shared strings;
 * - a date cell stored as an ISO 8601 text (`t="d"`, ECMA-376 Part 1, 18.18.11 ST_CellType; Excel's
 *   "save dates as ISO 8601" option, openpyxl's `iso_dates`) was read as a number: 2025-03-04 as
 *   the year 2025, or shown in a date format as 1905-07-17. It becomes the text of its day, and
 *   its place goes in `SheetMarks.isoDates`: the reader takes it for the date cell it is.
 * - a formula whose saved value is an error (`#N/A`) was read as an empty cell: its formula is
 *   dropped, so it is read as the error it shows;
 * - rows and cells without their `r` attribute (optional: a row without one follows the row before
 *   it, a cell without one the cell before it in its row, ECMA-376 Part 1, 18.3.1.73 and 18.3.1.4),
 *   as some generators write them: exceljs failed on the first ("Cannot read properties of
 *   undefined (reading 'length')"). Each one without is numbered from its place, whatever the
 *   others carry.
 * Only whole cells are rewritten: text is handed on up to the last point outside a cell — after a
 * chunk's last `</c>`, self-closing `<c/>` or other tag outside a cell, or before the start of a
 * cell not yet closed — and the rest waits for the next chunk. Only the new chunk is searched for
 * that point, so a long stretch without one (a sheet of a million `<row/>`, or of empty cells
 * written `<c r="A5" s="1"/>` as Excel writes a formatted empty range) costs its length once,
 * not once a chunk.
 */
export async function* fixSheetCells(chunks: AsyncIterable<string>, seen?: SheetMarks, work?: SheetWork): AsyncGenerator<string, void, undefined> {
  const places = new Places();
  const isoDate = seen !== undefined ? (ref: string) => void seen.isoDates.add(ref) : undefined;
  const badNumber = seen?.badNumbers !== undefined ? (ref: string, raw: string) => void seen.badNumbers!.set(ref, raw) : undefined;
  const out = (xml: string): string => {
    // Numbered first: an ISO date cell is marked by its place.
    const numbered = fixCells(places.number(xml), isoDate, badNumber);
    if (seen !== undefined) {
      hiddenRows(numbered, (row) => seen.hidden.add(row));
      if (numbered.includes('<mergeCell')) for (const m of numbered.matchAll(MERGE)) seen.merged.push((m[1] ?? m[2])!);
    }
    // Rows with no value — `<row r="9"/>`, or only empty cells `<c r="A9" s="1"/>` (a formatted
    // range Excel keeps) — are dropped: the reader skips them anyway, and the library built an
    // object for each (a million `<row/>` took 14 s). Every row and cell has its `r` by now.
    return numbered.includes('/>') ? numbered.replace(EMPTY_ROW, '') : numbered;
  };
  /** Text not yet handed on, in pieces: joined once, when it is. */
  let held: string[] = [];
  let heldChars = 0;
  /** The held text is inside a cell (it begins with that cell's `<c`). */
  let inCell = false;
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    // The new chunk, with the held text before it when that is short (a tag cut by the chunk's
    // end: its `<c` is found again), else the few characters a `<c ` or `</c>` may begin in.
    const back = heldChars <= SHORT_HELD ? heldChars : 3;
    const tail = back > 0 ? tailOf(held, back) : '';
    const text = tail + chunk;
    if (work !== undefined) work.searched += text.length;
    const cut = safeEnd(text, inCell);
    if (cut === undefined) {
      held.push(chunk);
      heldChars += chunk.length;
      if (work !== undefined) work.mostHeld = Math.max(work.mostHeld, heldChars);
      continue;
    }
    // Cut inside `text`: at `heldChars - back + cut.at` of the held text and the chunk.
    const whole = held.length > 0 ? held.join('') + chunk : chunk;
    const at = heldChars - back + cut.at;
    inCell = cut.inCell;
    const fixed = at > 0 ? out(whole.slice(0, at)) : '';
    const rest = whole.slice(at);
    held = rest.length > 0 ? [rest] : [];
    heldChars = rest.length;
    if (work !== undefined) work.mostHeld = Math.max(work.mostHeld, heldChars);
    if (fixed.length > 0) yield fixed;
  }
  const last = heldChars > 0 ? out(held.join('')) : '';
  if (last.length > 0) yield last;
}

/** What `fixSheetCells` did, for tests: characters searched for a place to cut, most characters held at once. */
export interface SheetWork {
  searched: number;
  mostHeld: number;
}

/** Held text searched again with each chunk: a tag cut by a chunk's end, or a little more. */
const SHORT_HELD = 4096;

/** The last `n` characters of the pieces' text. */
function tailOf(pieces: readonly string[], n: number): string {
  let s = '';
  for (let i = pieces.length - 1; i >= 0 && s.length < n; i--) s = pieces[i]! + s;
  return s.slice(-n);
}

/**
 * The last point of `text` where no cell is open and no tag is cut, searched from the end:
 * after the last `>` when the last cell is closed (`</c>`, or a self-closing `<c/>`), before the
 * last cell's `<c` when it is not; `inCell` says whether the text before `text` ends inside a
 * cell. Undefined when there is none (inside one cell, or no tag has ended).
 */
function safeEnd(text: string, inCell: boolean): { at: number; inCell: boolean } | undefined {
  const open = lastTag(text, '<c', text.length);
  const close = text.lastIndexOf('</c>');
  let outside: boolean;
  if (open > close) {
    const gt = text.indexOf('>', open);
    // A cell begun and not yet closed (or its tag not yet whole): cut before it.
    if (gt === -1 || text.charCodeAt(gt - 1) !== 0x2f) return { at: open, inCell: true };
    outside = true; // `<c …/>`
  } else outside = close !== -1 || !inCell;
  if (!outside) return undefined;
  const end = text.lastIndexOf('>');
  return end === -1 ? undefined : { at: end + 1, inCell: false };
}

/** What exceljs's stream reader drops of a sheet and the reader reports: rows Excel hides, merged ranges. */
export interface SheetMarks {
  hidden: Set<number>;
  /** The `ref`s of `<mergeCell>` (ECMA-376 Part 1, 18.3.1.55), e.g. `D4:D6`. */
  merged: string[];
  /** Cells (`C3`) that were ISO 8601 date cells, now the text of their day; the reader deletes each as it reads it. */
  isoDates: Set<string>;
  /**
   * Number cells (and formulas' saved numbers) whose `<v>` is no number (`1234,56`), by place, with
   * their text as saved; each is now an inline text cell of that text, refused by the reader.
   */
  badNumbers?: Map<string, string>;
  /** The sheet's XML ended with its rows still open (`<sheetData>` never closed: `watchSheetData`). */
  cut?: boolean;
}

/**
 * A sheet's XML text handed on as it is, noting in `marks.cut` a part that ends with its rows
 * still open: a `<sheetData>` (ECMA-376 Part 1, 18.3.1.80; every worksheet has one, `<sheetData/>`
 * when it has no rows) opened and never closed. A zip whose sheet part stops inside its rows (a
 * workbook written by a program that died part-way) is a valid zip and XML the reader does not
 * fail on at its end: it read as a whole sheet, its last rows silently absent. A tag split
 * between two chunks is found: the end of the one before is searched again with the next.
 */
export async function* watchSheetData(chunks: AsyncIterable<string>, marks: SheetMarks): AsyncGenerator<string, void, undefined> {
  let state: 'before' | 'open' | 'closed' = 'before';
  let carry = '';
  for await (const chunk of chunks) {
    if (state !== 'closed') {
      const text = carry + chunk;
      state = sheetDataState(text, state);
      carry = text.slice(-32);
    }
    yield chunk;
  }
  if (state === 'open') marks.cut = true;
}

// With or without a namespace prefix (`<x:sheetData>`, as some generators write it).
const SHEET_DATA_OPEN = /<(?:[A-Za-z_][\w.-]*:)?sheetData\b[^>]*?(\/?)>/;
const SHEET_DATA_CLOSE = /<\/(?:[A-Za-z_][\w.-]*:)?sheetData\s*>/;

/** Where `text` leaves a sheet's `<sheetData>`, from `state` before it. */
function sheetDataState(text: string, state: 'before' | 'open'): 'before' | 'open' | 'closed' {
  let from = 0;
  if (state === 'before') {
    const open = SHEET_DATA_OPEN.exec(text);
    if (open === null) return 'before';
    if (open[1] === '/') return 'closed';
    from = open.index + open[0].length;
  }
  return SHEET_DATA_CLOSE.test(text.slice(from)) ? 'closed' : 'open';
}

const EMPTY_ROW = /<row\b[^>]*\/>|<row\b[^>]*>(?:\s*<c\b[^>]*\/>)*\s*<\/row>/g;
// Attributes in either quote, with spaces around `=` (XML 1.0 Eq and AttValue), as ISO_DATE_CELL.
const MERGE = /<mergeCell\s+ref\s*=\s*(?:"([A-Z]+\d+:[A-Z]+\d+)"|'([A-Z]+\d+:[A-Z]+\d+)')/g;
const ROW_TAG = /<row\b([^>]*)>/g;

/**
 * The rows of sheet XML (numbered: every `<row>` has its `r`) that Excel does not show: `hidden`
 * (ECMA-376 Part 1, 18.3.1.73), set by Hide and by a filter. exceljs's stream reader drops it.
 */
export function hiddenRows(xml: string, found: (row: number) => void): void {
  if (!xml.includes('hidden')) return;
  for (const [, attrs] of xml.matchAll(ROW_TAG)) {
    if (!/\shidden\s*=\s*(?:"(?:1|true)"|'(?:1|true)')/.test(attrs!)) continue;
    const r = /\sr\s*=\s*(?:"(\d+)"|'(\d+)')/.exec(attrs!);
    if (r !== null) found(Number(r[1] ?? r[2]));
  }
}

const ROW_OR_CELL = /<(row|c)\b([^>]*?)(\/?)>/g;
/** A row or cell tag without its `r`. */
const NO_PLACE = /<(?:row|c)\b(?![^>]*\sr\s*=)[^>]*>/;
const PLACE = /\sr\s*=\s*(?:"([^"]*)"|'([^']*)')/;

/**
 * Numbers each row and cell that has no `r` from its place (fixSheetCells): a row after the row
 * before it, a cell after the cell before it in its row (the first of a row in column A).
 */
class Places {
  #row = 0;
  #col = 0;

  number(xml: string): string {
    if (!NO_PLACE.test(xml)) {
      this.#skip(xml);
      return xml;
    }
    return xml.replace(ROW_OR_CELL, (whole, tag: string, attrs: string, close: string) => {
      const m = PLACE.exec(attrs);
      const r = m === null ? undefined : (m[1] ?? m[2]!);
      if (tag === 'row') {
        this.#row = r !== undefined && /^\d+$/.test(r) ? Number(r) : this.#row + 1;
        this.#col = 0;
        return r !== undefined ? whole : `<row r="${this.#row}"${attrs}${close}>`;
      }
      if (r !== undefined) {
        this.#col = columnNumber(/^[A-Za-z]*/.exec(r)![0]);
        return whole;
      }
      this.#col++;
      return `<c r="${columnLetters(this.#col)}${this.#row}"${attrs}${close}>`;
    });
  }

  /** Text whose rows and cells all carry `r`: where it ends, for one without after it. */
  #skip(xml: string): void {
    const row = lastTag(xml, '<row', xml.length);
    if (row !== -1) {
      const r = PLACE.exec(xml.slice(row, xml.indexOf('>', row)));
      const n = r === null ? NaN : Number(r[1] ?? r[2]);
      this.#row = Number.isInteger(n) ? n : this.#row + 1;
      this.#col = 0;
    }
    const cell = lastTag(xml, '<c', xml.length);
    if (cell === -1 || cell < row) return;
    const r = PLACE.exec(xml.slice(cell, xml.indexOf('>', cell)));
    if (r !== null) this.#col = columnNumber(/^[A-Za-z]*/.exec(r[1] ?? r[2]!)![0]);
  }
}

/** Where the last tag `open` (`<c`, `<row`; not `<col`, `<rowBreaks`) before `end` starts, or -1. */
function lastTag(text: string, open: string, end: number): number {
  let at = text.lastIndexOf(open, end);
  while (at !== -1 && !/[\s/>]/.test(text.charAt(at + open.length))) at = at > 0 ? text.lastIndexOf(open, at - 1) : -1;
  return at;
}

const columnNumber = (letters: string): number => [...letters.toUpperCase()].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);

function columnLetters(n: number): string {
  let s = '';
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s;
}

const INLINE = /<is>([\s\S]*?)<\/is>/g;
const PHONETIC = /<rPh\b[\s\S]*?<\/rPh>/g;
const RUN_TEXT = /<t(?:\s[^>]*)?>([\s\S]*?)<\/t>/g;
// Not a self-closing cell (`<c r="A2" t="d"/>`, empty): matched, it took in the next cell up to its `</c>`.
// An attribute's value in either quote, with spaces around its `=` (XML 1.0, [25] Eq and [10]
// AttValue, https://www.w3.org/TR/xml/#NT-Attribute): `t='d'` is the same date cell as `t="d"`.
const ISO_DATE_CELL = /<c\b([^>]*?)\st\s*=\s*(?:"d"|'d')([^>]*?)(?<!\/)>([\s\S]*?)<\/c>/g;
/** Whether text may hold an ISO date cell: its type `d` in either quote. */
const ISO_DATE_TYPE = /\st\s*=\s*(?:"d"|'d')/;
/** A cell's place (`r`), in either quote. */
const CELL_PLACE = /\sr\s*=\s*(?:"([A-Z]+\d+)"|'([A-Z]+\d+)')/;
// Its type in either quote too (`t='e'`), as ISO_DATE_CELL.
const ERROR_CELL = /(<c\b[^>]*\st\s*=\s*(?:"e"|'e')[^>]*(?<!\/)>)([\s\S]*?)<\/c>/g;
/** Whether text may hold an error cell: its type `e` in either quote. */
const ERROR_TYPE = /\st\s*=\s*(?:"e"|'e')/;
const FORMULA = /<f\b[^>]*\/>|<f\b[^>]*>[\s\S]*?<\/f>/;

/**
 * xsd:double's lexical form (XML Schema Part 2, 3.2.5, https://www.w3.org/TR/xmlschema-2/#double),
 * the type of a cell's `<v>` when it holds a number (ECMA-376 Part 1, 18.3.1.96 and 18.18.11
 * ST_CellType `n`), without INF and NaN, which are no amount. Spaces around it are allowed (the
 * type's whiteSpace is collapse).
 */
const DOUBLE = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** A saved number exceljs reads whole: a decimal of xsd:double's form whose value a double holds (not `1E+309`). */
export const isNumberText = (raw: string): boolean => DOUBLE.test(raw) && Number.isFinite(Number(raw));

const VALUE = /<v(?:\s[^>]*)?>([^<]*)<\/v>/g;
const CELL = /<c\b([^>]*?)(?<!\/)>([\s\S]*?)<\/c>/g;
const CELL_TYPE = /\st\s*=\s*(?:"([^"]*)"|'([^']*)')/;
const CELL_VALUE = /<v(?:\s[^>]*)?>([^<]*)<\/v>/;
const CELL_REF = /\sr\s*=\s*(?:"([^"]*)"|'([^']*)')/;
/** Cell types whose `<v>` exceljs does not read as a number: a shared string's index, text, an error, a logical. */
const NOT_READ_AS_NUMBER = new Set(['s', 'str', 'inlineStr', 'e', 'b']);

/** The characters of XML text (`&amp;`, `&#44;`), as the XML parser hands them on. */
const xmlText = (raw: string): string =>
  raw.includes('&')
    ? raw.replace(/&(?:#(\d+)|#x([0-9A-Fa-f]+)|(lt|gt|amp|quot|apos));/g, (whole, dec?: string, hex?: string, name?: string) => {
        if (name !== undefined) return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[name]!;
        const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
        return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      })
    : raw;

/**
 * Number cells whose saved value is no number, rewritten as inline text cells of that text, each
 * told to `bad` with its place. exceljs reads a number cell's `<v>` (and a formula's saved value
 * unless it is text, `t="str"`) with parseFloat, which reads up to the first character that is no
 * part of a number and drops the rest: `1234,56`, as a program formatting numbers in its server's
 * locale writes it, was loaded as 1234 (`1,234.50` as 1, an id `123abc` as 123, `0x0A` as 0), and
 * `NaN`, `INF` or `1E+309` read as an empty cell. Only text with a `<v>` that is no number is looked at cell by cell.
 */
function fixNumbers(xml: string, bad: ((ref: string, raw: string) => void) | undefined): string {
  let suspect = false;
  for (const m of xml.matchAll(VALUE)) {
    if (!isNumberText(xmlText(m[1]!))) {
      suspect = true;
      break;
    }
  }
  if (!suspect) return xml;
  return xml.replace(CELL, (whole, attrs: string, inner: string) => {
    const v = CELL_VALUE.exec(inner);
    if (v === null) return whole;
    const raw = xmlText(v[1]!);
    // Empty: no value (read as an empty cell, or a formula with no saved value), as before.
    if (raw.trim() === '' || isNumberText(raw)) return whole;
    const t = CELL_TYPE.exec(attrs);
    const type = t === null ? undefined : (t[1] ?? t[2]!);
    const formula = /<f\b/.test(inner);
    if (formula ? type === 'str' || type === 'e' : type !== undefined && NOT_READ_AS_NUMBER.has(type)) return whole;
    const ref = CELL_REF.exec(attrs);
    if (ref !== null) bad?.(ref[1] ?? ref[2]!, raw);
    return `<c${attrs.replace(CELL_TYPE, '')} t="inlineStr"><is><t xml:space="preserve">${v[1]}</t></is></c>`;
  });
}

/**
 * The rewrites of `fixSheetCells` on text made of whole cells; `isoDate` is told the place of each
 * ISO date cell, `badNumber` the place and text of each number cell whose saved value is no number.
 */
export function fixCells(xml: string, isoDate?: (ref: string) => void, badNumber?: (ref: string, raw: string) => void): string {
  let out = xml;
  if (out.includes('<is>')) {
    out = out.replace(INLINE, (_, inner: string) => {
      const texts = [...inner.replace(PHONETIC, '').matchAll(RUN_TEXT)].map((m) => m[1]!);
      return `<is><t xml:space="preserve">${texts.join('')}</t></is>`;
    });
  }
  if (ERROR_TYPE.test(out)) {
    // A formula whose saved value is an error (`t="e"`, `<v>#N/A</v>`): exceljs read the value as
    // a number (NaN), and the cell came out empty. Without its formula it is an error cell.
    out = out.replace(ERROR_CELL, (_, open: string, inner: string) => `${open}${inner.replace(FORMULA, '')}</c>`);
  }
  if (ISO_DATE_TYPE.test(out)) {
    out = out.replace(ISO_DATE_CELL, (whole, before: string, after: string, inner: string) => {
      const day = /<v>\s*(\d{4}-\d{2}-\d{2})[^<]*<\/v>/.exec(inner);
      if (day === null) return whole;
      const ref = CELL_PLACE.exec(before + after);
      if (ref !== null) isoDate?.(ref[1] ?? ref[2]!);
      return `<c${before} t="str"${after}>${inner.replace(/<v>[^<]*<\/v>/, `<v>${day[1]}</v>`)}</c>`;
    });
  }
  // After the error and ISO date rewrites: what is left is read by exceljs's own rules.
  if (out.includes('<v')) out = fixNumbers(out, badNumber);
  return out;
}

const NUMBER_FORMAT = /(<numFmt\b[^>]*?\sformatCode=")([^"]*)"/g;
const QUOTE = '&quot;';

/**
 * styles.xml with each backslash-escaped character of a number format (`\D`) written as quoted
 * text (`"D"`), which means the same to Excel (ECMA-376 Part 1, 18.8.31) and survives exceljs,
 * which drops the backslashes as it reads a format. In the attribute a quote is `&quot;`;
 * inside quoted text a backslash is plain text and stays.
 */
export function quoteEscapes(xml: string): string {
  if (!xml.includes('\\')) return xml;
  return xml.replace(NUMBER_FORMAT, (whole, open: string, code: string) => {
    if (!code.includes('\\')) return whole;
    let out = '';
    let quoted = false;
    for (let i = 0; i < code.length; ) {
      if (code.startsWith(QUOTE, i)) {
        quoted = !quoted;
        out += QUOTE;
        i += QUOTE.length;
        continue;
      }
      if (!quoted && code[i] === '\\' && i + 1 < code.length) {
        // The escaped character, or entity (`\&amp;`); an escaped quote is left to exceljs.
        const entity = code[i + 1] === '&' ? /^&[^;]*;/.exec(code.slice(i + 1))?.[0] : undefined;
        const ch = entity ?? String.fromCodePoint(code.codePointAt(i + 1)!);
        out += ch === QUOTE ? `\\${ch}` : `${QUOTE}${ch}${QUOTE}`;
        i += 1 + ch.length;
        continue;
      }
      out += code[i];
      i++;
    }
    return `${open}${out}"`;
  });
}

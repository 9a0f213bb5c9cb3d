/**
 * An Excel workbook (.xlsx) → flat records, read as a stream with exceljs's WorkbookReader:
 * rows come out one at a time and are dropped once handed on (the zip's shared-string table
 * is the only thing held whole, as every xlsx reader must).
 *
 * Cells are read by their type, not by how they are displayed: a date cell is a date whatever
 * its display format (`2025-03-04`), a whole number is written plainly (`77812`, never
 * `77812.0` or `7.7812E4`), a money amount stored as a binary float is taken at the currency's
 * minor units where its extra decimals are binary noise only (else refused, as in CSV), a
 * formula by its cached value. Records are keyed like a CSV's (the header row, trimmed, lower-cased), or go
 * through a `--mapping` profile with number and date cells already canonical (no dialect
 * applies to them). Rows are the sheet's own row numbers, and the source is `file:sheet`, so a
 * problem reads `book.xlsx:Invoices!12` — the cell a person finds in Excel.
 */
import { formatLimit, MAX_CELL_CHARS } from './limits.js';
import { createRequire } from 'node:module';
import { Readable, type Duplex } from 'node:stream';
import { fileSignature, OLE2_SIGNATURE, signatureOf, startsWith, ZIP_SIGNATURE } from './decode.js';
import type ExcelJS from 'exceljs';
import { Decimal } from 'decimal.js';
import { COLUMN_KIND, namedList, quote } from '../domain/cells.js';
import { KEY_COLUMNS, MAX_AMOUNT_DIGITS } from '../domain/values.js';
import { cutLongTexts, fixSheetCells, MAX_TEXT_BYTES, quoteEscapes, sharedStringsReader, watchSheetData, WorkbookRefused, type SheetMarks } from './xlsx-strings.js';
import { workbookPartsReader } from './xlsx-zip.js';
import { minorUnits } from '../domain/currencies.js';
import { canonicalHeaderName, isCanonicalColumn, type CanonicalColumn } from '../domain/columns.js';
import { isSecondHeader, secondHeaderMessage, TitleHold, titleMessage, type NoTitle } from './titles.js';
import { problem, type Problem } from '../domain/problem.js';
import type { InputEvent } from './event.js';
import type { SourceRecord } from './record.js';
import { canonicalByHeader, headerKey } from './mapping/names.js';
import type { MappingProfile } from './mapping/profile.js';
import { RecordMapper } from './mapping/transform.js';

export interface WorkbookOptions {
  /** The sheet to read (`--sheet`, or the profile's `xlsx.sheet`); the first when absent. */
  sheet?: string | undefined;
  mapping?: MappingProfile | undefined;
  /**
   * Told the header's columns (canonical names where known) once it is read. Records carry no
   * cells by position, so the grouper uses it only for a sheet with no row under its header.
   */
  onColumns?: ((file: string, columns: readonly string[]) => void) | undefined;
}

/** A number format that shows a percentage (a `%` outside quotes and escapes: `0"%"` shows the number). */
export const isPercentFormat = (numFmt: string | undefined): boolean => numFmt !== undefined && numFmt.replace(/"[^"]*"/g, '').replace(/\\./g, '').includes('%');

/** The provenance name of a sheet: `book.xlsx:Invoices` (a row's place then reads `book.xlsx:Invoices!12`, record.ts `placeOf`). */
export const sheetSource = (file: string, sheet: string): string => `${file}:${sheet}`;


/** Rows handed on per batch (the CSV reader yields a chunk's worth at a time too). */
const BATCH_ROWS = 500;

/** A cell as read: its text, and whether it was a number or date cell (no dialect applies). */
export interface Cell {
  text: string;
  native: boolean;
  /** The number, for a non-integer number cell: a money column rounds it to minor units. */
  float?: number | undefined;
}

/** A row before the header, held in case it is a title (input/titles.ts). */
interface SheetRow {
  cells: (Cell | undefined)[];
  problems: Problem[];
  /** Excel does not show it (hidden, or filtered out). */
  hidden: boolean;
  /** The text of cells refused and left out (`refusedText`), by column. */
  refused?: Map<number, string> | undefined;
}

type CellValue = ExcelJS.CellValue;

/**
 * Whether a number format shows a date: it has day, month, year, hour or second placeholders
 * outside quoted text, `[...]` sections (colours, locales, elapsed time) and escaped characters.
 */
export function isDateFormat(format: string | undefined): boolean {
  if (format === undefined || format === '') return false;
  const bare = format.replace(/"[^"]*"/g, '').replace(/\[[^\]]*\]/g, '').replace(/\\./g, '').replace(/_.|\*./g, '');
  return /[dmyhs]/i.test(bare) && !/^general$/i.test(bare.trim());
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** A date as `YYYY-MM-DD`; exceljs makes dates at UTC midnight (the time of day is dropped). */
const isoDate = (d: Date): string => `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/**
 * A refused cell's value as a person reads it in the sheet, for the rejects file: a number's
 * digits, a date's day, an error's `#DIV/0!`, a formula's result; a text too long to read, or a
 * formula with no result, has none.
 */
function refusedText(value: CellValue): string | undefined {
  if (typeof value === 'string') return value.length > MAX_CELL_CHARS ? undefined : value;
  if (typeof value === 'number') return Number.isFinite(value) ? numberText(value) : undefined;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : isoDate(value);
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as unknown as Record<string, unknown>;
  if ('error' in v) return String(v.error);
  if ('result' in v) return refusedText(v.result as CellValue);
  return undefined;
}

/** The text of an ISO date cell's day as a date; a day that is no real date (`2025-02-30`) stays text, and is refused as such. */
function isoDay(value: CellValue): CellValue {
  if (typeof value !== 'string') return value;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && isoDate(d) === value ? d : value;
}

/** First bytes that are text: printable ASCII, line breaks, tabs, a UTF-8 byte-order mark or bytes of UTF-8 characters. */
function looksLikeText(head: Uint8Array): boolean {
  for (const b of head) if (b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f) return false;
  return true;
}

/**
 * An Excel serial day number as a date: a formula's cached date. The 1970-01-01 epoch is day 25569
 * in the 1900 date system and day 24107 in the 1904 one a workbook may use instead (ECMA-376
 * Part 1, 18.17.4.1, `workbookPr date1904`): read in the wrong one, a date is 4 years and a day off.
 */
const serialDate = (serial: number, date1904: boolean): Date => new Date(Math.round((serial - (date1904 ? 24107 : 25569)) * 86400000));

/** Whole numbers read as Excel day numbers in a date column: 1954-10-03 to 2119-01-10 in the 1900 date system. */
const SERIAL_DAYS = { from: 20_000, to: 80_000 };

/** What exceljs's stream reader knows of the workbook once `xl/workbook.xml` is read: its sheets in tab order, and its date system. */
interface WorkbookModel {
  model?: { sheets?: { name?: string; state?: string }[] };
  properties?: { model?: { date1904?: boolean } };
}

/** A sheet Excel does not show as a tab (`state` hidden or veryHidden, ECMA-376 Part 1, 18.2.19). */
const hiddenSheet = (state: string | undefined): boolean => state === 'hidden' || state === 'veryHidden';

/** The significant digits Excel keeps of a typed number (isFloatNoise). */
const TYPED_DIGITS = 15;

/**
 * Whether an amount stored as a double (shortest decimal form `exact`) is the amount `rounded`,
 * of `places` decimals (the currency's), but for binary arithmetic. Both must hold:
 *
 * - `exact` has 16 significant digits or more. Excel keeps 15 significant digits of what is typed
 *   (https://learn.microsoft.com/en-us/office/troubleshoot/excel/floating-point-arithmetic-inaccurate-result),
 *   and any decimal of 15 digits survives a round trip through a double: a typed constant reads
 *   back in 15 or fewer (19.990001, 0.00001, 1000.001 JPY). It is what someone typed, never
 *   noise, and left for `too_many_decimals` as CSV refuses it; only arithmetic leaves a 16th or
 *   17th digit (0.30000000000000004, 999.9999999999999). (A sum whose error lands on a double of
 *   15 digits, rare, reads as typed and is refused: =ROUND(…) in the sheet reads.)
 * - it differs from `rounded` by a thousandth of a minor unit at most (0.00001 in USD). Absolute,
 *   tied to the currency, not to the result's own precision: a subtraction's near-zero result
 *   (1234.56 − 1234.55 is 0.009999999999990905) carries the error of its operands, and a sum's
 *   error grows with its terms — at most n·ε·Σ|x| for n terms (Higham, "Accuracy and Stability
 *   of Numerical Algorithms", 4.2; ε = 2^-53), about 2·10^-6 for 1,000 amounts of 20,000, in
 *   practice far less (`=SUM` of 1,000 INR lines stored 10289958.739999983). A formula's extra
 *   decimal (=19.99+0.005) is a tenth of a minor unit or more away: far above it, refused.
 */
export function isFloatNoise(exact: Decimal, rounded: Decimal, places: number): boolean {
  return exact.precision() >= TYPED_DIGITS + 1 && exact.minus(rounded).abs().lte(new Decimal(10).pow(-places - 3));
}

/**
 * A number cell as plain decimal text: an integer exactly (a float that is a whole number is
 * exactly that integer), anything else by the shortest text that reads back as the same float
 * (what Excel shows at full precision), never in exponent form.
 */
export function numberText(n: number): string {
  if (Number.isInteger(n)) return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
  return new Decimal(String(n)).toFixed();
}

/**
 * The warning for data rows Excel does not show. A person who hid or filtered out rows may take
 * them for left out; the loader reads the file, not the view, so they are loaded: said once,
 * with the rows as ranges (`5–9 and 14`).
 */
export function hiddenMessage(rows: readonly number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < rows.length; ) {
    let j = i;
    while (j + 1 < rows.length && rows[j + 1] === rows[j]! + 1) j++;
    ranges.push(j > i ? `${rows[i]}–${rows[j]}` : `${rows[i]}`);
    i = j + 1;
  }
  const n = rows.length;
  const listed = ranges.length > 1 && ranges.length <= 20 ? `${ranges.slice(0, -1).join(', ')} and ${ranges.at(-1)}` : namedList(ranges, 20);
  return (
    `${n === 1 ? 'row' : 'rows'} ${listed} ${n === 1 ? 'is' : 'are'} hidden in the sheet (with Hide, or by a filter); ` +
    `${n === 1 ? 'it is' : 'they are'} read and loaded like the others: delete ${n === 1 ? 'it' : 'them'} from the file if ${n === 1 ? 'it is' : 'they are'} not to be loaded`
  );
}

/**
 * The warning for merged cells that span rows under the header in a column that is read. A
 * merged cell keeps its value in its first cell only (ECMA-376 Part 1, 18.3.1.55): the rows
 * below read the column as empty, though the sheet shows the value beside them — a fund code
 * merged over three lines is a missing fund on two. Said once per sheet, with the ranges.
 */
export function mergedMessage(refs: readonly string[], headerRow: number, names: readonly string[]): { row: number; message: string } | undefined {
  const ranges: string[] = [];
  const columns = new Set<string>();
  let first = Infinity;
  for (const ref of refs) {
    const m = /^([A-Z]+)(\d+):([A-Z]+)(\d+)$/.exec(ref);
    if (m === null) continue;
    const [top, bottom] = [Number(m[2]), Number(m[4])];
    if (bottom <= top || bottom <= headerRow) continue;
    const read: string[] = [];
    for (let col = columnIndex(m[1]!); col <= columnIndex(m[3]!); col++) if (names[col] !== undefined && names[col] !== '') read.push(names[col]!);
    if (read.length === 0) continue;
    ranges.push(ref);
    for (const name of read) columns.add(name);
    first = Math.min(first, Math.max(top + 1, headerRow + 1));
  }
  if (ranges.length === 0) return undefined;
  const listed = namedList(ranges, 10);
  const cols = [...columns].join(', ');
  return {
    row: first,
    message:
      `cells ${listed} are merged${ranges.length === 1 ? '' : ', each'} over several rows: a merged cell keeps its value in its first row only, ` +
      `so the rows below it read ${columns.size === 1 ? `the column ${cols}` : `the columns ${cols}`} as empty; unmerge the cells and fill the value into each row`,
  };
}

const columnIndex = (letters: string): number => [...letters].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);

type StreamReaderClass = typeof ExcelJS.stream.xlsx.WorkbookReader;

/**
 * The rows under a sheet's header when its first row with something in it is a batch's header
 * (two column names at least, every cell one: the canonical layout's, or the profile's, with
 * invoice_number among them); else 0. A notes or look-up sheet is no batch: a summary's "Vendor,
 * Currency, Total Amount" or a fund list's "Fund Code, Fund Percent" names columns, but no
 * invoice (its rows could not be grouped, group.ts KEY_COLUMNS), as README "Excel workbooks"
 * says. Reads the sheet to its end, as a skipped sheet must be.
 */
async function batchRows(sheet: AsyncIterable<ExcelJS.Row>, mapping: MappingProfile | undefined): Promise<number> {
  let header: boolean | undefined;
  let rows = 0;
  const column = (cell: string): string | undefined => (mapping !== undefined ? mapping.columns.get(headerKey(cell))?.column : canonicalHeaderName(cell));
  const known = (cell: string): boolean => (mapping !== undefined ? mapping.columns.has(headerKey(cell)) : isCanonicalColumn(canonicalHeaderName(cell)));
  // A profile may give the invoice number as a constant (a file of one invoice).
  const numbered = (texts: string[]): boolean =>
    mapping?.constants.has('invoice_number') === true || mapping?.defaults.has('invoice_number') === true || texts.some((t) => t.trim() !== '' && column(t) === 'invoice_number');
  for await (const row of sheet) {
    const texts: string[] = [];
    row.eachCell({ includeEmpty: false }, (cell) => {
      const v = cell.value;
      texts.push(typeof v === 'string' ? v : v === null || v === undefined ? '' : typeof v === 'object' && !(v instanceof Date) ? '\u0000' : String(v));
    });
    if (texts.every((t) => t.trim() === '')) continue;
    if (header === undefined) header = isSecondHeader(texts, known) && numbered(texts);
    else if (header) rows++;
  }
  return rows;
}

/** For each of exceljs's sheet readers, what its sheet's XML marked (hidden rows, merged ranges). */
const SHEET_MARKS = new WeakMap<object, SheetMarks>();
let readerClass: StreamReaderClass | undefined;

/**
 * exceljs's stream reader, with the shared strings read by xlsx-strings.ts (exceljs kept an
 * item's last `<t>`: a Japanese cell's phonetic reading instead of its text) and each sheet's XML
 * mended before it parses it (see below). Made once.
 */
export async function workbookReaderClass(excel: typeof ExcelJS): Promise<StreamReaderClass> {
  if (readerClass !== undefined) return readerClass;
  const [{ default: parseSax }, { default: iterateStream }, { default: builtIn }] = await Promise.all([
    import('exceljs/lib/utils/parse-sax.js'),
    import('exceljs/lib/utils/iterate-stream.js'),
    import('exceljs/lib/xlsx/defaultnumformats.js'),
  ]);
  // The built-in date formats of East Asian and Thai Excel (ECMA-376 Part 1, 18.8.30: ids 27–36
  // and 50–58, and 81) are written by id alone, without their code; exceljs knows their codes by
  // locale only, so a date cell in one was read as its serial number ("45720", not a date). Any
  // locale's code will do: only whether it is a date is asked of it.
  for (const id of [27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 50, 51, 52, 53, 54, 55, 56, 57, 58, 81]) {
    const known = builtIn[id];
    if (known !== undefined && known.f === undefined) known.f = known['ja-jp'] ?? known['th-th'];
  }
  class Reader extends excel.stream.xlsx.WorkbookReader {}
  const define = (name: string, value: unknown): void => void Object.defineProperty(Reader.prototype, name, { value, writable: true, configurable: true });
  // The zip read to its last entry (xlsx-zip.ts): exceljs's own loop lost the entries its zip
  // reader had parsed ahead when that reader said it had ended, xl/workbook.xml among them.
  // unzipper and tmp are exceljs's dependencies, loaded as exceljs loads them.
  const fromExceljs = createRequire(createRequire(import.meta.url).resolve('exceljs'));
  const unzipper = fromExceljs('unzipper') as { Parse: (opts: { forceStream: boolean }) => Duplex };
  const tmp = fromExceljs('tmp') as { file: Parameters<typeof workbookPartsReader>[2] };
  define('parse', workbookPartsReader((opts) => unzipper.Parse(opts), iterateStream, (cb) => tmp.file(cb)));
  define('_parseSharedStrings', sharedStringsReader(parseSax, iterateStream));
  // The number formats with their escaped characters quoted (xlsx-strings.ts quoteEscapes):
  // exceljs drops the backslashes as it reads them, and then takes `#,##0.00\ \D\M` (an amount
  // in Deutsche Mark) for a date format — the amount 12.5 was read as 1900-01-11. The styles
  // part is small (kilobytes): read whole.
  const parseStyles = (excel.stream.xlsx.WorkbookReader.prototype as unknown as { _parseStyles: (entry: unknown) => Promise<void> })._parseStyles;
  define('_parseStyles', async function (this: unknown, entry: AsyncIterable<Uint8Array>) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of entry) chunks.push(chunk);
    return parseStyles.call(this, Readable.from([quoteEscapes(Buffer.concat(chunks).toString('utf8'))]));
  });
  // A sheet's XML the same way: one UTF-8 stream (a character split between chunks of a formula's
  // saved text was two U+FFFD), one text at most MAX_TEXT_BYTES; and its inline rich text and ISO
  // date cells rewritten into what exceljs reads right (xlsx-strings.ts fixSheetCells).
  const parseWorksheet = (excel.stream.xlsx.WorkbookReader.prototype as unknown as { _parseWorksheet: (iterator: unknown, sheetNo: unknown) => unknown })._parseWorksheet;
  define('_parseWorksheet', function* (this: object, iterator: AsyncIterable<unknown>, sheetNo: unknown) {
    const marks: SheetMarks = { hidden: new Set(), merged: [], isoDates: new Set(), badNumbers: new Map() };
    // Kept with the sheet reader it yields: `sheetNo` is the part's file number (sheet2.xml),
    // which after sheets are moved or deleted is not the `sheetId` the reader is then given.
    for (const event of parseWorksheet.call(this, fixSheetCells(watchSheetData(cutLongTexts(iterator, MAX_TEXT_BYTES), marks), marks), sheetNo) as Iterable<{ value?: unknown }>) {
      if (typeof event.value === 'object' && event.value !== null) SHEET_MARKS.set(event.value, marks);
      yield event;
    }
  });
  readerClass = Reader;
  return Reader;
}

export class WorkbookReader {
  readonly out: InputEvent[] = [];
  private file: string;
  /** Lower-cased header names by column (1-based, as exceljs numbers them); '' = not read. */
  private names: string[] | undefined;
  /** Canonical column of each header column, for money rounding and the currency look-up. */
  private kinds: (CanonicalColumn | undefined)[] = [];
  private currencyCol = 0;
  private vendorCol = 0;
  private numberCol = 0;
  /** Each invoice's currency as first seen (rows of one invoice may leave it empty). */
  private readonly currencies = new Map<string, string>();
  private mapper: RecordMapper | undefined;
  private skip: number;
  private headerRow = 1;
  /** Rows before the header that may be a title (input/titles.ts). */
  private readonly titles: TitleHold<SheetRow>;
  /** Data rows Excel does not show, in order. */
  private readonly hidden: number[] = [];
  /** The chosen sheet's merged ranges (filled as the sheet is read: they follow its rows). */
  private merged: string[] = [];
  /** Columns whose header repeats an earlier name (`duplicate_column`, said once on the header). */
  private readonly duplicateCols = new Set<number>();
  /** The workbook could not be read to its end (one `invalid_workbook` said so): no "the sheet is empty" after it. */
  private failed = false;
  /** Whether a trimmed, lower-cased cell names a column (the header's, the profile's or a canonical one): a second header. */
  private knownName: (cell: string) => boolean = () => false;
  /** The workbook counts days from 1904 (`workbookPr date1904`), for formulas' cached dates. */
  private date1904 = false;

  constructor(
    private readonly path: string,
    private readonly opts: WorkbookOptions,
  ) {
    this.file = path;
    this.skip = opts.mapping?.xlsx.skipRows ?? 0;
    this.titles = new TitleHold(opts.mapping === undefined);
  }

  /** Reads the workbook from `bytes`, yielding events a batch of rows at a time. */
  async *read(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<InputEvent[], void, undefined> {
    let rows = 0;
    for await (const r of this.rows(bytes)) {
      if (r.sheet !== undefined) {
        this.file = sheetSource(this.path, r.sheet);
        if (this.opts.mapping !== undefined) this.mapper = new RecordMapper(this.opts.mapping, this.file, this.out, 'columns', true);
        continue;
      }
      this.row(r.row, { cells: r.cells, problems: r.problems, hidden: r.hidden, refused: r.refused });
      if (++rows % BATCH_ROWS === 0 && this.out.length > 0) {
        yield this.out;
        this.out.length = 0;
      }
    }
    // Only title-like rows: the first was the header after all (a sheet without rows).
    const held = this.titles.end();
    if (held !== undefined) this.readHeld(held);
    if (this.names === undefined && this.file !== this.path && !this.failed) {
      this.out.push({ kind: 'problem', problem: problem({ file: this.file }, 'empty_file', 'the sheet is empty') });
    }
    if (this.hidden.length > 0) this.out.push({ kind: 'problem', problem: this.problem(this.hidden[0], 'hidden_rows', hiddenMessage(this.hidden), undefined, 'warning') });
    const merged = this.names !== undefined ? mergedMessage(this.merged, this.headerRow, this.names) : undefined;
    if (merged !== undefined) this.out.push({ kind: 'problem', problem: this.problem(merged.row, 'merged_cells', merged.message, undefined, 'warning') });
    if (this.out.length > 0) yield this.out;
  }

  /**
   * The chosen sheet's rows with something in them, as typed cells (1-based columns), after one
   * `{sheet}` naming it. A workbook that cannot be read, or has no such sheet, is a problem in `out`.
   */
  async *rows(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<{ sheet: string } | ({ sheet?: undefined; row: number } & SheetRow), void, undefined> {
    const wanted = this.opts.sheet ?? this.opts.mapping?.xlsx.sheet;
    // Loaded on first use: a CSV run does not pay for the library's start-up.
    const { default: excel } = await import('exceljs');
    const Reader = await workbookReaderClass(excel);
    // The first bytes, to say what a file that is not a workbook is (decode.ts fileSignature).
    let head: Uint8Array | undefined;
    // A read error of the file is no fault of the workbook: thrown, as a CSV file's is.
    let readError: { err: unknown } | undefined;
    const tapped = Readable.from(
      (async function* () {
        try {
          for await (const chunk of bytes) {
            head ??= chunk.subarray(0, 128); // an OpenDocument file's type is at byte 38 on (decode.ts)
            yield chunk;
          }
        } catch (err) {
          readError = { err };
          throw err;
        }
      })(),
      { objectMode: false },
    );
    const reader = new Reader(tapped, {
      sharedStrings: 'cache',
      styles: 'cache',
      worksheets: 'emit',
      hyperlinks: 'ignore',
      entries: 'ignore',
    });
    const seen: string[] = [];
    const mapping = this.opts.mapping;
    /** Sheets not read that hold a batch's rows, with how many. */
    const unread: { name: string; rows: number }[] = [];
    let chosenName: string | undefined;
    let found = false;
    // Without --sheet: the first tab a person sees — the first sheet in the workbook's own order
    // that is not hidden — whatever order the file stores the sheets in.
    let first: string | undefined;
    // The chosen sheet's last row read, while it is read: a workbook that fails after it says where.
    let readTo: number | undefined;
    try {
      for await (const sheet of reader) {
        const { name, state } = sheet as unknown as { name: string; state?: string };
        const book = reader as unknown as WorkbookModel;
        this.date1904 = book.properties?.model?.date1904 === true;
        first ??= book.model?.sheets?.find((s) => !hiddenSheet(s.state))?.name;
        seen.push(name);
        // Excel keeps sheet names unique without regard to case, and finds them so: `--sheet invoices` is "Invoices".
        const chosen = wanted !== undefined ? name.toLowerCase() === wanted.toLowerCase() : first !== undefined ? name === first : !hiddenSheet(state);
        if (found || !chosen) {
          // A sheet we skip is still read through: when the workbook stores its shared strings
          // after the sheets, exceljs parks each sheet in a temporary file and deletes it once we
          // move on, and a sheet left unread then fails to open that file (ENOENT) with no one
          // listening, which ends the process.
          // Without --sheet, a visible sheet laid out as a batch (a header of column names, rows
          // under it) is said to be unread: a workbook of a month per sheet loaded only its first.
          if (wanted === undefined && !hiddenSheet(state)) {
            const rows = await batchRows(sheet as unknown as AsyncIterable<ExcelJS.Row>, mapping);
            if (rows > 0) unread.push({ name, rows });
            continue;
          }
          for await (const _ of sheet) void _;
          continue;
        }
        found = true;
        chosenName = name;
        yield { sheet: name };
        const marks = SHEET_MARKS.get(sheet as object);
        const hidden = marks?.hidden;
        const isoDates = marks?.isoDates;
        const badNumbers = marks?.badNumbers;
        this.merged = marks?.merged ?? [];
        readTo = 0;
        for await (const row of sheet) {
          readTo = row.number;
          const cells: (Cell | undefined)[] = [];
          const problems: Problem[] = [];
          let refused: Map<number, string> | undefined;
          let filled = 0;
          row.eachCell({ includeEmpty: false }, (cell, col) => {
            // An ISO 8601 date cell comes as the text of its day (xlsx-strings.ts fixCells): it is
            // a date cell, read as one (no mapping profile's date format applies to it).
            const iso = isoDates !== undefined && isoDates.size > 0 && isoDates.delete(cell.address);
            const had = problems.length;
            // A number cell whose saved value is no number comes as its text (xlsx-strings.ts fixCells): refused.
            const bad = badNumbers !== undefined && badNumbers.size > 0 ? badNumbers.get(cell.address) : undefined;
            if (bad !== undefined) badNumbers!.delete(cell.address);
            const c = bad !== undefined ? this.badNumber(bad, row.number, col, problems) : this.cell(iso ? isoDay(cell.value) : cell.value, cell.numFmt, row.number, col, problems);
            if (c !== undefined && c.text.trim() !== '') {
              cells[col] = c;
              filled++;
            } else if (c === undefined && problems.length > had) {
              const text = refusedText(cell.value);
              if (text !== undefined) (refused ??= new Map()).set(col, text);
            }
          });
          if (filled > 0 || problems.length > 0) yield { row: row.number, cells, problems, hidden: hidden?.has(row.number) === true, refused };
        }
        // Its XML ended inside its rows (`watchSheetData`): not read whole, as a sheet the reader
        // fails on part-way (below), though the library read to the end without a word.
        if (marks?.cut === true) {
          throw new WorkbookRefused(
            'the sheet\'s XML ends inside its rows (its <sheetData> is never closed): the workbook looks cut short or damaged (was it written by a program that stopped part-way?); open it in Excel and save it again, or give the whole file',
          );
        }
        readTo = undefined;
      }
    } catch (err) {
      if (readError !== undefined) throw readError.err;
      // A file that is not a workbook (or a damaged one): one problem for the file, like bad CSV.
      const reason = notAWorkbook(head, err) ?? unreadable(err);
      // Failed part-way through the sheet read (damaged XML or bytes after some rows): said where,
      // as a CSV's fatal syntax error says its line. The rows before it were read, and the file's
      // problem stops the whole batch (plan.ts batchStoppers), so none of its invoices is loaded
      // with some of its lines missing.
      const message =
        readTo !== undefined && readTo > 0 && chosenName !== undefined
          ? `the sheet "${chosenName}" could not be read past row ${readTo}, and the rows after it are not read: ${reason}`
          : reason;
      this.failed = true;
      // The rows read are the chosen sheet's (`sheetSource`): its invoices are the ones held back.
      this.out.push({ kind: 'problem', problem: problem({ file: this.path }, 'invalid_workbook', message), partial: true, ...(this.file !== this.path ? { refuses: this.file } : {}) });
      return;
    }
    if (found && unread.length > 0) {
      const listed = namedList(unread.map((u) => `"${u.name}" (${u.rows} ${u.rows === 1 ? 'row' : 'rows'})`), 10);
      const message =
        `only the first sheet, "${chosenName}", is read; ${unread.length === 1 ? 'the sheet' : 'the sheets'} ${listed} ${unread.length === 1 ? 'holds' : 'hold'} invoice rows too, and ${unread.length === 1 ? 'is' : 'are'} not read: ` +
        `load ${unread.length === 1 ? 'it' : 'each'} with --sheet "${unread[0]!.name}" (one sheet a run)`;
      this.out.push({ kind: 'problem', problem: problem({ file: this.path }, 'unread_sheets', message, { severity: 'warning' }) });
    }
    if (!found) {
      // A zip that is another kind of document (an .ods named .xlsx) has no sheets Excel's way.
      const other = seen.length === 0 && head !== undefined ? signatureOf(head) : undefined;
      if (other !== undefined && other.kind !== 'zip') {
        this.out.push({ kind: 'problem', problem: problem({ file: this.path }, 'unsupported_format', other.message) });
        return;
      }
      const message =
        wanted !== undefined
          ? `the workbook has no sheet named "${wanted}"; its sheets are ${seen.map((s) => `"${s}"`).join(', ') || 'none'}`
          : 'the workbook has no sheets';
      this.out.push({ kind: 'problem', problem: problem({ file: this.path }, 'sheet_not_found', message) });
    }
  }

  private problem(row: number | undefined, code: string, message: string, column?: string, severity: 'error' | 'warning' = 'error'): Problem {
    return problem({ file: this.file, row }, code, message, { column, severity });
  }

  private row(r: number, line: SheetRow): void {
    if (this.names === undefined) {
      if (this.skip > 0) {
        this.skip--;
        return;
      }
      // A title above the header (input/titles.ts), without a profile: a profile says where
      // its header is (`xlsx.skip_rows`).
      const texts = Array.from(line.cells, (c) => c?.text ?? ''); // every column, the holes of a sparse row too
      const step = this.titles.offer(r, line, texts);
      if (step.kind === 'held') return;
      if (step.kind === 'header') {
        if (step.skipped !== undefined) this.out.push({ kind: 'problem', problem: this.problem(step.skipped.first, 'title_rows', titleMessage('row', step.skipped, r), undefined, 'warning') });
        this.header(line.cells, r);
        return;
      }
      this.readHeld(step);
    }
    this.data(r, line);
  }

  /** Rows held as a title were the header and rows after all: read them so, in order. */
  private readHeld({ header, rows }: NoTitle<SheetRow>): void {
    this.header(header.line.cells, header.row);
    for (const h of rows) this.data(h.row, h.line);
  }

  /** A row after the header. */
  private data(r: number, { cells, problems, hidden, refused: refusedCols }: SheetRow): void {
    // Read like any other (the file is what is loaded), and named in one warning at the end.
    if (hidden) this.hidden.push(r);
    const names = this.names!;
    // Two sheets' rows pasted one under the other bring the second one's header along: a row of
    // column names (titles.ts isSecondHeader). The header's own names in its order are read
    // right whatever follows (a warning, as CSV's repeated_header); in another order, an error
    // for the sheet: the rows under it would be read in the first header's columns.
    const texts = Array.from(cells, (c) => (c === undefined || c.native ? '' : c.text));
    if (isSecondHeader(texts, this.knownName)) {
      const key = (t: string) => (this.opts.mapping !== undefined ? t.trim().toLowerCase() : canonicalHeaderName(t));
      if (texts.every((t, col) => t.trim() === '' || key(t) === names[col]?.toLowerCase())) {
        this.out.push({ kind: 'problem', problem: this.problem(r, 'repeated_header', `this row repeats the header (row ${this.headerRow}), as when two sheets are joined into one; it is not read`, undefined, 'warning') });
      } else this.out.push({ kind: 'problem', problem: this.problem(r, 'second_header', secondHeaderMessage('row', this.headerRow)) });
      return;
    }
    const fields: Record<string, string | undefined> = {};
    const native = new Set<string>();
    for (let col = 1; col < cells.length; col++) {
      const c = cells[col];
      if (c === undefined) continue;
      const name = names[col];
      if (name === undefined) {
        this.out.push({ kind: 'problem', problem: this.problem(r, 'extra_cells', `this row has a value in column ${col} but the header (row ${this.headerRow}) has ${names.length - 1} columns; it is not read`) });
        continue;
      }
      if (name === '') {
        // A second column of a name was reported once, on the header; its cells are not read.
        if (this.duplicateCols.has(col)) continue;
        this.out.push({ kind: 'problem', problem: this.problem(r, 'blank_column', `column ${col} has no name in the header (row ${this.headerRow}) but this row has a value under it; name the column or delete its values`) });
        continue;
      }
      fields[name] = c.text;
      if (c.native) native.add(name);
    }
    // A refused cell's text, by canonical column, for the rejects file (SourceRecord.refused).
    let refused: Record<string, string> | undefined;
    for (const [col, text] of refusedCols ?? []) {
      const column = this.kinds[col];
      if (column !== undefined) (refused ??= {})[column] = text;
    }
    this.roundMoney(cells, fields, problems, r, (column, text) => ((refused ??= {})[column] = text));
    const source = { file: this.file, row: r };
    if (this.mapper !== undefined) {
      this.mapper.map({ source, fields, native, ...(problems.length > 0 ? { problems } : {}), ...(refused !== undefined ? { refused } : {}) });
      return;
    }
    const record: SourceRecord = problems.length > 0 ? { source, fields, problems } : { source, fields };
    if (refused !== undefined) record.refused = refused;
    this.out.push({ kind: 'record', record });
  }

  private header(cells: (Cell | undefined)[], row: number): void {
    this.headerRow = row;
    const names: string[] = [];
    const firstAt = new Map<string, number>();
    const mapping = this.opts.mapping;
    for (let col = 1; col < cells.length; col++) {
      const name = (cells[col]?.text ?? '').trim();
      // Under a profile, records keep the vendor's header (the profile renames); else lower-cased, as CSV.
      const key = mapping !== undefined ? name : canonicalHeaderName(name);
      names[col] = key === '__proto__' ? '' : key;
      if (key === '') continue;
      const first = firstAt.get(key.toLowerCase());
      if (first !== undefined) {
        names[col] = '';
        this.duplicateCols.add(col);
        const [a, b] = [(cells[first]?.text ?? '').trim(), name];
        this.out.push({ kind: 'problem', problem: this.problem(row, 'duplicate_column', `column '${key}' appears twice in the header (columns ${first} and ${col}${a.toLowerCase() !== b.toLowerCase() ? `, written "${a}" and "${b}"` : ''})`, key) });
        continue;
      }
      firstAt.set(key.toLowerCase(), col);
      const canonical = mapping !== undefined ? (mapping.columns.get(headerKey(key))?.column ?? canonicalByHeader(key)) : isCanonicalColumn(key) ? key : undefined;
      this.kinds[col] = canonical;
      if (canonical === 'currency') this.currencyCol = col;
      else if (canonical === 'vendor') this.vendorCol = col;
      else if (canonical === 'invoice_number') this.numberCol = col;
    }
    const known = new Set(names.filter((n) => n !== '').map((n) => n.toLowerCase()));
    this.knownName = (cell) => known.has(cell) || (mapping !== undefined ? mapping.columns.has(headerKey(cell)) : isCanonicalColumn(canonicalHeaderName(cell)) || known.has(canonicalHeaderName(cell)));
    // A header of width 0 still marks the header as read.
    if (names.length === 0) names[0] = '';
    this.names = names;
    this.opts.onColumns?.(this.file, names.slice(1).map((n, i) => this.kinds[i + 1] ?? n));
    // Records leave empty cells out: the profile's columns are checked against the header.
    this.mapper?.header(names.filter((n) => n !== ''));
  }

  /**
   * Money cells stored as binary floats whose shortest decimal form has more places than the
   * currency only because of binary arithmetic (a formula's 59.970000000000006, 0.1+0.2's
   * 0.30000000000000004, a subtraction's 0.009999999999990905: isFloatNoise) taken at the currency's minor units: the row's currency, else the
   * invoice's as first seen, else the profile's constant or default, else 2 places. Any other
   * amount with more places (19.995 USD, 1000.4 JPY) is left as it is, and refused as CSV refuses
   * it (`too_many_decimals`, domain/findings.ts): rounding it loaded an amount no one typed.
   * One stored with more significant digits than anyone can type into Excel (15) is a formula's
   * full result (`=189.95/3` is 63.31666666666666, shown as 63.32): refused here, with words for
   * it, as the domain only knows its digit count (values.ts amountDigitsError).
   */
  private roundMoney(cells: (Cell | undefined)[], fields: Record<string, string | undefined>, problems: Problem[], row: number, refuse: (column: string, text: string) => void): void {
    const text = (col: number): string => (col > 0 ? (cells[col]?.text.trim() ?? '') : '');
    const key = `${text(this.vendorCol)}\u0000${text(this.numberCol)}`;
    let currency = text(this.currencyCol).toUpperCase();
    if (currency !== '') {
      if (!this.currencies.has(key)) this.currencies.set(key, currency);
    } else currency = this.currencies.get(key) ?? this.opts.mapping?.constants.get('currency') ?? this.opts.mapping?.defaults.get('currency') ?? '';
    const places = minorUnits(currency) ?? 2;
    const names = this.names!;
    for (let col = 1; col < cells.length; col++) {
      const c = cells[col];
      const column = this.kinds[col];
      if (c?.float === undefined || column === undefined || COLUMN_KIND[column] !== 'money') continue;
      const exact = new Decimal(c.text);
      if (exact.decimalPlaces() <= places) continue;
      const rounded = exact.toDecimalPlaces(places, Decimal.ROUND_HALF_UP);
      // A noise-rounded zero of a subtraction (−1.42e-14) is 0.00, not -0.00.
      if (isFloatNoise(exact, rounded, places)) fields[names[col]!] = (rounded.isZero() ? rounded.abs() : rounded).toFixed(places);
      else if (exact.precision() > MAX_AMOUNT_DIGITS) {
        delete fields[names[col]!];
        refuse(column, exact.toFixed());
        const has = minorUnits(currency) !== undefined ? `${currency} has (${places})` : `an amount has here (${places})`;
        problems.push(
          this.problem(
            row,
            'too_many_decimals',
            `${column} holds ${exact.toFixed()} in the workbook, though Excel may show it as ${rounded.toFixed(places)}: more decimals than ${has}; ` +
              `round it in the sheet (=ROUND(…, ${places})) or type the amount`,
            column,
          ),
        );
      }
    }
  }

  /**
   * A number cell (or a formula's saved number) whose saved value is no number: `1234,56` written by
   * a program that formats numbers in its server's locale. Refused, with the text as saved: the
   * library read it up to its first odd character (1234), and Excel itself would not open the
   * file without repairing it.
   */
  private badNumber(raw: string, row: number, col: number, problems: Problem[]): undefined {
    const column = this.kinds[col] ?? (this.names?.[col] || undefined);
    const what = column !== undefined ? `${column} ${quote(raw)} is` : `the cell in column ${col}, ${quote(raw)}, is`;
    problems.push(
      this.problem(
        row,
        'invalid_number',
        `${what} a number cell in the workbook whose saved value is not a number (a workbook saves a number as digits with an optional "." and exponent, e.g. 1234.56; ` +
          `no thousands separators or decimal comma): the program that wrote the file saved it in another format; have it written again, or format the column as Text and type the value`,
        column,
      ),
    );
    return undefined;
  }

  /** One cell's value as text, by its type; problems for error cells and formulas with no value. */
  private cell(value: CellValue, numFmt: string | undefined, row: number, col: number, problems: Problem[]): Cell | undefined {
    // The canonical column where known: under a profile the header names the vendor's column
    // (`Preis`), and the grouper must know a refused price for one, not a missing one.
    const column = this.kinds[col] ?? (this.names?.[col] || undefined);
    const fail = (code: string, message: string): undefined => {
      problems.push(this.problem(row, code, message, column));
      return undefined;
    };
    if (value === null || value === undefined) return undefined;
    if (typeof value === 'string') {
      if (value.length > MAX_CELL_CHARS) {
        // No count: a shared string past MAX_TEXT_BYTES was cut while read (xlsx-strings.ts), so its length is not known.
        return fail('cell_too_long', `the cell holds more than the ${formatLimit(MAX_CELL_CHARS)} characters a cell may hold; it is not read`);
      }
      return { text: value, native: false };
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return undefined;
      // Excel keeps 15 significant digits of a number: an invoice number or another identifier
      // typed as a number with more (12345678901234567 is stored as 12345678901234500) has lost
      // its last ones before the file was saved, and would be loaded under another number.
      const kind = this.kinds[col];
      const cellKind = kind !== undefined ? COLUMN_KIND[kind] : undefined;
      if (cellKind === 'text' && Math.abs(value) >= 1e15) {
        return fail('number_precision', `${kind} ${numberText(value)} is a number in the workbook, with more digits than the 15 Excel keeps: its last digits may be lost already; format the column as Text and type the value again`);
      }
      // An identifier is never a fraction: Excel stores the invoice number typed 2025.10 as the
      // number 2025.1 (and a PO line 0.10 as 0.1), which would load under another id. Refused as
      // the JSON reader refuses `12.0` in an id column (shape.ts keyScalarRefusal).
      if (kind !== undefined && (KEY_COLUMNS as readonly string[]).includes(kind) && !Number.isInteger(value)) {
        return fail('number_cell', `${kind} ${numberText(value)} is a number with a fraction in the workbook, not a text: Excel drops an id's trailing zeros (2025.10 is kept as 2025.1), so this may not be the ${kind.replace(/_/g, ' ')} on the invoice; format the column as Text and type the value again`);
      }
      // A date typed where the column has no date format is kept as Excel's day number (45719):
      // said so, with the day it stands for, rather than only "not a date".
      if (cellKind === 'date' && Number.isInteger(value) && value >= SERIAL_DAYS.from && value <= SERIAL_DAYS.to) {
        const day = isoDate(serialDate(value, this.date1904));
        return fail('invalid_date', `${kind} ${value} is a number in the workbook, not a date: it looks like an Excel date number (${day}); format the column as a date in Excel, or as text YYYY-MM-DD`);
      }
      // A percentage cell (`0%`, `0.00%`) stores the fraction: 100% is 1. A percent column reads
      // what the sheet shows, so the 100 typed into it is 100, not 1.
      if (cellKind === 'percent' && isPercentFormat(numFmt)) {
        return { text: new Decimal(numberText(value)).times(100).toString(), native: true };
      }
      return { text: numberText(value), native: true, float: Number.isInteger(value) ? undefined : value };
    }
    if (typeof value === 'boolean') {
      // Excel's TRUE or FALSE (a logical cell, `t="b"`) is no invoice number or vendor code: loaded as the text "true" it would name another.
      const kind = this.kinds[col];
      if (kind !== undefined && (KEY_COLUMNS as readonly string[]).includes(kind)) {
        return fail('boolean_cell', `${kind} is the logical value ${value ? 'TRUE' : 'FALSE'} in the workbook, not a text: type the ${kind.replace(/_/g, ' ')} in the cell (format the column as Text first)`);
      }
      return { text: value ? 'true' : 'false', native: false };
    }
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) return undefined;
      // Excel turns an identifier typed like 03-04 into a date; loaded as 2025-03-04 it would
      // be another invoice's number.
      const kind = this.kinds[col];
      if (kind !== undefined && (KEY_COLUMNS as readonly string[]).includes(kind)) {
        return fail('date_cell', `${kind} is a date in the workbook (${isoDate(value)}): a spreadsheet makes a date of a value like 03-04 as it is typed; format the column as Text and type the value again`);
      }
      return { text: isoDate(value), native: true };
    }
    if (typeof value === 'object') {
      const v = value as unknown as Record<string, unknown>;
      if ('richText' in v && Array.isArray(v.richText)) return { text: (v.richText as { text?: string }[]).map((p) => p.text ?? '').join(''), native: false };
      if ('error' in v) {
        return fail('cell_error', `the cell in column ${col} shows the error ${String(v.error)}; fix the formula or type the value`);
      }
      if ('formula' in v || 'sharedFormula' in v) {
        const result = v.result as CellValue | undefined;
        if (result === undefined || result === null) {
          return fail('formula_no_value', `the cell in column ${col} is a formula with no saved value; open the workbook in a spreadsheet program and save it again`);
        }
        // A formula's cached date comes as a serial number: its format says it is a date.
        if (typeof result === 'number' && isDateFormat(numFmt)) return this.cell(serialDate(result, this.date1904), numFmt, row, col, problems);
        return this.cell(result, numFmt, row, col, problems);
      }
      if ('text' in v && typeof v.text === 'string') return { text: v.text, native: false }; // a hyperlink
    }
    return undefined;
  }
}

/**
 * The first `maxRows` rows with something in them of a workbook's sheet, for `mapping init`:
 * each cell's text, and the same rows with number and date cells left out. Throws the reader's
 * problem (not a workbook, no such sheet) as an Error.
 */
export async function sampleWorkbook(path: string, bytes: Readable, sheet: string | undefined, maxRows: number): Promise<{ sheet: string; rows: string[][]; typed: string[][] }> {
  const reader = new WorkbookReader(path, { sheet });
  const out = { sheet: '', rows: [] as string[][], typed: [] as string[][] };
  for await (const r of reader.rows(bytes)) {
    if (r.sheet !== undefined) {
      out.sheet = r.sheet;
      continue;
    }
    out.rows.push(Array.from(r.cells, (c) => c?.text ?? ''));
    out.typed.push(Array.from(r.cells, (c) => (c === undefined || c.native ? '' : c.text)));
    if (out.rows.length >= maxRows) {
      bytes.destroy();
      break;
    }
  }
  const failed = reader.out.find((e) => e.kind === 'problem' && e.problem.severity === 'error');
  if (failed?.kind === 'problem') throw new Error(failed.problem.message);
  return out;
}

/**
 * The message for a workbook the reader failed on. The library's own words about the file (a zip
 * or XML error) are kept; a failure of the program itself (a TypeError such as "Cannot read
 * properties of undefined") says nothing to a person, and is said plainly.
 */
export function unreadable(err: unknown): string {
  if (err instanceof WorkbookRefused) return err.message;
  const internal = !(err instanceof Error) || err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError;
  if (internal) {
    return 'this workbook could not be read (the spreadsheet reader failed on something in it it does not understand); open it in Excel and save it again as Excel Workbook (.xlsx), or save the sheet as CSV UTF-8';
  }
  return `cannot read the workbook: ${err.message}; is it an .xlsx file saved by a spreadsheet program?`;
}

/**
 * What a file named .xlsx is when it is no zip (an .xlsx is one), from its first bytes. An old
 * Office container is what Excel writes for a workbook encrypted with a password to open it, or
 * protected by a sensitivity label ([MS-OFFCRYPTO] §2.3.4: the package is kept in an
 * `EncryptedPackage` stream of a compound file), as well as an .xls renamed: the advice covers both.
 * https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-offcrypto/
 */
export function notAWorkbook(head: Uint8Array | undefined, err?: unknown): string | undefined {
  // The library's own words for these ("FILE_ENDED", "invalid signature: 0x6f766e69") say nothing to a person.
  if (head === undefined || head.length === 0) return 'the file is empty: it is not a workbook (was it still being copied or downloaded?)';
  if (startsWith(head, ZIP_SIGNATURE)) {
    return /FILE_ENDED|unexpected end|end of (central directory|file)/i.test(String((err as Error | undefined)?.message))
      ? 'the workbook is cut short: the file ends before its last part (was it still being copied or downloaded?); give the whole file'
      : undefined;
  }
  if (startsWith(head, OLE2_SIGNATURE)) {
    return (
      'this workbook is encrypted (a password to open it, or a sensitivity label that protects it) or is an old .xls workbook named .xlsx; ' +
      'open it in Excel, remove the password (File › Info › Protect Workbook › Encrypt with Password: clear it) or the label, and save it as Excel Workbook (.xlsx) or CSV UTF-8'
    );
  }
  const other = fileSignature(head);
  if (other !== undefined) return other;
  if (looksLikeText(head.subarray(0, 16))) return 'this is a text file, not a workbook: if it holds the batch as CSV, JSON or JSON Lines, name it .csv, .json or .jsonl';
  return undefined;
}

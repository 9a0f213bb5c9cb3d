/**
 * Streaming grouper: flat rows (one per fund distribution of an invoice line, DESIGN.md
 * "Canonical flat layout") → invoices with lines and fund distributions.
 *
 * Memory follows the invoices, not the raw rows: each row is parsed and merged as it arrives
 * (invoice-level values once per invoice, line-level values once per line, one small entry per
 * fund row, one row number per row) and the `SourceRecord` is dropped. Cells are kept as the
 * text the codec accepted (`cells.ts`), normalised only to compare two differing texts, and
 * become typed values (`Decimal` for money) in `finish()`.
 *
 * Grouping rules:
 * - Rows belong to the invoice (vendor, invoice_number) wherever they stand; both are compared
 *   exactly after trimming (Alma vendor codes and invoice numbers are case-sensitive strings).
 * - Invoice-level cells: a blank cell inherits the invoice's value; two different non-blank
 *   values (after normalisation) → `invoice_field_conflict` on the later row.
 * - Rows with the same `line_number` are one line split across funds; line-level cells inherit
 *   likewise, else `line_field_conflict`. Numbers equal as integers but spelled differently
 *   (`1`, `01`) → `duplicate_line_number`. The same fund code twice on a line → `duplicate_fund_row`.
 * - A row without `line_number` is a line of its own. In `finish()` such lines get the smallest
 *   positive integers not used by an explicit (integer) line number of the invoice, in row order.
 * - A row with invoice-level cells only (no line-level or fund cell, no line_number) is a header
 *   row: it belongs to the invoice but makes no line.
 * - A row without vendor or invoice_number cannot be grouped → `missing_value` in `issues`,
 *   unless the row is entirely blank (skipped silently).
 * - The same (vendor, invoice_number) in a second file → `duplicate_invoice` (an error on the
 *   invoice, so neither copy is loaded); the second file's rows are not merged.
 * - Columns outside the canonical layout → one `unknown_columns` warning per file.
 */
import type { Provenance, SourceRecord } from '../input/record.js';
import { FUND_COLUMNS, INVOICE_COLUMNS, LINE_COLUMNS, type CanonicalColumn } from './columns.js';
import { CellError, CODECS, COLUMN_KIND, cellText, quote, type Codec } from './cells.js';
import { INVALID, type DraftFund, type DraftInvoice, type DraftLine, type Field, type Invalid } from './draft.js';
import { keyString, type GroupedInvoice, type InvoiceKey } from './model.js';
import { moneyOf } from './money.js';
import { isError, problem, type Problem } from './problem.js';
import { buildInvoice, checkInvoice } from './rules.js';

/**
 * What the grouper keeps of a cell: its trimmed text once the codec has accepted it, or INVALID.
 * Keeping the text (not a normalised copy) means a repeated invoice-level cell costs one string
 * comparison and no parsing; values are normalised only to compare differing texts and in finish().
 */
type Kept = string | Invalid;

const LEVEL_INVOICE = 0;
const LEVEL_LINE = 1;
const LEVEL_FUND = 2;
/** vendor and invoice_number: read before the pass over the cells. */
const LEVEL_KEY = 3;
const LEVEL_LINE_NUMBER = 4;

interface Spec {
  column: CanonicalColumn;
  level: number;
  /** Index in INVOICE_COLUMNS / LINE_COLUMNS / FUND_COLUMNS. */
  index: number;
  codec: Codec;
  decimal: boolean;
  /** Worth interning: a line or fund cell whose values repeat across rows (not po_line or notes). */
  intern: boolean;
}

/** Line-level columns whose values are mostly distinct: interning them would only cost time. */
const DISTINCT: ReadonlySet<string> = new Set(['po_line', 'price_note', 'line_note', 'additional_info', 'line_vat_note']);

const SPECS = new Map<string, Spec>();
const addSpecs = (columns: readonly CanonicalColumn[], level: number) =>
  columns.forEach((column, index) => {
    const kind = COLUMN_KIND[column];
    const decimal = kind === 'money' || kind === 'percent';
    SPECS.set(column, { column, level, index, codec: CODECS[kind], decimal, intern: level !== LEVEL_INVOICE && !DISTINCT.has(column) });
  });
addSpecs(INVOICE_COLUMNS, LEVEL_INVOICE);
addSpecs(LINE_COLUMNS, LEVEL_LINE);
addSpecs(FUND_COLUMNS, LEVEL_FUND);
(SPECS.get('vendor') as Spec).level = LEVEL_KEY;
(SPECS.get('invoice_number') as Spec).level = LEVEL_KEY;
(SPECS.get('line_number') as Spec).level = LEVEL_LINE_NUMBER;
const specOf = (column: string): Spec => SPECS.get(column) as Spec;
/**
 * The columns read in the pass over a row's cells. Reading `fields[column]` for each canonical
 * column was ~3× cheaper than enumerating the record's keys in a micro-benchmark (49 columns).
 */
const PASS: readonly Spec[] = [...SPECS.values()].filter((s) => s.level !== LEVEL_KEY);

const VENDOR = INVOICE_COLUMNS.indexOf('vendor');
const NUMBER = INVOICE_COLUMNS.indexOf('invoice_number');
const WHOLE = /^\d+$/;

interface FileState {
  name: string;
  index: number;
  unknown: string[];
  unknownSeen: Set<string>;
  /** True once the file's columns were declared: its records need no scan for unknown keys. */
  declared: boolean;
}

interface FundAcc {
  row: number;
  code: string | undefined;
  percent: Kept | undefined;
  amount: Kept | undefined;
}

/**
 * Most lines have one row and one fund, so the first row and first fund are held directly and
 * arrays appear only for split lines: a one-row line costs two small objects and one array.
 */
interface LineAcc {
  number: string | undefined;
  row: number;
  moreRows: number[] | undefined;
  /** Line-level cells as flat triples: column index, kept text, row. Few per line. */
  cells: (number | Kept)[];
  fund: FundAcc | undefined;
  moreFunds: FundAcc[] | undefined;
}

const rowsOf = (l: LineAcc): number[] => (l.moreRows === undefined ? [l.row] : [l.row, ...l.moreRows]);
const fundsOf = (l: LineAcc): FundAcc[] =>
  l.fund === undefined ? [] : l.moreFunds === undefined ? [l.fund] : [l.fund, ...l.moreFunds];

interface InvoiceAcc {
  key: InvoiceKey;
  file: FileState;
  rows: number[];
  /** Invoice-level cells by column index, and the row where each was first given. */
  texts: (Kept | undefined)[];
  textRows: number[];
  lines: LineAcc[];
  /** Lines by explicit line number, built once an invoice has many (a short list is scanned). */
  byText: Map<string, LineAcc> | undefined;
  problems: Problem[];
  otherFiles: Set<string> | undefined;
}

export interface GroupResult {
  invoices: GroupedInvoice[];
  /** Problems not tied to an invoice: rows that cannot be grouped, unknown columns. */
  issues: Problem[];
}

export class InvoiceGrouper {
  readonly #invoices = new Map<string, InvoiceAcc>();
  readonly #files = new Map<string, FileState>();
  readonly #issues: Problem[] = [];
  #file: FileState | undefined;
  /** Scratch for one row's line-level cells as triples (index, kept text, row); never retained. */
  readonly #pending: (number | Kept)[] = [];
  /** The invoice of the previous row: rows of an invoice are usually adjacent. */
  #last: InvoiceAcc | undefined;

  /**
   * Optional fast path for readers with a header (CSV): declares the file's columns (canonical
   * names, after any mapping) before its first record. Unknown ones are reported from here and
   * the file's records are not scanned for unknown keys, which saves ~1.5 µs per 49-column row.
   * Records of a declared file must not carry other keys. Without it, every record is scanned.
   */
  declareColumns(fileName: string, columns: readonly string[]): void {
    const file = this.#fileState(fileName);
    file.declared = true;
    for (const column of columns) if (!SPECS.has(column) && !file.unknownSeen.has(column)) addUnknown(file, column);
  }

  /** Adds one record. Call in input order, across all files of the batch. */
  add(record: SourceRecord): void {
    const { file: fileName, row } = record.source;
    const fields = record.fields;
    let file = this.#file;
    if (file === undefined || file.name !== fileName) file = this.#fileState(fileName);
    if (!file.declared) noteUnknown(file, fields);

    const vendor = cellText(fields.vendor);
    const number = cellText(fields.invoice_number);
    if (vendor === undefined || number === undefined) {
      this.#ungroupable(record.source, fields, vendor, number);
      return;
    }
    let inv = this.#last;
    if (inv === undefined || inv.key.number !== number || inv.key.vendor !== vendor) {
      const key = keyString({ vendor, number });
      inv = this.#invoices.get(key);
      if (inv === undefined) {
        inv = newInvoice({ vendor, number }, file, row);
        this.#invoices.set(key, inv);
      }
      this.#last = inv;
    }
    if (inv.file !== file) {
      duplicateInFile(inv, file.name, row);
      return;
    }
    inv.rows.push(row);

    const pending = this.#pending;
    pending.length = 0;
    let lineText: string | undefined;
    let fund: FundAcc | undefined;
    for (let s = 0; s < PASS.length; s++) {
      const spec = PASS[s] as Spec;
      const raw = fields[spec.column];
      if (raw === undefined) continue;
      const text = cellText(raw);
      if (text === undefined) continue;
      if (spec.level === LEVEL_INVOICE) {
        // Fast path: the same text as the invoice already has is valid and equal.
        if (inv.texts[spec.index] !== text) mergeInvoiceCell(inv, spec, text, row);
        continue;
      }
      if (spec.level === LEVEL_LINE_NUMBER) {
        lineText = text;
        continue;
      }
      const kept = check(inv, spec, spec.intern ? intern(text) : text, row);
      if (spec.level === LEVEL_LINE) pending.push(spec.index, kept, row);
      else {
        fund ??= { row, code: undefined, percent: undefined, amount: undefined };
        if (spec.index === 0) fund.code = kept as string; // fund_code is text: never invalid
        else if (spec.index === 1) fund.percent = kept;
        else fund.amount = kept;
      }
    }
    if (lineText === undefined && pending.length === 0 && fund === undefined) return; // header row

    const line = lineText === undefined ? undefined : existingLine(inv, lineText);
    if (line === undefined) {
      // A new line. Its arrays are allocated at their exact size: most lines have one row, and
      // growth slack would cost more memory than the line's content.
      const l: LineAcc = { number: lineText, row, moreRows: undefined, cells: pending.slice(), fund, moreFunds: undefined };
      inv.lines.push(l);
      if (inv.byText !== undefined && lineText !== undefined) inv.byText.set(lineText, l);
      else if (inv.lines.length === INDEX_AFTER) inv.byText = indexLines(inv.lines);
      return;
    }
    (line.moreRows ??= []).push(row);
    if (pending.length > 0) mergeLineCells(inv, line, pending, row);
    if (fund !== undefined) addFund(inv, line, fund);
  }

  /**
   * Runs the invoice rules and returns the invoices in order of their first row, with the
   * file-level issues. Call once, after the last `add`.
   */
  finish(): GroupResult {
    const invoices = [...this.invoices()];
    return { invoices, issues: this.issues() };
  }

  /**
   * The streaming form of `finish()`: yields each invoice, checked, in order of its first row,
   * releasing its accumulator, so a consumer that does not keep them all (a dry-run summary)
   * holds one at a time. Iterate once, after the last `add`.
   */
  *invoices(): Generator<GroupedInvoice, void, undefined> {
    const fileOrder = this.#fileOrder();
    for (const [key, acc] of this.#invoices) {
      this.#invoices.delete(key);
      if (this.#last === acc) this.#last = undefined;
      yield finishInvoice(acc, fileOrder);
    }
  }

  /** Problems not tied to an invoice: rows that cannot be grouped, unknown columns (one per file). */
  issues(): Problem[] {
    const issues = [...this.#issues];
    for (const f of this.#files.values()) {
      if (f.unknown.length > 0) {
        const message = `columns not in the canonical layout are ignored: ${f.unknown.join(', ')} (a --mapping profile can map them)`;
        issues.push(problem({ file: f.name }, 'unknown_columns', message, { severity: 'warning' }));
      }
    }
    return sortProblems(issues, this.#fileOrder());
  }

  #fileOrder(): Map<string, number> {
    const order = new Map<string, number>();
    for (const f of this.#files.values()) order.set(f.name, f.index);
    return order;
  }

  #fileState(name: string): FileState {
    let f = this.#files.get(name);
    if (f === undefined) {
      f = { name, index: this.#files.size, unknown: [], unknownSeen: new Set(), declared: false };
      this.#files.set(name, f);
    }
    this.#file = f;
    return f;
  }

  #ungroupable(at: Provenance, fields: Record<string, string | undefined>, vendor?: string, number?: string): void {
    if (isBlankRow(fields)) return;
    for (const [column, value] of [['vendor', vendor], ['invoice_number', number]] as const) {
      if (value === undefined) {
        this.#issues.push(problem(at, 'missing_value', `${column} is empty, so the row cannot be grouped into an invoice`, { column }));
      }
    }
  }
}

function noteUnknown(file: FileState, fields: Record<string, string | undefined>): void {
  for (const column in fields) if (!SPECS.has(column) && !file.unknownSeen.has(column)) addUnknown(file, column);
}

function addUnknown(file: FileState, column: string): void {
  file.unknownSeen.add(column);
  file.unknown.push(column);
}

function isBlankRow(fields: Record<string, string | undefined>): boolean {
  for (const column in fields) if (cellText(fields[column]) !== undefined) return false;
  return true;
}

/** Runs the column's codec: the text when accepted, else INVALID after reporting the problem. */
function check(inv: InvoiceAcc, spec: Spec, text: string, row: number): Kept {
  const v = spec.codec(text, spec.column);
  if (!(v instanceof CellError)) return text;
  inv.problems.push(problem({ file: inv.file.name, row }, v.code, v.message, { column: spec.column }));
  return INVALID;
}

/**
 * One string instance per distinct short cell text. Each CSV cell arrives as a fresh string,
 * and line and fund cells repeat heavily (`REGULAR`, a fund code, `100`, a price): keeping
 * one copy saves ~24 bytes per repeated cell for as long as the batch is held. Bounded.
 */
function intern(text: string): string {
  if (text.length > 16) return text;
  const known = interned.get(text);
  if (known !== undefined) return known;
  if (interned.size >= INTERN_LIMIT) interned.clear();
  interned.set(text, text);
  return text;
}
const INTERN_LIMIT = 50_000;
const interned = new Map<string, string>();

/** The normalised value of an accepted text (`100.0` and `100.00` → `100`, `usd` → `USD`). */
const normal = (spec: Spec, text: string) => spec.codec(text, spec.column);

function newInvoice(key: InvoiceKey, file: FileState, row: number): InvoiceAcc {
  const n = INVOICE_COLUMNS.length;
  const inv: InvoiceAcc = {
    key,
    file,
    rows: [],
    texts: new Array<Kept | undefined>(n).fill(undefined),
    textRows: new Array<number>(n).fill(0),
    lines: [],
    byText: undefined,
    problems: [],
    otherFiles: undefined,
  };
  inv.texts[VENDOR] = key.vendor;
  inv.texts[NUMBER] = key.number;
  inv.textRows[VENDOR] = inv.textRows[NUMBER] = row;
  return inv;
}

function duplicateInFile(inv: InvoiceAcc, file: string, row: number): void {
  inv.otherFiles ??= new Set();
  if (inv.otherFiles.has(file)) return;
  inv.otherFiles.add(file);
  inv.problems.push(
    problem(
      { file, row },
      'duplicate_invoice',
      `invoice ${quote(inv.key.number)} of vendor ${quote(inv.key.vendor)} is also in ${inv.file.name} (row ${inv.rows[0]}); ` +
        `the rows in ${file} are not merged and neither copy is loaded — an invoice must come from one file`,
      { column: 'invoice_number' },
    ),
  );
}

/** An invoice-level cell whose text differs from what the invoice holds (or holds nothing yet). */
function mergeInvoiceCell(inv: InvoiceAcc, spec: Spec, text: string, row: number): void {
  const i = spec.index;
  const prev = inv.texts[i];
  const kept = check(inv, spec, text, row);
  if (prev === undefined) {
    inv.texts[i] = kept;
    inv.textRows[i] = row;
  } else if (prev !== INVALID && kept !== INVALID && normal(spec, prev) !== normal(spec, text)) {
    inv.problems.push(
      problem(
        { file: inv.file.name, row },
        'invoice_field_conflict',
        `${spec.column} ${quote(text)} on row ${row} differs from ${quote(prev)} on row ${inv.textRows[i]} ` +
          `of the same invoice; repeat the same value or leave the cell empty`,
        { column: spec.column },
      ),
    );
  }
}

/** The line already holding this line number, or undefined when the row starts a new line. */
function existingLine(inv: InvoiceAcc, text: string): LineAcc | undefined {
  if (inv.byText !== undefined) return inv.byText.get(text);
  for (const l of inv.lines) if (l.number === text) return l;
  return undefined;
}

/** Up to this many lines an invoice's lines are scanned; beyond, they are indexed by number. */
const INDEX_AFTER = 16;
function indexLines(lines: LineAcc[]): Map<string, LineAcc> {
  const m = new Map<string, LineAcc>();
  for (const l of lines) if (l.number !== undefined && !m.has(l.number)) m.set(l.number, l);
  return m;
}

function mergeLineCells(inv: InvoiceAcc, line: LineAcc, pending: (number | Kept)[], row: number): void {
  const cells = line.cells;
  for (let p = 0; p < pending.length; p += 3) {
    const index = pending[p] as number;
    const kept = pending[p + 1] as Kept;
    let q = -1;
    for (let c = 0; c < cells.length; c += 3) if (cells[c] === index) q = c;
    if (q === -1) {
      cells.push(index, kept, row);
      continue;
    }
    const prev = cells[q + 1] as Kept;
    if (prev === kept || prev === INVALID || kept === INVALID) continue;
    const spec = specOf(LINE_COLUMNS[index] as string);
    if (normal(spec, prev) === normal(spec, kept)) continue;
    inv.problems.push(
      problem(
        { file: inv.file.name, row },
        'line_field_conflict',
        `${spec.column} ${quote(kept)} on row ${row} differs from ${quote(prev)} on row ${cells[q + 2] as number} ` +
          `of the same line ${quote(line.number ?? '')}; the rows of a line may differ only in fund_code, fund_percent and fund_amount`,
        { column: spec.column },
      ),
    );
  }
}

function addFund(inv: InvoiceAcc, line: LineAcc, fund: FundAcc): void {
  const code = fund.code;
  if (code !== undefined) {
    const twin = fundsOf(line).find((f) => f.code === code);
    if (twin !== undefined) {
      inv.problems.push(
        problem(
          { file: inv.file.name, row: fund.row },
          'duplicate_fund_row',
          `fund_code ${quote(code)} appears twice on line ${quote(line.number ?? '')} (rows ${twin.row} and ${fund.row}); is the row duplicated?`,
          { column: 'fund_code' },
        ),
      );
      return; // not counted twice in the fund sums
    }
  }
  if (line.fund === undefined) line.fund = fund;
  else (line.moreFunds ??= []).push(fund);
}

// ---------------------------------------------------------------------------------------------

/** A kept text as a typed draft field: normalised, and a `Decimal` for money and percentages. */
function field(spec: Spec, kept: Kept, row: number): Field<unknown> {
  if (kept === INVALID) return { value: INVALID, row, text: '' };
  const v = normal(spec, kept);
  return { value: spec.decimal ? moneyOf(v as string) : v, row, text: kept };
}

const FUND_PERCENT = specOf('fund_percent');
const FUND_AMOUNT = specOf('fund_amount');

function toDraft(acc: InvoiceAcc): DraftInvoice {
  const fields: Record<string, Field<unknown>> = {};
  acc.texts.forEach((kept, i) => {
    if (kept === undefined) return;
    const column = INVOICE_COLUMNS[i] as string;
    fields[column] = field(specOf(column), kept, acc.textRows[i] as number);
  });

  // Explicit integer line numbers: `1` and `01` are the same number written two ways.
  const used = new Map<number, LineAcc>();
  for (const l of acc.lines) {
    if (l.number === undefined || !WHOLE.test(l.number)) continue;
    const n = Number(l.number);
    const other = used.get(n);
    if (other === undefined) used.set(n, l);
    else {
      acc.problems.push(
        problem(
          { file: acc.file.name, row: l.row },
          'duplicate_line_number',
          `line_number ${quote(l.number)} is the same number as ${quote(other.number ?? '')} on row ${other.row}; ` +
            `write it the same way on every row of the line, or use another number`,
          { column: 'line_number' },
        ),
      );
    }
  }
  // Rows without line_number take the smallest positive integers no explicit number uses.
  let next = 1;
  const lines: DraftLine[] = acc.lines.map((l) => {
    let number = l.number;
    if (number === undefined) {
      while (used.has(next)) next++;
      used.set(next, l);
      number = String(next);
    }
    const lf: Record<string, Field<unknown>> = {};
    for (let c = 0; c < l.cells.length; c += 3) {
      const column = LINE_COLUMNS[l.cells[c] as number] as string;
      lf[column] = field(specOf(column), l.cells[c + 1] as Kept, l.cells[c + 2] as number);
    }
    const funds: DraftFund[] = fundsOf(l).map((f) => ({
      row: f.row,
      code: f.code === undefined ? undefined : { value: f.code, row: f.row, text: f.code },
      percent: f.percent === undefined ? undefined : (field(FUND_PERCENT, f.percent, f.row) as DraftFund['percent']),
      amount: f.amount === undefined ? undefined : (field(FUND_AMOUNT, f.amount, f.row) as DraftFund['amount']),
    }));
    return { number, explicit: l.number !== undefined, rows: rowsOf(l), fields: lf, funds };
  });
  return { key: acc.key, file: acc.file.name, rows: acc.rows, fields, lines };
}

function finishInvoice(acc: InvoiceAcc, fileOrder: ReadonlyMap<string, number>): GroupedInvoice {
  const draft = toDraft(acc);
  const problems = sortProblems([...acc.problems, ...checkInvoice(draft)], fileOrder);
  // One Provenance object per row, shared by the invoice, its lines and its funds. Rows are
  // ascending (one file, input order), so a row's object is found by binary search.
  const rows = acc.rows.map((row) => ({ file: acc.file.name, row }));
  const at = (row: number): Provenance => {
    let lo = 0;
    let hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = rows[mid] as Provenance;
      if (p.row === row) return p;
      if (p.row < row) lo = mid + 1;
      else hi = mid - 1;
    }
    return { file: acc.file.name, row };
  };
  const invoice = problems.some(isError) ? undefined : buildInvoice(draft, at);
  return { key: acc.key, rows, invoice, problems };
}

/** Sorts by file (in the order files were read), then row (file-level problems first); stable. */
export function sortProblems(problems: Problem[], fileOrder: ReadonlyMap<string, number>): Problem[] {
  return problems.sort(
    (a, b) => (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) || (a.row ?? 0) - (b.row ?? 0),
  );
}

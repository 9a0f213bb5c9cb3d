/**
 * Streaming grouper: flat rows (one per fund distribution of an invoice line, DESIGN.md
 * "Canonical flat layout") → invoices with lines and fund distributions.
 *
 * Memory follows the invoices, not the raw rows: each row is parsed and merged as it arrives
 * (invoice-level values once per invoice, line-level values once per line, one small entry per
 * fund row, one row number per row) and the `SourceRecord` is dropped. Values are kept as
 * normalised texts (`cells.ts`) and become `Decimal` in `finish()`.
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
import { CellError, CODECS, COLUMN_KIND, cellText, quote, type CellValue, type Codec } from './cells.js';
import { INVALID, type DraftFund, type DraftInvoice, type DraftLine, type Field, type Invalid } from './draft.js';
import { keyString, type GroupedInvoice, type InvoiceKey } from './model.js';
import { Money } from './money.js';
import { isError, problem, type Problem } from './problem.js';
import { buildInvoice, checkInvoice } from './rules.js';

type Stored = CellValue | Invalid;

const LEVEL_INVOICE = 0;
const LEVEL_LINE = 1;
const LEVEL_FUND = 2;
/** Columns read before the pass over the cells (the grouping keys). */
const LEVEL_KEY = 3;

interface Spec {
  column: CanonicalColumn;
  level: number;
  /** Index in INVOICE_COLUMNS / LINE_COLUMNS / FUND_COLUMNS. */
  index: number;
  codec: Codec;
}

const SPECS = new Map<string, Spec>();
const addSpecs = (columns: readonly CanonicalColumn[], level: number) =>
  columns.forEach((column, index) => SPECS.set(column, { column, level, index, codec: CODECS[COLUMN_KIND[column]] }));
addSpecs(INVOICE_COLUMNS, LEVEL_INVOICE);
addSpecs(LINE_COLUMNS, LEVEL_LINE);
addSpecs(FUND_COLUMNS, LEVEL_FUND);
for (const k of ['vendor', 'invoice_number', 'line_number']) (SPECS.get(k) as Spec).level = LEVEL_KEY;

const VENDOR = INVOICE_COLUMNS.indexOf('vendor');
const NUMBER = INVOICE_COLUMNS.indexOf('invoice_number');
const DECIMAL_KINDS: ReadonlySet<string> = new Set(['money', 'percent']);
const WHOLE = /^\d+$/;

interface FileState {
  name: string;
  index: number;
  unknown: string[];
  unknownSeen: Set<string>;
}

interface FundAcc {
  row: number;
  code: string | Invalid | undefined;
  percent: string | Invalid | undefined;
  amount: string | Invalid | undefined;
}

interface LineAcc {
  number: string | undefined;
  rows: number[];
  /** Line-level values as flat quads: column index, value, row, text. Few per line. */
  cells: (number | Stored | string)[];
  funds: FundAcc[];
}

interface InvoiceAcc {
  key: InvoiceKey;
  file: FileState;
  rows: number[];
  /** Invoice-level values by column index, with the row and text where each was first given. */
  vals: (Stored | undefined)[];
  valRows: number[];
  texts: (string | undefined)[];
  lines: LineAcc[];
  byText: Map<string, LineAcc> | undefined;
  /** Explicit integer line numbers → their spelling, to catch `1` vs `01`. */
  byNumber: Map<number, string> | undefined;
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
  /** Scratch for one row's line-level cells (index, value, text); reused, never retained. */
  readonly #pending: (number | Stored | string)[] = [];

  /** Adds one record. Call in input order, across all files of the batch. */
  add(record: SourceRecord): void {
    const { file: fileName, row } = record.source;
    const fields = record.fields;
    let file = this.#file;
    if (file === undefined || file.name !== fileName) file = this.#fileState(fileName);

    const vendor = cellText(fields.vendor);
    const number = cellText(fields.invoice_number);
    if (vendor === undefined || number === undefined) {
      this.#noteUnknown(file, fields);
      this.#ungroupable(record.source, fields, vendor, number);
      return;
    }
    const key = keyString({ vendor, number });
    let inv = this.#invoices.get(key);
    if (inv === undefined) {
      inv = newInvoice({ vendor, number }, file, row);
      this.#invoices.set(key, inv);
    } else if (inv.file !== file) {
      this.#noteUnknown(file, fields);
      duplicateInFile(inv, file.name, row);
      return;
    }
    inv.rows.push(row);

    const pending = this.#pending;
    pending.length = 0;
    let lineText: string | undefined;
    let fund: FundAcc | undefined;
    for (const column in fields) {
      const spec = SPECS.get(column);
      if (spec === undefined) {
        if (!file.unknownSeen.has(column)) addUnknown(file, column);
        continue;
      }
      const raw = fields[column];
      if (raw === undefined || (spec.level === LEVEL_KEY && column !== 'line_number')) continue;
      const text = cellText(raw);
      if (text === undefined) continue;
      if (spec.level === LEVEL_KEY) {
        lineText = text;
        continue;
      }
      let value: Stored | CellError = spec.codec(text, column);
      if (value instanceof CellError) {
        inv.problems.push(problem({ file: file.name, row }, value.code, value.message, { column }));
        value = INVALID;
      }
      if (spec.level === LEVEL_INVOICE) mergeInvoiceCell(inv, spec, value, text, row);
      else if (spec.level === LEVEL_LINE) pending.push(spec.index, value, text);
      else {
        fund ??= { row, code: undefined, percent: undefined, amount: undefined };
        if (spec.index === 0) fund.code = value as string | Invalid;
        else if (spec.index === 1) fund.percent = value as string | Invalid;
        else fund.amount = value as string | Invalid;
      }
    }
    if (lineText === undefined && pending.length === 0 && fund === undefined) return; // header row
    const line = lineFor(inv, lineText, file.name, row);
    line.rows.push(row);
    if (pending.length > 0) mergeLineCells(inv, line, pending, file.name, row);
    if (fund !== undefined) addFund(inv, line, fund, file.name);
  }

  /** Groups what was added, runs the invoice rules, and returns invoices in order of first row. */
  finish(): GroupResult {
    const fileOrder = new Map<string, number>();
    for (const f of this.#files.values()) fileOrder.set(f.name, f.index);
    const issues = [...this.#issues];
    for (const f of this.#files.values()) {
      if (f.unknown.length > 0) {
        issues.push(
          problem({ file: f.name }, 'unknown_columns', `columns not in the canonical layout are ignored: ${f.unknown.join(', ')} (use --mapping to map them)`, {
            severity: 'warning',
          }),
        );
      }
    }
    const invoices: GroupedInvoice[] = [];
    for (const acc of this.#invoices.values()) invoices.push(finishInvoice(acc, fileOrder));
    return { invoices, issues: sortProblems(issues, fileOrder) };
  }

  #fileState(name: string): FileState {
    let f = this.#files.get(name);
    if (f === undefined) {
      f = { name, index: this.#files.size, unknown: [], unknownSeen: new Set() };
      this.#files.set(name, f);
    }
    this.#file = f;
    return f;
  }

  #noteUnknown(file: FileState, fields: Record<string, string | undefined>): void {
    for (const column in fields) if (!SPECS.has(column) && !file.unknownSeen.has(column)) addUnknown(file, column);
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

function addUnknown(file: FileState, column: string): void {
  file.unknownSeen.add(column);
  file.unknown.push(column);
}

function isBlankRow(fields: Record<string, string | undefined>): boolean {
  for (const column in fields) if (cellText(fields[column]) !== undefined) return false;
  return true;
}

function newInvoice(key: InvoiceKey, file: FileState, row: number): InvoiceAcc {
  const n = INVOICE_COLUMNS.length;
  const inv: InvoiceAcc = {
    key,
    file,
    rows: [],
    vals: new Array<Stored | undefined>(n).fill(undefined),
    valRows: new Array<number>(n).fill(0),
    texts: new Array<string | undefined>(n).fill(undefined),
    lines: [],
    byText: undefined,
    byNumber: undefined,
    problems: [],
    otherFiles: undefined,
  };
  inv.vals[VENDOR] = inv.texts[VENDOR] = key.vendor;
  inv.vals[NUMBER] = inv.texts[NUMBER] = key.number;
  inv.valRows[VENDOR] = inv.valRows[NUMBER] = row;
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

function mergeInvoiceCell(inv: InvoiceAcc, spec: Spec, value: Stored, text: string, row: number): void {
  const i = spec.index;
  const prev = inv.vals[i];
  if (prev === undefined) {
    inv.vals[i] = value;
    inv.valRows[i] = row;
    inv.texts[i] = text;
  } else if (prev !== value && prev !== INVALID && value !== INVALID) {
    const prevRow = inv.valRows[i] as number;
    inv.problems.push(
      problem(
        { file: inv.file.name, row },
        'invoice_field_conflict',
        `${spec.column} ${quote(text)} on row ${row} differs from ${quote(inv.texts[i] as string)} on row ${prevRow} ` +
          `of the same invoice; repeat the same value or leave the cell empty`,
        { column: spec.column },
      ),
    );
  }
}

function lineFor(inv: InvoiceAcc, text: string | undefined, file: string, row: number): LineAcc {
  if (text !== undefined) {
    const known = inv.byText?.get(text);
    if (known !== undefined) return known;
  }
  const line: LineAcc = { number: text, rows: [], cells: [], funds: [] };
  inv.lines.push(line);
  if (text === undefined) return line;
  (inv.byText ??= new Map()).set(text, line);
  if (WHOLE.test(text)) {
    const n = Number(text);
    const other = (inv.byNumber ??= new Map()).get(n);
    if (other === undefined) inv.byNumber.set(n, text);
    else {
      const otherRow = inv.byText.get(other)?.rows[0];
      inv.problems.push(
        problem(
          { file, row },
          'duplicate_line_number',
          `line_number ${quote(text)} is the same number as ${quote(other)} on row ${otherRow}; ` +
            `write it the same way on every row of the line, or use another number`,
          { column: 'line_number' },
        ),
      );
    }
  }
  return line;
}

function mergeLineCells(inv: InvoiceAcc, line: LineAcc, pending: (number | Stored | string)[], file: string, row: number): void {
  const cells = line.cells;
  const scan = line.rows.length > 1; // a new line cannot conflict with itself
  for (let p = 0; p < pending.length; p += 3) {
    const index = pending[p] as number;
    const value = pending[p + 1] as Stored;
    const text = pending[p + 2] as string;
    let q = -1;
    if (scan) for (let c = 0; c < cells.length; c += 4) if (cells[c] === index) q = c;
    if (q === -1) {
      cells.push(index, value, row, text);
      continue;
    }
    const prev = cells[q + 1] as Stored;
    if (prev !== value && prev !== INVALID && value !== INVALID) {
      const column = LINE_COLUMNS[index] as string;
      inv.problems.push(
        problem(
          { file, row },
          'line_field_conflict',
          `${column} ${quote(text)} on row ${row} differs from ${quote(cells[q + 3] as string)} on row ${cells[q + 2] as number} ` +
            `of the same line ${quote(line.number ?? '')}; the rows of a line may differ only in fund_code, fund_percent and fund_amount`,
          { column },
        ),
      );
    }
  }
}

function addFund(inv: InvoiceAcc, line: LineAcc, fund: FundAcc, file: string): void {
  const code = fund.code;
  if (typeof code === 'string') {
    const twin = line.funds.find((f) => f.code === code);
    if (twin !== undefined) {
      inv.problems.push(
        problem(
          { file, row: fund.row },
          'duplicate_fund_row',
          `fund_code ${quote(code)} appears twice on line ${quote(line.number ?? '')} (rows ${twin.row} and ${fund.row}); is the row duplicated?`,
          { column: 'fund_code' },
        ),
      );
      return; // not counted twice in the fund sums
    }
  }
  line.funds.push(fund);
}

// ---------------------------------------------------------------------------------------------

function typed(kindOf: CanonicalColumn, value: Stored): unknown {
  return value !== INVALID && DECIMAL_KINDS.has(COLUMN_KIND[kindOf]) ? new Money(value as string) : value;
}

function toDraft(acc: InvoiceAcc): DraftInvoice {
  const fields: Record<string, Field<unknown>> = {};
  acc.vals.forEach((value, i) => {
    if (value === undefined) return;
    const column = INVOICE_COLUMNS[i] as CanonicalColumn;
    fields[column] = { value: typed(column, value), row: acc.valRows[i] as number, text: acc.texts[i] as string };
  });

  // Rows without line_number take the smallest positive integers no explicit number uses.
  const used = new Set(acc.byNumber?.keys());
  let next = 1;
  const lines: DraftLine[] = acc.lines.map((l) => {
    let number = l.number;
    if (number === undefined) {
      while (used.has(next)) next++;
      used.add(next);
      number = String(next);
    }
    const lf: Record<string, Field<unknown>> = {};
    for (let c = 0; c < l.cells.length; c += 4) {
      const column = LINE_COLUMNS[l.cells[c] as number] as CanonicalColumn;
      lf[column] = { value: typed(column, l.cells[c + 1] as Stored), row: l.cells[c + 2] as number, text: l.cells[c + 3] as string };
    }
    const funds: DraftFund[] = l.funds.map((f) => ({
      row: f.row,
      code: f.code === undefined ? undefined : { value: f.code, row: f.row, text: f.code === INVALID ? '' : f.code },
      percent: decimalField(f.percent, f.row),
      amount: decimalField(f.amount, f.row),
    }));
    return { number, explicit: l.number !== undefined, rows: l.rows, fields: lf, funds };
  });
  return { key: acc.key, file: acc.file.name, rows: acc.rows, fields, lines };
}

function decimalField(v: string | Invalid | undefined, row: number): Field<InstanceType<typeof Money>> | undefined {
  if (v === undefined) return undefined;
  return v === INVALID ? { value: INVALID, row, text: '' } : { value: new Money(v), row, text: v };
}

function finishInvoice(acc: InvoiceAcc, fileOrder: ReadonlyMap<string, number>): GroupedInvoice {
  const draft = toDraft(acc);
  const problems = sortProblems([...acc.problems, ...checkInvoice(draft)], fileOrder);
  const provenance = new Map<number, Provenance>();
  const rows = acc.rows.map((row) => {
    const p = { file: acc.file.name, row };
    provenance.set(row, p);
    return p;
  });
  const invoice = problems.some(isError) ? undefined : buildInvoice(draft, (row) => provenance.get(row) ?? { file: acc.file.name, row });
  return { key: acc.key, rows, invoice, problems };
}

/** Sorts by file (in the order files were read), then row (file-level problems first); stable. */
export function sortProblems(problems: Problem[], fileOrder: ReadonlyMap<string, number>): Problem[] {
  return problems.sort(
    (a, b) => (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) || (a.row ?? 0) - (b.row ?? 0),
  );
}

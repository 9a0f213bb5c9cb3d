/**
 * Streaming grouper: flat rows (one per fund distribution of an invoice line, README
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
 *   exactly after trimming. Two numbers of one vendor that differ only in letter case (`CASE-1`,
 *   `case-1`) are two invoices, with an `invoice_number_case` warning on the later one naming
 *   both rows: Alma's uniqueness per vendor (docs/alma.md, "Uniqueness") is not documented to
 *   tell them apart or not, and a number typed twice is the likelier cause.
 * - Invoice-level cells: a blank cell inherits the invoice's value; two different non-blank
 *   values (after normalisation) → `invoice_field_conflict` on the later row.
 * - Rows with the same `line_number` are one line split across funds; line-level cells inherit
 *   likewise, else `line_field_conflict`. Numbers equal as integers but spelled differently
 *   (`1`, `01`) → `duplicate_line_number`. The same fund code twice on a line → `duplicate_fund_row`.
 *   So is a later row of a line with no fund share and no cell the line or invoice lacked.
 * - A row without `line_number` is a line of its own. In `finish()` such lines get the smallest
 *   positive integers not used by an explicit (integer) line number of the invoice, in row order.
 * - A row with invoice-level cells only (no line-level or fund cell, no line_number) is a header
 *   row: it belongs to the invoice but makes no line.
 * - A row without vendor or invoice_number cannot be grouped → `missing_value` in `issues`,
 *   unless the row is entirely blank (skipped silently). A file that has no such column at all
 *   (its header lacks it, or none of its records carries the field) gets one `missing_column`
 *   for the file instead of one problem per row: a vendor's own layout read without a mapping
 *   profile otherwise buried its one cause under two errors a row.
 * - A row with an invoice_number and no vendor makes every invoice of that number (in any file)
 *   invalid, with a `row_without_vendor` error on that row: it may be one of its lines, and the
 *   invoice is not loaded without it (not with `--skip-invalid` either). The row's own errors
 *   in `issues` are then `skippable`: `--skip-invalid` loads the other invoices without it.
 * - The same (vendor, invoice_number) in a second file → `duplicate_invoice` (an error on the
 *   invoice, so neither copy is loaded); the second file's rows are not merged, but are listed
 *   after the first file's in the invoice's `rows`.
 * - Columns outside the canonical layout → one `unknown_columns` warning per file.
 * The table of columns it reads (level, codec, interning) is column-specs.ts.
 */
import { shownFile } from '../common/shown.js';
import type { Provenance, SourceRecord } from '../input/record.js';
import { canonicalHeaderName, INVOICE_COLUMNS, LINE_COLUMNS } from './columns.js';
import { CellError, cellText, namedList, quote, UNKNOWN_LISTED } from './cells.js';
import {
  ATTACHMENT,
  field,
  FUND_AMOUNT,
  FUND_PERCENT,
  intern,
  LEVEL_INVOICE,
  LEVEL_LINE,
  normal,
  NUMBER,
  PASS,
  SPECS,
  specOf,
  VENDOR,
  type Kept,
  type Spec,
} from './column-specs.js';
import { INVALID, type DraftFund, type DraftInvoice, type DraftLine, type Field } from './draft.js';
import { keyString, type GroupedInvoice, type Invoice, type InvoiceKey } from './model.js';
import { isError, MISPLACED_KEY, problem, type Problem } from './problem.js';
import { buildInvoice, checkInvoice } from './rules.js';
import { keyError, lineNumberError, lookAlike, visibleName } from './values.js';
import { rowsText } from './findings.js';
import { dateWindow, implausibleDates, type DateWindow } from './dates.js';
import { fileArgs, newStyleTally, styleOf, styleProblem, tallyStyle, type StyleTally } from './style.js';
import { paymentColumnsOf, paymentsFileProblem } from './payments.js';

/**
 * The invoice-level rules a batch is checked with: Alma's (`checkInvoice`) unless the target
 * has its own (src/targets/<name>/rules.ts). Grouping itself is the same for every target.
 */
export type InvoiceRules = (draft: DraftInvoice) => Problem[];

/** What a valid invoice's draft becomes: the `Invoice` (`buildInvoice`), or less (`outlineInvoice`). */
export type InvoiceBuilder<I> = (draft: DraftInvoice, at: (row: number) => Provenance) => I;

export interface GrouperOptions<I = Invoice> {
  rules?: InvoiceRules | undefined;
  /** Default `buildInvoice`; a plain dry run, which only reports, passes `outlineInvoice`. */
  build?: InvoiceBuilder<I> | undefined;
  /**
   * Streaming: each invoice is finished and handed here as soon as a row of another invoice
   * follows its rows, and its accumulator is dropped, so a sorted file holds one invoice at a
   * time instead of all of them until its end (a million-row dry run: ~300 MB less at its peak,
   * and the accumulators die young instead of filling the old generation). Rows that return to
   * an invoice already handed on throw `InvoiceResumed`: read the batch again without this
   * option (the caller's job; `finish()` gives the same invoices in the same order).
   */
  onInvoice?: ((invoice: GroupedInvoice<I>) => void) | undefined;
  /**
   * Today's date (`YYYY-MM-DD`, the CLI's clock): an invoice date far from it, and a due date far
   * from the invoice date, get an `implausible_date` warning (dates.ts). Without it, dates are not
   * checked so.
   */
  today?: string | undefined;
}

/** Thrown by a streaming grouper (`onInvoice`) when rows return to an invoice already handed on. */
export class InvoiceResumed extends Error {
  constructor(key: InvoiceKey, row: number) {
    super(`invoice ${key.number} of vendor ${key.vendor} resumes on row ${row} after other invoices' rows`);
    this.name = 'InvoiceResumed';
  }
}

const WHOLE = /^\d+$/;

interface FileState {
  name: string;
  index: number;
  unknown: string[];
  unknownSeen: Set<string>;
  /** True once the file's columns were declared: its records need no scan for unknown keys. */
  declared: boolean;
  /**
   * For a declared file, the specs of its columns only (in PASS order): a row of a 21-column
   * CSV then costs 21 property reads, not one per canonical column (most of them misses).
   */
  pass: readonly Spec[] | undefined;
  /** For each spec of `pass`, its cell's position in `record.cells`; undefined: read by name. */
  at: readonly number[] | undefined;
  /**
   * With `at`: the positions of vendor, invoice_number and line_number in `record.cells` (-1:
   * no such column). A row is then grouped without reading `record.fields`, which a CSV reader
   * builds only when something reads it (csv.ts `CellRecord`).
   */
  keyAt: readonly [number, number, number] | undefined;
  /** Rows left ungrouped because the file lacks vendor / invoice_number altogether (see `#ungroupable`). */
  absent: [number, number];
  /** For a file without a header: those rows' problems, for the case that another row does carry the field. */
  absentRows: [Problem[], Problem[]];
  /**
   * For a file without a header: its records with neither vendor nor invoice_number where a key
   * is absent, one problem each, said once the file carries both keys (`#ungroupable`).
   */
  neitherRows: Problem[];
  /** Some record of the file carried vendor / invoice_number: then a row without it is its own problem. */
  carried: [boolean, boolean];
  /** Refused cells that look written in a style a mapping profile reads (style.ts). */
  style: StyleTally;
  /** Records of the file added so far. */
  rows: number;
  /** Lines the file's rows started (a payments file given to the load starts none). */
  lines: number;
  /**
   * The canonical columns of the file's header, when it has one in the canonical layout (a CSV or
   * workbook read without a profile: `declareColumns`, `headerColumns`); undefined otherwise.
   */
  header: ReadonlySet<string> | undefined;
  /**
   * Invoice columns the rules require that the header lacks, with the rules' reason and how many
   * of the file's invoices lacked them: one `missing_column` for the file (`issues()`), not a
   * `missing_value` on every invoice ("total_amount is empty on every row" of a file without one).
   */
  lacking: Map<string, { reason: string; invoices: number }>;
  /**
   * The reader's error that says the file was not read whole (`refuseFile`: it ends inside a row,
   * its reading stopped part-way): what was read of an invoice may lack its end, so none of its
   * invoices is built — each is invalid beside the file's error (as a file's `missing_column`
   * says it once for all its invoices), in a load's report and a dry run's alike.
   */
  refused: Problem | undefined;
}

const KEY_COLUMNS = ['vendor', 'invoice_number'] as const;

/** Fields of one row in `LineAcc.rows`: the row, then its fund_code, fund_percent, fund_amount. */
const ROW_FIELDS = 4;

/**
 * One line: its number, its line-level cells and its rows. A million-row batch holds half a
 * million of these until the end of the input, so a line is two arrays and no object per row.
 */
interface LineAcc {
  number: string | undefined;
  /** Line-level cells as flat triples: column index, kept text, row. Few per line. */
  cells: (number | Kept)[];
  /**
   * Every row of the line as flat quadruples: row, fund_code, fund_percent, fund_amount, the
   * fund cells undefined for a row without a fund (or whose fund was a duplicate).
   */
  rows: (number | Kept | undefined)[];
}

const firstRow = (l: LineAcc): number => l.rows[0] as number;
interface InvoiceAcc {
  key: InvoiceKey;
  file: FileState;
  /** Required invoice columns its file's header lacks (`withoutLackingColumns`). */
  lacks?: Set<string> | undefined;
  rows: number[];
  /**
   * Invoice-level cells given so far, as flat triples: column index, kept text, row where it
   * was first given. A dense array per column would cost ~600 bytes an invoice, mostly empty.
   */
  head: (number | Kept)[];
  lines: LineAcc[];
  /** Lines by explicit line number, built once an invoice has many (a short list is scanned). */
  byText: Map<string, LineAcc> | undefined;
  problems: Problem[];
  otherFiles: Set<string> | undefined;
  /** The rows of its copies in other files (`duplicate_invoice`): not merged, but the invoice's, for the report and `--rejects`. */
  otherRows: Provenance[] | undefined;
  /**
   * The vendor's text of kept cells a `--mapping` format rewrote (`SourceRecord.written`), by
   * `row \u0000 column`: becomes `Field.written`. Undefined without a mapping (nearly always).
   */
  written: Map<string, string> | undefined;
  /**
   * The amounts and percents of kept cells that were numbers in the file written like `1.200`
   * (`SourceRecord.native`), by `row \u0000 column`: becomes `Field.native`. Undefined without such a cell.
   */
  native: Set<string> | undefined;
  /**
   * Two of the invoice's records began on one line of the file (JSON written on one line): marks
   * kept by `row \u0000 column` would be shared between them — one record's text `"1.200"` taken
   * as another's number 1.200 (wrong money). Such an invoice keeps no marks: its `1.200`-like
   * amounts are refused as texts are (`ambiguous_number`, README "Columns").
   */
  sharedRow: boolean;
  /** A `--mapping` profile's defaults for the invoice and its numbered lines (`SourceRecord.defaults`), applied in `finish`. */
  defaults?: ReadonlyMap<string, string> | undefined;
}

export interface GroupResult<I = Invoice> {
  invoices: GroupedInvoice<I>[];
  /** Problems not tied to an invoice: rows that cannot be grouped, unknown columns. */
  issues: Problem[];
}

export class InvoiceGrouper<I = Invoice> {
  readonly #rules: InvoiceRules;
  readonly #build: InvoiceBuilder<I>;
  readonly #onInvoice: ((invoice: GroupedInvoice<I>) => void) | undefined;
  readonly #dates: DateWindow | undefined;
  /**
   * Streaming: the keys of the invoices handed on, each with where its first row is (`placeCode`:
   * a small integer, no object), for `invoice_number_case` to name it.
   */
  readonly #handedOn = new Map<string, number | { row: number; file: number }>();
  #order: Map<string, number> | undefined;
  readonly #invoices = new Map<string, InvoiceAcc>();
  readonly #files = new Map<string, FileState>();
  readonly #issues: Problem[] = [];
  #file: FileState | undefined;
  /** Scratch for one row's line-level cells as triples (index, kept text, row); never retained. */
  readonly #pending: (number | Kept)[] = [];
  /** The invoice of the previous row: rows of an invoice are usually adjacent. */
  #last: InvoiceAcc | undefined;
  /** Rows with an invoice_number and an empty vendor (see `NoVendor`), by file and number. */
  readonly #noVendor = new Map<string, NoVendor[]>();
  /**
   * Rows with an invoice_number and no vendor (empty, refused, or no such field), by number, in
   * any file: every invoice with that number is held back (`heldBack`), since the row may be one
   * of its lines and the invoice would otherwise be loaded without it.
   */
  readonly #orphans = new Map<string, Orphans[]>();
  /** Streaming: the invoice numbers handed on, so that a later row without a vendor re-reads the batch. */
  readonly #handedOnNumbers = new Set<string>();
  /**
   * The problems of those rows (their `missing_value`, as `issues()` gives it, and the record's
   * own): `skippable`. The problems themselves, not their rows: in one-line JSON every record is
   * on row 1, and a record there with neither vendor nor invoice_number is no such row.
   */
  readonly #orphanProblems = new WeakSet<Problem>();
  #anyOrphan = false;
  /**
   * `invoice_number_case`: the first invoice of each vendor and lower-cased number, by `vendor
   * \u0000 lower-case number`, only for numbers in mixed case (`Case-1`). A number all in upper
   * or all in lower case (`INV-1`, `inv-1`, as nearly all are) is found by its exact key among
   * the invoices the grouper keeps anyway (`#invoices`, `#handedOn`): nothing more per invoice.
   */
  readonly #caseless = new Map<string, { number: string; file: string; row: number }>();

  constructor(opts: GrouperOptions<I> = {}) {
    this.#rules = opts.rules ?? checkInvoice;
    // Without `build`, I is its default, Invoice.
    this.#build = opts.build ?? (buildInvoice as unknown as InvoiceBuilder<I>);
    this.#onInvoice = opts.onInvoice;
    this.#dates = opts.today === undefined ? undefined : dateWindow(opts.today);
  }

  /**
   * Optional fast path for readers with a header (CSV): declares the file's columns (canonical
   * names, after any mapping) before its first record. Unknown ones are reported from here and
   * the file's records are not scanned for unknown keys, which saves ~1.5 µs per 49-column row.
   * Records of a declared file must not carry other keys. Without it, every record is scanned.
   */
  declareColumns(fileName: string, columns: readonly string[]): void {
    const file = this.#fileState(fileName);
    const named = columns.filter((c) => c !== '');
    // Declared twice (it should not be): a record may carry the columns of either declaration,
    // and cells are read by name.
    const twice = file.declared;
    const known = new Set([...(file.pass ?? []).map((s) => s.column), ...named]);
    file.pass = PASS.filter((s) => known.has(s.column));
    file.at = twice ? undefined : file.pass.map((s) => columns.indexOf(s.column));
    file.keyAt = twice ? undefined : [columns.indexOf('vendor'), columns.indexOf('invoice_number'), columns.indexOf('line_number')];
    file.declared = true;
    file.header = new Set([...(file.header ?? []), ...named]);
    for (const column of named) if (!SPECS.has(column) && !file.unknownSeen.has(column)) addUnknown(file, column);
  }

  /**
   * A header in the canonical layout whose records are read by name (a workbook's, read without a
   * profile): only which columns it has, for a required column it lacks (`FileState.lacking`).
   */
  headerColumns(fileName: string, columns: readonly string[]): void {
    const file = this.#fileState(fileName);
    file.header = new Set([...(file.header ?? []), ...columns.filter((c) => c !== '')]);
  }

  /** Adds one record. Call in input order, across all files of the batch. */
  add(record: SourceRecord): void {
    const { file: fileName, row } = record.source;
    let file = this.#file;
    if (file === undefined || file.name !== fileName) file = this.#fileState(fileName);
    file.rows++;
    const keyAt = file.keyAt;
    const cells = keyAt !== undefined ? record.cells : undefined;
    // `record.fields` is read only when the cells by position are not there (see `keyAt`).
    const fields = cells === undefined ? record.fields : undefined;
    if (fields !== undefined && !file.declared) noteUnknown(file, fields);

    const vendor = cellText(fields !== undefined ? fields.vendor : cellAt(cells!, keyAt![0]));
    const number = cellText(fields !== undefined ? fields.invoice_number : cellAt(cells!, keyAt![1]));
    if (fields !== undefined) {
      if (vendor !== undefined) file.carried[0] = true;
      if (number !== undefined) file.carried[1] = true;
    }
    if (vendor === undefined || number === undefined) {
      if (record.problems !== undefined) {
        this.#issues.push(...record.problems);
        // A row with an invoice number and no vendor: its cells' problems go with it (`skippable`).
        if (vendor === undefined && number !== undefined) for (const p of record.problems) this.#orphanProblems.add(p);
      }
      // A key cell the input refused (its problem above) is there, not missing.
      const refused = record.problems?.filter(isError).map((p) => p.column);
      this.#ungroupable(file, record.source, record.fields, [vendor, number], refused);
      return;
    }
    let inv = this.#last;
    if (inv === undefined || inv.key.number !== number || inv.key.vendor !== vendor) {
      const key = keyString({ vendor, number });
      inv = this.#invoices.get(key);
      if (inv === undefined) {
        if (this.#onInvoice !== undefined) this.#handOn(key, { vendor, number }, row);
        inv = newInvoice({ vendor, number }, file, row);
        this.#invoices.set(key, inv);
        for (const [column, text] of [['vendor', vendor], ['invoice_number', number]] as const) {
          const bad = keyError(column, text);
          if (bad !== undefined) inv.problems.push(problem({ file: file.name, row }, bad.code, bad.message, { column }));
        }
        const other = this.#caseVariant(vendor, number, file.name, row);
        if (other !== undefined) inv.problems.push(caseProblem(vendor, number, file.name, row, other));
      }
      this.#last = inv;
    }
    if (record.problems !== undefined) adoptProblems(inv, record.problems, row);
    // The line-level ones come with rows that have a line_number: the larger map has them all.
    if (record.defaults !== undefined && (inv.defaults === undefined || record.defaults.size > inv.defaults.size)) inv.defaults = record.defaults;
    if (inv.file !== file) {
      if (duplicateInFile(inv, file.name, row)) this.#copyLacks(file);
      (inv.otherRows ??= []).push({ file: file.name, row });
      return;
    }
    if (inv.rows.length > 0 && inv.rows[inv.rows.length - 1] === row && !inv.sharedRow) {
      inv.sharedRow = true;
      inv.native = undefined;
    }
    inv.rows.push(row);

    // Filled from the start and counted, not emptied: setting `length = 0` frees the backing
    // store, and re-growing it cost ~0.35 µs a row.
    const pending = this.#pending;
    let np = 0;
    // The line is found before the cells are read: a later row of a line (a fund split) repeats
    // the line's cells, and a cell repeated word for word was checked on the line's first row.
    const lineText = cellText(fields !== undefined ? fields.line_number : cellAt(cells!, keyAt![2]));
    const line = lineText === undefined ? undefined : existingLine(inv, lineText);
    let fundCode: Kept | undefined;
    let fundPercent: Kept | undefined;
    let fundAmount: Kept | undefined;
    /** An invoice-level cell this row gives that the invoice did not have word for word. */
    let added = false;
    const pass = file.pass ?? PASS;
    const at = file.at;
    const written = record.written;
    const native = record.native;
    for (let s = 0; s < pass.length; s++) {
      const spec = pass[s] as Spec;
      const raw = cells !== undefined ? cells[at![s] as number] : fields![spec.column];
      if (raw === undefined) continue;
      const text = cellText(raw);
      if (text === undefined) continue;
      if (spec.level === LEVEL_INVOICE) {
        // Fast path: the same text as the invoice already has is valid and equal.
        if (headText(inv, spec.index) !== text) {
          added = true;
          if (written !== undefined) noteWritten(inv, written, spec.column, row);
          if (native !== undefined && spec.decimal) noteNative(inv, native, spec.column, row);
          mergeInvoiceCell(inv, spec, text, row);
        }
        continue;
      }
      if (spec.level === LEVEL_LINE && line !== undefined && lineCellText(line, spec.index) === text) continue;
      if (written !== undefined) noteWritten(inv, written, spec.column, row);
      if (native !== undefined && spec.decimal) noteNative(inv, native, spec.column, row);
      const kept = check(inv, spec, spec.intern ? intern(spec, text) : text, row);
      if (spec.level === LEVEL_LINE) {
        pending[np++] = spec.index;
        pending[np++] = kept;
        pending[np++] = row;
      }
      // INVALID when its text was refused (a control character: values.ts textError).
      else if (spec.index === 0) fundCode = kept;
      else if (spec.index === 1) fundPercent = kept;
      else fundAmount = kept;
    }
    if (record.problems !== undefined) {
      // A line or fund cell the input refused (a mapping profile's number dialect, say) was left
      // out of the record: it is INVALID, as a cell the codec refuses, so the rules do not also
      // call it missing (price_missing) or count the line without it (total_mismatch).
      for (const p of record.problems) {
        const spec = isError(p) && p.column !== undefined && p.code !== MISPLACED_KEY ? SPECS.get(p.column) : undefined;
        if (spec === undefined) continue;
        if (spec.level === LEVEL_LINE && !pendingHas(pending, np, spec.index)) {
          pending[np++] = spec.index;
          pending[np++] = INVALID;
          pending[np++] = row;
        } else if (spec === FUND_PERCENT) fundPercent ??= INVALID;
        else if (spec === FUND_AMOUNT) fundAmount ??= INVALID;
      }
    }
    const hasFund = fundCode !== undefined || fundPercent !== undefined || fundAmount !== undefined;
    if (lineText === undefined && np === 0 && !hasFund) return; // header row

    if (line === undefined) {
      if (lineText !== undefined) {
        const bad = lineNumberError(lineText);
        if (bad !== undefined) inv.problems.push(problem({ file: file.name, row }, bad.code, bad.message, { column: 'line_number' }));
      }
      // A new line. Its arrays are allocated at their exact size: most lines have one row, and
      // growth slack would cost more memory than the line's content.
      const l: LineAcc = { number: lineText, cells: pending.slice(0, np), rows: [row, fundCode, fundPercent, fundAmount] };
      inv.lines.push(l);
      file.lines++;
      if (inv.byText !== undefined && lineText !== undefined) inv.byText.set(lineText, l);
      else if (inv.lines.length === INDEX_AFTER) inv.byText = indexLines(inv.lines);
      return;
    }
    if (np > 0) mergeLineCells(inv, line, pending, np, row);
    // A later row of a line that gives nothing of its own — no fund share, no cell the line or
    // invoice lacked — splits nothing: a duplicated row, or one whose fund share is in a column
    // the loader does not read (a vendor's renamed column), which loaded the line on the PO
    // line's funds. Refused, not merged silently. Records of one JSON object share a row.
    else if (!hasFund && !added && record.problems === undefined && inv.rows[inv.rows.length - 2] !== row) emptyRepeat(inv, line, row);
    // A duplicated fund row is kept as a row without a fund: not counted twice in the sums.
    const counted = hasFund && !duplicateFund(inv, line, fundCode, row);
    line.rows = appendRow(line.rows, row, counted ? fundCode : undefined, counted ? fundPercent : undefined, counted ? fundAmount : undefined);
  }

  /**
   * Runs the invoice rules and returns the invoices in order of their first row, with the
   * file-level issues. Call once, after the last `add`.
   */
  finish(): GroupResult<I> {
    const invoices = [...this.invoices()];
    return { invoices, issues: this.issues() };
  }

  /**
   * The streaming form of `finish()`: yields each invoice, checked, in order of its first row,
   * releasing its accumulator, so a consumer that does not keep them all (a dry-run summary)
   * holds one at a time. Iterate once, after the last `add`.
   */
  *invoices(): Generator<GroupedInvoice<I>, void, undefined> {
    const fileOrder = this.#fileOrder();
    this.#last = undefined;
    // Streaming, only the last invoice is still held here.
    for (const acc of this.#invoices.values()) {
      const done = finishInvoice(acc, fileOrder, this.#rules, this.#build, this.#leftOut(acc), this.#orphans.get(acc.key.number), this.#dates);
      // Its content is released at once; the map itself is emptied at the end, since deleting
      // 100k entries one by one from a map that size cost ~60 ms of cache misses (issue #5).
      release(acc);
      yield done;
    }
    this.#invoices.clear();
  }

  /** Problems not tied to an invoice: rows that cannot be grouped, unknown columns (one per file). */
  issues(): Problem[] {
    const issues = [...this.#issues];
    for (const list of this.#noVendor.values()) {
      for (const entry of list) {
        // A file none of whose records has a vendor key: its missing column says it, once.
        if (entry.absent !== undefined && !entry.absent.carried[0]) continue;
        // Invoices not finished yet (`issues()` before `invoices()`) are looked at as they stand.
        const matches = entry.matches.length > 0 ? entry.matches : this.#liveMatches(entry.problem.file, entry.number);
        // With no other row of its number, the row's invoice number is named here or nowhere:
        // the invoice is in no table of the report.
        const hint = matches.length === 0 ? `no other row of the file has its invoice number ${quote(entry.number)} — fill in the vendor` : vendorHint(entry.number, matches);
        const said = { ...entry.problem, message: `${entry.problem.message}; ${hint}` };
        this.#orphanProblems.add(said);
        issues.push(said);
      }
    }
    for (const f of this.#files.values()) {
      const lacking: (0 | 1)[] = [];
      for (const i of [0, 1] as const) {
        if (f.absent[i] === 0) continue;
        // One by one, not push(...rows): past ~125,000 rows a spread into one call overflows the stack.
        if (f.carried[i]) for (const p of f.absentRows[i]) issues.push(p);
        else lacking.push(i);
      }
      if (f.carried[0] && f.carried[1]) for (const p of f.neitherRows) issues.push(p);
      const payments = f.lines === 0 ? paymentColumnsOf(f.unknown) : undefined;
      // A payments file given to the load: its own error says what it is, not the columns it lacks.
      if (payments === undefined) for (const [column, { reason, invoices }] of f.lacking) issues.push(requiredColumn(f.name, column, reason, invoices));
      if (lacking.length > 0) issues.push(missingColumns(f, lacking));
      else if (f.rows === 0 && f.keyAt !== undefined && f.keyAt[0] === -1 && f.keyAt[1] === -1) issues.push(missingColumns(f, [0, 1]));
      else if (f.rows === 0 && f.declared) {
        // A warning, not an error: an empty drop is a batch with nothing to do (exit 0, which a
        // nightly job may rely on), but a person who gave the wrong export should hear of it.
        issues.push(problem({ file: f.name }, 'no_rows', `${f.name} has a header and no rows, so it holds no invoice (an export that found nothing, or the wrong file?)`, { severity: 'warning' }));
      }
      if (payments !== undefined) issues.push(paymentsFileProblem(f.name, payments));
      else if (f.unknown.length > 0) {
        // At most UNKNOWN_LISTED names: a header of 20,000 columns made one warning 150 KB long.
        const shown = f.unknown.map((n) => {
          const like = lookAlike(n, canonicalOf);
          return like === undefined ? visibleName(n) : `${visibleName(n)} (looks like ${like.column}, but has ${like.differs})`;
        });
        const message = `columns not in the canonical layout are ignored: ${namedList(shown, UNKNOWN_LISTED)} (a --mapping profile can map them)`;
        issues.push(problem({ file: f.name }, 'unknown_columns', message, { severity: 'warning' }));
      }
      const style = styleProblem(f.name, f.style, f.rows);
      if (style !== undefined) issues.push(style);
    }
    return sortProblems(issues, this.#fileOrder());
  }

  /**
   * Of `issues` (this grouper's own, from `issues()`), the errors of rows with an invoice_number
   * and no vendor: its `missing_value` (or the input's refusal of its vendor cell) and the row's
   * other cells' problems. Such a row is in no invoice, and every invoice of its number is held
   * back (`row_without_vendor`), so `--skip-invalid` may load the other invoices without it and
   * without them: the row and the held invoices go to `--rejects` together. A row with neither
   * vendor nor invoice_number cannot be tied to any invoice, and a file's own problems (a
   * missing column, an unreadable file) are not a row's: those still stop the whole batch
   * (README "What is checked before anything is sent").
   */
  skippable(issues: readonly Problem[]): Problem[] {
    if (!this.#anyOrphan) return [];
    return issues.filter((p) => isError(p) && this.#orphanProblems.has(p));
  }

  /**
   * The rows of the invoice's file with its invoice_number and no vendor (in no invoice), each
   * told the invoice's vendor and rows for its own message; undefined when there are none.
   */
  #leftOut(acc: InvoiceAcc): number[] | undefined {
    if (this.#noVendor.size === 0) return undefined;
    const list = this.#noVendor.get(`${acc.file.name}\u0000${acc.key.number}`);
    if (list === undefined) return undefined;
    for (const entry of list) entry.matches.push({ vendor: acc.key.vendor, rows: acc.rows.slice() });
    return list.map((e) => e.problem.row as number);
  }

  /** The unfinished invoices of the file with that number, as `NoVendor.matches`. */
  #liveMatches(file: string, number: string): NoVendor['matches'] {
    const out: NoVendor['matches'] = [];
    for (const acc of this.#invoices.values()) {
      if (acc.file.name === file && acc.key.number === number && acc.rows.length > 0) out.push({ vendor: acc.key.vendor, rows: acc.rows.slice() });
    }
    return out;
  }

  /**
   * Notes a row with an invoice number and no vendor. Streaming, an invoice of that number
   * already handed on could no longer be held back: the batch is read again, holding every
   * invoice to the end (`InvoiceResumed`).
   */
  #orphan(file: string, row: number, number: string): void {
    if (this.#onInvoice !== undefined && this.#handedOnNumbers.has(number)) throw new InvoiceResumed({ vendor: '', number }, row);
    this.#anyOrphan = true;
    let list = this.#orphans.get(number);
    if (list === undefined) this.#orphans.set(number, (list = []));
    let here = list.find((o) => o.file === file);
    if (here === undefined) list.push((here = { file, rows: [], count: 0 }));
    here.count++;
    if (here.rows.length < ORPHAN_ROWS) here.rows.push(row);
  }

  /**
   * The first invoice of the vendor whose number differs from `number` only in case, if any;
   * notes this one otherwise (only a number with a lower-case letter: see `#caseless`). Called
   * once per new invoice, before it is kept.
   */
  #caseVariant(vendor: string, number: string, file: string, row: number): { number: string; file: string; row: number } | undefined {
    const upper = number.toUpperCase();
    const lower = number.toLowerCase();
    // A number without a cased letter (`10442`, `2025-17`) has no other spelling.
    if (upper === lower) return undefined;
    let first: { number: string; file: string; row: number } | undefined;
    const earlier = (other: { number: string; file: string; row: number } | undefined): void => {
      if (other !== undefined && other.number !== number && (first === undefined || this.#before(other, first))) first = other;
    };
    // Its upper- and lower-case spellings, kept by their exact key as every invoice is.
    for (const spelling of upper === number ? [lower] : lower === number ? [upper] : [upper, lower]) earlier(this.#kept(vendor, spelling));
    // Spellings in mixed case (`Case-1`), noted here.
    const key = `${vendor}\u0000${lower}`;
    const noted = this.#caseless.get(key);
    if (noted !== undefined) earlier(noted);
    else if (upper !== number && lower !== number) this.#caseless.set(key, { number, file, row });
    return first;
  }

  /** The invoice of `vendor` and exactly `number`, kept (`#invoices`) or handed on (`#handedOn`), with where its first row is. */
  #kept(vendor: string, number: string): { number: string; file: string; row: number } | undefined {
    const key = keyString({ vendor, number });
    const acc = this.#invoices.get(key);
    if (acc !== undefined) return { number, file: acc.file.name, row: acc.rows[0] ?? 0 };
    const code = this.#handedOn.get(key);
    return code === undefined ? undefined : { number, ...this.#place(code) };
  }

  /** Whether the place `a` comes before `b` in the batch (files in the order read, then rows). */
  #before(a: { file: string; row: number }, b: { file: string; row: number }): boolean {
    if (a.file === b.file) return a.row < b.row;
    return (this.#files.get(a.file)?.index ?? 0) < (this.#files.get(b.file)?.index ?? 0);
  }

  /** A `placeCode` as the file's name and the row. */
  #place(code: number | { row: number; file: number }): { file: string; row: number } {
    const { row, file } = typeof code === 'number' ? { row: Math.floor(code / PLACE_FILES), file: code % PLACE_FILES } : code;
    for (const f of this.#files.values()) if (f.index === file) return { file: f.name, row };
    return { file: '', row };
  }

  #fileOrder(): Map<string, number> {
    if (this.#order !== undefined) return this.#order;
    const order = new Map<string, number>();
    for (const f of this.#files.values()) order.set(f.name, f.index);
    return (this.#order = order);
  }

  /**
   * Streaming, a row of a new invoice `key`: the invoice of the previous rows is finished and
   * handed on (the only one held); `key` must not be one handed on before.
   */
  #handOn(key: string, invoiceKey: InvoiceKey, row: number): void {
    if (this.#handedOn.has(key)) throw new InvoiceResumed(invoiceKey, row);
    const last = this.#last;
    if (last === undefined) return;
    this.#handedOn.set(keyString(last.key), placeCode(last.rows[0] ?? 0, last.file.index));
    this.#handedOnNumbers.add(last.key.number);
    this.#invoices.clear();
    this.#last = undefined;
    const done = finishInvoice(last, this.#fileOrder(), this.#rules, this.#build, this.#leftOut(last), this.#orphans.get(last.key.number), this.#dates);
    release(last);
    this.#onInvoice!(done);
  }

  /**
   * Told the reader's error that says its file was not read whole (input/event.ts `partial`):
   * none of the file's invoices is built (`FileState.refused`). Call before the invoices are
   * finished; an invoice of the file already handed on (streaming) was not told (cli/batch.ts
   * reads the files again then).
   */
  refuseFile(error: Problem, file: string = error.file): void {
    const f = this.#fileState(file);
    f.refused ??= error;
  }

  /**
   * The invoice columns the rules require whatever an invoice holds (`missing_value` of an empty
   * draft: Alma's invoice_number, invoice_date, vendor, total_amount), with the rules' reason.
   */
  #required: Map<string, string> | undefined;

  /**
   * A copy of another file's invoice (`duplicate_invoice`) is not merged, so the rules never see
   * it: a file whose every invoice is such a copy lost its `missing_column` behind the duplicates.
   * Each copy counts in its own file's `lacking` as an invoice of that file would.
   */
  #copyLacks(file: FileState): void {
    const header = file.header;
    if (header === undefined) return;
    if (this.#required === undefined) {
      this.#required = new Map();
      const empty: DraftInvoice = { key: { vendor: '', number: '' }, file: file.name, rows: [0], fields: {}, lines: [] };
      for (const p of this.#rules(empty)) {
        if (p.code === 'missing_value' && p.severity === 'error' && p.column !== undefined && INVOICE_SET.has(p.column)) this.#required.set(p.column, reasonOf(p.message));
      }
    }
    for (const [column, reason] of this.#required) {
      if (header.has(column)) continue;
      const seen = file.lacking.get(column);
      if (seen !== undefined) seen.invoices++;
      else file.lacking.set(column, { reason, invoices: 1 });
    }
  }

  #fileState(name: string): FileState {
    let f = this.#files.get(name);
    if (f === undefined) {
      f = {
        name,
        index: this.#files.size,
        unknown: [],
        unknownSeen: new Set(),
        declared: false,
        pass: undefined,
        at: undefined,
        keyAt: undefined,
        absent: [0, 0],
        absentRows: [[], []],
        neitherRows: [],
        carried: [false, false],
        style: newStyleTally(),
        rows: 0,
        lines: 0,
        header: undefined,
        lacking: new Map(),
        refused: undefined,
      };
      this.#files.set(name, f);
      this.#order = undefined;
    }
    this.#file = f;
    return f;
  }

  #ungroupable(
    file: FileState,
    at: Provenance,
    fields: Record<string, string | undefined>,
    values: readonly [string | undefined, string | undefined],
    refused: readonly (string | undefined)[] = [],
  ): void {
    if (values[0] === undefined && values[1] !== undefined) this.#orphan(file.name, at.row, values[1]);
    if (refused.some((c) => c === KEY_COLUMNS[0] || c === KEY_COLUMNS[1])) {
      // Said by the input's problem on that cell; the file has the column.
      for (const i of [0, 1] as const) if (refused.includes(KEY_COLUMNS[i])) file.carried[i] = true;
      return;
    }
    if (isBlankRow(fields)) return;
    // Whether the file has the column: the header's positions say it for every row; a record
    // without a header, by its keys.
    const has = (i: 0 | 1): boolean => (file.keyAt !== undefined ? file.keyAt[i] !== -1 : KEY_COLUMNS[i] in fields);
    if (values[0] === undefined && values[1] === undefined && has(0) && has(1)) {
      // Both empty under columns the file has: a row of no invoice, as a spreadsheet's totals or
      // notes line at the bottom is. Said once, with what it likely is.
      if (file.keyAt === undefined) file.carried[0] = file.carried[1] = true;
      this.#issues.push(neitherProblem(at));
      return;
    }
    if (values[0] === undefined && values[1] === undefined && file.keyAt === undefined) {
      // A record (JSON) with neither, a key absent: one problem for the record, as for both
      // empty — not one for each column, or one-line JSON, every record on row 1, could not be
      // counted by its problems (report/human.ts rowsInNoInvoice). Said once the file carries
      // both keys; until then, the file's missing column says it.
      for (const i of [0, 1] as const) {
        if (has(i)) file.carried[i] = true;
        else file.absent[i]++;
      }
      file.neitherRows.push(neitherProblem(at));
      return;
    }
    for (const i of [0, 1] as const) {
      if (values[i] !== undefined) continue;
      const column = KEY_COLUMNS[i];
      const p = problem(at, 'missing_value', `${column} is empty, so the row cannot be grouped into an invoice`, { column });
      const number = values[1];
      if (has(i)) {
        if (file.keyAt === undefined) file.carried[i] = true;
        if (i === 0 && number !== undefined) {
          this.#noVendorRow(file, p, number, false);
          continue;
        }
        this.#issues.push(p);
        continue;
      }
      file.absent[i]++;
      // A header's missing column cannot turn up later in the file: only a count is needed.
      if (file.keyAt === undefined) {
        // A JSON record without a vendor key, with an invoice number: said as a CSV row's empty
        // vendor cell is, naming its number — once another record shows the file has vendors
        // (`FileState.carried`); else the file's missing column says it.
        if (i === 0 && number !== undefined) this.#noVendorRow(file, p, number, true);
        else file.absentRows[i].push(p);
      }
    }
  }

  /** A row with an invoice number and no vendor: said in `issues()`, with the vendor of the file's rows of that number, if any. */
  #noVendorRow(file: FileState, p: Problem, number: string, absent: boolean): void {
    const key = `${file.name}\u0000${number}`;
    let list = this.#noVendor.get(key);
    if (list === undefined) this.#noVendor.set(key, (list = []));
    list.push({ problem: p, number, matches: [], ...(absent ? { absent: file } : {}) });
  }
}

/** A row with neither vendor nor invoice_number: in no invoice, one problem for it. */
const neitherProblem = (at: Provenance): Problem =>
  problem(at, 'missing_value', 'vendor and invoice_number are both empty, so the row belongs to no invoice (a totals or notes line?); delete it, or fill them in', { column: 'vendor' });

/**
 * A row with an invoice_number and an empty vendor: its `missing_value`, said in `issues()` with
 * the invoices of the same file and number (`matches`, filled as they are finished), whose totals
 * then say the row was left out (`DraftInvoice.leftOut`). A lone missing vendor otherwise left a
 * `total_mismatch` on another row whose difference was this row's price, and no word why.
 */
interface NoVendor {
  problem: Problem;
  number: string;
  matches: { vendor: string; rows: number[] }[];
  /** A record without the vendor key (JSON): said only when its file carries the key elsewhere (`FileState.carried`). */
  absent?: FileState;
}

/** The rows of one file with an invoice number and no vendor (`#orphan`): the first `ORPHAN_ROWS`, and how many. */
interface Orphans {
  file: string;
  rows: number[];
  count: number;
}

/** Rows without a vendor named one by one on each invoice of their number; the rest are counted. */
const ORPHAN_ROWS = 10;

/**
 * An invoice's errors for the rows with its invoice number and no vendor (in any file): one on
 * each such row, so the invoice is invalid and not loaded — with `--skip-invalid` too — instead
 * of loaded without what may be one of its lines (a line of price 0, or a total that still
 * matches). README "What is checked before anything is sent".
 */
function heldBack(key: InvoiceKey, file: string, rows: readonly number[], orphans: readonly Orphans[]): Problem[] {
  const out: Problem[] = [];
  for (const o of orphans) {
    // The problem is filed under the row's file: the invoice's rows in another file are named with theirs.
    const where = o.file === file ? rowsText(rows) : `${shownFile(file)} ${rowsText(rows)}`;
    for (const row of o.rows) {
      out.push(
        problem(
          { file: o.file, row },
          'row_without_vendor',
          `invoice number ${quote(key.number)} with no vendor: the row is in no invoice, and may be a line of invoice ${quote(key.number)} of vendor ${quote(key.vendor)} ` +
            `(${where}), which is therefore not loaded without it — fill in the row's vendor, or delete the row if it belongs to no invoice of that number, and load again`,
          { column: 'vendor' },
        ),
      );
    }
    const more = o.count - o.rows.length;
    if (more > 0) {
      const last = out[out.length - 1]!;
      out[out.length - 1] = { ...last, message: `${last.message} (so too ${more.toLocaleString('en-US')} more row${more === 1 ? '' : 's'} of ${shownFile(o.file)} with that number and no vendor)` };
    }
  }
  return out;
}

/** Files a `placeCode` tells apart as a small integer; past them (or past 2^20 rows) it is an object. */
const PLACE_FILES = 1024;

/**
 * Where an invoice's first row is, as a small integer (a V8 Smi: no object on the heap) in
 * nearly every batch: kept for each invoice handed on (`#handedOn`).
 */
function placeCode(row: number, file: number): number | { row: number; file: number } {
  return row < 2 ** 20 && file < PLACE_FILES ? row * PLACE_FILES + file : { row, file };
}

/**
 * The warning on an invoice whose number differs from an earlier invoice's of the same vendor
 * only in letter case (`invoice_number_case`), naming both rows (the other's with its file when
 * that is another).
 */
function caseProblem(vendor: string, number: string, file: string, row: number, other: { number: string; file: string; row: number }): Problem {
  const where = other.file === file ? `row ${other.row}` : `${shownFile(other.file)} row ${other.row}`;
  return problem(
    { file, row },
    'invoice_number_case',
    `invoice number ${quote(number)} differs from ${quote(other.number)} of the same vendor ${quote(vendor)} (${where}) only in upper and lower case, ` +
      `so they are loaded as two invoices — the same invoice typed two ways? Write the number the same way on every row (the system they are loaded into may take them for one number or for two)`,
    { column: 'invoice_number', severity: 'warning' },
  );
}

/** `rows 2–3 with invoice number "G-24118" are vendor "GOBI" — fill in GOBI?` */
function vendorHint(number: string, matches: NoVendor['matches']): string {
  const [one] = matches;
  if (matches.length === 1) return `${rowsText(one!.rows)} with invoice number ${quote(number)} ${one!.rows.length === 1 ? 'is' : 'are'} vendor ${quote(one!.vendor)} — fill in ${one!.vendor}?`;
  const said = matches.map((m) => `vendor ${quote(m.vendor)} on ${rowsText(m.rows)}`);
  return `invoice number ${quote(number)} is ${said.slice(0, -1).join(', ')} and ${said.at(-1)} — fill in the vendor of its invoice`;
}

/** The canonical column a header name is read as, if any (for `lookAlike`). */
const canonicalOf = (name: string): string | undefined => {
  const column = canonicalHeaderName(name);
  return SPECS.has(column) ? column : undefined;
};

/**
 * The problem of a file whose rows lack vendor and/or invoice_number altogether (see
 * `#ungroupable`): one for the file, naming both columns when both are missing.
 */
function missingColumns(file: FileState, which: readonly (0 | 1)[]): Problem {
  const rows = Math.max(...which.map((i) => file.absent[i]));
  const names = which.map((i) => KEY_COLUMNS[i]);
  const where =
    file.keyAt !== undefined
      ? `the header has ${names.length === 2 ? 'neither a vendor nor an invoice_number' : `no ${names[0]}`} column`
      : `no record has ${names.length === 2 ? 'a vendor or an invoice_number' : `${/^[aeiou]/.test(names[0]!) ? 'an' : 'a'} ${names[0]}`} field`;
  const joined = rows === 0 ? ' ' : ', so ';
  const cannot =
    rows === 0
      ? 'and no row follows it, so the file holds no invoice'
      : rows === 1
        ? `the file's one row cannot be grouped into an invoice`
        : `none of the file's ${rows.toLocaleString('en-US')} rows can be grouped into an invoice`;
  const sheet = /\.xlsx:[^:]+$/i.test(file.name) ? '; or, if the invoices are on another sheet of the workbook, name it with --sheet' : '';
  // A header cell that only looks like the column (an invisible character, a Cyrillic letter).
  const alike = file.unknown.flatMap((n) => {
    const like = lookAlike(n, canonicalOf);
    return like !== undefined && (names as string[]).includes(like.column) ? [`the header's "${visibleName(n)}" looks like ${like.column} but has ${like.differs}: type that header cell again`] : [];
  });
  if (alike.length > 0) return problem({ file: file.name }, 'missing_column', `${where}${joined}${cannot}; ${alike.join('; ')}`, names.length === 1 ? { column: names[0] } : {});
  const fix = `name ${names.length === 2 ? 'them' : 'it'} ${names.join(' and ')} as the canonical layout does, or map the vendor's own names with a profile (\`invoice-load mapping init ${fileArgs(file.name)}\` writes one to start from)${sheet}`;
  return problem({ file: file.name }, 'missing_column', `${where}${joined}${cannot}; ${fix}`, names.length === 1 ? { column: names[0] } : {});
}


/** Cell `i` of a row, undefined for a column the file lacks (-1) or a short row. */
const cellAt = (cells: readonly string[], i: number): string | undefined => (i >= 0 ? cells[i] : undefined);

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

/**
 * Problems the input layer found in a row's cells (a mapping refused a date, say) belong to the
 * row's invoice. A cell refused (an error) is left out of the record; an invoice-level one is
 * marked INVALID so the rules do not also call it missing (a line or fund one is, in `add`). A
 * warning's cell was read (a cell the input layer warned about, as a hidden row's) and stays.
 */
function adoptProblems(inv: InvoiceAcc, problems: readonly Problem[], row: number): void {
  for (const p of problems) {
    inv.problems.push(p);
    if (!isError(p)) continue;
    const spec = p.column !== undefined ? SPECS.get(p.column) : undefined;
    if (spec?.level === LEVEL_INVOICE && headText(inv, spec.index) === undefined) {
      inv.head.push(spec.index, INVALID, row);
    }
  }
}

/** True when the row's pending line cells (`np` entries of triples) hold the column. */
function pendingHas(pending: readonly (number | Kept)[], np: number, index: number): boolean {
  for (let p = 0; p < np; p += 3) if (pending[p] === index) return true;
  return false;
}

/**
 * An amount the rules refused as `ambiguous_number` (`1.200` EUR: findings.ts `dotThousands`) is
 * written with a dot between thousands, as far as anyone can tell: counted with the cells the
 * codecs refused in that style, for the file's one `mapping_needed` hint (style.ts).
 */
function tallyAmbiguous(tally: StyleTally, draft: DraftInvoice, p: Problem): void {
  const row = p.row;
  const column = p.column;
  if (row === undefined || column === undefined) return;
  const at = (f: Field<unknown> | undefined): string | undefined => (f !== undefined && f.row === row ? f.text : undefined);
  let text = at((draft.fields as Record<string, Field<unknown> | undefined>)[column]);
  for (const line of draft.lines) {
    if (text !== undefined) break;
    text = at((line.fields as Record<string, Field<unknown> | undefined>)[column]);
    if (column === 'fund_amount') for (const fund of line.funds) text ??= at(fund.amount);
  }
  if (text !== undefined) tallyStyle(tally, 'thousands', text, row);
}

/** Runs the column's codec: the text when accepted, else INVALID after reporting the problem. */
function check(inv: InvoiceAcc, spec: Spec, text: string, row: number): Kept {
  const v = spec.codec(text, spec.column);
  if (!(v instanceof CellError)) return text;
  inv.problems.push(problem({ file: inv.file.name, row }, v.code, v.message, { column: spec.column }));
  const style = styleOf(v.code, text);
  if (style !== undefined) tallyStyle(inv.file.style, style, text, row);
  return INVALID;
}


function release(acc: InvoiceAcc): void {
  acc.rows = [];
  acc.head = [];
  acc.lines = [];
  acc.byText = undefined;
  acc.problems = [];
  acc.otherRows = undefined;
}

function newInvoice(key: InvoiceKey, file: FileState, row: number): InvoiceAcc {
  return {
    key,
    file,
    rows: [],
    head: [VENDOR, key.vendor, row, NUMBER, key.number, row],
    lines: [],
    byText: undefined,
    problems: [],
    otherFiles: undefined,
    otherRows: undefined,
    written: undefined,
    native: undefined,
    sharedRow: false,
  };
}

/** Keeps the vendor's text of a cell the mapping rewrote, for the field `toDraft` makes of it. */
function noteWritten(inv: InvoiceAcc, written: Readonly<Record<string, string>>, column: string, row: number): void {
  const w = written[column];
  if (w !== undefined) (inv.written ??= new Map()).set(`${row}\u0000${column}`, w);
}

/** Keeps that the amount or percent `column` of `row` was a number in the file (`SourceRecord.native`). */
function noteNative(inv: InvoiceAcc, native: ReadonlySet<string>, column: string, row: number): void {
  if (native.has(column) && !inv.sharedRow) (inv.native ??= new Set()).add(`${row}\u0000${column}`);
}

/**
 * Sets `Field.written` from the invoice's `written` (the mapping's rewritten cells), and
 * `Field.native` from its `native` (the cells that were numbers in the file).
 */
function withWritten<F extends Field<unknown> | undefined>(acc: InvoiceAcc, column: string, f: F): F {
  if (f === undefined) return f;
  const w = acc.written === undefined ? undefined : acc.written.get(`${f.row}\u0000${column}`);
  if (w !== undefined) f.written = w;
  if (acc.native !== undefined && acc.native.has(`${f.row}\u0000${column}`)) f.native = true;
  return f;
}

/** Position of the column's triple in `inv.head`, or -1. */
function headAt(inv: InvoiceAcc, index: number): number {
  const head = inv.head;
  for (let h = 0; h < head.length; h += 3) if (head[h] === index) return h;
  return -1;
}

/** The invoice's kept text for the column, or undefined when none was given yet. */
function headText(inv: InvoiceAcc, index: number): Kept | undefined {
  const h = headAt(inv, index);
  return h === -1 ? undefined : (inv.head[h + 1] as Kept);
}

/** Says the copy of `inv` in `file`, once per file: true the first time. */
function duplicateInFile(inv: InvoiceAcc, file: string, row: number): boolean {
  inv.otherFiles ??= new Set();
  if (inv.otherFiles.has(file)) return false;
  inv.otherFiles.add(file);
  inv.problems.push(
    problem(
      { file, row },
      'duplicate_invoice',
      `invoice ${quote(inv.key.number)} of vendor ${quote(inv.key.vendor)} is also in ${shownFile(inv.file.name)} (row ${inv.rows[0]}); ` +
        `the rows in ${shownFile(file)} are not merged and neither copy is loaded — an invoice must come from one file`,
      { column: 'invoice_number' },
    ),
  );
  return true;
}

/** An invoice-level cell whose text differs from what the invoice holds (or holds nothing yet). */
function mergeInvoiceCell(inv: InvoiceAcc, spec: Spec, text: string, row: number): void {
  const at = headAt(inv, spec.index);
  const prev = at === -1 ? undefined : (inv.head[at + 1] as Kept);
  const kept = check(inv, spec, text, row);
  if (prev === undefined) {
    inv.head.push(spec.index, kept, row);
  } else if (spec.index === ATTACHMENT) {
    // Several rows may name several files: each distinct path is kept once, in row order.
    for (let h = at; h < inv.head.length; h += 3) if (inv.head[h] === ATTACHMENT && inv.head[h + 1] === text) return;
    inv.head.push(spec.index, kept, row);
  } else if (prev !== INVALID && kept !== INVALID && normal(spec, prev) !== normal(spec, text)) {
    inv.problems.push(
      problem(
        { file: inv.file.name, row },
        'invoice_field_conflict',
        `${spec.column} ${quote(text)} on row ${row} differs from ${quote(prev)} on row ${inv.head[at + 2] as number} ` +
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

/** The line's kept text for a line-level column, or undefined when none was given yet. */
function lineCellText(line: LineAcc, index: number): Kept | undefined {
  const cells = line.cells;
  for (let c = 0; c < cells.length; c += 3) if (cells[c] === index) return cells[c + 1] as Kept;
  return undefined;
}

/** Up to this many lines an invoice's lines are scanned; beyond, they are indexed by number. */
const INDEX_AFTER = 16;
function indexLines(lines: LineAcc[]): Map<string, LineAcc> {
  const m = new Map<string, LineAcc>();
  for (const l of lines) if (l.number !== undefined && !m.has(l.number)) m.set(l.number, l);
  return m;
}

function mergeLineCells(inv: InvoiceAcc, line: LineAcc, pending: (number | Kept)[], np: number, row: number): void {
  const cells = line.cells;
  for (let p = 0; p < np; p += 3) {
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

/**
 * A mapping profile's defaults, after the invoice's last row: each invoice-level one where no
 * row of the invoice has a value, each line-level one on a numbered line none of whose rows
 * has (rows without a line_number had theirs filled by the input layer), given on the
 * invoice's (line's) first row, as the profile's value for an empty cell there would be.
 */
function applyDefaults(acc: InvoiceAcc, defaults: ReadonlyMap<string, string>): void {
  for (const [column, text] of defaults) {
    const spec = SPECS.get(column);
    if (spec === undefined) continue;
    if (spec.level === LEVEL_INVOICE) {
      if (headAt(acc, spec.index) === -1) mergeInvoiceCell(acc, spec, text, acc.rows[0] as number);
      continue;
    }
    if (spec.level !== LEVEL_LINE) continue;
    for (const line of acc.lines) {
      if (line.number === undefined || lineCellText(line, spec.index) !== undefined) continue;
      line.cells.push(spec.index, check(acc, spec, text, firstRow(line)), firstRow(line));
    }
  }
}

/** A later row of `line` that adds no fund share and nothing else (see `add`). */
function emptyRepeat(inv: InvoiceAcc, line: LineAcc, row: number): void {
  inv.problems.push(
    problem(
      { file: inv.file.name, row },
      'duplicate_fund_row',
      `row ${row} repeats line ${quote(line.number ?? '')} (row ${line.rows[0] as number}) with no fund share and no cell of its own, and each row of a line is one fund share: ` +
        'give its fund_code and fund_percent or fund_amount (in a column the loader reads: a vendor\'s column is mapped with a --mapping profile), or delete the row if it is a copy',
      { column: 'fund_code' },
    ),
  );
}

/** True (and reported) when the line already has a fund with this code. */
function duplicateFund(inv: InvoiceAcc, line: LineAcc, code: Kept | undefined, row: number): boolean {
  // A refused code (INVALID) was said already: two of them are not the same fund.
  if (code === undefined || code === INVALID) return false;
  const rows = line.rows;
  for (let r = 0; r < rows.length; r += ROW_FIELDS) {
    if (rows[r + 1] !== code) continue;
    inv.problems.push(
      problem(
        { file: inv.file.name, row },
        'duplicate_fund_row',
        `fund_code ${quote(code)} appears twice on line ${quote(line.number ?? '')} (rows ${rows[r] as number} and ${row}); is the row duplicated?`,
        { column: 'fund_code' },
      ),
    );
    return true;
  }
  return false;
}

/**
 * `rows` with one more row, without the spare slots a push onto a full array allocates (16 or
 * more: a two-row line would carry 130 bytes of slack). Lines of many rows just grow.
 */
function appendRow(
  rows: (number | Kept | undefined)[],
  row: number,
  code: Kept | undefined,
  percent: Kept | undefined,
  amount: Kept | undefined,
): (number | Kept | undefined)[] {
  if (rows.length >= 8 * ROW_FIELDS) {
    rows.push(row, code, percent, amount);
    return rows;
  }
  // Copied by hand: 5× faster than `concat([...])` in a micro-benchmark, and exactly sized.
  const n = rows.length;
  const out = new Array<number | Kept | undefined>(n + ROW_FIELDS);
  for (let i = 0; i < n; i++) out[i] = rows[i];
  out[n] = row;
  out[n + 1] = code;
  out[n + 2] = percent;
  out[n + 3] = amount;
  return out;
}

// ---------------------------------------------------------------------------------------------


function toDraft(acc: InvoiceAcc): DraftInvoice {
  const fields: Record<string, Field<unknown>> = {};
  // In column order, as a dense array would give them.
  // Sorted by insertion: a dozen entries, and Array#sort's work array cost ~90 MB of garbage
  // on a million-row dry run.
  const order: number[] = [];
  for (let h = 0; h < acc.head.length; h += 3) {
    const column = acc.head[h] as number;
    let k = order.length;
    while (k > 0 && (acc.head[order[k - 1] as number] as number) > column) {
      order[k] = order[k - 1] as number;
      k--;
    }
    order[k] = h;
  }
  let attachments: Field<string>[] | undefined;
  for (const h of order) {
    const column = INVOICE_COLUMNS[acc.head[h] as number] as string;
    const f = withWritten(acc, column, field(specOf(column), acc.head[h + 1] as Kept, acc.head[h + 2] as number));
    if (acc.head[h] === ATTACHMENT) {
      (attachments ??= []).push(f as Field<string>);
      if (fields[column] !== undefined) continue; // the field keeps the first file
    }
    fields[column] = f;
  }

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
          { file: acc.file.name, row: firstRow(l) },
          'duplicate_line_number',
          `line_number ${quote(l.number)} is the same number as ${quote(other.number ?? '')} on row ${firstRow(other)}; ` +
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
      lf[column] = withWritten(acc, column, field(specOf(column), l.cells[c + 1] as Kept, l.cells[c + 2] as number));
    }
    // The line's rows, and its funds in row order: the rows that give any fund cell. Both
    // arrays at their exact size: a first push would make room for 17.
    const held = l.rows;
    const rows: number[] = new Array<number>(held.length / ROW_FIELDS);
    let withFund = 0;
    for (let r = 0; r < held.length; r += ROW_FIELDS) {
      if (held[r + 1] !== undefined || held[r + 2] !== undefined || held[r + 3] !== undefined) withFund++;
    }
    const funds: DraftFund[] = new Array<DraftFund>(withFund);
    let nf = 0;
    for (let r = 0; r < held.length; r += ROW_FIELDS) {
      const row = held[r] as number;
      rows[r / ROW_FIELDS] = row;
      const code = held[r + 1] as string | undefined;
      const percent = held[r + 2] as Kept | undefined;
      const amount = held[r + 3] as Kept | undefined;
      if (code === undefined && percent === undefined && amount === undefined) continue;
      funds[nf++] = {
        row,
        code: code === undefined ? undefined : { value: code, row, text: code },
        percent: percent === undefined ? undefined : (withWritten(acc, 'fund_percent', field(FUND_PERCENT, percent, row)) as DraftFund['percent']),
        amount: amount === undefined ? undefined : (withWritten(acc, 'fund_amount', field(FUND_AMOUNT, amount, row)) as DraftFund['amount']),
      };
    }
    return { number, explicit: l.number !== undefined, rows, fields: lf, funds };
  });
  return { key: acc.key, file: acc.file.name, rows: acc.rows, fields, lines, ...(attachments !== undefined ? { attachments } : {}) };
}

/**
 * The rules' problems without the `missing_value` of an invoice column the file's header does not
 * have, which are counted in `FileState.lacking` instead (the invoice is still not built:
 * `lacksColumn`). Only a header in the canonical layout says a column is not there.
 */
function withoutLackingColumns(found: Problem[], acc: InvoiceAcc): Problem[] {
  const header = acc.file.header;
  if (header === undefined) return found;
  const first = acc.rows[0];
  let kept: Problem[] | undefined;
  for (const [i, p] of found.entries()) {
    const column = p.column;
    const lacking = p.code === 'missing_value' && p.severity === 'error' && p.row === first && column !== undefined && INVOICE_SET.has(column) && !header.has(column);
    if (!lacking) {
      kept?.push(p);
      continue;
    }
    kept ??= found.slice(0, i);
    const seen = acc.file.lacking.get(column);
    if (seen !== undefined) seen.invoices++;
    else acc.file.lacking.set(column, { reason: reasonOf(p.message), invoices: 1 });
    (acc.lacks ??= new Set()).add(column);
  }
  return kept ?? found;
}

const INVOICE_SET: ReadonlySet<string> = new Set(INVOICE_COLUMNS);
const lacksColumn = (acc: InvoiceAcc): boolean => acc.lacks !== undefined && acc.lacks.size > 0;
/** "total_amount is empty on every row of the invoice; Alma requires it" → "Alma requires it". */
const reasonOf = (message: string): string => {
  const at = message.indexOf('; ');
  return at < 0 ? 'it is required' : message.slice(at + 2);
};

/** One error for a file whose header lacks a column every invoice needs (`FileState.lacking`). */
function requiredColumn(file: string, column: string, reason: string, invoices: number): Problem {
  const which = invoices === 1 ? 'its one invoice is not' : `none of its ${invoices.toLocaleString('en-US')} invoices is`;
  return problem(
    { file },
    'missing_column',
    `the file has no ${column} column, so ${which} loaded; ${reason}. Add ${/^[aeiou]/.test(column) ? 'an' : 'a'} ${column} column with each invoice's value, or map the vendor's own column with a profile (\`invoice-load mapping init ${fileArgs(file)}\` writes one to start from)`,
    { column },
  );
}

function finishInvoice<I>(
  acc: InvoiceAcc,
  fileOrder: ReadonlyMap<string, number>,
  rules: InvoiceRules,
  build: InvoiceBuilder<I>,
  leftOut: number[] | undefined,
  orphans: readonly Orphans[] | undefined,
  dates: DateWindow | undefined,
): GroupedInvoice<I> {
  if (acc.defaults !== undefined) applyDefaults(acc, acc.defaults);
  const draft = toDraft(acc);
  if (leftOut !== undefined) draft.leftOut = leftOut;
  const reused = reusedNumber(acc);
  if (reused !== undefined) acc.problems.push(reused);
  if (orphans !== undefined) for (const p of heldBack(acc.key, acc.file.name, acc.rows, orphans)) acc.problems.push(p);
  if (dates !== undefined) for (const p of implausibleDates(draft, dates)) acc.problems.push(p);
  // concat, not spreads: an array spread walks the iterator protocol, per invoice of the batch.
  const ruled = withoutLackingColumns(rules(draft), acc);
  for (const p of ruled) if (p.code === 'ambiguous_number') tallyAmbiguous(acc.file.style, draft, p);
  const problems = sortProblems(acc.problems.concat(ruled), fileOrder);
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
  // An invoice of a file without a column it requires is not built either: the file's
  // `missing_column` (`FileState.lacking`) says why, once for all its invoices.
  // Nor is one of a file not read whole (`FileState.refused`): the file's error says why.
  if (problems.some(isError) || lacksColumn(acc) || acc.file.refused !== undefined) {
    // Not built: the report still shows what the file gives (its lines, the total as written).
    const f = draft.fields;
    const written = { lines: draft.lines.map((l) => l.number), total: f.total_amount?.text, currency: f.currency?.text };
    // A copy in another file (an error, so never built) brings its rows: both copies' rows are
    // the report's and go back in `--rejects`, each with its own reason.
    return { key: acc.key, rows: acc.otherRows === undefined ? rows : rows.concat(acc.otherRows), invoice: undefined, problems, written };
  }
  return { key: acc.key, rows, invoice: build(draft, at), problems };
}

/** The invoice-level columns that tell one invoice from another: two values are two invoices. */
const TELLING: readonly (readonly [string, string])[] = [
  ['invoice_date', 'dates'],
  ['total_amount', 'totals'],
];

/**
 * One warning on the invoice's first row when its rows give two dates or two totals: each
 * `invoice_field_conflict` says one cell, and four of them did not say the likely cause — one
 * invoice number used for two invoices. Undefined otherwise.
 */
function reusedNumber(acc: InvoiceAcc): Problem | undefined {
  const differ = TELLING.filter(([column]) => acc.problems.some((p) => p.code === 'invoice_field_conflict' && p.column === column)).map(([, what]) => what);
  if (differ.length === 0) return undefined;
  return problem(
    { file: acc.file.name, row: acc.rows[0] },
    'invoice_number_reused',
    `invoice number ${quote(acc.key.number)} of vendor ${quote(acc.key.vendor)} appears on ${rowsText(acc.rows)} with different ${differ.join(' and ')} — two different invoices? ` +
      `Give each its own invoice number, or repeat the same values`,
    { column: 'invoice_number', severity: 'warning' },
  );
}

/** Sorts by file (in the order files were read), then row (file-level problems first); stable. */
export function sortProblems(problems: Problem[], fileOrder: ReadonlyMap<string, number>): Problem[] {
  return problems.sort(
    (a, b) => (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) || (a.row ?? 0) - (b.row ?? 0),
  );
}

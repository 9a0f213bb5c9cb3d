/**
 * One vendor record → one canonical record, by a mapping profile: vendor columns renamed (or
 * dropped), value maps, the number and date dialect, constants and defaults.
 *
 * It runs in the input layer, so the record keeps its provenance (the file's own row) and every
 * later problem points at that row and the canonical column. A cell the mapping refuses is
 * reported on the record (`SourceRecord.problems`, which the grouper files under the record's
 * invoice) naming the vendor's column, and left out of the record so the domain does not report
 * it a second time in its own words.
 */
import { FUND_COLUMNS, INVOICE_COLUMNS, isCanonicalColumn, type CanonicalColumn } from '../../domain/columns.js';
import { COLUMN_KIND, quote } from '../../domain/cells.js';
import { problem, type Problem } from '../../domain/problem.js';
import { isDotGrouped } from '../../domain/findings.js';
import type { InputEvent } from '../event.js';
import type { JsonNumber } from '../../common/json.js';
import { isKeyColumn, keyScalarRefusal, SharedLineWatch } from '../shape.js';
import type { Provenance, SourceRecord } from '../record.js';
import { DialectError, parseDate, parseNumber } from './dialect.js';
import { canonicalByHeader, headerKey, valueKey } from './names.js';
import type { MappingProfile } from './profile.js';

/** A record as a format reader hands it to the mapper. */
export interface VendorRecord {
  source: Provenance;
  /** Keyed by vendor column (CSV, flat JSON) or already by canonical column (JSON paths). */
  fields: Record<string, string | undefined>;
  /** Columns whose value was a JSON number: already plain digits, no number dialect applies. */
  native?: ReadonlySet<string> | undefined;
  /** Where each canonical column came from (a JSON path), for messages; else the vendor column. */
  origin?: ReadonlyMap<string, string> | undefined;
  /**
   * The JSON number or boolean each column held (keyed as `fields`): in an identifier column
   * the mapped value is refused as the canonical layout's JSON is (src/input/shape.ts `cell`).
   */
  scalars?: ReadonlyMap<string, JsonNumber | boolean> | undefined;
  /** Problems the reader found in this record (a JSON value that is not a single value). */
  problems?: Problem[] | undefined;
  /** The text of cells the reader refused and left out, by canonical column (SourceRecord.refused). */
  refused?: Readonly<Record<string, string>> | undefined;
}

const IGNORED = 0;
const UNKNOWN = 1;
type Resolved = typeof IGNORED | typeof UNKNOWN | { column: CanonicalColumn; header: string };

const INVOICE_LEVEL: ReadonlySet<string> = new Set(INVOICE_COLUMNS);
const FUND_LEVEL: ReadonlySet<string> = new Set(FUND_COLUMNS);

/**
 * The canonical columns whose absence from a file silently changes money or fund allocation: a
 * line without fund columns or a price loads the PO line's funds or price, an invoice without
 * its VAT loads none. A mapped one none of whose names is in the file is an error for the file
 * (README "Vendor layouts: mapping profiles"). The charges (shipment, overhead, insurance,
 * discount) are not: the total rule says an invoice whose charges went missing (total_mismatch).
 * Every other mapped column missing is a warning: an export leaves out keys no row has a value
 * for (no memo this month).
 */
const CHARGES: ReadonlySet<string> = new Set(['shipment', 'overhead', 'insurance', 'discount']);
export const missingIsError = (column: CanonicalColumn): boolean => {
  const kind: string = COLUMN_KIND[column];
  return FUND_LEVEL.has(column) || ((kind === 'money' || kind === 'percent' || kind === 'quantity') && !CHARGES.has(column));
};

/** A missing column's message: what no row would have, and what to do. */
export function missingColumnText(column: CanonicalColumn, what: string, where: string, section: string, profile: string, fallback?: string): { message: string; severity: 'error' | 'warning' } {
  const article = /^[aeiou]/.test(column) ? 'an' : 'a';
  const error = missingIsError(column);
  const fix = error ? `correct ${where} in the profile ${quote(profile)}${section} or in the file, then load it again` : `if the file renamed it, correct ${where} in the profile ${quote(profile)}${section}`;
  // A default fills empty cells; with the column gone it would stand in for every row's value.
  const then = fallback === undefined ? `no row would have ${article} ${column}` : `every row would have the profile's default ${quote(fallback)} for ${column}`;
  return { message: `${what}, so ${then}; ${fix}`, severity: error ? 'error' : 'warning' };
}

/** Maps the records of one file. */
export class RecordMapper {
  private readonly resolved = new Map<string, Resolved>();
  private headerChecked = false;
  /** Flat JSON: the keys of its records so far, checked against the profile at the end. */
  private seenKeys: Set<string> | undefined;
  private readonly reported = new Set<string>();
  /** The profile's invoice-level defaults; with its line-level ones (not fund cells) besides. */
  private readonly invoiceDefaults = new Map<string, string>();
  private readonly lineDefaults = new Map<string, string>();
  private readonly sharedLine: SharedLineWatch;

  constructor(
    private readonly profile: MappingProfile,
    private readonly file: string,
    private readonly out: InputEvent[],
    /** `columns`: records are keyed by vendor column; `canonical`: by canonical column (JSON paths). */
    private readonly keyed: 'columns' | 'canonical',
    /** CSV: every record has every header column, so the header can be checked on the first. */
    private readonly hasHeader: boolean,
  ) {
    this.sharedLine = new SharedLineWatch(file, out);
    for (const [column, value] of profile.defaults) {
      if (INVOICE_LEVEL.has(column)) this.invoiceDefaults.set(column, value);
      if (!FUND_LEVEL.has(column)) this.lineDefaults.set(column, value);
    }
  }

  map(input: VendorRecord): void {
    const fields: Record<string, string | undefined> = {};
    const origin = new Map<string, string>();
    let native = input.native;
    let scalars = input.scalars;
    if (this.keyed === 'canonical') {
      Object.assign(fields, input.fields);
      if (input.origin !== undefined) for (const [c, o] of input.origin) origin.set(c, o);
    } else {
      if (this.hasHeader) {
        if (!this.headerChecked) this.checkHeader(Object.keys(input.fields));
        this.headerChecked = true;
      } else if (!this.headerChecked) for (const k in input.fields) (this.seenKeys ??= new Set()).add(k);
      ({ native, scalars } = this.rename(input, fields, origin));
    }
    const problems: Problem[] = input.problems !== undefined ? [...input.problems] : [];
    let written: Record<string, string> | undefined;
    let numbers: Set<string> | undefined;
    let refused: Record<string, string> | undefined = input.refused !== undefined ? { ...input.refused } : undefined;
    const from = (key: string): string => {
      const where = origin.get(key);
      return where === undefined ? '' : this.keyed === 'canonical' ? ` (JSON path ${where})` : ` (vendor column ${quote(where)})`;
    };
    for (const key in fields) {
      if (!isCanonicalColumn(key)) continue;
      // `true` or `1e5` mapped to an identifier column: refused, and left out, as in the canonical layout's JSON.
      const scalar = scalars?.get(key);
      if (scalar !== undefined && isKeyColumn(key)) {
        const refused = keyScalarRefusal(key, scalar, from(key));
        if (refused !== undefined) {
          problems.push(problem(input.source, refused.code, refused.message, { column: key }));
          delete fields[key];
          continue;
        }
      }
      const raw = fields[key];
      if (raw === undefined || raw.trim() === '') continue;
      const r = this.cell(key, raw, native?.has(key) === true);
      if (typeof r === 'string') {
        fields[key] = r;
        // A number in the file (a JSON number, a workbook's number cell) written like `1.200`, kept
        // as it is, not replaced by the value map: no thousands separator in it (SourceRecord.native).
        if (native?.has(key) === true && r === raw && isDotGrouped(r)) (numbers ??= new Set()).add(key);
        // A number or date the dialect rewrote: messages quote the vendor's text (SourceRecord.written).
        // So is an amount like `1.200` the profile's declared numbers format read as it is: the
        // profile settled that its dot is a decimal point, which the rules otherwise refuse as
        // ambiguous (domain/findings.ts `dotThousands`).
        if ((r !== raw.trim() && COLUMN_KIND[key] !== 'text') || (COLUMN_KIND[key] === 'money' && !native?.has(key) && isDotGrouped(r))) (written ??= {})[key] = raw.trim();
        continue;
      }
      problems.push(problem(input.source, r.code, `${key} ${quote(raw.trim())}${from(key)} ${r.reason}`, { column: key }));
      // A refused code keeps its text (the row still groups under its vendor and number); a
      // refused amount or date is left out, so the domain does not report it again.
      // Its text goes back in the rejects file (SourceRecord.refused).
      if (COLUMN_KIND[key] !== 'text') {
        delete fields[key];
        (refused ??= {})[key] = raw.trim();
      }
    }
    for (const [column, value] of this.profile.constants) {
      fields[column] = value;
      numbers?.delete(column);
    }
    const defaults = this.profile.defaults.size > 0 ? this.fillDefaults(fields) : undefined;
    // Rows of CSV and workbooks each have their own line: only JSON's can share one.
    this.sharedLine.see(input.source.row, fields);
    const record: SourceRecord = { source: input.source, fields };
    if (problems.length > 0) record.problems = problems;
    if (written !== undefined) record.written = written;
    if (refused !== undefined) record.refused = refused;
    if (numbers !== undefined && numbers.size > 0) record.native = numbers;
    if (defaults !== undefined) record.defaults = defaults;
    this.out.push({ kind: 'record', record });
  }

  private resolve(key: string): Resolved {
    let r = this.resolved.get(key);
    if (r !== undefined) return r;
    const k = headerKey(key);
    const p = this.profile;
    if (p.ignore.has(k)) r = IGNORED;
    else {
      const rename = p.columns.get(k);
      const column = rename?.column ?? canonicalByHeader(key);
      r = column === undefined ? UNKNOWN : { column, header: rename?.header ?? key };
    }
    this.resolved.set(key, r);
    return r;
  }

  /**
   * Renames vendor columns into `fields`; returns the canonical columns that hold JSON numbers,
   * and the JSON numbers and booleans by canonical column.
   */
  private rename(
    input: VendorRecord,
    fields: Record<string, string | undefined>,
    origin: Map<string, string>,
  ): { native: Set<string> | undefined; scalars: Map<string, JsonNumber | boolean> | undefined } {
    let native: Set<string> | undefined;
    let scalars: Map<string, JsonNumber | boolean> | undefined;
    for (const key in input.fields) {
      const r = this.resolve(key);
      if (r === IGNORED) continue;
      const value = input.fields[key];
      if (r === UNKNOWN) {
        // Kept under its own name: the grouper warns once per file about columns it does not know.
        fields[key] = value;
        continue;
      }
      const column = r.column;
      const first = origin.get(column);
      if (first !== undefined) {
        this.once(`dup:${column}`, input.source.row, 'duplicate_column', `vendor columns ${quote(first)} and ${quote(r.header)} both map to ${column}; map or ignore one of them in the profile`, 'error', column);
        continue;
      }
      if (this.profile.constants.has(column)) {
        this.once(`const:${column}`, undefined, 'constant_overrides_column', `the file's column ${quote(key)} is replaced by the profile's constant ${column} ${quote(this.profile.constants.get(column)!)}`, 'warning', column);
      }
      origin.set(column, r.header);
      fields[column] = value;
      if (input.native?.has(key) === true) (native ??= new Set()).add(column);
      const scalar = input.scalars?.get(key);
      if (scalar !== undefined) (scalars ??= new Map()).set(column, scalar);
    }
    return { native, scalars };
  }

  /**
   * The header's columns, told before the first record by a reader whose records leave empty
   * cells out (a workbook's): checked against the profile from them, not from the first record,
   * which would miss a mapped column empty on that row.
   */
  header(keys: readonly string[]): void {
    if (this.headerChecked) return;
    this.headerChecked = true;
    this.checkHeader(keys);
  }

  /**
   * The first record of a CSV file has every header column: say which mapped ones are missing.
   * A canonical column the profile maps is missing when none of the vendor names it gives for it
   * (nor the canonical name) is in the header: an error for the file, since every row would load
   * without it — a renamed fund column made a split line one line on the PO line's funds
   * (README "Vendor layouts: mapping profiles"). One of several names present satisfies it.
   */
  private checkHeader(keys: readonly string[]): void {
    const present = new Set(keys.map(headerKey));
    const missing = [...this.profile.columns].filter(([k]) => !present.has(k)).map(([, r]) => r);
    if (this.profile.columns.size > 0 && missing.length === this.profile.columns.size) {
      const shown = keys.slice(0, 6).map((k) => quote(k)).join(', ');
      this.once('mismatch', undefined, 'mapping_mismatch',
        `none of the columns the profile ${quote(this.profile.source)} maps is in this file's header (read as ${shown}${keys.length > 6 ? ', …' : ''}); ` +
          'is it the right profile, or are csv.delimiter and csv.skip_lines right?', 'error');
      return;
    }
    const found = new Set<string>();
    for (const k of keys) {
      const r = this.resolve(k);
      if (typeof r === 'object') found.add(r.column);
    }
    const names = new Map<CanonicalColumn, string[]>();
    for (const r of this.profile.columns.values()) {
      const list = names.get(r.column);
      if (list === undefined) names.set(r.column, [r.header]);
      else list.push(r.header);
    }
    for (const [column, headers] of names) {
      // A constant replaces the column anyway (constant_overrides_column). A default does not
      // silence it: meant for empty cells, it would stand in for a renamed column's every value.
      if (found.has(column) || this.profile.constants.has(column)) continue;
      const named = headers.length === 1 ? `the vendor column ${quote(headers[0]!)}` : `the vendor columns ${headers.map((h) => quote(h)).join(' or ')}`;
      const t = missingColumnText(column, `the profile maps ${named} to ${column}, but the file has no such column`, "the column's name", ' (columns)', this.profile.source, this.profile.defaults.get(column));
      this.once(`missing:${column}`, undefined, 'mapped_column_missing', t.message, t.severity, column);
    }
  }

  /**
   * Flat JSON has no header: its records may each leave keys out. At the end, the keys seen in
   * any record are checked as a CSV header is.
   */
  finish(): void {
    if (this.headerChecked || this.seenKeys === undefined) return;
    this.headerChecked = true;
    this.checkHeader([...this.seenKeys]);
  }

  private once(key: string, row: number | undefined, code: string, message: string, severity: 'error' | 'warning', column?: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.out.push({ kind: 'problem', problem: problem({ file: this.file, row }, code, message, { column, severity }) });
  }

  /** A non-empty cell of a canonical column: its canonical text, or why it is refused. */
  private cell(column: CanonicalColumn, raw: string, native: boolean): string | { code: string; reason: string } {
    const p = this.profile;
    const vm = p.values.get(column);
    let text = raw;
    if (vm !== undefined) {
      const to = vm.map.get(valueKey(raw));
      if (to !== undefined) text = to;
      else if (vm.unmapped === 'error') {
        return { code: 'unmapped_value', reason: `is not in the profile's value map for ${column}; add it to values.${column}.map (or set "unmapped": "keep" to pass unlisted values on)` };
      }
    }
    const kind = COLUMN_KIND[column];
    if (native || (kind !== 'money' && kind !== 'percent' && kind !== 'quantity' && kind !== 'date')) return text;
    const r = kind === 'date' ? parseDate(text, p.dates) : parseNumber(text, p.numbers);
    if (r instanceof DialectError) return r;
    // "2,00" copies is 2: quantity is a whole number, the spreadsheet just formatted it.
    return kind === 'quantity' ? r.replace(/\.0+$/, '') : r;
  }

  /**
   * A default fills an empty cell. An invoice-level one, and a line-level one on a row with a
   * line_number, is left to the grouper (`SourceRecord.defaults`): it applies only when no row of
   * the invoice (or line) has a value, which a streaming reader cannot know at the first row —
   * filled in there, it clashed with a value a later row gives. Fund cells, and the cells of a
   * row that is a line of its own or that cannot be grouped, are filled on the row.
   */
  private fillDefaults(fields: Record<string, string | undefined>): SourceRecord['defaults'] {
    // The invoice's key is the row's own: a default for it fills the row.
    for (const key of ['vendor', 'invoice_number'] as const) {
      const value = this.profile.defaults.get(key);
      if (value !== undefined && (fields[key]?.trim() ?? '') === '') fields[key] = value;
    }
    const grouped = (fields.vendor?.trim() ?? '') !== '' && (fields.invoice_number?.trim() ?? '') !== '';
    const numbered = grouped && (fields.line_number?.trim() ?? '') !== '';
    for (const [column, value] of this.profile.defaults) {
      if (grouped && (INVOICE_LEVEL.has(column) || (numbered && !FUND_LEVEL.has(column)))) continue;
      if ((fields[column]?.trim() ?? '') === '') fields[column] = value;
    }
    if (!grouped) return undefined;
    const later = numbered ? this.lineDefaults : this.invoiceDefaults;
    return later.size > 0 ? later : undefined;
  }
}

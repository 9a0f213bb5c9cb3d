/**
 * One parsed JSON value → canonical flat records.
 *
 * Three shapes are accepted (README "The input: canonical layout"): a flat object keyed by
 * canonical columns; a nested Alma invoice (the body of GET /acq/invoices/{id}, recognised by
 * `invoice_lines` or `number`), flattened to one row per fund distribution of each line; and Alma's
 * list response `{"total_record_count": N, "invoice": [...]}`. Field names follow the Acquisitions
 * OpenAPI and the real bodies listed in docs/alma.md#sources. Fields Alma only writes (id, link,
 * status, alert, total_price, …) are ignored.
 */
import { MISPLACED_KEY, problem, type Problem } from '../domain/problem.js';
import { cellText, quote } from '../domain/cells.js';
import { canonicalHeaderName, FUND_COLUMNS, INVOICE_COLUMNS, isCanonicalColumn, LINE_COLUMNS } from '../domain/columns.js';
import { KEY_COLUMNS } from '../domain/values.js';
import { isDotGrouped } from '../domain/findings.js';
import { Decimal } from 'decimal.js';
import { JsonNumber, type JsonValue } from '../common/json.js';
import type { InputEvent } from './event.js';

type JsonObject = { [key: string]: JsonValue };
type Fields = Record<string, string | undefined>;

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);

/** A JSON value as a message names it: a text or number as written, else its kind. */
const shownValue = (v: JsonValue): string => (typeof v === 'string' ? quote(v) : v instanceof JsonNumber ? v.text : typeof v === 'boolean' ? String(v) : kindOf(v));

const kindOf = (v: JsonValue): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : v instanceof JsonNumber ? 'a number' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;

/** Marks a value that cannot be a cell. */
const NOT_SCALAR = Symbol('not scalar');

/** A scalar refused as the cell of its column: the problem's code and message. */
export class Refused {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

/**
 * A JSON scalar as the cell text of `column`: strings as they are (an empty string is an empty
 * cell, as in CSV), numbers by their exact source digits, booleans as "true"/"false", null as
 * absent. In an identifier column (KEY_COLUMNS) only a text or a number written as a whole
 * number is a value (README "The input: canonical layout"): `true` is refused with the xlsx
 * reader's code (`boolean_cell`; it was loaded as the text "true"), and a number written with
 * an exponent or a fraction (`1e5`, `12.0`) as `number_cell` — an id is never a computed number,
 * and `1e5` was loaded as the invoice number "100000".
 */
function cell(v: JsonValue | undefined, column?: string): string | undefined | typeof NOT_SCALAR | Refused {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  const key = column !== undefined && KEY_SET.has(column);
  if (key && column !== undefined && (v instanceof JsonNumber || typeof v === 'boolean')) {
    const r = keyScalarRefusal(column, v);
    if (r !== undefined) return r;
  }
  if (v instanceof JsonNumber) {
    if (key) return v.text;
    return column !== undefined && WHOLE_COLUMNS.has(column) ? v.text : plainNumber(v.text);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return NOT_SCALAR;
}

const KEY_SET: ReadonlySet<string> = new Set(KEY_COLUMNS);

/** Whether `column` is an identifier column (KEY_COLUMNS), where only a text or a whole number is a value. */
export const isKeyColumn = (column: string): boolean => KEY_SET.has(column);

/**
 * Why a JSON number or boolean is refused as the cell of the identifier column `column`, or
 * undefined when it is a value (a number written as a whole number): see `cell`. `from` follows
 * the column name, to say where the value came from (a mapping profile's vendor column or JSON
 * path, src/input/mapping/transform.ts).
 */
export function keyScalarRefusal(column: string, v: JsonNumber | boolean, from = ''): Refused | undefined {
  if (v instanceof JsonNumber) {
    if (!/[.eE]/.test(v.text)) return undefined;
    const how = /[eE]/.test(v.text) ? 'with an exponent' : 'with a fraction';
    const plain = plainNumber(v.text);
    const as = /[eE]/.test(plain) ? 'in quotes' : `"${plain}"`;
    return new Refused(
      'number_cell',
      `${column} ${v.text}${from} is a number written ${how} in the file, not a text: an id is never a computed number, so this may not be the vendor's; write ${column.replace(/_/g, ' ')}s as text: ${as}`,
    );
  }
  return new Refused('boolean_cell', `${column}${from} is the JSON value ${v ? 'true' : 'false'}, not a text: write the ${column.replace(/_/g, ' ')} as text, in quotes`);
}

/**
 * Columns of whole numbers written with digits only (src/domain/values.ts, cells.ts): a JSON
 * number in them is taken as written, so `1e0` is refused as `1.0` is (it was read as `1`).
 */
const WHOLE_COLUMNS: ReadonlySet<string> = new Set(['line_number', 'quantity']);

/**
 * A JSON number in exponent notation (`1e1`, `2.5E-2`, as some JSON writers put numbers) as the
 * same number in plain digits: it is a number, exactly, where a cell's `1.23457E+15` is a
 * spreadsheet's damage. Decimal's digits are the literal's (no rounding); an exponent past 30
 * stays as written, for the value checks to refuse.
 */
export function plainNumber(text: string): string {
  const e = text.search(/[eE]/);
  if (e === -1 || Math.abs(Number(text.slice(e + 1))) > 30) return text;
  return new Decimal(text).toFixed();
}

/**
 * The keys of an Alma-shaped invoice and line that `Shaper` reads, and Alma's output-only ones
 * (its GET answer's ids, links, statuses and totals: nothing to load), per docs/alma.md.
 */
const INVOICE_KEYS: ReadonlySet<string> = new Set([
  'number', 'invoice_date', 'vendor', 'vendor_account', 'total_amount', 'currency', 'invoice_due_date', 'payment_method', 'reference_number', 'owner',
  'invoice_vat', 'additional_charges', 'payment', 'note', 'notes', 'invoice_lines',
  'id', 'link', 'total_invoice_lines_amount', 'vendor_contact_person', 'creation_form', 'invoice_status', 'invoice_workflow_status', 'invoice_approval_status',
  'approved_by', 'approval_date', 'alert', 'alerts', 'number_of_lines', 'number_of_attachments',
]);
const LINE_KEYS: ReadonlySet<string> = new Set([
  'number', 'type', 'po_line', 'price', 'quantity', 'price_note', 'note', 'subscription_from_date', 'subscription_to_date', 'additional_info', 'fully_invoiced',
  'release_remaining_encumbrance', 'check_subscription_date_overlap', 'reporting_code', 'secondary_reporting_code', 'tertiary_reporting_code', 'invoice_line_vat',
  'vat_note', 'fund_distribution',
  'id', 'link', 'status', 'total_price',
]);

/** Keys only an Alma invoice line has (docs/alma.md#sources, sample 04: GET of one line). */
const LINE_MARKS = ['type', 'po_line', 'invoice_line_vat', 'fund_distribution'] as const;

/** A nested object that is one invoice line, not an invoice: its `number` is the line's. */
const isLoneLine = (v: JsonObject): boolean => 'number' in v && !('invoice_lines' in v) && !('vendor' in v) && LINE_MARKS.some((k) => k in v);

const INVOICE_COLUMN_SET: ReadonlySet<string> = new Set(INVOICE_COLUMNS);
const LINE_COLUMN_SET: ReadonlySet<string> = new Set(LINE_COLUMNS);
/** The columns of a line and of its funds: an Alma invoice has none of them (README "The input: canonical layout"). */
const LINE_OR_FUND_COLUMN_SET: ReadonlySet<string> = new Set([...LINE_COLUMNS, ...FUND_COLUMNS]);

/**
 * The error for the key `key` (the column `column`) of a line or a fund given on a nested
 * invoice, at the invoice's `row`: not read, and not applied to its lines. `lines`: whether the
 * invoice has `invoice_lines` (without them, the key is no line either: README "The input:
 * canonical layout").
 */
function misplacedKey(file: string, row: number, key: string, column: string, number: string | undefined, lines: boolean): Problem {
  const named = key === column ? `the key ${JSON.stringify(key)}` : `the key ${JSON.stringify(key)} (${column})`;
  const invoice = number !== undefined ? `invoice ${JSON.stringify(number)}` : 'this invoice';
  const fund = (FUND_COLUMNS as readonly string[]).includes(column) ? `, a fund in the line's fund_distribution` : '';
  const message = lines
    ? `${named} of ${invoice} is a column of an invoice line, not of the invoice: it was not applied to the invoice's lines; give it on each line in invoice_lines${fund}`
    : `${named} of ${invoice} is a column of an invoice line, not of the invoice, and the invoice has no invoice_lines: it was not read as a line; give each line in invoice_lines, with its ${column} there (or write the invoice as flat rows, its number as invoice_number)`;
  return problem({ file, row }, MISPLACED_KEY, message, { column });
}

/** Whether a line's `fund_distribution` gives a fund: an empty list (or wrapper) is none, as absent. */
function hasFunds(v: JsonValue | undefined): boolean {
  if (isObject(v)) v = v['fund_distribution'];
  return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
}

/** Turns parsed values into record and problem events for one file. */
export class Shaper {
  constructor(
    private readonly file: string,
    private readonly out: InputEvent[],
  ) {
    this.sharedLine = new SharedLineWatch(file, out);
  }

  private readonly sharedLine: SharedLineWatch;

  /** The unknown wrapper (`{"invoices": [...]}`) was said: it is the file's layout, said once. */
  private wrapperSaid = false;

  /** Top-level elements shaped so far: an object's place in the file, for people. */
  private elements = 0;

  /** The file line of an object or array of the element being shaped. */
  private lineOf: (v: object) => number = () => 0;

  /**
   * Shapes one top-level element (an element of the top-level array, or a top-level value)
   * that starts on `line`; events go to `out`. `whole`: it is the top-level value of a JSON file
   * (not an element of its array, nor a line of JSON Lines), whose layout is the file's.
   */
  element(value: JsonValue, line: number, lineOf: (v: object) => number, whole = false): void {
    this.lineOf = lineOf;
    this.elements++;
    if (!isObject(value)) {
      this.shape(line, `expected an object (an invoice row or an invoice), found ${kindOf(value)}`);
      return;
    }
    const keys = Object.keys(value);
    if (keys.length === 0) {
      const p = problem({ file: this.file, row: line }, 'empty_object', `object ${this.elements} is empty ({}): it holds no invoice row, and is skipped`, { severity: 'warning' });
      this.out.push({ kind: 'problem', problem: p });
      return;
    }
    // `{"invoices": [...]}` (or `data`, `rows`): a wrapper this reader does not know, with no column of its own.
    const alma = 'invoice_lines' in value || 'number' in value || 'invoice' in value || 'total_record_count' in value;
    const wrapper = alma ? undefined : keys.find((k) => Array.isArray(value[k]));
    if (wrapper !== undefined && !keys.some((k) => isCanonicalColumn(canonicalHeaderName(k)))) {
      const message = `an object holding the list ${JSON.stringify(wrapper)} is not a layout invoice-load reads: give the invoices as a list (a top-level array [...]), as Alma's list answer {"invoice": [...]}, or as JSON Lines (one object per line)`;
      // The top-level value of a JSON file is the file's layout, not a row of it: said once for the
      // file, without a row (domain/problem.ts `Problem.row`), so that no summary counts it as a row
      // in no invoice. An element of an array or a line of JSON Lines is a row: said at its row, each
      // time, and counted as a row in no invoice.
      if (!whole) this.shape(line, message);
      else if (!this.wrapperSaid) {
        this.wrapperSaid = true;
        this.out.push({ kind: 'problem', problem: problem({ file: this.file }, 'json_shape', message) });
      }
      return;
    }
    if (isLoneLine(value)) {
      const marks = LINE_MARKS.filter((k) => k in value).map((k) => JSON.stringify(k)).join(', ');
      this.shape(
        line,
        `this object is one invoice line (it has ${marks} and no vendor or invoice_lines), as Alma's GET of an invoice line answers, not an invoice: ` +
          `give the invoice with this line in its invoice_lines, or a flat row with the invoice's columns`,
      );
      return;
    }
    if ('invoice_lines' in value || 'number' in value) this.invoice(value);
    else if ('invoice' in value || 'total_record_count' in value) this.list(value);
    else this.flat(value, line);
    for (const p of this.pending) this.out.push({ kind: 'problem', problem: p });
    this.pending = [];
  }

  private shape(row: number, message: string): void {
    this.out.push({ kind: 'problem', problem: problem({ file: this.file, row }, 'json_shape', message) });
  }

  /**
   * A value that is not a single value goes with the next record made (`emit`): the grouper
   * then files it under that record's invoice and takes the cell as refused, not missing — the
   * invoice is INVALID (skippable with --skip-invalid), and no rule also says "no price". Left
   * over when the element makes no record, it is the file's (`element`).
   */
  private invalid(row: number, column: string, v: JsonValue): void {
    this.pending.push(problem({ file: this.file, row }, 'invalid_value', `column ${column} must be a single value, not ${kindOf(v)}`, { column }));
  }

  /** A scalar refused in its column (`cell`): with the next record made, as `invalid` is. */
  private refuse(row: number, column: string, r: Refused): void {
    this.pending.push(problem({ file: this.file, row }, r.code, r.message, { column }));
  }

  /** `v` as the cell of `col`, or undefined with the problem of a value that is none (`invalid`, `refuse`). */
  private take(at: number, col: string, v: JsonValue | undefined): string | undefined {
    const c = cell(v, col);
    if (c === NOT_SCALAR) this.invalid(at, col, v!);
    else if (c instanceof Refused) this.refuse(at, col, c);
    else return c;
    return undefined;
  }

  private pending: Problem[] = [];

  private flat(obj: JsonObject, row: number): void {
    const fields: Fields = {};
    const refused: Record<string, string> = {};
    const named = new Map<string, string>();
    for (const key of Object.keys(obj)) {
      // `fields.__proto__ = v` would replace the prototype; no canonical column has that name.
      if (key === '__proto__') continue;
      // A key is a column name as a CSV header cell is: "Vendor" and "Invoice Number" are the
      // canonical vendor and invoice_number (they were unknown columns in JSON only).
      const canonical = canonicalHeaderName(key);
      const column = isCanonicalColumn(canonical) ? canonical : key;
      const before = named.get(column);
      if (before !== undefined) {
        // The record's own problem, filed with it (`emit`), as a CSV row's refused cell is: its
        // invoice is invalid at this row, not planned beside "a row in no invoice". Both values
        // are named, and the rejects file gets the column's cell empty (`refused`), not the first
        // key's value: loaded again as it is, the row would go through with a value no person
        // picked (README "Rejects").
        this.pending.push(
          problem({ file: this.file, row }, 'duplicate_column', `keys "${before}" (${shownValue(obj[before]!)}) and "${key}" (${shownValue(obj[key]!)}) are the same column ${column}; keep one`, { column }),
        );
        refused[column] = '';
        continue;
      }
      named.set(column, key);
      const v = obj[key]!;
      const c = cell(v, column);
      if (c === NOT_SCALAR) this.invalid(row, column, v);
      else if (c instanceof Refused) this.refuse(row, column, c);
      else this.set(fields, column, c, v instanceof JsonNumber);
    }
    this.emit(row, fields, refused);
  }

  /** Alma's list response: `{"total_record_count": N, "invoice": [...]}` (`invoice` absent when N is 0). */
  private list(obj: JsonObject): void {
    const invoices = obj['invoice'];
    if (invoices === undefined || invoices === null) return;
    const items = Array.isArray(invoices) ? invoices : [invoices];
    // One page of Alma's list (`limit` 10 by default, 100 at most) says how many there are in all:
    // loaded without a word, the other pages' invoices were simply not there.
    const total = obj['total_record_count'];
    const count = total instanceof JsonNumber ? Number(total.text) : typeof total === 'string' ? Number(total) : NaN;
    if (Number.isFinite(count) && count > items.length) {
      this.out.push({
        kind: 'problem',
        problem: problem(
          { file: this.file, row: this.lineOf(obj) },
          'partial_list',
          `the file holds one page of Alma's invoice list: ${items.length} of the ${count} invoices its total_record_count gives; the others are not in the file and are not loaded (fetch every page: offset and limit)`,
          { severity: 'warning' },
        ),
      });
    }
    for (const inv of items) {
      if (isObject(inv)) this.invoice(inv);
      else this.shape(this.lineOf(items), `"invoice" must hold invoice objects, found ${kindOf(inv)}`);
    }
  }

  private invoice(inv: JsonObject): void {
    const row = this.lineOf(inv);
    const f: Fields = {};
    const put = (col: string, v: JsonValue | undefined, at = row): void => {
      const c = this.take(at, col, v);
      if (c !== undefined) this.set(f, col, c, v instanceof JsonNumber);
    };
    put('invoice_number', inv['number']);
    this.date(f, 'invoice_date', inv['invoice_date'], row);
    this.code(f, 'vendor', inv['vendor'], row);
    put('vendor_account', inv['vendor_account']);
    put('total_amount', inv['total_amount']);
    this.code(f, 'currency', inv['currency'], row);
    this.date(f, 'invoice_due_date', inv['invoice_due_date'], row);
    this.code(f, 'payment_method', inv['payment_method'], row);
    put('reference_number', inv['reference_number']);
    this.code(f, 'owner', inv['owner'], row);
    const vat = this.part(inv, 'invoice_vat', row);
    if (vat) {
      const at = this.lineOf(vat);
      this.code(f, 'vat_type', vat['type'], at);
      put('vat_percentage', vat['percentage'], at);
      put('vat_amount', vat['vat_amount'], at);
      this.code(f, 'vat_code', vat['vat_code'], at);
      put('vat_per_invoice_line', vat['vat_per_invoice_line'], at);
      put('expended_from_fund', vat['expended_from_fund'], at);
      put('report_tax', vat['report_tax'], at);
    }
    const charges = this.part(inv, 'additional_charges', row);
    if (charges) {
      const at = this.lineOf(charges);
      for (const k of ['use_pro_rata', 'shipment', 'overhead', 'insurance', 'discount']) put(k, charges[k], at);
    }
    const payment = this.part(inv, 'payment', row);
    if (payment) {
      const at = this.lineOf(payment);
      for (const k of ['prepaid', 'internal_copy', 'export_to_erp']) put(k, payment[k], at);
    }
    const notes = invoiceNotes(inv);
    if (notes.texts.length > 0) f['invoice_note'] = notes.texts.join(NOTE_SEPARATOR);
    this.extraKeys(inv, INVOICE_KEYS, f, 'invoice', row);
    const number = typeof f['invoice_number'] === 'string' ? `invoice ${f['invoice_number']}` : 'this invoice';
    if (notes.texts.length > 1)
      this.pending.push(
        problem({ file: this.file, row }, 'notes_joined', `${number} has ${notes.texts.length} notes: they are sent as one note, one per line (invoice_note is one column)`, {
          column: 'invoice_note',
          severity: 'warning',
        }),
      );
    if (notes.unread.length > 0) {
      const which = notes.unread.length === 1 ? `note ${notes.unread[0]} holds` : `notes ${notes.unread.join(', ')} hold`;
      this.pending.push(
        problem({ file: this.file, row }, 'invalid_value', `${which} no text: a note is a text, or an object with "content" (or "note_text")`, { column: 'invoice_note' }),
      );
    }

    const lines = this.lines(inv, row);
    if (lines.length === 0) {
      this.emit(row, f);
      return;
    }
    for (const line of lines) {
      if (!isObject(line)) {
        this.shape(row, `invoice_lines must hold invoice line objects, found ${kindOf(line)}`);
        continue;
      }
      this.line(f, line);
    }
  }

  /** `invoice_lines` as a list, or Alma's `{"total_record_count": N, "invoice_line": [...]}`. */
  private lines(inv: JsonObject, row: number): readonly JsonValue[] {
    const v = inv['invoice_lines'];
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v;
    if (isObject(v)) {
      const inner = v['invoice_line'];
      if (inner === undefined || inner === null) return [];
      return Array.isArray(inner) ? inner : [inner];
    }
    this.shape(row, `invoice_lines must be a list of invoice lines, found ${kindOf(v)}`);
    return [];
  }

  private line(invoiceFields: Fields, line: JsonObject): void {
    const row = this.lineOf(line);
    const f = this.copy(invoiceFields);
    const put = (col: string, v: JsonValue | undefined, at = row): void => {
      const c = this.take(at, col, v);
      if (c !== undefined) this.set(f, col, c, v instanceof JsonNumber);
    };
    put('line_number', line['number']);
    this.code(f, 'line_type', line['type'], row);
    put('po_line', line['po_line']);
    put('price', line['price']);
    put('quantity', line['quantity']);
    put('price_note', line['price_note']);
    put('line_note', line['note']);
    this.date(f, 'subscription_from_date', line['subscription_from_date'], row);
    this.date(f, 'subscription_to_date', line['subscription_to_date'], row);
    put('additional_info', line['additional_info']);
    put('fully_invoiced', line['fully_invoiced']);
    put('release_remaining_encumbrance', line['release_remaining_encumbrance']);
    put('check_subscription_date_overlap', line['check_subscription_date_overlap']);
    this.code(f, 'reporting_code', line['reporting_code'], row);
    this.code(f, 'secondary_reporting_code', line['secondary_reporting_code'], row);
    this.code(f, 'tertiary_reporting_code', line['tertiary_reporting_code'], row);
    const vat = this.part(line, 'invoice_line_vat', row);
    if (vat) {
      const at = this.lineOf(vat);
      this.code(f, 'line_vat_code', vat['vat_code'], at);
      put('line_vat_percentage', vat['percentage'], at);
      put('line_vat_amount', vat['vat_amount'], at);
    }
    put('line_vat_note', line['vat_note']);
    // Columns of this line's own keys only (a line-level invoice column would override the invoice's).
    const own: Fields = {};
    for (const k of Object.keys(f)) if (f[k] !== invoiceFields[k]) this.set(own, k, f[k], this.isNumber(f, k));
    this.extraKeys(line, LINE_KEYS, own, 'invoice line', row);
    for (const k of Object.keys(own)) this.set(f, k, own[k], this.isNumber(own, k));
    // A fund written in the flat form on a nested line (`"fund_code": "BIO"`) is the line's fund;
    // beside a fund_distribution it is ambiguous, and refused rather than one of them dropped.
    if (own['fund_code'] !== undefined && hasFunds(line['fund_distribution'])) {
      this.pending.push(
        problem({ file: this.file, row }, 'duplicate_column', `this invoice line has both "fund_code" and "fund_distribution": give its funds in one of them`, { column: 'fund_code' }),
      );
      for (const k of ['fund_code', 'fund_percent', 'fund_amount']) this.unset(f, k);
    }

    let funds = line['fund_distribution'];
    if (isObject(funds)) funds = funds['fund_distribution'] ?? null; // XML-style wrapper
    if (funds === undefined || funds === null) funds = [];
    if (!Array.isArray(funds)) funds = [funds];
    let emitted = false;
    for (const fund of funds) {
      if (!isObject(fund)) {
        this.shape(row, `fund_distribution must hold fund objects, found ${kindOf(fund)}`);
        continue;
      }
      const at = this.lineOf(fund);
      const r = this.copy(f);
      this.code(r, 'fund_code', fund['fund_code'], at);
      const percent = this.take(at, 'fund_percent', fund['percent']);
      if (percent !== undefined) this.set(r, 'fund_percent', percent, fund['percent'] instanceof JsonNumber);
      const amount = this.take(at, 'fund_amount', fund['amount']);
      if (amount !== undefined) this.set(r, 'fund_amount', amount, fund['amount'] instanceof JsonNumber);
      this.emit(at, r);
      emitted = true;
    }
    if (!emitted) this.emit(row, f);
  }

  /** Keys of nested objects not read, said once a file each (`unknown_keys`), by level. */
  private readonly unknownSaid = new Set<string>();

  /**
   * The keys of a nested invoice or line that its shape does not read. A canonical column name
   * (`fund_code`, `shipment`, `invoice_note`, as in the flat layout) is read as that column
   * (`fields`, the columns this level read so far: the same column twice is `duplicate_column`);
   * Alma's output-only keys (`id`, `link`, statuses) are left out as the export reads them; any
   * other is an `unknown_keys` warning naming it and where it first is — it was dropped without a
   * word, a line's flat fund_code with it.
   */
  private extraKeys(obj: JsonObject, known: ReadonlySet<string>, fields: Fields, level: 'invoice' | 'invoice line', row: number): void {
    const unknown: string[] = [];
    const invoiceLevel: string[] = [];
    for (const key of Object.keys(obj)) {
      if (known.has(key) || key === '__proto__') continue;
      const v = obj[key]!;
      if (key === 'explicit_ratio' && Array.isArray(v) && v.length === 0) continue; // Alma's GET gives [] when none is set
      let canonical = canonicalHeaderName(key);
      // On a line, an invoice's column is the line's own where the flat layout has one (a line's
      // "vat_amount" is its line_vat_amount, as Alma nests it in invoice_line_vat); any other is
      // not read. Taken as the invoice's, one line's VAT was sent as the whole invoice's.
      if (level === 'invoice line' && INVOICE_COLUMN_SET.has(canonical)) {
        const own = `line_${canonical}`;
        if (!LINE_COLUMN_SET.has(own)) {
          if (!this.unknownSaid.has(`${level}\u0000${key}`)) invoiceLevel.push(key);
          continue;
        }
        canonical = own;
      }
      // On an invoice, a line's or a fund's column (`fund_code`, `price`, `po_line`) is not read:
      // Alma's invoice has no such field, and taken as every line's, an invoice-level fund_code
      // overrode the funds of lines that gave none (Alma takes those from the PO line). Dropped
      // with a warning, those lines were charged to the PO line's funds instead of the fund the
      // file names: an error of this invoice, each time (README "The input: canonical layout").
      if (level === 'invoice' && LINE_OR_FUND_COLUMN_SET.has(canonical)) {
        this.pending.push(misplacedKey(this.file, row, key, canonical, fields['invoice_number'], 'invoice_lines' in obj));
        continue;
      }
      if (isCanonicalColumn(canonical)) {
        if (fields[canonical] !== undefined) {
          this.pending.push(problem({ file: this.file, row }, 'duplicate_column', `this ${level} gives ${canonical} twice: in its nested form and as the key "${key}"; keep one`, { column: canonical }));
          continue;
        }
        this.code(fields, canonical, v, row);
        continue;
      }
      if (!this.unknownSaid.has(`${level}\u0000${key}`)) unknown.push(key);
    }
    for (const key of [...unknown, ...invoiceLevel]) this.unknownSaid.add(`${level}\u0000${key}`);
    const warn = (message: string): void => void this.out.push({ kind: 'problem', problem: problem({ file: this.file, row }, 'unknown_keys', message, { severity: 'warning' }) });
    const listed = (keys: string[]): string => `${keys.length === 1 ? 'the key' : 'the keys'} ${keys.map((k) => JSON.stringify(k)).join(', ')}`;
    if (unknown.length > 0) {
      warn(`${listed(unknown)} of this ${level} ${unknown.length === 1 ? 'is' : 'are'} not read (invoice-load does not load ${unknown.length === 1 ? 'it' : 'them'}); said once for the file`);
    }
    if (invoiceLevel.length > 0) {
      const one = invoiceLevel.length === 1;
      warn(`${listed(invoiceLevel)} of this invoice line ${one ? 'names a column' : 'name columns'} of the invoice, not of a line: not read here (give ${one ? 'it' : 'them'} on the invoice); said once for the file`);
    }
  }

  /** A nested object such as `invoice_vat`; anything else is reported and skipped. */
  private part(obj: JsonObject, key: string, row: number): JsonObject | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (isObject(v)) return v;
    this.shape(row, `${key} must be an object, found ${kindOf(v)}`);
    return undefined;
  }

  /** Code fields come as Alma's `{"value": "X", "desc": "…"}` or as a plain "X". */
  private code(f: Fields, col: string, v: JsonValue | undefined, row: number): void {
    const value = isObject(v) ? v['value'] : v;
    const c = this.take(row, col, value);
    if (c !== undefined) this.set(f, col, c, value instanceof JsonNumber);
  }

  /** Alma writes dates as `2022-01-12Z` (a date with a zone); the canonical form has no zone. */
  private date(f: Fields, col: string, v: JsonValue | undefined, row: number): void {
    const c = this.take(row, col, v);
    if (c !== undefined) this.set(f, col, c.endsWith('Z') ? c.slice(0, -1) : c, v instanceof JsonNumber);
  }

  /**
   * The columns of each record's fields (and of the invoice and line fields they are copied
   * from) whose cell was a JSON number written like `1.200`: the record's `native`
   * (SourceRecord.native), so the rules read its dot as the decimal point it is. Kept beside the
   * fields, whose text is unchanged. Only that form is noted, the one a text leaves in doubt
   * (domain/findings.ts `isDotGrouped`): the other numbers need no note, and a file of numbers
   * costs no set a row.
   */
  private readonly numbers = new WeakMap<Fields, Set<string>>();

  /** `f[col] = c`, noting whether the cell was a JSON number (`number`) written like `1.200`. */
  private set(f: Fields, col: string, c: string | undefined, number: boolean): void {
    const had = f[col] !== undefined; // only a cell given before can be marked (a look-up less a cell)
    f[col] = c;
    if (number && c !== undefined && isDotGrouped(c)) {
      let s = this.numbers.get(f);
      if (s === undefined) this.numbers.set(f, (s = new Set()));
      s.add(col);
    } else if (had) this.numbers.get(f)?.delete(col);
  }

  private unset(f: Fields, col: string): void {
    delete f[col];
    this.numbers.get(f)?.delete(col);
  }

  private isNumber(f: Fields, col: string): boolean {
    return this.numbers.get(f)?.has(col) === true;
  }

  /** A copy of `f`, with the columns that are JSON numbers in it. */
  private copy(f: Fields): Fields {
    const c = { ...f };
    const s = this.numbers.get(f);
    if (s !== undefined && s.size > 0) this.numbers.set(c, new Set(s));
    return c;
  }

  private emit(row: number, fields: Fields, refused?: Record<string, string>): void {
    this.sharedLine.see(row, fields);
    const problems = this.pending.length > 0 ? this.pending : undefined;
    if (problems !== undefined) this.pending = [];
    const native = this.numbers.get(fields);
    this.out.push({
      kind: 'record',
      record: {
        source: { file: this.file, row },
        fields,
        ...(problems !== undefined ? { problems } : {}),
        ...(native !== undefined && native.size > 0 ? { native } : {}),
        ...(refused !== undefined && Object.keys(refused).length > 0 ? { refused } : {}),
      },
    });
  }
}

/**
 * `shared_line`, once a file: records of two invoices that start on one line. A row is a line
 * (the report's contract), and `JSON.stringify` writes every object on line 1: problems then name
 * one row for all. Said where it first happens; it only looks until then.
 */
export class SharedLineWatch {
  private last: { row: number; invoice: string } | undefined;
  private said = false;

  constructor(
    private readonly file: string,
    private readonly out: InputEvent[],
  ) {}

  /** Before the record at `row` with these canonical `fields` is emitted. */
  see(row: number, fields: Readonly<Record<string, string | undefined>>): void {
    if (this.said) return;
    const [vendor, number] = [cellText(fields['vendor']), cellText(fields['invoice_number'])];
    const invoice = vendor !== undefined && number !== undefined ? `${vendor} ${number}` : '';
    const last = this.last;
    this.last = { row, invoice };
    if (last === undefined || last.row !== row || last.invoice === invoice) return;
    this.said = true;
    const both = last.invoice !== '' && invoice !== '' ? `invoices ${last.invoice} and ${invoice} both start` : 'rows of two invoices start';
    this.out.push({
      kind: 'problem',
      problem: problem(
        { file: this.file, row },
        'shared_line',
        `${both} on line ${row}: in this file a row number does not say which object a problem is in. Write one object per line (JSON Lines, or the file pretty-printed) and each row has its own`,
        { severity: 'warning' },
      ),
    });
  }
}

/** Between the notes of one invoice in its `invoice_note` (README "Alma's invoice shape"). */
export const NOTE_SEPARATOR = '\n';

/**
 * The invoice's notes: `note` or `notes` (docs/alma.md#how-a-list-is-named-note-or-notes-alert-or-alerts),
 * each a list (or one) of `{content}`, `{note_text}` or strings, as `texts`; empty ones left out.
 * `unread` holds the 1-based place of each item that holds no text there (`{"text": …}`, a list):
 * the caller says so rather than drop it unseen.
 */
export function invoiceNotes(inv: JsonObject): { texts: string[]; unread: number[] } {
  const texts: string[] = [];
  const unread: number[] = [];
  let place = 0;
  for (const key of ['note', 'notes']) {
    const v = inv[key];
    if (v === undefined || v === null) continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      place++;
      const c = isObject(item) ? cell(item['content'] ?? item['note_text']) : cell(item);
      if (typeof c === 'string') texts.push(c);
      else if (c === NOT_SCALAR || (isObject(item) && !('content' in item) && !('note_text' in item))) unread.push(place);
    }
  }
  return { texts, unread };
}

/**
 * The canonical `invoice_note` of an Alma-shaped invoice: every note's text, one per line
 * (NOTE_SEPARATOR) — the layout has one note column, and Alma's invoice note list is sent as
 * one note. Read so here and by `export` (src/report/export-file.ts).
 */
export function noteText(inv: JsonObject): string | undefined {
  const { texts } = invoiceNotes(inv);
  return texts.length > 0 ? texts.join(NOTE_SEPARATOR) : undefined;
}

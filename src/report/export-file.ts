/**
 * The file `invoice-load export` writes for the finance system: one row per invoice line and
 * fund distribution (an invoice without lines is one row), the canonical column names plus
 * `invoice_id`, `line_id` and `line_total_price`, values as Alma gives them (amounts exact, dates
 * `YYYY-MM-DD`, codes by their `value`, flags `true`/`false`). Each canonical column is read from
 * the field of Alma's JSON that the loader reads it from in an Alma-shaped input
 * (src/input/shape.ts), so an exported row reads back as the same canonical values.
 * Pure: Alma's invoice JSON in, text out.
 */
import { isJsonObject, jsonText, JsonNumber, type JsonValue } from '../common/json.js';
import { INVOICE_COLUMNS, LINE_COLUMNS } from '../domain/columns.js';
import { noteText } from '../input/shape.js';
import { Money } from '../domain/money.js';

/** The members of `T` from `First` to `Last`, both included, in `T`'s order; never when there is no such run. */
type Run<T extends readonly string[], First, Last, Acc extends readonly string[] = []> = T extends readonly [infer H extends string, ...infer R extends readonly string[]]
  ? Acc extends readonly []
    ? H extends First
      ? H extends Last
        ? [H]
        : Run<R, First, Last, [H]>
      : Run<R, First, Last, []>
    : H extends Last
      ? [...Acc, H]
      : Run<R, First, Last, [...Acc, H]>
  : never;

/** The canonical columns from `first` to `last` in the canonical order (src/domain/columns.ts), typed as the tuple they are. */
function canonicalRun<const T extends readonly string[], F extends T[number], L extends T[number]>(list: T, first: F, last: L): Run<T, F, L> {
  const from = list.indexOf(first);
  const to = list.indexOf(last);
  if (from < 0 || to < from) throw new Error(`no run of columns from ${first} to ${last}`);
  return list.slice(from, to + 1) as readonly string[] as Run<T, F, L>;
}

export const EXPORT_COLUMNS = [
  'invoice_id',
  'invoice_number',
  'invoice_date',
  'invoice_due_date',
  'vendor',
  'vendor_account',
  'total_amount',
  'currency',
  'payment_method',
  'reference_number',
  'owner',
  'line_id',
  'line_number',
  'line_type',
  'po_line',
  'price',
  'quantity',
  'line_note',
  'fund_code',
  'fund_percent',
  'fund_amount',
  // Appended after the columns of the first layout, so a consumer that reads by header name or
  // by position keeps working: what reconciles the rows with total_amount (charges and VAT), the
  // payment flags, and the rest of each line's canonical fields, in the canonical order, taken from
  // src/domain/columns.ts so the two cannot drift apart. The order is the file's contract:
  // test/report/export-file.test.ts spells it out, so a change to the canonical lists that would
  // move an exported column fails there. Of the line's, line_note is in the first layout, and
  // check_subscription_date_overlap is a load-time instruction, not the invoice's (README, export).
  ...canonicalRun(INVOICE_COLUMNS, 'vat_type', 'invoice_note'),
  'price_note',
  ...canonicalRun(LINE_COLUMNS, 'subscription_from_date', 'release_remaining_encumbrance'),
  ...canonicalRun(LINE_COLUMNS, 'reporting_code', 'line_vat_note'),
  // Alma's `total_price` of the line (output only; the loader never sends it). Not a canonical
  // column: a file read back as input names it an unknown column and ignores it.
  'line_total_price',
] as const;
export type ExportRow = Record<(typeof EXPORT_COLUMNS)[number], string>;

type Obj = { [key: string]: JsonValue };
const obj = (v: JsonValue | undefined): Obj => (isJsonObject(v) ? v : {});
const list = (v: JsonValue | undefined): JsonValue[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const text = (v: JsonValue | undefined): string => jsonText(v) ?? '';
/**
 * An amount as Alma gives it, but never in exponent form: a JSON number may be written `1.0E7`
 * (RFC 8259 §6), which is how Java writes a double from 10^7 up
 * (https://docs.oracle.com/javase/8/docs/api/java/lang/Double.html#toString-double-). Alma's API
 * is Java (docs/alma.md#errors-error-codes-and-alerts: `[Ljava.lang.Object;@…` in its messages),
 * and sample 01's `"percent": 100.0` looks like a double written so. A finance system, or this
 * loader reading the file back (no exponent, src/domain/money.ts), would not take `1.0E7`: the
 * same value, exactly, in plain digits (`10000000`); any other text as it is.
 */
const amount = (v: JsonValue | undefined): string => {
  const t = text(v);
  return EXPONENT.test(t.trim()) ? new Money(t.trim()).toFixed() : t;
};
const EXPONENT = /^-?\d+(?:\.\d+)?[eE][+-]?\d+$/;
/** `{value, desc}` → value; a bare string as it is. */
const code = (v: JsonValue | undefined): string => (isJsonObject(v) ? text(v['value']) : text(v));
/** Alma writes dates with a zone (`2025-04-02Z`): the canonical layout has none. */
const day = (v: JsonValue | undefined): string => text(v).replace(/Z$/, '');
/**
 * A flag as the canonical layout spells it: Alma gives JSON booleans or `"true"`/`"false"`
 * (docs/alma.md, the JSON shape), both written `true`/`false`; anything else as it is.
 */
const flag = (v: JsonValue | undefined): string => {
  const t = text(v);
  const lower = t.toLowerCase();
  return lower === 'true' || lower === 'false' ? lower : t;
};

type Column = (typeof EXPORT_COLUMNS)[number];
type Read = (v: JsonValue | undefined) => string;
/** A column, the field of Alma's JSON it comes from (`a.b` inside an object), and how it is read. */
type Field = readonly [Column, string, Read];
/** Where each exported column comes from in Alma's JSON, and how its value is read. */
const INVOICE_FIELDS: readonly Field[] = [
  ['invoice_id', 'id', text],
  ['invoice_number', 'number', text],
  ['invoice_date', 'invoice_date', day],
  ['invoice_due_date', 'invoice_due_date', day],
  ['vendor', 'vendor', code],
  ['vendor_account', 'vendor_account', text],
  ['total_amount', 'total_amount', amount],
  ['currency', 'currency', code],
  ['payment_method', 'payment_method', code],
  ['reference_number', 'reference_number', text],
  ['owner', 'owner', code],
  ['vat_type', 'invoice_vat.type', code],
  ['vat_percentage', 'invoice_vat.percentage', amount],
  ['vat_amount', 'invoice_vat.vat_amount', amount],
  ['vat_code', 'invoice_vat.vat_code', code],
  ['vat_per_invoice_line', 'invoice_vat.vat_per_invoice_line', flag],
  ['expended_from_fund', 'invoice_vat.expended_from_fund', flag],
  ['report_tax', 'invoice_vat.report_tax', flag],
  ['use_pro_rata', 'additional_charges.use_pro_rata', flag],
  ['shipment', 'additional_charges.shipment', amount],
  ['overhead', 'additional_charges.overhead', amount],
  ['insurance', 'additional_charges.insurance', amount],
  ['discount', 'additional_charges.discount', amount],
  ['prepaid', 'payment.prepaid', flag],
  ['internal_copy', 'payment.internal_copy', flag],
  ['export_to_erp', 'payment.export_to_erp', flag],
];
const LINE_FIELDS: readonly Field[] = [
  ['line_id', 'id', text],
  ['line_number', 'number', text],
  ['line_type', 'type', code],
  ['po_line', 'po_line', text],
  ['price', 'price', amount],
  ['quantity', 'quantity', amount],
  ['line_note', 'note', text],
  ['price_note', 'price_note', text],
  ['subscription_from_date', 'subscription_from_date', day],
  ['subscription_to_date', 'subscription_to_date', day],
  ['additional_info', 'additional_info', text],
  ['fully_invoiced', 'fully_invoiced', flag],
  ['release_remaining_encumbrance', 'release_remaining_encumbrance', flag],
  ['reporting_code', 'reporting_code', code],
  ['secondary_reporting_code', 'secondary_reporting_code', code],
  ['tertiary_reporting_code', 'tertiary_reporting_code', code],
  ['line_vat_code', 'invoice_line_vat.vat_code', code],
  ['line_vat_percentage', 'invoice_line_vat.percentage', amount],
  ['line_vat_amount', 'invoice_line_vat.vat_amount', amount],
  ['line_vat_note', 'vat_note', text],
  ['line_total_price', 'total_price', amount],
];
const FUND_FIELDS: readonly Field[] = [
  ['fund_code', 'fund_code', code],
  ['fund_percent', 'percent', amount],
  ['fund_amount', 'amount', amount],
];

type Part = Partial<ExportRow>;
/** The value at `path` (`invoice_vat.type`): undefined where an object on the way is missing. */
const at = (source: Obj, path: string): JsonValue | undefined => {
  let v: JsonValue | undefined = source;
  for (const key of path.split('.')) v = isJsonObject(v) ? v[key] : undefined;
  return v;
};
const pick = (source: Obj, fields: readonly Field[]): Part => Object.fromEntries(fields.map(([column, path, read]) => [column, read(at(source, path))]));
const blank = (fields: readonly Field[]): Part => Object.fromEntries(fields.map(([column]) => [column, '']));
const EMPTY_LINE: Part = { ...blank(LINE_FIELDS), ...blank(FUND_FIELDS) };
const EMPTY_FUND: Part = blank(FUND_FIELDS);
/** Every note, one per line, as the loader reads `invoice_note` from an Alma-shaped invoice. */
const invoiceNote = (inv: Obj): string => noteText(inv) ?? '';

/** A count as a number or a numeric string (Alma gives both; sample 03 has `"total_record_count": ""`). */
const count = (v: JsonValue | undefined): number | undefined => {
  const t = jsonText(v)?.trim();
  return t !== undefined && /^\d+$/.test(t) ? Number.parseInt(t, 10) : undefined;
};

/**
 * How many lines an invoice of Alma's says it has, and how many it carries: `number_of_lines.value`
 * (sample 01), else the inline list's `total_record_count`. A listing may carry fewer lines than
 * that (docs/alma.md's sample 02 lists an invoice with `total_record_count` 999 and one line),
 * and a file written from it would hand finance part of the invoice. `inline` is undefined when
 * the answer has no `invoice_lines` at all (a brief view); `stated` when it says no count.
 */
export function lineCounts(raw: JsonValue): { stated?: number | undefined; inline?: number | undefined } {
  const inv = obj(raw);
  const held = inv['invoice_lines'];
  const stated = count(obj(inv['number_of_lines'])['value']) ?? count(obj(held)['total_record_count']);
  return { stated, inline: held === undefined || held === null ? undefined : list(obj(held)['invoice_line']).length };
}

/** The invoice with these lines in place of those it carried (read apart, `GET /acq/invoices/{id}/lines`). */
export function withLines(raw: JsonValue, lines: readonly JsonValue[]): JsonValue {
  return { ...obj(raw), invoice_lines: { total_record_count: new JsonNumber(String(lines.length)), invoice_line: [...lines] } };
}

export function exportRows(invoices: readonly JsonValue[]): ExportRow[] {
  const rows: ExportRow[] = [];
  // Keys in the order of EXPORT_COLUMNS, which the JSON form keeps.
  const row = (...parts: Part[]): number => {
    const all: Part = Object.assign({}, ...parts);
    return rows.push(Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, all[c] ?? ''])) as ExportRow);
  };
  for (const raw of invoices) {
    const inv = obj(raw);
    const head: Part = { ...pick(inv, INVOICE_FIELDS), invoice_note: invoiceNote(inv) };
    const lines = list(obj(inv['invoice_lines'])['invoice_line']).map(obj);
    if (lines.length === 0) row(head, EMPTY_LINE);
    for (const l of lines) {
      const line = pick(l, LINE_FIELDS);
      const funds = list(l['fund_distribution']).map(obj);
      if (funds.length === 0) row(head, line, EMPTY_FUND);
      for (const f of funds) row(head, line, pick(f, FUND_FIELDS));
    }
  }
  return rows;
}

const cell = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** RFC 4180 CSV, UTF-8, CRLF. Values are data for a finance system, so none is altered. */
export const toCsv = (rows: readonly ExportRow[]): string =>
  [EXPORT_COLUMNS.join(','), ...rows.map((r) => EXPORT_COLUMNS.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';

/** The same rows as a JSON array of flat objects (the canonical layout's JSON form). */
export const toJsonRows = (rows: readonly ExportRow[]): string => JSON.stringify(rows, null, 2) + '\n';

/**
 * The file `invoice-load export` writes for the finance system: one row per invoice line and
 * fund distribution (an invoice without lines is one row), the canonical column names plus
 * `invoice_id` and `line_id`, values as Alma gives them (amounts exact, dates `YYYY-MM-DD`).
 * Pure: Alma's invoice JSON in, text out.
 */
import { isJsonObject, jsonText, JsonNumber, type JsonValue } from '../common/json.js';

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
] as const;
export type ExportRow = Record<(typeof EXPORT_COLUMNS)[number], string>;

type Obj = { [key: string]: JsonValue };
const obj = (v: JsonValue | undefined): Obj => (isJsonObject(v) ? v : {});
const list = (v: JsonValue | undefined): JsonValue[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const text = (v: JsonValue | undefined): string => jsonText(v) ?? '';
/** `{value, desc}` → value; a bare string as it is. */
const code = (v: JsonValue | undefined): string => (isJsonObject(v) ? text(v['value']) : text(v));
/** Alma writes dates with a zone (`2025-04-02Z`): the canonical layout has none. */
const day = (v: JsonValue | undefined): string => text(v).replace(/Z$/, '');

type Column = (typeof EXPORT_COLUMNS)[number];
type Read = (v: JsonValue | undefined) => string;
/** Where each exported column comes from in Alma's JSON, and how its value is read. */
const INVOICE_FIELDS: ReadonlyArray<readonly [Column, string, Read]> = [
  ['invoice_id', 'id', text],
  ['invoice_number', 'number', text],
  ['invoice_date', 'invoice_date', day],
  ['invoice_due_date', 'invoice_due_date', day],
  ['vendor', 'vendor', code],
  ['vendor_account', 'vendor_account', text],
  ['total_amount', 'total_amount', text],
  ['currency', 'currency', code],
  ['payment_method', 'payment_method', code],
  ['reference_number', 'reference_number', text],
  ['owner', 'owner', code],
];
const LINE_FIELDS: ReadonlyArray<readonly [Column, string, Read]> = [
  ['line_id', 'id', text],
  ['line_number', 'number', text],
  ['line_type', 'type', code],
  ['po_line', 'po_line', text],
  ['price', 'price', text],
  ['quantity', 'quantity', text],
  ['line_note', 'note', text],
];
const FUND_FIELDS: ReadonlyArray<readonly [Column, string, Read]> = [
  ['fund_code', 'fund_code', code],
  ['fund_percent', 'percent', text],
  ['fund_amount', 'amount', text],
];

type Part = Partial<ExportRow>;
const pick = (source: Obj, fields: ReadonlyArray<readonly [Column, string, Read]>): Part =>
  Object.fromEntries(fields.map(([column, key, read]) => [column, read(source[key])]));
const blank = (fields: ReadonlyArray<readonly [Column, string, Read]>): Part => Object.fromEntries(fields.map(([column]) => [column, '']));
const EMPTY_LINE: Part = { ...blank(LINE_FIELDS), ...blank(FUND_FIELDS) };
const EMPTY_FUND: Part = blank(FUND_FIELDS);

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
  const row = (...parts: Part[]): number => rows.push(Object.assign({}, ...parts) as ExportRow);
  for (const raw of invoices) {
    const inv = obj(raw);
    const head = pick(inv, INVOICE_FIELDS);
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

/**
 * The file `invoice-load export` writes for the finance system: one row per invoice line and
 * fund distribution (an invoice without lines is one row), the canonical column names plus
 * `invoice_id` and `line_id`, values as Alma gives them (amounts exact, dates `YYYY-MM-DD`).
 * Pure: Alma's invoice JSON in, text out.
 */
import { isJsonObject, jsonText, type JsonValue } from '../shared/json.js';

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

export function exportRows(invoices: readonly JsonValue[]): ExportRow[] {
  const rows: ExportRow[] = [];
  for (const raw of invoices) {
    const inv = obj(raw);
    const head = {
      invoice_id: text(inv['id']),
      invoice_number: text(inv['number']),
      invoice_date: day(inv['invoice_date']),
      invoice_due_date: day(inv['invoice_due_date']),
      vendor: code(inv['vendor']),
      vendor_account: text(inv['vendor_account']),
      total_amount: text(inv['total_amount']),
      currency: code(inv['currency']),
      payment_method: code(inv['payment_method']),
      reference_number: text(inv['reference_number']),
      owner: code(inv['owner']),
    };
    const empty = { line_id: '', line_number: '', line_type: '', po_line: '', price: '', quantity: '', line_note: '', fund_code: '', fund_percent: '', fund_amount: '' };
    const lines = list(obj(inv['invoice_lines'])['invoice_line']);
    if (lines.length === 0) rows.push({ ...head, ...empty });
    for (const l of lines.map(obj)) {
      const line = {
        line_id: text(l['id']),
        line_number: text(l['number']),
        line_type: code(l['type']),
        po_line: text(l['po_line']),
        price: text(l['price']),
        quantity: text(l['quantity']),
        line_note: text(l['note']),
      };
      const funds = list(l['fund_distribution']).map(obj);
      if (funds.length === 0) rows.push({ ...head, ...empty, ...line });
      for (const f of funds) rows.push({ ...head, ...line, fund_code: code(f['fund_code']), fund_percent: text(f['percent']), fund_amount: text(f['amount']) });
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

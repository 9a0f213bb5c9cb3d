/**
 * `--rejects`: which input rows go back to the user, and why — pure. Every row of every invoice
 * that ended `invalid` or `failed`, and every row an error of the batch names, each with an
 * `error_code` and `error_message`, so the file
 * can be corrected and loaded again as it is (Salesforce Data Loader's error file, in the
 * input's own layout; the CLI re-reads the rows, src/cli/rejects.ts).
 */
import type { ReportDocument, ReportInvoice } from './report.js';
import { keyString } from '../domain/model.js';

export const REJECT_COLUMNS = ['error_code', 'error_message'] as const;

export interface RejectReason {
  code: string;
  message: string;
}

/**
 * `file \0 row` → why the row is rejected, for every row of an invalid or failed invoice, and
 * every row an error of the batch names (a row without a vendor belongs to no invoice: left
 * out, its invoice came back without it, and once corrected and loaded lacked that line).
 */
export function rejectedRows(report: ReportDocument): Map<string, RejectReason> {
  const out = new Map<string, RejectReason>();
  for (const inv of report.invoices) {
    if (inv.status !== 'invalid' && inv.status !== 'failed') continue;
    for (const r of inv.rows) out.set(rowKey(r.file, r.row), reasonFor(inv, r.file, r.row));
  }
  const own = new Map<string, RejectReason>();
  for (const p of report.issues) {
    if (p.severity !== 'error' || p.row === undefined) continue;
    const key = rowKey(p.file, p.row);
    const had = own.get(key);
    own.set(key, had === undefined ? { code: p.code, message: p.message } : { code: had.code.split(' ').includes(p.code) ? had.code : `${had.code} ${p.code}`, message: `${had.message}; ${p.message}` });
  }
  // The row's own error first: its invoice's (if it has one) follow. A row of an invoice that
  // is otherwise valid (an extra cell, the file cut inside it) brings that invoice's other rows:
  // loaded alone once corrected, it would be an invoice short of lines.
  const invoiceOf = new Map<string, ReportInvoice>();
  for (const inv of report.invoices) for (const r of inv.rows) invoiceOf.set(rowKey(r.file, r.row), inv);
  for (const [key, reason] of own) {
    const had = out.get(key);
    out.set(key, had === undefined ? reason : { code: `${reason.code} ${had.code}`, message: `${reason.message}; ${had.message}` });
    const inv = invoiceOf.get(key);
    if (inv === undefined) continue;
    const [file, row] = [rowKeyFile(key), rowKeyRow(key)];
    for (const r of inv.rows) {
      const k = rowKey(r.file, r.row);
      if (!out.has(k)) out.set(k, { code: reason.code, message: `row ${row}${r.file !== file ? ` of ${file}` : ''}: ${reason.message}` });
    }
  }
  return out;
}

/**
 * Whose records a rejected row wants, where one row holds several records (JSON written on one
 * line: every object is line 1): `all` for a row a batch error names (which record it is in
 * cannot be told), else the rejected invoices with a row there (`keyString` of the report's
 * vendor and number), each with its own reason.
 */
export function rejectedRowOwners(report: ReportDocument, wanted: ReadonlyMap<string, RejectReason>): Map<string, 'all' | Map<string, RejectReason>> {
  const out = new Map<string, 'all' | Map<string, RejectReason>>();
  for (const p of report.issues) if (p.severity === 'error' && p.row !== undefined) out.set(rowKey(p.file, p.row), 'all');
  for (const inv of report.invoices) {
    const rejected = inv.status === 'invalid' || inv.status === 'failed';
    for (const r of inv.rows) {
      const key = rowKey(r.file, r.row);
      const had = out.get(key);
      if (had === 'all' || !wanted.has(key)) continue;
      // A row of an accepted invoice is wanted only as the rest of a batch error's invoice: that
      // error's row is `all`; on a shared line the invoice's own rows stay out otherwise.
      if (!rejected) continue;
      const m = had ?? new Map<string, RejectReason>();
      m.set(keyString({ vendor: inv.vendor, number: inv.number }), reasonFor(inv, r.file, r.row));
      out.set(key, m);
    }
  }
  return out;
}

export const rowKey = (file: string, row: number): string => `${file}\u0000${row}`;

/** The file part of a `rowKey`. */
export const rowKeyFile = (key: string): string => key.slice(0, key.indexOf('\u0000'));

/** The row part of a `rowKey`. */
export const rowKeyRow = (key: string): number => Number(key.slice(key.indexOf('\u0000') + 1));

/** A failed invoice: the target's code and message; an invalid one: the row's own errors, else the invoice's. */
function reasonFor(inv: ReportInvoice, file: string, row: number): RejectReason {
  if (inv.status === 'failed') {
    const e = inv.error;
    const tracking = e?.tracking_id ? ` (tracking id ${e.tracking_id})` : '';
    return { code: e?.code ?? 'failed', message: `${e?.message ?? 'the invoice failed'}${tracking}` };
  }
  const errors = inv.issues.filter((p) => p.severity === 'error');
  const own = errors.filter((p) => p.file === file && p.row === row);
  const chosen = own.length > 0 ? own : errors;
  if (chosen.length === 0) return { code: 'invalid', message: 'the invoice is invalid' };
  return {
    code: [...new Set(chosen.map((p) => p.code))].join(' '),
    message: chosen.map((p) => (p.row !== undefined && (p.file !== file || p.row !== row) ? `row ${p.row}: ${p.message}` : p.message)).join('; '),
  };
}

/** One CSV line (LF-terminated) with `delimiter`; a cell is quoted when it must be (RFC 4180). */
export function csvLine(cells: readonly string[], delimiter = ','): string {
  return (
    cells
      .map((c) => (c.includes(delimiter) || c.includes('"') || c.includes('\n') || c.includes('\r') ? `"${c.replaceAll('"', '""')}"` : c))
      .join(delimiter) + '\n'
  );
}

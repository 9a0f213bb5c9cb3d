/**
 * The report as a spreadsheet: one row per invoice, in input order, built by a pure function
 * from the report document (the CLI only writes the text, atomically).
 *
 * The file is meant to be opened in Excel or LibreOffice by staff, so two things matter
 * beyond RFC 4180 quoting:
 *  - CSV injection. Vendor files are outside input: an invoice number like `=HYPERLINK(…)`
 *    would become a live formula. OWASP's CSV Injection page
 *    (https://owasp.org/www-community/attacks/CSV_Injection) lists the leading characters a
 *    spreadsheet treats as a formula — `=`, `+`, `-`, `@`, tab (0x09) and carriage return
 *    (0x0D) — and recommends prefixing such a cell with a single quote, which spreadsheets
 *    take as "text" and do not show. (OWASP ASVS 5.0 V1.2.10 asks the same.)
 *  - Identifiers a spreadsheet would change. Opening a CSV, Excel and LibreOffice turn a cell of
 *    digits into a number (a 17-digit Alma id loses its last digits beyond 15 significant ones,
 *    `00123` loses its zeros) and `03-04` into a date. Ids, invoice numbers, vendor codes and
 *    error codes made only of digits and number or date punctuation are written as the text
 *    formula `="00123"`, which both keep as text (test/report/libreoffice.test.ts converts such a
 *    report with LibreOffice and reads the cells back). Amounts stay numbers, to sum.
 *  - Encoding. A UTF-8 byte order mark, so Excel does not read "Harrassowitz Verlagsbuchhandlung
 *    München" as Windows-1252; CRLF line ends as RFC 4180 writes them.
 */
import type { Problem } from '../domain/problem.js';
import { placeOf, type Provenance } from '../input/record.js';
import { systemLabel, type ReportDocument, type ReportInvoice } from './report.js';
import { stoppedOn, stoppedSentence } from './stopped.js';
import type { StopDetail } from '../engine/events.js';
import { runLabels } from '../common/runs.js';

export const CSV_COLUMNS = [
  'rows',
  'vendor',
  'number',
  'total',
  'currency',
  'lines',
  'status',
  'alma_id',
  'workflow_status',
  'approval_status',
  'alerts',
  'error_code',
  'tracking_id',
  'message',
] as const;

/** A plain decimal number (a credit note's `-12.50`) cannot be a formula; OWASP's quote would turn it into text. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** Neutralises a cell a spreadsheet would evaluate (OWASP CSV Injection): prefix `'`. */
export function defuseCell(value: string): string {
  return FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
}

/** Columns of identifiers: never numbers or dates, whatever they look like. */
const TEXT_COLUMNS: ReadonlySet<string> = new Set(['vendor', 'number', 'alma_id', 'error_code', 'tracking_id']);
/** Only digits and number or date punctuation (`00123`, `2025-03-04`, `1.234,5`), or exponent form (`12E3`). */
const CONVERTIBLE = /^(?=.*\d)[\d\s.,/:+\-]+$|^\d+(\.\d+)?[eE][+-]?\d+$/;

/** A cell of a text column as a spreadsheet must keep it: `="00123"` where it would be converted. */
export function keepText(value: string): string {
  return CONVERTIBLE.test(value) ? `="${value.replace(/"/g, '""')}"` : defuseCell(value);
}

/** RFC 4180 §2.6–2.7: quote a field holding a comma, quote, CR or LF; double the quotes inside. */
export function quoteCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Where an invoice came from, compact: `b.csv:2-4`, `b.csv:2-3,7`, or `a.csv:2; b.csv:9` in
 * the unusual case of rows in several files. Ranges join consecutive editor lines.
 */
export function formatRows(rows: readonly Provenance[]): string {
  const byFile = new Map<string, number[]>();
  for (const r of rows) {
    const list = byFile.get(r.file) ?? [];
    list.push(r.row);
    byFile.set(r.file, list);
  }
  const parts: string[] = [];
  for (const [file, list] of byFile) {
    parts.push(placeOf(file, runLabels(list, '-').join(',')));
  }
  return parts.join('; ');
}

const problemText = (p: Problem): string => {
  const where = [p.row !== undefined ? `row ${p.row}` : undefined, p.column].filter(Boolean).join(' ');
  return `${where ? where + ': ' : ''}${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`;
};

/**
 * The one sentence a person reads first: Alma's error, or the input problems, or nothing. An
 * invoice the run stopped on (`status` stays `failed`, `error_code` says the stop) says so in
 * plain words, as the terminal and the HTML report do (stopped.ts).
 */
function message(inv: ReportInvoice, stopped: string | undefined, label: string, detail?: StopDetail): string {
  if (stoppedOn(inv)) return stoppedSentence(inv, stopped, label, detail);
  if (inv.error) return `${inv.error.step}: ${inv.error.message}`;
  return inv.issues.map(problemText).join(' | ');
}

/**
 * The target's or the stop's code; for an invalid invoice the codes of its errors (`total_mismatch
 * invalid_date`), as the rejects file gives them (report/rejects.ts), so the column filters alike.
 */
function errorCode(inv: ReportInvoice): string {
  if (inv.error !== undefined) return inv.error.code;
  if (inv.status !== 'invalid') return '';
  return [...new Set(inv.issues.filter((p) => p.severity === 'error').map((p) => p.code))].join(' ');
}

/** `stopped`: the report's (why the run stopped, if it did); `label`: the target's name for people. */
export function invoiceCells(inv: ReportInvoice, stopped?: string, label = 'Alma', detail?: StopDetail): Record<(typeof CSV_COLUMNS)[number], string> {
  return {
    rows: formatRows(inv.rows),
    vendor: inv.vendor,
    number: inv.number,
    total: inv.total ?? '',
    currency: inv.currency ?? '',
    lines: String(inv.lines.length),
    status: inv.status,
    alma_id: inv.id ?? '',
    workflow_status: inv.workflow_status ?? '',
    approval_status: inv.approval_status ?? '',
    alerts: inv.alerts.map((a) => (a.description ? `${a.code}: ${a.description}` : a.code)).join('; '),
    error_code: errorCode(inv),
    tracking_id: inv.error?.tracking_id ?? '',
    message: message(inv, stopped, label, detail),
  };
}

/** `label`: the target's name for people (`Alma`, `FOLIO`); default the report's `target`. */
export function renderCsv(report: ReportDocument, label?: string): string {
  const out = [CSV_COLUMNS.map((c) => quoteCell(defuseCell(c))).join(',')];
  const system = systemLabel(report, label);
  for (const inv of report.invoices) {
    const cells = invoiceCells(inv, report.stopped, system, report.stop_detail);
    out.push(CSV_COLUMNS.map((c) => quoteCell(TEXT_COLUMNS.has(c) ? keepText(cells[c]) : defuseCell(cells[c]))).join(','));
  }
  return '\uFEFF' + out.join('\r\n') + '\r\n';
}

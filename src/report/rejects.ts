/**
 * `--rejects`: which input rows go back to the user, and why — pure. Every row of every invoice
 * that ended `invalid` or `failed` — not one the run stopped on (`stoppedOn`: Ctrl-C, the daily
 * threshold, an unreachable target …) nor one that failed for a transient cause (a timeout, a
 * 5xx, a lost answer: report/failures.ts `failureKind`), which have nothing to correct and which
 * the same command finishes (README, exit code 4) — and every row an error of the batch names, each with an
 * `error_code` and `error_message`, so the file
 * can be corrected and loaded again as it is (Salesforce Data Loader's error file, in the
 * input's own layout; the CLI re-reads the rows, src/cli/rejects.ts).
 */
import type { ReportDocument, ReportInvoice } from './report.js';
import { problemOfFile, type Problem } from '../domain/problem.js';
import { keyString } from '../domain/model.js';
import { stoppedOn } from '../engine/result.js';
import { failureKind } from './failures.js';

import { quoteRejectCell, REJECT_COLUMNS } from '../common/reject-cells.js';

export { REJECT_COLUMNS };

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
  return rowReasons(rejectedRowOwners(report));
}

/**
 * One reason a row, from its owners: the row's own error first, its invoice's (if it has one)
 * after. Where several invoices share the row (JSON on one line) the last one's: the rejects
 * read each record's own from the owners.
 */
export function rowReasons(owners: ReadonlyMap<string, RowOwners>): Map<string, RejectReason> {
  const out = new Map<string, RejectReason>();
  for (const [key, o] of owners) {
    const inv = [...o.invoices.values()].at(-1);
    const reason = o.batch === undefined ? inv : inv === undefined ? o.batch : both(o.batch, inv);
    if (reason !== undefined) out.set(key, reason);
  }
  return out;
}

/** The batch's own errors (not an invoice's) by row: one reason a row, codes and messages joined. */
function batchReasons(report: ReportDocument): Map<string, RejectReason> {
  const own = new Map<string, RejectReason[]>();
  for (const p of report.issues) {
    if (p.severity !== 'error' || p.row === undefined) continue;
    const key = rowKey(p.file, p.row);
    const had = own.get(key);
    if (had === undefined) own.set(key, [{ code: p.code, message: p.message }]);
    else had.push({ code: p.code, message: p.message });
  }
  return new Map([...own].map(([key, parts]) => [key, reasonOf(parts)]));
}

/**
 * The problems a reason joins, each once (`reasonOf`), kept beside it so that joining two reasons
 * (`both`) can leave out one both give: a file not read whole gives its `cut_short` as the batch's
 * error at the cut row and as the error of the invoice on that row (`reasonFor`, its file's
 * errors), once each — the row said it twice.
 */
const partsOf = new WeakMap<RejectReason, readonly RejectReason[]>();
const partsOfReason = (r: RejectReason): readonly RejectReason[] => partsOf.get(r) ?? [{ code: r.code, message: r.message }];

/** One reason from its problems: a (code, message) given twice is said once, each code once in `code`. */
function reasonOf(parts: readonly RejectReason[]): RejectReason {
  const seen = new Set<string>();
  const kept = parts.filter((p) => {
    const k = `${p.code}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const out = { code: [...new Set(kept.map((p) => p.code))].join(' '), message: kept.map((p) => p.message).join('; ') };
  partsOf.set(out, kept);
  return out;
}

/** Two reasons of one row, the first first; a problem both give is said once. */
export const both = (a: RejectReason, b: RejectReason): RejectReason => reasonOf([...partsOfReason(a), ...partsOfReason(b)]);

/** The reason an invoice's other rows get from a batch error on its row `key`. */
function fromRow(key: string, reason: RejectReason, file: string): RejectReason {
  const [at, row] = [rowKeyFile(key), rowKeyRow(key)];
  return { code: reason.code, message: `row ${row}${file !== at ? ` of ${at}` : ''}: ${reason.message}` };
}

/** Whose records a rejected row shared by several records wants (`rejectedRowOwners`). */
export interface RowOwners {
  /** The batch's own errors on the row: every record on it goes back (which one they are in cannot be told). */
  batch?: RejectReason | undefined;
  /** The invoices (`keyString` of the report's vendor and number) whose records on the row go back, each with its reason. */
  invoices: Map<string, RejectReason>;
}

/**
 * Whose records each rejected row wants, and why — the one walk of the report that `rejectedRows`
 * and the rejects file both read. Every row of an invalid or failed invoice (its own reason) but
 * one the same command finishes (`rerunFinishes`: the run stopped on it, or it failed for a
 * transient cause), and
 * every row an error of the batch names (`batch`: where one row holds several records, as in JSON
 * written on one line, which record the error is in cannot be told, so all go back). A row of an
 * invoice that is otherwise valid (an extra cell, the file cut inside it) brings that invoice's
 * other rows: loaded alone once corrected, it would be an invoice short of lines.
 */
export function rejectedRowOwners(report: ReportDocument): Map<string, RowOwners> {
  const out = new Map<string, RowOwners>();
  const at = (key: string): RowOwners => {
    let o = out.get(key);
    if (o === undefined) out.set(key, (o = { invoices: new Map() }));
    return o;
  };
  const rejected = (inv: ReportInvoice): boolean => inv.status === 'invalid' || (inv.status === 'failed' && !rerunFinishes(inv));
  const idOf = (inv: ReportInvoice): string => keyString({ vendor: inv.vendor, number: inv.number });
  const invoicesAt = new Map<string, ReportInvoice[]>();
  for (const inv of report.invoices) {
    for (const r of inv.rows) {
      const key = rowKey(r.file, r.row);
      let here = invoicesAt.get(key);
      if (here === undefined) invoicesAt.set(key, (here = []));
      here.push(inv);
      if (rejected(inv)) at(key).invoices.set(idOf(inv), reasonFor(inv, r.file, r.row, report.issues));
    }
  }
  const batch = batchReasons(report);
  const pulled = new Set<ReportInvoice>();
  for (const [key, reason] of batch) {
    at(key).batch = reason;
    for (const inv of invoicesAt.get(key) ?? []) {
      if (rejected(inv) || pulled.has(inv)) continue;
      pulled.add(inv);
      for (const r of inv.rows) {
        const k = rowKey(r.file, r.row);
        if (!batch.has(k)) at(k).invoices.set(idOf(inv), fromRow(key, reason, r.file));
      }
    }
  }
  // A rejected row short of cells (`short_row`, a warning that rejects nothing by itself:
  // input/csv.ts) says so first: a row split in two by a line break in an unquoted note is why
  // its cells stand where they do, and its errors read as nonsense without it.
  for (const p of report.issues) {
    if (p.code !== 'short_row' || p.row === undefined) continue;
    const o = out.get(rowKey(p.file, p.row));
    if (o === undefined) continue;
    const short = { code: p.code, message: p.message };
    // Said once: the batch's reason goes before the invoice's wherever both are read.
    if (o.batch !== undefined) o.batch = both(short, o.batch);
    else for (const [id, reason] of o.invoices) o.invoices.set(id, both(short, reason));
  }
  return out;
}

export const rowKey = (file: string, row: number): string => `${file}\u0000${row}`;

/**
 * A failed invoice with nothing to correct, which the same command finishes: the run stopped on
 * it (`stoppedOn`), or it failed for a transient cause — a timeout, a 5xx, a lost answer
 * (`OUTCOME_UNKNOWN`) — that report/failures.ts `failureKind` tells from a business refusal.
 */
export const rerunFinishes = (inv: ReportInvoice): boolean => inv.status === 'failed' && (stoppedOn(inv) || failureKind(inv.error) === 'transient');

/**
 * The invoices the same command finishes (`rerunFinishes`) that have no row in the rejects, by
 * why: the run stopped on them (`stopped`), or they failed for a transient cause (`transient`) —
 * said beside the file's name, so their absence does not read as "loaded". (One whose row an
 * error of the batch names is in it.)
 */
export function rerunLeftOut(report: ReportDocument, wanted: ReadonlyMap<string, unknown>): { stopped: number; transient: number } {
  const out = { stopped: 0, transient: 0 };
  for (const inv of report.invoices) {
    if (!rerunFinishes(inv) || inv.rows.some((r) => wanted.has(rowKey(r.file, r.row)))) continue;
    if (stoppedOn(inv)) out.stopped++;
    else out.transient++;
  }
  return out;
}

/** The clause the Written: line adds after the rejects file's count for `rerunLeftOut` (empty for none). */
export function leftOutClause(left: { stopped: number; transient: number }): string {
  const { stopped, transient } = left;
  const n = stopped + transient;
  if (n === 0) return '';
  const count = (m: number): string => (m === 1 ? '1 invoice' : `${m.toLocaleString('en-US')} invoices`);
  const why =
    transient === 0
      ? `${count(stopped)} the run stopped on`
      : stopped === 0
        ? `${count(transient)} that failed for a passing cause (a timeout, a 5xx, no answer)`
        : `${count(stopped)} the run stopped on and ${transient.toLocaleString('en-US')} that failed for a passing cause (a timeout, a 5xx, no answer)`;
  return `; ${why} ${n === 1 ? 'is' : 'are'} not in it: the same command finishes ${n === 1 ? 'it' : 'them'}`;
}

/** The file part of a `rowKey`. */
export const rowKeyFile = (key: string): string => key.slice(0, key.indexOf('\u0000'));

/** The row part of a `rowKey`. */
export const rowKeyRow = (key: string): number => Number(key.slice(key.indexOf('\u0000') + 1));

/**
 * A failed invoice: the target's code and message; an invalid one: the row's own errors, else the
 * invoice's, else its file's (a file without a column every invoice needs: one `missing_column`
 * for the file, none on its invoices — domain/group.ts `FileState.lacking`; a file not read
 * whole, its error at a row — `FileState.refused`). That column is
 * missing from every row of the file, so a row with errors of its own carries it too, after them:
 * the corrected row would still not load without it.
 */
function reasonFor(inv: ReportInvoice, file: string, row: number, batch: readonly Problem[]): RejectReason {
  if (inv.status === 'failed') {
    const e = inv.error;
    const tracking = e?.tracking_id ? ` (tracking id ${e.tracking_id})` : '';
    const said = `${e?.message ?? 'the invoice failed'}${tracking}`;
    const line = e?.line;
    if (line === undefined || line.rows.length === 0) return { code: e?.code ?? 'failed', message: said };
    // A line the target refused (its POST): the line's rows say so with its number, the
    // invoice's other rows that they are held back for it — so the person knows which row to fix.
    const mine = line.rows.some((r) => r.file === file && r.row === row);
    const rows = line.rows.map((r) => (r.file !== file ? `${r.row} of ${r.file}` : String(r.row)));
    const at = `line ${line.number} (row${rows.length === 1 ? '' : 's'} ${rows.join(', ')})`;
    return { code: e!.code, message: mine ? `${at} was refused: ${said}` : `held back with its invoice: ${at} was refused, not this row: ${said}` };
  }
  const errors = inv.issues.filter((p) => p.severity === 'error');
  const own = errors.filter((p) => p.file === file && p.row === row);
  const fileWide = batch.filter((p) => p.severity === 'error' && problemOfFile(p.file, file) && p.row === undefined);
  const lacking = fileWide.filter((p) => p.code === 'missing_column');
  // A file not read whole (cut short, its reading stopped part-way) says it at a row, and its
  // invoices have none of their own (domain/group.ts `FileState.refused`): that error is theirs.
  const fileErrors = fileWide.length > 0 ? fileWide : batch.filter((p) => p.severity === 'error' && problemOfFile(p.file, file));
  const chosen = own.length > 0 ? [...own, ...lacking] : errors.length > 0 ? [...errors, ...lacking] : fileErrors;
  if (chosen.length === 0) return { code: 'invalid', message: 'the invoice is invalid' };
  return reasonOf(
    chosen.map((p) => ({
      code: p.code,
      // Another file's row is named with its file (a copy of the invoice in another file: row 2 of that file, not of this one).
      message: p.row !== undefined && (p.file !== file || p.row !== row) ? `row ${p.row}${p.file !== file ? ` of ${p.file}` : ''}: ${p.message}` : p.message,
    })),
  );
}

/**
 * The rejects file's header from a CSV input's own: REJECT_COLUMNS appended — or, where the input
 * is itself a rejects file (one corrected and loaded again), its own `error_code` and
 * `error_message` columns, named as the CSV reader names them (input/csv.ts: trimmed, any case),
 * whose cells the new reason replaces: a second pair made the next load a `duplicate_column`.
 * `at` is where the code and the message go in a row (`rejectsRow`).
 */
export function rejectsLayout(header: readonly string[]): { header: string[]; at: readonly number[] } {
  const out = [...header];
  const at = REJECT_COLUMNS.map((c) => {
    const i = header.findIndex((h) => h.trim().toLowerCase() === c);
    if (i !== -1) return i;
    out.push(c);
    return out.length - 1;
  });
  return { header: out, at };
}

/** A rejected row's cells as written, laid out by `rejectsLayout`, with its reason. */
export function rejectsRow(layout: { header: readonly string[]; at: readonly number[] }, cells: readonly string[], reason: RejectReason): string[] {
  const out = Array.from({ length: layout.header.length }, (_, i) => cells[i] ?? '');
  out[layout.at[0]!] = reason.code;
  out[layout.at[1]!] = reason.message;
  return out;
}

/**
 * One CSV line (LF-terminated) with `delimiter`; a cell is quoted when it must be (RFC 4180), with
 * `quote` — a `--mapping` profile's own (`csv.quote`, which escapes itself as `"` does), so the
 * same profile reads the line back.
 */
export function csvLine(cells: readonly string[], delimiter = ',', quote = '"'): string {
  return (
    cells
      .map((c) => (c.includes(delimiter) || c.includes(quote) || c.includes('\n') || c.includes('\r') ? `${quote}${c.replaceAll(quote, quote + quote)}${quote}` : c))
      .join(delimiter) + '\n'
  );
}

/** One line of the rejects file: each cell defused (`quoteRejectCell`), then quoted as `csvLine` does. */
export const rejectsLine = (cells: readonly string[], delimiter = ',', quote = '"'): string => csvLine(cells.map(quoteRejectCell), delimiter, quote);

/**
 * `invoice-load export [--status S] [--mark-in-erp] -o <file>`: the hand-over to the finance
 * system (BLOG-ERP, docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments): the invoices in a workflow status (default
 * `Waiting to be Sent`, "Ready to be Paid" in the UI) written to a CSV or JSON file, one row per
 * line and fund distribution; then, with `--mark-in-erp`, each marked `op=mark_in_erp`.
 *
 * Exactly once under kills:
 * - nothing is marked before the file is durably written (temporary file, fsync, rename): a kill
 *   before that leaves every invoice unmarked, and the next run lists them again;
 * - the journal records each invoice of a written file before its mark; a re-run writes those
 *   not yet marked into its file again (with the ones newly waiting), so the file in place always
 *   holds every invoice whose mark may have been sent — a crash never leaves a marked invoice
 *   out of every written file;
 * - each mark is the operations runner's: read first (already marked → `already_done`), journal
 *   intent and outcome, and after a lost answer read again before sending again.
 */
import { extname, resolve } from 'node:path';
import type { Config } from './config.js';
import type { Terminal } from './terminal.js';
import { exitCodeForReport } from './exit.js';
import { checkReportPath, isSandboxRun } from './outputs.js';
import { emitLifecycleReport, withSession } from './lifecycle.js';
import { shortHash } from './journals.js';
import { lifecycleSummary, type LifecycleInvoice, type LifecycleReport } from '../report/lifecycle.js';
import { CLOSED, WAITING_FOR_PAYMENT, type InvoiceState } from '../targets/alma/erp.js';
import { runOperations } from '../engine/operations.js';
import { exportRows, toCsv, toJsonRows } from '../report/export-file.js';
import { writeFileAtomic } from '../common/fs.js';
import { UsageError } from '../common/errors.js';

export interface ExportOptions {
  output: string;
  status: string;
  format?: 'csv' | 'json' | undefined;
  markInErp: boolean;
}

/** The journal's op for "in a written file, to be marked". */
const IN_FILE = 'export';

export async function runExport(cfg: Config, term: Terminal, o: ExportOptions): Promise<number> {
  const ext = extname(o.output).toLowerCase();
  const format = o.format ?? (ext === '.json' ? 'json' : ext === '.csv' ? 'csv' : undefined);
  if (format === undefined) throw new UsageError(`cannot tell the format of ${o.output}: name it .csv or .json, or pass --format csv|json`);
  const output = resolve(o.output);
  // Before Alma is read or marked (--mark-in-erp): the export file and --report, writable and apart.
  // It reads no file (its `files` only stand in for the list a load checks): no input to protect.
  checkReportPath({ reportPath: cfg.reportPath, files: [] }, [['--output', o.output]]);
  return withSession(cfg, term, async (session) => {
    const { erp } = session;
    const listed = await erp.listByStatus(o.status);
    const base = (s: InvoiceState, status: LifecycleInvoice['status']): LifecycleInvoice => ({
      vendor: s.vendor,
      number: s.number,
      status,
      id: s.id,
      workflow_status: s.workflowStatus,
      alerts: s.alerts,
      issues: [],
      rows: [],
    });
    const report = (invoices: LifecycleInvoice[], written: boolean, stopped?: string): LifecycleReport => ({
      target: 'alma',
      sandbox: isSandboxRun(cfg),
      command: 'export',
      dry_run: cfg.dryRun,
      ...(stopped !== undefined ? { stopped } : {}),
      ...(written ? { output: o.output } : {}),
      summary: lifecycleSummary(invoices, erp.requestCount()),
      issues: [],
      invoices,
    });
    if (cfg.dryRun) {
      const doc = report(listed.map((s) => base(s, 'planned')), false);
      emitLifecycleReport(cfg, term, doc);
      return exitCodeForReport(doc, { sent: false });
    }

    // One journal per place, status and output file: a re-run of the same command resumes it.
    const journal = session.journal('export', shortHash(`${o.status}\u0000${output}`));
    // Invoices of an earlier run's file whose mark is not recorded: they go into this file too.
    const carried: InvoiceState[] = [];
    const seen = new Set(listed.map((s) => s.id));
    if (o.markInErp) {
      for (const [vendor, number, id] of journal.pendingOps(IN_FILE, 'mark_in_erp')) {
        if (seen.has(id)) continue;
        const s = await erp.readFull(id);
        // Still to be marked, or marked by a request whose answer was lost: either way in the file.
        if (s !== undefined && (s.workflowStatus === o.status || s.workflowStatus === WAITING_FOR_PAYMENT || s.workflowStatus === CLOSED)) {
          carried.push(s);
          seen.add(id);
        } else session.info(`${vendor} ${number} (id ${id}) was in an earlier export but is now ${s?.workflowStatus ?? 'gone'}; not exported again`);
      }
    }
    // A listing may leave the lines out: read those invoices whole.
    const full: InvoiceState[] = [];
    for (const s of [...listed, ...carried]) full.push(hasLines(s) ? s : ((await erp.readFull(s.id)) ?? s));

    const rows = exportRows(full.map((s) => s.raw));
    writeFileAtomic(output, format === 'csv' ? toCsv(rows) : toJsonRows(rows));
    // Durable now: only from here may an invoice be marked. Journaled only when marking: a file
    // without marks carries nothing over to the next run.
    const toJournal = o.markInErp ? full.filter((s) => !journal.state({ vendor: s.vendor, number: s.number }).ops.has(IN_FILE)) : [];
    for (const s of toJournal) {
      journal.append({ t: 'op', vendor: s.vendor, number: s.number, op: IN_FILE, id: s.id, outcome: 'done', workflow_status: s.workflowStatus });
    }
    if (!o.markInErp) {
      const doc = report(full.map((s) => base(s, 'exported')), true);
      emitLifecycleReport(cfg, term, doc);
      return exitCodeForReport(doc, { sent: true });
    }
    const outcome = await runOperations(
      full.map((s) => ({
        key: { vendor: s.vendor, number: s.number },
        op: 'mark_in_erp',
        read: async () =>
          (await erp.read(s.id)) ?? { step: 'lookup' as const, http_status: 0, code: 'NOT_FOUND', message: `Alma no longer holds invoice ${s.id}` },
        // Marked: it waits for payment, or was closed (handle_invoice_payment, BLOG-ERP).
        done: (now: InvoiceState) => now.workflowStatus === WAITING_FOR_PAYMENT || now.workflowStatus === CLOSED,
        refuse: (now: InvoiceState) =>
          now.workflowStatus === o.status
            ? undefined
            : { step: 'erp' as const, http_status: 0, code: 'WRONG_STATUS', message: `invoice ${now.number} is now ${now.workflowStatus ?? 'in an unknown status'}, not ${o.status}; not marked` },
        send: (id: string) => erp.markInErp(id),
      })),
      session.runOptions(journal, () => 'marked'),
    );
    const invoices = full.map((s, i): LifecycleInvoice => {
      const r = outcome.results[i]!;
      const status = r.status === 'done' ? 'marked' : r.status === 'not_started' ? 'failed' : r.status;
      return { ...base(s, status), workflow_status: r.workflowStatus ?? s.workflowStatus, alerts: r.alerts, ...(r.error !== undefined ? { error: r.error } : {}) };
    });
    const doc = report(invoices, true, outcome.stopped);
    emitLifecycleReport(cfg, term, doc);
    return exitCodeForReport(doc, { sent: true });
  });
}

const hasLines = (s: InvoiceState): boolean => {
  const raw = s.raw as { invoice_lines?: unknown; number_of_lines?: { value?: unknown } };
  return raw.invoice_lines !== undefined && raw.invoice_lines !== null;
};

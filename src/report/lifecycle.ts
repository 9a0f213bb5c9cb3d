/**
 * The report of `invoice-load payments` and `invoice-load export`: the same shape as a load's
 * (target, dry_run, stopped, summary, issues, invoices with status, id, workflow status, alerts,
 * error, issues and rows), with the statuses of these commands. Pure.
 */
import type { Problem, Provenance } from '../domain/problem.js';
import type { Alert } from '../targets/target.js';
import type { ReportError } from './report.js';
import type { StopDetail } from '../engine/events.js';
import { columnWidths, padToWidth, proseText } from './fit.js';
import { errorsSeeBelow, fitOutcomeTable, notStartedLine, renderProblems, safe, targetName, withoutNotStarted, type Style } from './human.js';
import { rerunWhen } from './failures.js';
import { workflowLabel } from './alerts.js';
import { maskMessage } from '../common/shown-secrets.js';
import { shownFile } from '../common/shown.js';

/**
 * `paid`, `rejected`: this run confirmed it; `marked`: handed over (`export --mark-in-erp`);
 * `exported`: written to the file, not marked; `already_done`: found done (recorded by an earlier
 * run, or by hand), nothing sent — one an earlier run sent and lost the answer of, found done, is
 * the loader's own (`paid`, `rejected`, `marked`: engine/operations.ts); `failed`; `invalid`: not
 * sent; `planned`: dry run. These names are the product's contract (README "invoice-load
 * payments"): a payments row another run is at work on is `failed`, HELD_BY_OTHER_RUN (cli/payments.ts).
 */
export type LifecycleStatus = 'paid' | 'rejected' | 'marked' | 'exported' | 'already_done' | 'failed' | 'invalid' | 'planned';

export interface LifecycleInvoice {
  vendor: string;
  number: string;
  status: LifecycleStatus;
  id?: string | undefined;
  workflow_status?: string | undefined;
  alerts: Alert[];
  error?: ReportError | undefined;
  issues: Problem[];
  rows: Provenance[];
}

export interface LifecycleSummary {
  invoices: number;
  paid: number;
  rejected: number;
  marked: number;
  exported: number;
  already_done: number;
  failed: number;
  invalid: number;
  planned: number;
  requests: number;
}

export interface LifecycleReport {
  target: string;
  /** Into the embedded sandbox, as a load's report says (the summary names it so). */
  sandbox?: boolean | undefined;
  /** The run, set by the CLI as a load's report has it (report.ts ReportDocument). */
  version?: string | undefined;
  started?: string | undefined;
  finished?: string | undefined;
  duration_s?: number | undefined;
  inputs?: { file: string; format: string; sheet?: string; bytes?: number }[] | undefined;
  command: 'payments' | 'export';
  dry_run: boolean;
  stopped?: string | undefined;
  /** More of the stop, as a load's report has it (report.ts ReportDocument `stop_detail`). */
  stop_detail?: StopDetail | undefined;
  /** `export`: the file written (absent when nothing was written). */
  output?: string | undefined;
  summary: LifecycleSummary;
  issues: Problem[];
  invoices: LifecycleInvoice[];
}

export function lifecycleSummary(invoices: readonly LifecycleInvoice[], requests: number): LifecycleSummary {
  const s: LifecycleSummary = { invoices: invoices.length, paid: 0, rejected: 0, marked: 0, exported: 0, already_done: 0, failed: 0, invalid: 0, planned: 0, requests };
  for (const inv of invoices) s[inv.status]++;
  return s;
}

const LABEL: Record<LifecycleStatus, string> = {
  paid: 'paid',
  rejected: 'rejected',
  marked: 'marked in ERP',
  exported: 'exported',
  already_done: 'already done',
  failed: 'FAILED',
  invalid: 'INVALID',
  planned: 'planned',
};

/**
 * `width` (stdout is a terminal): the table fits the window as the load's summary does
 * (`fitOutcomeTable`) and the other lines are broken between words.
 */
export function renderLifecycle(report: LifecycleReport, style: Style, opts: { quiet?: boolean | undefined; width?: number | undefined; ascii?: boolean | undefined } = {}): string {
  const out: string[] = [];
  let tableEnd = 0;
  const { rows: notRead, files: notReadFiles } = notConfirmations(report);
  const listedOnes = notRead.size === 0 ? report.invoices : report.invoices.filter((i) => !notRead.has(i));
  const all = opts.quiet ? listedOnes.filter((i) => i.status === 'failed' || i.status === 'invalid') : listedOnes;
  const { listed: shown, notStarted } = withoutNotStarted(all);
  if (shown.length > 0) {
    const rows = [['status', 'vendor', 'number', 'alma id', 'outcome']];
    for (const inv of shown) {
      const outcome = inv.error
        ? `${inv.error.code} ${maskMessage(inv.error.message)}${inv.error.tracking_id ? ` (tracking id ${inv.error.tracking_id})` : ''}`
        : inv.status === 'invalid'
          ? // None of its own: held back by its file's error (a file not read whole, cli/payments.ts readPayments), said as a load says it.
            inv.issues.some((p) => p.severity === 'error')
            ? 'see below'
            : errorsSeeBelow(inv, report.issues)
          : `${workflowLabel(inv.workflow_status)}${inv.alerts.length > 0 ? `: ${inv.alerts.map((a) => a.code).join(', ')}` : ''}`;
      rows.push([LABEL[inv.status], safe(inv.vendor), safe(inv.number), inv.id ?? '', safe(outcome)]);
    }
    const under = opts.width !== undefined ? fitOutcomeTable(rows, opts.width, report.target, style, undefined, opts.ascii) : [];
    const widths = columnWidths(rows);
    for (const [ri, r] of rows.entries()) {
      const line = r.map((c, i) => (i === r.length - 1 ? c : padToWidth(c, widths[i]!))).join('  ').trimEnd();
      const bad = ri > 0 && (shown[ri - 1]!.status === 'failed' || shown[ri - 1]!.status === 'invalid');
      out.push(ri === 0 ? style.dim(line) : bad ? style.red(line) : line);
    }
    tableEnd = out.length;
    for (const line of under) out.push(line);
  }
  if (notStarted > 0) out.push(notStartedLine(notStarted, style, { listed: shown.length, total: report.invoices.length }));
  if (shown.length > 0 || notStarted > 0) out.push('');
  // The rows of a file that is not payment confirmations are the file's one error, not theirs.
  const problems = [...report.issues, ...listedOnes.flatMap((i) => i.issues)];
  if (problems.length > 0) {
    // File by file, as renderProblems heads them: the line for a file's rows not listed goes
    // under that file's heading, not under the last file's.
    const byFile = new Map<string, Problem[]>();
    for (const p of problems) {
      const list = byFile.get(p.file);
      if (list === undefined) byFile.set(p.file, [p]);
      else list.push(p);
    }
    for (const [file, list] of byFile) {
      // One push per line: a spread of a million lines into push() overflows the stack.
      for (const line of renderProblems(list, style)) out.push(line);
      const n = notReadFiles.get(file);
      if (n !== undefined) out.push(`  … the ${plural(n, 'row')} of ${shownFile(file)} and their errors are not listed: it is not payment confirmations (--json and --report list each)`);
    }
    out.push('');
  }
  const s = notRead.size === 0 ? report.summary : lifecycleSummary(listedOnes, report.summary.requests);
  const parts = (['paid', 'rejected', 'marked', 'exported', 'already_done', 'failed', 'invalid', 'planned'] as const)
    .filter((k) => s[k] > 0)
    .map((k) => `${s[k]} ${k === 'marked' ? 'marked' : LABEL[k].toLowerCase()}`);
  const tail = report.dry_run ? 'Dry run: nothing was sent.' : `${s.requests} request${s.requests === 1 ? '' : 's'} to ${targetName(report)}.`;
  const file = report.output !== undefined ? ` Written to ${report.output}.` : '';
  // Rows of an invoice batch are not counted as invoices: they are not payment confirmations at all.
  const batchRows = notRead.size > 0 ? `${plural(notRead.size, 'row')} of an invoice batch, not payment confirmations${s.invoices > 0 ? '; ' : ''}` : '';
  const counted = notRead.size > 0 && s.invoices === 0 ? '.' : `${plural(s.invoices, 'invoice')}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}.`;
  out.push(`${batchRows}${counted}${file} ${tail}`);
  if (report.stopped !== undefined) out.push(style.yellow(`stopped: ${report.stopped}; ${rerunWhen(report.stopped, report.stop_detail)}re-run the same command to finish`));
  return proseText(out, opts.width, tableEnd);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The rows of the files a payments run found to be an invoice batch (`invoice_batch_file`, an error
 * of the file): on a terminal they are its one error, their table rows and row errors (payment_status
 * missing on each, duplicate confirmations) folded into one line, or the one line that says what the
 * file is scrolled off 24 lines (--json and --report keep each).
 */
function notConfirmations(report: LifecycleReport): { rows: Set<LifecycleInvoice>; files: Map<string, number> } {
  const files = new Map<string, number>();
  for (const p of report.issues) if (p.code === 'invoice_batch_file' && p.severity === 'error' && p.row === undefined) files.set(p.file, 0);
  const rows = new Set<LifecycleInvoice>();
  if (files.size === 0) return { rows, files };
  for (const inv of report.invoices) {
    if (inv.status !== 'invalid' || inv.rows.length === 0 || !inv.rows.every((r) => files.has(r.file))) continue;
    rows.add(inv);
    for (const r of inv.rows) files.set(r.file, files.get(r.file)! + 1);
  }
  for (const [f, n] of files) if (n === 0) files.delete(f);
  return { rows, files };
}

/**
 * The report as it is written or printed (`--json`, `--report`): Alma's alert descriptions and
 * error messages are text shown as words, with the run's secrets masked (README "the key is never
 * shown"); codes, ids and statuses are left as they are.
 */
export function shownLifecycleReport(r: LifecycleReport): LifecycleReport {
  return {
    ...r,
    invoices: r.invoices.map((i) => ({
      ...i,
      alerts: i.alerts.map((a) => (a.description === undefined ? a : { ...a, description: maskMessage(a.description) })),
      ...(i.error !== undefined ? { error: { ...i.error, message: maskMessage(i.error.message) } } : {}),
    })),
  };
}

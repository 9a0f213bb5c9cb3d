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
import { fitOutcomeTable, notStartedLine, renderProblems, safe, targetName, withoutNotStarted, type Style } from './human.js';
import { rerunWhen } from './failures.js';
import { workflowLabel } from './alerts.js';
import { maskMessage } from '../common/shown-secrets.js';

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
  const all = opts.quiet ? report.invoices.filter((i) => i.status === 'failed' || i.status === 'invalid') : report.invoices;
  const { listed: shown, notStarted } = withoutNotStarted(all);
  if (shown.length > 0) {
    const rows = [['status', 'vendor', 'number', 'alma id', 'outcome']];
    for (const inv of shown) {
      const outcome = inv.error
        ? `${inv.error.code} ${maskMessage(inv.error.message)}${inv.error.tracking_id ? ` (tracking id ${inv.error.tracking_id})` : ''}`
        : inv.status === 'invalid'
          ? 'see below'
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
  const problems = [...report.issues, ...report.invoices.flatMap((i) => i.issues)];
  if (problems.length > 0) {
    // One push per line: a spread of a million lines into push() overflows the stack.
    for (const line of renderProblems(problems, style)) out.push(line);
    out.push('');
  }
  const s = report.summary;
  const parts = (['paid', 'rejected', 'marked', 'exported', 'already_done', 'failed', 'invalid', 'planned'] as const)
    .filter((k) => s[k] > 0)
    .map((k) => `${s[k]} ${k === 'marked' ? 'marked' : LABEL[k].toLowerCase()}`);
  const tail = report.dry_run ? 'Dry run: nothing was sent.' : `${s.requests} request${s.requests === 1 ? '' : 's'} to ${targetName(report)}.`;
  const file = report.output !== undefined ? ` Written to ${report.output}.` : '';
  out.push(`${s.invoices} invoice${s.invoices === 1 ? '' : 's'}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}.${file} ${tail}`);
  if (report.stopped !== undefined) out.push(style.yellow(`stopped: ${report.stopped}; ${rerunWhen(report.stopped, report.stop_detail)}re-run the same command to finish`));
  return proseText(out, opts.width, tableEnd);
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

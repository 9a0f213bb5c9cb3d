/**
 * The report document (README "The report"), built by one pure function from the plan and the engine's
 * results (taze's `--json` pattern): `--json` prints it, `--report` writes it, tests compare it.
 */
import { basename } from 'node:path';
import { keyString, type Invoice, type InvoiceOutline } from '../domain/model.js';
import type { Problem } from '../domain/problem.js';
import type { InvoiceResult, LoadWarning } from '../engine/result.js';
import type { StopDetail } from '../engine/events.js';
import type { Provenance } from '../input/record.js';
import type { Plan, PlanEntry } from '../plan/plan.js';
import type { Alert } from '../targets/target.js';
import type { PreflightReport } from './preflight.js';
import type { AlertPrediction } from '../targets/definition.js';
import { formatAmount } from '../domain/money.js';
import { maskMessage } from '../common/shown-secrets.js';

export { formatAmount } from '../domain/money.js';

/**
 * The codes of the load's own warnings (engine/result.ts `LoadWarning`, README "The report"):
 * found on the invoice in the target during the run (processing not confirmed, the invoice held
 * with other values …), not in the file. They are an invoice's `issues` beside its input problems;
 * a person acts on them in the target, not in the file. Every code of LoadWarning is named here.
 */
const LOAD_WARNING_CODES: Readonly<Record<LoadWarning['code'], true>> = {
  several_found: true,
  held_different: true,
  not_finished: true,
  status_unknown: true,
  attachment_not_added: true,
  attachment_not_listed: true,
  attachment_not_compared: true,
  stored_otherwise: true,
};

/** An issue the run found in the target (a LoadWarning's code), not one of the input. */
export const isLoadWarning = (p: Pick<Problem, 'code'>): boolean => Object.hasOwn(LOAD_WARNING_CODES, p.code);

export type ReportStatus = 'loaded' | 'in_review' | 'failed' | 'invalid' | 'already_loaded' | 'planned';

export interface ReportError {
  step: 'lookup' | 'create' | 'lines' | 'attachments' | 'process' | 'poll' | 'erp';
  http_status: number;
  code: string;
  message: string;
  tracking_id?: string | undefined;
  /** Alma's error document came under a 2xx: a refusal as its 4xx twin is (docs/alma.md#errors-error-codes-and-alerts). */
  in_success?: true | undefined;
  /** A line Alma refused: its number, PO line, fund codes and rows. */
  line?: { number: string; po_line?: string | undefined; funds: string[]; rows: { file: string; row: number }[] } | undefined;
}

export interface ReportInvoice {
  vendor: string;
  number: string;
  status: ReportStatus;
  id?: string | undefined;
  workflow_status?: string | undefined;
  approval_status?: string | undefined;
  alerts: Alert[];
  /** The target's child items: Alma lines by number, the Exsited note, Alguna's line items (issue #6). */
  lines: { number: string; id?: string | undefined }[];
  /** The files the batch names for the invoice (`attachment` column), with the target's ids once attached. */
  attachments?: { file: string; id?: string | undefined }[] | undefined;
  total?: string | undefined;
  currency?: string | undefined;
  /** The target's own amounts when it reports them (Alguna and Exsited `subtotal`, `tax`, `total`). */
  amounts?: Record<string, string> | undefined;
  error?: ReportError | undefined;
  /**
   * Alerts foreseen before the load (Alma: a line without a PO line, the checks' warnings) and
   * whether Alma raised exactly those of the ones that can be foreseen (`held`); `missed` were
   * foreseen and not raised, `unexpected` raised and not foreseen. Only for an invoice processed in this run.
   */
  prediction?: { alerts: string[]; held: boolean; missed?: string[]; unexpected?: string[] } | undefined;
  issues: Problem[];
  rows: Provenance[];
}

export interface ReportSummary {
  invoices: number;
  loaded: number;
  in_review: number;
  failed: number;
  invalid: number;
  already_loaded: number;
  planned: number;
  lines: number;
  requests: number;
}

export interface ReportDocument {
  target: string;
  /** True when the run went to an embedded sandbox, not a real system (set by the CLI). */
  sandbox?: boolean | undefined;
  /** A batch action instead of a load (`cancel`, `reactivate`: Exsited); `loaded` then means done. */
  action?: string | undefined;
  dry_run: boolean;
  /**
   * Set when the run stopped early: `interrupted`, `daily_limit`, `retry_after` (the API asked
   * to wait longer than the loader waits: Retry-After), `auth`, `canary` (the first
   * invoice did not read back as sent), `max_errors` (`--max-errors` refusals in a row),
   * `unreachable` (the target could not be reached at all) or `ids_not_kept` (FOLIO made a
   * record under its own id, not the one the loader gave it).
   */
  stopped?: string | undefined;
  /**
   * More of the stop, when the next step depends on it: `code`, the code behind `unreachable`
   * (`GATEWAY_DOWN`: the target or the way to it is down, run again later; `NO_ANSWER`;
   * `NOT_ALMA_API`; the network's, such as `ECONNREFUSED`); `until`, when the wait `retry_after`
   * asked for ends (HH:MM, local time).
   */
  stop_detail?: StopDetail | undefined;
  summary: ReportSummary;
  /**
   * The canary: the first invoice the run wrote, compared with what was sent — in the answers to
   * its own writes or, when those do not show every field as sent, read back (`compared`) —
   * (`status` passed or failed, and each field that differs). Absent when no invoice was
   * written, with `--no-canary`, or for a target without a read-back.
   */
  canary?: ReportCanary | undefined;
  /** `--dry-run --online` only: what was looked up and the load's estimated cost (additive). */
  preflight?: PreflightReport | undefined;
  issues: Problem[];
  invoices: ReportInvoice[];
  /** The run, set by the CLI: the tool's version, start and end (ISO 8601), seconds, the input files. */
  version?: string | undefined;
  started?: string | undefined;
  finished?: string | undefined;
  duration_s?: number | undefined;
  inputs?: { file: string; format: string; sheet?: string; bytes?: number }[] | undefined;
}

export interface ReportCanary {
  vendor: string;
  number: string;
  id: string;
  status: 'passed' | 'failed';
  differences: { field: string; sent: string; stored: string }[];
  /** `answers`: Alma's answers to the canary's own create and lines showed every field as sent; `read_back`: it was read back. */
  compared: 'answers' | 'read_back';
}

export interface ReportInput {
  target: string;
  dryRun: boolean;
  plan: Plan;
  /** Engine results (absent for a dry run or a run that sent nothing). */
  results?: readonly InvoiceResult[] | undefined;
  requests: number;
  stopped?: string | undefined;
  stopDetail?: StopDetail | undefined;
  preflight?: PreflightReport | undefined;
  /** The keys listed under an invoice's `lines` (the target's child items); default its line numbers. */
  lineKeys?: LineKeys | undefined;
  /** False when those child items are not the file's lines (Exsited's note): an invalid invoice then lists none. */
  invalidLines?: boolean | undefined;
  action?: string | undefined;
  canary?: ReportCanary | undefined;
  /** The target's foresight of its alerts (a profile's `alertPrediction`): each processed invoice says whether it held. */
  alertPrediction?: AlertPrediction | undefined;
}

/** Which child items of an invoice the report lists (a target profile's `lineKeys`, targets/definition.ts). */
export type LineKeys = (invoice: InvoiceOutline) => string[];
const lineNumbers: LineKeys = (inv) => inv.lines.map((l) => l.number);

/**
 * The report's target as people name it: the label the CLI passes (the target definition's),
 * else the document's own `target` ("Alma" for the default, as the reports said before labels).
 */
export const systemLabel = (report: Pick<ReportDocument, 'target'>, label?: string): string => label ?? (report.target === 'alma' ? 'Alma' : report.target);

export function buildReport(input: ReportInput): ReportDocument {
  const byKey = new Map<string, InvoiceResult>();
  for (const r of input.results ?? []) byKey.set(keyString(r.key), r);
  const keys = input.lineKeys ?? lineNumbers;
  const invoices = input.plan.entries.map((e) => {
    const result = byKey.get(keyString(e.key));
    const line = reportInvoice(e, result, input.dryRun, keys, input.invalidLines);
    const prediction = input.alertPrediction !== undefined && e.invoice !== undefined && result !== undefined ? predictionHeld(input.alertPrediction, e.invoice, e.problems, result) : undefined;
    return prediction !== undefined ? { ...line, prediction } : line;
  });
  const summary = summarize(invoices, input.requests);
  return {
    target: input.target,
    ...(input.action !== undefined ? { action: input.action } : {}),
    dry_run: input.dryRun,
    ...(input.stopped !== undefined ? { stopped: input.stopped } : {}),
    ...(input.stopped !== undefined && input.stopDetail !== undefined ? { stop_detail: input.stopDetail } : {}),
    summary,
    ...(input.canary !== undefined ? { canary: input.canary } : {}),
    ...(input.preflight !== undefined ? { preflight: input.preflight } : {}),
    issues: input.plan.issues,
    invoices,
  };
}

/**
 * Whether the alerts foreseen for an invoice are the ones the target raised, among the codes a
 * foresight can name. Undefined for an invoice not processed in this run (failed, found loaded),
 * and for one whose state was not read after processing (the run stopped while the target
 * processed it, or its processing had not shown by the time limit): its alerts are not known,
 * which is not "none raised".
 */
export function predictionHeld(p: AlertPrediction, inv: Invoice, problems: readonly Problem[], result: InvoiceResult): ReportInvoice['prediction'] {
  if (result.status !== 'loaded' && result.status !== 'in_review') return undefined;
  // Not read after processing, or read before processing had shown: no alert raised yet is not "none".
  if (result.workflowStatus === undefined || result.unfinished === true) return undefined;
  const alerts = p.predict(inv, problems);
  const raised = new Set(result.alerts.map((a) => a.code).filter((c) => p.codes.includes(c)));
  const missed = alerts.filter((a) => !raised.has(a));
  const unexpected = [...raised].filter((a) => !alerts.includes(a)).sort();
  return { alerts, held: missed.length === 0 && unexpected.length === 0, ...(missed.length > 0 ? { missed } : {}), ...(unexpected.length > 0 ? { unexpected } : {}) };
}

/**
 * The dry-run document from invoices that were turned into report lines one by one, as each was
 * checked (`reportInvoice(entry, undefined, true)`), so the plan never had to hold them all:
 * the same document `buildReport` makes for a dry run (lines counted from the planned lines).
 */
export function dryRunReport(target: string, invoices: ReportInvoice[], issues: Problem[], action?: string): ReportDocument {
  const summary = summarize(invoices, 0);
  return { target, ...(action !== undefined ? { action } : {}), dry_run: true, summary, issues, invoices };
}

/**
 * Counts by status, and the lines: those listed under the invoices, which are the target's
 * child items (an invalid invoice lists its lines as the file gives them), sent or only planned.
 */
function summarize(invoices: readonly ReportInvoice[], requests: number): ReportSummary {
  const summary: ReportSummary = { invoices: invoices.length, loaded: 0, in_review: 0, failed: 0, invalid: 0, already_loaded: 0, planned: 0, lines: 0, requests };
  for (const inv of invoices) {
    summary[inv.status]++;
    summary.lines += inv.lines.length;
  }
  return summary;
}

/** The entry of a plan, or of a plain dry run whose valid invoices are only outlined (`outlineInvoice`). */
type ReportedEntry = Omit<PlanEntry, 'invoice'> & { invoice?: InvoiceOutline | undefined };

export function reportInvoice(entry: ReportedEntry, result: InvoiceResult | undefined, dryRun: boolean, lineKeys: LineKeys = lineNumbers, invalidLines = true): ReportInvoice {
  const inv = entry.invoice;
  const vendor = entry.key.vendor;
  const number = entry.key.number;
  if (!inv) {
    // Not built, so shown as written: how many lines it has and its total are what a person
    // looks for to find it in the vendor's file.
    const w = entry.written;
    const lines = invalidLines && w !== undefined ? w.lines.map((n) => ({ number: n })) : [];
    return { vendor, number, total: w?.total, currency: w?.currency, rows: entry.rows, status: 'invalid', alerts: [], lines, issues: entry.problems };
  }
  const total = formatAmount(inv.header.totalAmount, inv.header.currency);
  const currency = inv.header.currency;
  if (dryRun || !result) {
    // A valid invoice the engine never saw (a run that stopped before starting) is still only planned.
    const lines = lineKeys(inv).map((n) => ({ number: n }));
    return { vendor, number, total, currency, rows: entry.rows, status: 'planned', alerts: [], lines, ...attachmentList(inv), issues: entry.problems };
  }
  const base = { vendor, number, total, currency, rows: entry.rows };
  const firstRow = entry.rows[0];
  const warnings: Problem[] = result.warnings.map(({ code, message }) => ({
    file: firstRow?.file ?? '',
    ...(firstRow ? { row: firstRow.row } : {}),
    code,
    message: maskMessage(message),
    severity: 'warning' as const,
  }));
  const ids = new Map(result.lines.map((l) => [l.number, l.id]));
  return {
    ...base,
    status: result.status === 'not_started' ? 'failed' : result.status,
    id: result.id,
    workflow_status: result.workflowStatus,
    approval_status: result.approvalStatus,
    // Free text of the target's, shown as words: masked (common/shown-secrets.ts); codes and ids are data.
    alerts: result.alerts.map((a) => ({ ...a, description: maskMessage(a.description) })),
    lines: lineKeys(inv).map((number) => ({ number, id: ids.get(number) })),
    ...attachmentList(inv, result.attachments),
    ...(result.amounts !== undefined ? { amounts: result.amounts } : {}),
    // The look-up before a create is the create's step in the report (the contract's steps:
    // create, lines, process, poll, and attachments for the files).
    error: result.error === undefined ? undefined : { ...result.error, message: maskMessage(result.error.message), ...(result.error.step === 'lookup' ? { step: 'create' as const } : {}) },
    issues: [...entry.problems, ...warnings],
  };
}

/**
 * The invoice's files by name (as the target shows them), with ids where attached; nothing
 * for an invoice without files, so reports of batches without them are unchanged.
 */
function attachmentList(inv: InvoiceOutline, attached?: { file: string; id: string }[]): { attachments?: ReportInvoice['attachments'] } {
  const refs = inv.header.attachments;
  if (refs === undefined || refs.length === 0) return {};
  const ids = new Map((attached ?? []).map((a) => [a.file, a.id]));
  return {
    attachments: refs.map((r) => {
      const file = basename(r.path);
      return { file, ...(ids.has(file) ? { id: ids.get(file) } : {}) };
    }),
  };
}

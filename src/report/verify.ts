/**
 * The report of `invoice-load verify`: for each invoice of a batch already loaded, whether what
 * the target holds is what the batch says (the canary's comparison, targets/alma/compare.ts) —
 * pure. Statuses: `matches`, `differs` (each field named with both values), `not_found` (the
 * target holds no such invoice), `missing` (the journal recorded it as loaded, with its id, and the
 * target holds no invoice by that id now, or holds it only as deleted or withdrawn — code
 * `WITHDRAWN`, cli/verify.ts `withdrawnInvoice`), `failed` (it could not be read), `invalid` (the file's own
 * problems; not looked up).
 */
import type { Problem } from '../domain/problem.js';
import type { Provenance } from '../input/record.js';
import type { FieldDifference } from '../targets/target.js';
import { errorsSeeBelow, heldByBatch, peopleName, problemCounts, renderProblems, safe, saidOnce, table, targetName, type Style } from './human.js';
import { rerunWhen } from './failures.js';
import type { StopDetail } from '../engine/events.js';
import { maskMessage } from '../common/shown-secrets.js';

export type VerifyStatus = 'matches' | 'differs' | 'not_found' | 'missing' | 'failed' | 'invalid';

export interface VerifyInvoice {
  vendor: string;
  number: string;
  status: VerifyStatus;
  id?: string | undefined;
  differences: FieldDifference[];
  error?: { code: string; message: string } | undefined;
  issues: Problem[];
  rows: Provenance[];
}

export interface VerifyReport {
  target: string;
  command: 'verify';
  sandbox?: boolean | undefined;
  stopped?: string | undefined;
  /** More of the stop, as a load's report has it (report.ts ReportDocument `stop_detail`): the code behind `unreachable`, as `GATEWAY_DOWN`. */
  stop_detail?: StopDetail | undefined;
  summary: { invoices: number; matches: number; differs: number; not_found: number; missing: number; failed: number; invalid: number; requests: number };
  issues: Problem[];
  invoices: VerifyInvoice[];
}

/**
 * What the target holds against the batch: `matches` when nothing differs but where the target
 * may write its own text (`FieldDifference.tolerated`: Alma's line vat_note, docs/alma.md) — those
 * are listed, as the canary says them, not a reason to check the invoice in the target.
 */
export function readBackStatus(differences: readonly FieldDifference[]): 'matches' | 'differs' {
  return differences.some((d) => d.tolerated !== true) ? 'differs' : 'matches';
}

export function buildVerifyReport(target: string, invoices: VerifyInvoice[], issues: Problem[], requests: number, stopped?: string, detail?: StopDetail): VerifyReport {
  const summary = { invoices: invoices.length, matches: 0, differs: 0, not_found: 0, missing: 0, failed: 0, invalid: 0, requests };
  for (const i of invoices) summary[i.status]++;
  return { target, command: 'verify', ...(stopped !== undefined ? { stopped } : {}), ...(stopped !== undefined && detail !== undefined ? { stop_detail: detail } : {}), summary, issues, invoices };
}

/**
 * 0 when every invoice matches; 3 when the file itself is wrong; 4 when anything differs, is
 * missing or could not be read, or the run stopped (README "invoice-load verify" and "Exit codes
 * (for cron)"). An error of the file's own (a row in no invoice) is 3 too when every invoice
 * looked up matches: that row was not verified. A stop is 4 even when every invoice read before
 * it was invalid: the valid ones were not verified, and the same command, not a fixed file, is
 * what verifies them. Interrupted (Ctrl-C): 130. Warnings are no reason.
 */
export function verifyExitCode(r: VerifyReport): number {
  // Ctrl-C: 130, as every command's (README "Exit codes (for cron)").
  if (r.stopped === 'interrupted') return 130;
  const fileErrors = r.issues.some((p) => p.severity === 'error');
  const s = r.summary;
  return s.differs + s.not_found + s.missing + s.failed > 0 || r.stopped !== undefined ? 4 : s.invalid > 0 || fileErrors ? 3 : 0;
}

const WORD: Record<VerifyStatus, string> = { matches: 'matches', differs: 'DIFFERS', not_found: 'NOT FOUND', missing: 'MISSING', failed: 'FAILED', invalid: 'invalid' };

export function renderVerify(r: VerifyReport, style: Style): string {
  const rows: string[][] = [['status', 'vendor', 'number', `${r.target} id`, 'what differs']];
  const colours: ((s: string) => string)[] = [(s) => s];
  for (const i of r.invoices) {
    const what =
      i.status === 'differs' || i.differences.length > 0
        ? i.differences.map((d) => `${d.field}: sent ${d.sent}, stored ${d.stored}${d.tolerated === true ? ` (${peopleName(r.target)}'s own words)` : ''}`).join('; ')
        : i.status === 'not_found'
          ? `${peopleName(r.target)} holds no invoice ${i.number} from ${i.vendor}`
          : i.status === 'invalid'
            ? errorsSeeBelow(i, r.issues, 'not looked up')
            : (i.error?.message ?? '');
    // The free text shown as words, the run's secrets masked (common/shown-secrets.ts); vendor, number and id are data.
    rows.push([WORD[i.status], safe(i.vendor), safe(i.number), i.id ?? '', safe(maskMessage(what))]);
    colours.push(i.status === 'matches' ? style.green : i.status === 'invalid' ? style.yellow : style.red);
  }
  const s = r.summary;
  const parts = [`${s.matches} match${s.matches === 1 ? 'es' : ''}`];
  if (s.differs > 0) parts.push(`${s.differs} differ${s.differs === 1 ? 's' : ''}`);
  if (s.not_found > 0) parts.push(`${s.not_found} not found`);
  if (s.missing > 0) parts.push(`${s.missing} missing (loaded, by the journal, and gone)`);
  if (s.failed > 0) parts.push(`${s.failed} could not be read`);
  // A clean file's invoices that another file's error held back are not invalid for anything of
  // theirs: said apart, as a load says "not sent, as the batch was refused" (the status stays `invalid`).
  const held = s.invalid > 0 ? r.invoices.filter((i) => i.status === 'invalid' && heldByBatch(i, r.issues)).length : 0;
  if (s.invalid - held > 0) parts.push(`${s.invalid - held} invalid (not looked up)`);
  if (held > 0) parts.push(`${held} held back by the batch's error (not looked up)`);
  // A run that stopped before reading any invoice has no table, not a header alone.
  const out = r.invoices.length > 0 ? [...table(rows, style, colours), ''] : [];
  // The file's problems, as a load lists them (human.ts renderProblems): an invalid invoice, or a
  // row in no invoice, said nothing of why, and a file of such rows printed only "0 invoices".
  // Each problem once (saidOnce), and counted once below.
  const problems = saidOnce([...r.issues, ...r.invoices.flatMap((i) => i.issues)]);
  if (problems.length > 0) out.push(...renderProblems(problems, style), '');
  // The target named as the load's summary names it (human.ts targetName): "the Alma sandbox", "FOLIO".
  const probs = problems.length > 0 ? `; ${problemCounts(problems)} in the file` : '';
  out.push(`${s.invoices} invoice${s.invoices === 1 ? '' : 's'}: ${parts.join(', ')}${probs}. ${s.requests} read-only request${s.requests === 1 ? '' : 's'} to ${targetName(r)}.`);
  if (s.differs + s.not_found + s.missing > 0) out.push(style.yellow(`Next: check the invoices named above in ${peopleName(r.target)}; what differs is what ${peopleName(r.target)} stored against what the batch says.`));
  // As the load and payments say it (report/failures.ts): the invoices above are those read before the stop.
  if (r.stopped !== undefined) {
    const read = r.invoices.length > 0 ? 'only the invoices above were read' : 'no invoice was read';
    out.push(style.yellow(`stopped: ${r.stopped}; ${read}; ${rerunWhen(r.stopped, r.stop_detail, peopleName(r.target))}run the same command again to verify the others`));
  }
  return out.join('\n') + '\n';
}

/**
 * The report as it is written or printed (`--json`, `--report`): what Alma stored and what was
 * sent, and error messages, are text shown as words, with the run's secrets masked (README "the
 * key is never shown"); nothing reads this document back.
 */
export function shownVerifyReport(r: VerifyReport): VerifyReport {
  return {
    ...r,
    invoices: r.invoices.map((i) => ({
      ...i,
      differences: i.differences.map((d) => ({ ...d, sent: maskMessage(d.sent), stored: maskMessage(d.stored) })),
      ...(i.error !== undefined ? { error: { ...i.error, message: maskMessage(i.error.message) } } : {}),
    })),
  };
}

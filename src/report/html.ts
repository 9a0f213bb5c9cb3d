/**
 * The report as one self-contained web page staff can open or mail: inline CSS, no scripts,
 * no fonts, images or links to fetch — it must read the same from a mail attachment on a
 * machine without network. Built by a pure function from the report document.
 *
 * Every value from a vendor file or from the API goes through `esc`: an invoice number is
 * outside input, and a page that runs `<script>` from one would run it in the librarian's
 * browser.
 */
import { utcMinute } from '../common/time.js';
import { shownFile } from '../common/shown.js';
import { isError, type Problem } from '../domain/problem.js';
import { isLoadWarning, systemLabel, type ReportDocument, type ReportInvoice, type ReportStatus } from './report.js';
import { formatRows } from './csv.js';
import { explainAlert, workflowLabel } from './alerts.js';
import { failureAdvice, groupFailures, stopText } from './failures.js';
import { countStopped, existsIncomplete, rerunClause, stoppedOn, stoppedSentence, stoppedStatus, whoFinishes } from './stopped.js';
import { fileLacks, formatDuration, summaryLine, plainStyle, saidOnce } from './human.js';
import type { StopDetail } from '../engine/events.js';

export interface HtmlOptions {
  /** When the run ended; shown in the heading. Absent in tests that compare whole pages. */
  generatedAt?: Date | undefined;
  /** The input files read, as given on the command line (a spreadsheet's lock file among them was not read: cli/report-files.ts). */
  files?: readonly string[] | undefined;
  /** The target's name for people (`Alma`, `FOLIO`); default the report's `target`. */
  label?: string | undefined;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attribute values; control characters become U+FFFD. */
export function esc(value: string | number | undefined): string {
  if (value === undefined) return '';
  return String(value)
    .replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\uFFFD');
}

export const STATUS_TEXT: Record<ReportStatus, string> = {
  loaded: 'Loaded',
  in_review: 'In review',
  failed: 'Failed',
  invalid: 'Invalid — not sent',
  already_loaded: 'Already loaded',
  planned: 'Planned (dry run)',
};

/** What a step was doing, in the words of the target (`system`: Alma, FOLIO…). */
const stepText = (step: string, system: string): string =>
  ({
    lookup: `looking for the invoice in ${system}`,
    create: 'creating the invoice',
    lines: 'adding an invoice line',
    attachments: 'attaching a file to the invoice',
    process: `asking ${system} to process the invoice`,
    poll: `waiting for ${system} to finish processing`,
    erp: 'exporting the invoice to the ERP',
  })[step] ?? step;

/** Stops that need nothing put right, only the same command (now, or after a wait): amber, not red. */
const CALM_STOPS: ReadonlySet<string> = new Set(['interrupted', 'daily_limit', 'retry_after']);

const CSS = `
:root{--ok:#1a7f37;--ok-bg:#dafbe1;--warn:#9a6700;--warn-bg:#fff8c5;--bad:#cf222e;--bad-bg:#ffebe9;--info:#0969da;--info-bg:#ddf4ff;--muted:#57606a;--line:#d0d7de}
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;margin:0;padding:24px 32px;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:14px;margin:16px 0 6px}
p{margin:6px 0}
.meta{color:var(--muted);margin:0 0 12px}
.sentence{font-size:15px}
.banner{padding:10px 14px;border-radius:6px;margin:12px 0;border:1px solid}
.banner.bad{background:var(--bad-bg);border-color:var(--bad);color:#82071e}
.banner.ok{background:var(--ok-bg);border-color:var(--ok);color:#116329}
.banner.warn{background:var(--warn-bg);border-color:#d4a72c;color:#4d2d00}
.banner a{color:inherit}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:22px;line-height:1.2}
.card span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.loaded{border-left:5px solid var(--ok)}.card.in_review{border-left:5px solid var(--warn)}
.card.already_loaded{border-left:5px solid var(--info)}.card.failed,.card.invalid{border-left:5px solid var(--bad)}
.card.planned{border-left:5px solid var(--muted)}.card.stopped{border-left:5px solid #d4a72c}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:baseline}
th{background:#f6f8fa;font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.id,td.rows,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.number{white-space:nowrap}
td.rows{overflow-wrap:anywhere;min-width:12ch}
tr.failed td,tr.invalid td{background:#fff5f5}
tr.in_review td,tr.stopped td{background:#fffdf0}
.status{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap;border:1px solid}
.status.loaded{color:var(--ok);background:var(--ok-bg);border-color:var(--ok)}
.status.in_review,.status.stopped{color:var(--warn);background:var(--warn-bg);border-color:#d4a72c}
.status.already_loaded{color:var(--info);background:var(--info-bg);border-color:var(--info)}
.status.failed,.status.invalid{color:var(--bad);background:var(--bad-bg);border-color:var(--bad)}
.status.planned{color:var(--muted);background:#f6f8fa;border-color:var(--line)}
.alert{border:1px solid var(--line);border-left:5px solid var(--warn);border-radius:6px;padding:8px 12px;margin:8px 0}
.alert.error{border-left-color:var(--bad)}
.alert h3{margin:0 0 4px}
.muted{color:var(--muted)}
.sev-error{color:var(--bad);font-weight:600}.sev-warning{color:var(--warn);font-weight:600}
footer{margin-top:32px;color:var(--muted);font-size:12px}
@media print{body{padding:0}.banner,.status,tr td{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
`;

/**
 * A status's words. `planned` outside a dry run is a valid invoice of a load refused before its
 * first write (an error elsewhere in the batch): not sent, and not a dry run's plan.
 */
const statusText = (report: Pick<ReportDocument, 'dry_run'>, s: ReportStatus): string => (s === 'planned' && !report.dry_run ? NOT_SENT : STATUS_TEXT[s]);
const NOT_SENT = 'Not sent (the batch was refused)';
const statusBadge = (report: Pick<ReportDocument, 'dry_run'>, s: ReportStatus): string => `<span class="status ${s}">${esc(statusText(report, s))}</span>`;
/**
 * An invoice the run stopped on (a Ctrl-C, the daily threshold …: stopped.ts) is `failed` in the
 * document, but nothing refused it: amber, "Stopped — re-run to finish", not a red "Failed".
 */
const rowClass = (inv: ReportInvoice): string => (stoppedOn(inv) ? 'stopped' : inv.status);
const invoiceBadge = (report: ReportDocument, inv: ReportInvoice): string =>
  stoppedOn(inv) ? `<span class="status stopped">${esc(stoppedStatus(inv, report.stopped))}</span>` : statusBadge(report, inv.status);

// An invoice number is one word: `HA-2025-00412` is not broken at its hyphens (the rows' column wraps instead).
const invoiceName = (inv: ReportInvoice): string => `${esc(inv.vendor)} <b class="number">${esc(inv.number)}</b>`;

function note(inv: ReportInvoice, report: ReportDocument, system: string): string {
  // The stop's code stays, small, for whoever searches the JSON report for it; the prose is plain.
  if (inv.error && stoppedOn(inv)) return `${esc(stoppedSentence(inv, report.stopped, system, report.stop_detail))} <code>${esc(inv.error.code)}</code>`;
  if (inv.error) return `<code>${esc(inv.error.code)}</code> ${esc(inv.error.message)}`;
  // What the run found on the invoice in the target, then the file's problems, each pointing at its own section.
  const found = [...new Set(inv.issues.filter(isLoadWarning).map((p) => p.code))];
  const load = found.length > 0 ? `${found.map((c) => `<code>${esc(c)}</code>`).join(', ')} — see <a href="#warnings">${esc(`to check in ${system}`)}</a>` : '';
  if (inv.alerts.length > 0) return [inv.alerts.map((a) => `<code>${esc(a.code)}</code>`).join(', '), load].filter(Boolean).join('; ');
  const input = inv.issues.filter((p) => !isLoadWarning(p));
  const errors = input.filter(isError).length;
  const warnings = input.length - errors;
  const parts = [errors > 0 ? `${errors} error${errors === 1 ? '' : 's'}` : '', warnings > 0 ? `${warnings} warning${warnings === 1 ? '' : 's'}` : ''];
  // An invoice of a file without a column every invoice needs: the file's one missing_column,
  // none of its own (human.ts fileLacks) — said, not an empty note.
  const lacks = inv.status === 'invalid' ? fileLacks(inv, report.issues) : undefined;
  if (lacks !== undefined) parts.push(esc(lacks));
  const text = parts.filter(Boolean).join(', ');
  return [text ? `${text} — see <a href="#problems">${errors > 0 || lacks !== undefined ? 'input problems' : 'input warnings'}</a>` : '', load].filter(Boolean).join('; ');
}

function invoiceTable(report: ReportDocument, system: string): string {
  const head = report.dry_run
    ? ['Rows', 'Vendor', 'Invoice', 'Total', 'Lines', 'Status', 'Notes']
    : ['Rows', 'Vendor', 'Invoice', 'Total', 'Lines', 'Status', `${system} id`, 'Workflow status', 'Notes'];
  const rows = report.invoices.map((inv) => {
    const total = inv.total !== undefined ? `${esc(inv.total)} ${esc(inv.currency)}` : '';
    const cells = [
      `<td class="rows">${esc(formatRows(inv.rows))}</td>`,
      `<td>${esc(inv.vendor)}</td>`,
      `<td class="number"><b>${esc(inv.number)}</b></td>`,
      `<td class="num">${total}</td>`,
      `<td class="num">${inv.lines.length}</td>`,
      `<td>${invoiceBadge(report, inv)}</td>`,
      ...(report.dry_run ? [] : [`<td class="id">${esc(inv.id)}</td>`, `<td>${esc(workflowLabel(inv.workflow_status))}</td>`]),
      `<td>${note(inv, report, system)}</td>`,
    ];
    return `<tr class="${rowClass(inv)}" data-status="${inv.status}">${cells.join('')}</tr>`;
  });
  return `<table id="invoices"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function alertsSection(report: ReportDocument): string {
  const withAlerts = report.invoices.filter((i) => i.alerts.length > 0);
  if (withAlerts.length === 0) return '';
  const codes = new Map<string, { description: string; invoices: ReportInvoice[] }>();
  for (const inv of withAlerts) {
    for (const a of inv.alerts) {
      const entry = codes.get(a.code) ?? { description: a.description, invoices: [] };
      entry.invoices.push(inv);
      codes.set(a.code, entry);
    }
  }
  const blocks = [...codes].map(([code, { description, invoices }]) => {
    const ex = explainAlert(code);
    const explanation = ex
      ? `<p>${esc(ex.meaning)}</p><p><b>What to do:</b> ${esc(ex.action)}</p>`
      : `<p class="muted">An alert this report has no explanation for; Alma's AssertionCodes code table describes it.</p>`;
    const list = invoices.map((inv) => `${invoiceName(inv)}${inv.id ? ` <span class="muted">(Alma id <code>${esc(inv.id)}</code>)</span>` : ''}`).join('; ');
    return `<div class="alert" data-alert="${esc(code)}"><h3><code>${esc(code)}</code>${description ? ` — <span class="muted">Alma: “${esc(description)}”</span>` : ''}</h3>${explanation}<p><b>Invoices:</b> ${list}</p></div>`;
  });
  return `<h2 id="alerts">Alerts from Alma</h2><p>Alma raised these alerts while processing. An invoice with alerts usually waits in review until someone in acquisitions looks at it.</p>\n${blocks.join('\n')}`;
}

/** Invoices a group names one by one; the rest are counted (the table above lists them all). */
const GROUP_NAMES = 20;

/**
 * Failed invoices grouped as on the terminal (groupFailures): one block per identical failure
 * with how many, Alma's words, what it means and the fix, the rows — not one card per invoice.
 */
function errorsSection(report: ReportDocument, system: string): string {
  // The invoices the run stopped on are not errors: stoppedSection says what they wait for.
  const groups = groupFailures(report, system).filter((g) => !g.invoices.every(stoppedOn));
  if (groups.length === 0) return '';
  const blocks = groups.map((g) => {
    const n = g.invoices.length;
    const first = g.invoices[0]!.error;
    const http = first === undefined ? '' : first.http_status > 0 ? ` (HTTP ${first.http_status})` : ' (no answer)';
    const who = n === 1 ? invoiceName(g.invoices[0]!) : `${n} invoices`;
    const means = g.explanation !== undefined ? `<p>${esc(g.explanation.means)}.</p><p><b>Fix:</b> ${esc(g.explanation.fix)}.</p>` : '';
    const kind = g.kind === 'transient' ? ' <span class="muted">(transient: the same command again finishes it)</span>' : '';
    const names = n === 1 ? '' : `<p><b>Invoices:</b> ${g.invoices.slice(0, GROUP_NAMES).map(invoiceName).join('; ')}${n > GROUP_NAMES ? ` <span class="muted">and ${n - GROUP_NAMES} more</span>` : ''}</p>`;
    const ids = [...new Set(g.invoices.map((i) => i.error?.tracking_id).filter((t): t is string => t !== undefined))];
    const tracking = ids.length === 0 ? '' : `<p><b>Tracking id${ids.length === 1 ? '' : 's'}:</b> ${ids.slice(0, 3).map((t) => `<code>${esc(t)}</code>`).join(', ')}${ids.length > 3 ? ` <span class="muted">and ${ids.length - 3} more (the JSON and CSV reports have each)</span>` : ''} <span class="muted">— give this to Ex Libris support if you open a case.</span></p>`;
    return `<div class="alert error" data-error="${esc(g.code)}" data-count="${n}"><h3>${who}: <code>${esc(g.code)}</code> ${esc(g.explanation?.means ?? g.message)}</h3><p>Failed while ${esc(stepText(g.step, system))}: <code>${esc(g.code)}</code>${http} ${esc(g.message)}${kind}</p>${means}<p><b>Rows:</b> <span class="rows">${esc(formatRows(g.rows))}</span></p>${names}${tracking}</div>`;
  });
  const advice = failureAdvice(groups, report.stopped, system, report.stop_detail) ?? '';
  return `<h2 id="errors">Errors</h2><p>These invoices did not finish; identical failures are one group. ${esc(advice)}</p>\n${blocks.join('\n')}`;
}

/**
 * The invoices the run stopped on: not refused, waiting for the same command. Each has its own
 * sentence in the table; here, how many, what to do, and by name the ones the target holds half
 * built — the ones a person could be tempted to tidy up by hand.
 */
function stoppedSection(report: ReportDocument, system: string): string {
  const stopped = report.invoices.filter(stoppedOn);
  if (stopped.length === 0) return '';
  const n = stopped.length;
  const half = stopped.filter(existsIncomplete);
  const names = half
    .slice(0, GROUP_NAMES)
    .map((inv) => `${invoiceName(inv)} <span class="muted">(${esc(system)} id <code>${esc(inv.id)}</code>)</span>`)
    .join('; ');
  const more = half.length > GROUP_NAMES ? ` <span class="muted">and ${half.length - GROUP_NAMES} more</span>` : '';
  const incomplete =
    half.length === 0
      ? ''
      : `<p><b>${esc(`In ${system}, incomplete — don't edit or delete ${half.length === 1 ? 'it' : 'them'}; ${whoFinishes(report.stopped, report.stop_detail, system)} completes ${half.length === 1 ? 'it' : 'them'}:`)}</b> ${names}${more}</p>`;
  return `<h2 id="stopped-invoices">Stopped before done</h2><p>${n === 1 ? 'This invoice' : `These ${n} invoices`} did not finish because the run stopped first; nothing about ${n === 1 ? 'it' : 'them'} was refused. ${esc(sentenceCase(rerunAdvice(report.stopped, report.stop_detail, system, ': the journal resumes where the run stopped')))}</p>\n${incomplete}`;
}

/**
 * What to do about the invoices a run stopped on: `run the same command again; nothing is
 * doubled`, after stopped.ts's clause for the stop (`after the institution's midnight, `).
 */
function rerunAdvice(stopped: string | undefined, detail: StopDetail | undefined, system: string, why = ''): string {
  return `${rerunClause(stopped, detail, system)}run the same command again${why}; nothing is doubled`;
}
const sentenceCase = (t: string): string => `${t.charAt(0).toUpperCase()}${t.slice(1)}.`;

/**
 * The file's problems, by file and row: errors, and warnings of the input. What the run found on
 * an invoice in the target (report.ts isLoadWarning) is not the file's: warningsSection has it.
 */
function problemsSection(problems: readonly Problem[]): string {
  if (problems.length === 0) return '';
  const byFile = new Map<string, Problem[]>();
  for (const p of problems) {
    // Pushed, not copied per problem: a copy each time is quadratic in a file's problems.
    let list = byFile.get(p.file);
    if (list === undefined) byFile.set(p.file, (list = []));
    list.push(p);
  }
  const tables = [...byFile].map(([file, list]) => {
    const rows = [...list]
      .sort((a, b) => (a.row ?? 0) - (b.row ?? 0))
      .map(
        (p) =>
          `<tr><td class="num">${p.row ?? 'file'}</td><td><code>${esc(p.column)}</code></td><td class="sev-${p.severity}">${p.severity}</td><td>${esc(p.message)}</td><td><code>${esc(p.code)}</code></td></tr>`,
      );
    return `<h3><code>${esc(shownFile(file))}</code></h3><table class="problems"><thead><tr><th>Row</th><th>Column</th><th>Severity</th><th>Problem</th><th>Code</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
  });
  const heading = problems.some(isError) ? 'Input problems' : 'Input warnings';
  return `<h2 id="problems">${heading}</h2><p>Rows are the line numbers an editor shows (the header is line 1).</p>\n${tables.join('\n')}`;
}

/**
 * What the run found on invoices in the target that a person should look at there (report.ts
 * isLoadWarning: processing not confirmed by --poll-timeout, an invoice found holding other values
 * than the file …): not the file's problems, and nothing a re-run of the file changes by itself.
 */
function warningsSection(report: ReportDocument, system: string, target: string): string {
  const found = report.invoices.flatMap((inv) => inv.issues.filter(isLoadWarning).map((p) => ({ inv, p })));
  if (found.length === 0) return '';
  const rows = found.map(
    ({ inv, p }) =>
      `<tr><td>${esc(inv.vendor)}</td><td class="number"><b>${esc(inv.number)}</b></td><td class="id">${esc(inv.id)}</td><td>${esc(p.message)}</td><td><code>${esc(p.code)}</code></td></tr>`,
  );
  const n = new Set(found.map(({ inv }) => inv)).size;
  return `<h2 id="warnings">${esc(`To check in ${system}`)}</h2><p>${esc(`${n === 1 ? 'This invoice is' : `These ${n} invoices are`} in ${target}, but the run found something to look at there; each warning says what.`)}</p>\n<table class="warnings"><thead><tr><th>Vendor</th><th>Invoice</th><th>${esc(system)} id</th><th>Warning</th><th>Code</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/**
 * The batch refused for the file's own problems (`issues`: a missing column, rows in no
 * invoice …): nothing reached the target. The problems that are the file's, not one invoice's,
 * are named, as the terminal's `Nothing was sent` line names them (cli/load.ts).
 *
 * Told from the document alone. A load that sent anything was not refused. A load that sent
 * nothing with a file error was (its valid invoices are `planned`). A dry run's invoices are all
 * `planned` or `invalid`, and the document does not say whether `--skip-invalid` was given, which
 * loads the valid invoices past a row with an invoice number and no vendor (README "What is
 * checked before anything is sent"): there a problem of the file itself (no row: a missing
 * column, an unreadable file) always stops the batch, and a row's error only when no invoice
 * is valid.
 */
function refusedBanner(report: ReportDocument): string {
  const fileErrors = report.issues.filter(isError);
  if (fileErrors.length === 0) return '';
  if (!report.invoices.every((i) => i.status === 'planned' || i.status === 'invalid')) return '';
  const someValid = report.invoices.some((i) => i.status === 'planned');
  const stopping = report.dry_run && someValid ? fileErrors.filter((p) => p.row === undefined) : fileErrors;
  if (stopping.length === 0) return '';
  const named = stopping
    .slice(0, 3)
    .map((p) => `<code>${esc(shownFile(p.file))}</code>${p.row !== undefined ? ` row ${p.row}` : ''}${p.column !== undefined ? ` <code>${esc(p.column)}</code>` : ''} [${esc(p.code)}]`)
    .join(', ');
  const more = stopping.length > 3 ? `, and ${stopping.length - 3} more` : '';
  const which = stopping.length === 1 ? `One problem is the file's, not one invoice's: ${named}` : `${stopping.length} problems are the file's, not one invoice's: ${named}${more}`;
  const head = report.dry_run ? 'A load would send nothing: the file would be refused.' : 'Nothing was sent: the file was refused.';
  return `<div class="banner bad" id="refused"><b>${head}</b> ${which} — see <a href="#problems">input problems</a>. Fix ${stopping.length === 1 ? 'it' : 'them'} in the file, then run the same command again.</div>`;
}

function cards(report: ReportDocument): string {
  const s = report.summary;
  const stopped = countStopped(report.invoices);
  const counts: [ReportStatus, number][] = [
    ['loaded', s.loaded],
    ['in_review', s.in_review],
    ['already_loaded', s.already_loaded],
    ['failed', s.failed - stopped],
    ['invalid', s.invalid],
    ['planned', s.planned],
  ];
  const items = counts.filter(([, n]) => n > 0).map(([k, n]) => `<div class="card ${k}" data-count="${k}"><b>${n}</b><span>${esc(statusText(report, k))}</span></div>`);
  if (stopped > 0) items.push(`<div class="card stopped" data-count="stopped"><b>${stopped}</b><span>Stopped before done</span></div>`);
  items.unshift(`<div class="card"><b>${s.invoices}</b><span>invoices</span></div>`, `<div class="card"><b>${s.lines}</b><span>lines</span></div>`);
  if (!report.dry_run) items.push(`<div class="card"><b>${s.requests}</b><span>requests to ${esc(report.sandbox === true ? `${report.target} sandbox` : report.target)}</span></div>`);
  return `<div class="cards">${items.join('')}</div>`;
}

export function renderHtml(report: ReportDocument, opts: HtmlOptions = {}): string {
  // A row's news once, as the terminal says it (human.ts saidOnce).
  const problems = saidOnce([...report.issues, ...report.invoices.flatMap((i) => i.issues)]);
  const inputProblems = problems.filter((p) => !isLoadWarning(p));
  const sentence = summaryLine(report, problems, plainStyle);
  const system = systemLabel(report, opts.label);
  // A trial run must not pass for a production one when the page is forwarded.
  const target = report.sandbox === true ? `the ${system} sandbox` : system;
  const title = report.dry_run ? `Invoice check (dry run${report.sandbox === true ? ', sandbox' : ''})` : `Invoice load into ${target}`;
  const meta = [
    opts.generatedAt ? utcMinute(opts.generatedAt) : '',
    opts.files && opts.files.length > 0 ? `files: ${opts.files.map((f) => `<code>${esc(shownFile(f))}</code>`).join(', ')}` : '',
    report.duration_s !== undefined ? `took ${esc(formatDuration(report.duration_s))}` : '',
    report.version !== undefined ? `invoice-load ${esc(report.version)}` : '',
  ].filter(Boolean);
  const s = report.summary;
  // As --quiet's rule (cli/load.ts wentWell): any warning, of the file or of the run, is something to look at.
  const allGood = !report.dry_run && !report.stopped && s.failed === 0 && s.invalid === 0 && s.in_review === 0 && s.planned === 0 && problems.length === 0 && report.canary?.status !== 'failed';
  const plural = (n: number): string => `${n} invoice${n === 1 ? '' : 's'}`;
  // Invoices the run stopped on are `failed` in the document but not failures (stopped.ts).
  const stopped = countStopped(report.invoices);
  const failed = s.failed - stopped;
  const attention = [
    failed > 0 ? `${plural(failed)} failed — <a href="#errors">errors</a>` : '',
    s.invalid > 0 ? `${plural(s.invalid)} not sent because of <a href="#problems">input problems</a>` : '',
    // A load refused before its first write: the valid ones were not sent either.
    !report.dry_run && s.planned > 0 ? `${plural(s.planned)} valid but not sent: the batch was refused for the <a href="#problems">input problems</a>` : '',
    s.in_review > 0 ? `${plural(s.in_review)} waiting in review in ${esc(target)} — <a href="#alerts">alerts</a>` : '',
  ].filter(Boolean);
  // Warnings: amber, each kind to its own section — the run's on invoices in the target, the file's.
  const toCheck = new Set(report.invoices.filter((i) => i.issues.some(isLoadWarning))).size;
  const inputWarnings = inputProblems.filter((p) => !isError(p)).length;
  const check = [
    toCheck > 0 ? `${plural(toCheck)} in ${esc(target)} with something to look at there — <a href="#warnings">${esc(`to check in ${system}`)}</a>` : '',
    inputWarnings > 0 ? `${inputWarnings} warning${inputWarnings === 1 ? '' : 's'} about the file — <a href="#problems">${inputProblems.some(isError) ? 'input problems' : 'input warnings'}</a>` : '',
  ].filter(Boolean);
  const banner = [
    refusedBanner(report),
    report.stopped ? `<div class="banner ${CALM_STOPS.has(report.stopped) ? 'warn' : 'bad'}" id="stopped"><b>The run stopped early.</b> ${esc(report.dry_run && report.stopped === 'interrupted' ? 'The dry run was interrupted: what it had checked is above, and nothing was sent. Run it again to check the whole batch.' : stopText(report.stopped, report.stop_detail, system))}</div>` : '',
    stopped > 0
      ? `<div class="banner warn" id="not-finished"><b>Stopped before done:</b> ${plural(stopped)} — ${esc(rerunAdvice(report.stopped, report.stop_detail, system))} (<a href="#stopped-invoices">details</a>).</div>`
      : '',
    attention.length > 0 ? `<div class="banner ${failed + s.invalid > 0 ? 'bad' : 'warn'}" id="attention"><b>Needs attention:</b> ${attention.join('; ')}.</div>` : '',
    check.length > 0 ? `<div class="banner warn" id="check"><b>Check these:</b> ${check.join('; ')}.</div>` : '',
    allGood && s.invoices > 0 ? `<div class="banner ok">Every invoice is in ${esc(target)}; nothing needs attention.</div>` : '',
  ].join('');
  const body = [
    `<h1>${esc(title)}</h1>`,
    meta.length > 0 ? `<p class="meta">${meta.join(' · ')}</p>` : '',
    `<p class="sentence" id="summary">${esc(sentence)}</p>`,
    banner,
    cards(report),
    report.invoices.length > 0 ? `<h2>Invoices</h2>${invoiceTable(report, system)}` : '',
    alertsSection(report),
    errorsSection(report, system),
    stoppedSection(report, system),
    warningsSection(report, system, target),
    problemsSection(inputProblems),
    `<footer>Written by invoice-load. Statuses: Loaded — in ${esc(target)} and processed; In review — processed, ${esc(system)} sent it to review (see the alerts); Already loaded — found complete from an earlier run, nothing sent; Failed — did not finish, a re-run resumes it; Stopped — the run ended before it finished, nothing refused it, the same command finishes it; Invalid — not sent, fix the file.</footer>`,
  ].filter(Boolean);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${esc(title)} — ${esc(sentence)}</title>
<style>${CSS}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

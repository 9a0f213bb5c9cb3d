/**
 * The report for people: a table of invoices, then every problem grouped by file and row,
 * then one line that says what happened. Pure — colours come in as functions, so the CLI
 * decides about TTYs and NO_COLOR and tests read plain text.
 */
import { capped, CELL_MAX, oneLine, shownFile, STDIN_FILE } from '../common/shown.js';
import { problemOfFile, type Problem } from '../domain/problem.js';
import { placeOf, type Provenance } from '../input/record.js';
import { formatRows } from './csv.js';
import { runLabels } from '../common/runs.js';
import { failureAdvice, groupFailures, type FailureGroup } from './failures.js';
import { systemLabel, type ReportDocument, type ReportInvoice, type ReportStatus } from './report.js';
import { createUnanswered, loadedElsewhere, NOT_STARTED, STOP_CODES, stoppedOn } from '../engine/result.js';
import { countStopped, existsIncomplete, rerunsAtOnce, stoppedAt, stoppedSentence } from './stopped.js';
import type { StopDetail } from '../engine/events.js';
import { columnWidths, fitLastColumn, lastColumnFits, leaveOutIfNarrow, padToWidth, proseText } from './fit.js';
import { renderPreflight } from './preflight.js';
import { explainAlert, workflowLabel } from './alerts.js';

export interface Style {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const plainStyle: Style = {
  green: (s) => s,
  yellow: (s) => s,
  red: (s) => s,
  cyan: (s) => s,
  dim: (s) => s,
  bold: (s) => s,
};

const STATUS_LABEL: Record<ReportStatus, string> = {
  loaded: 'loaded',
  in_review: 'in review',
  failed: 'FAILED',
  invalid: 'INVALID',
  already_loaded: 'already loaded',
  planned: 'planned',
};

function colourStatus(status: ReportStatus, style: Style): (s: string) => string {
  switch (status) {
    case 'loaded':
    case 'planned':
      return style.green;
    case 'in_review':
      return style.yellow;
    case 'already_loaded':
      return style.cyan;
    case 'failed':
    case 'invalid':
      return style.red;
  }
}

/**
 * Text that came from a file or an API, made safe to print: terminal control characters (C0, C1:
 * escape sequences, a bell, a carriage return that overwrites the line) and the bidirectional
 * embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069), which reorder how the
 * rest of the line reads in a terminal that applies them (https://trojansource.codes), become `?`;
 * a line feed, which would start a line that looks like the program's own, shows as `\n`. File
 * names are shown with every such character escaped (`oneLine`, src/common/shown.ts).
 */
export const safe = (s: string): string => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?').replace(/\n/g, '\\n');

/**
 * The invoices a stopped run never reached (engine.ts and operations.ts give them this code)
 * are left out of the table, with one line under it saying how many: after a stop in a batch of
 * thousands, one identical row each would bury the few that were in flight. The failures below
 * (a load's) and --json and --report still list every one.
 */
export function withoutNotStarted<T extends { status: string; error?: { code: string } | undefined }>(invoices: readonly T[]): { listed: T[]; notStarted: number } {
  const listed = invoices.filter((i) => !(i.status === 'failed' && i.error?.code === NOT_STARTED));
  return { listed, notStarted: invoices.length - listed.length };
}

/**
 * The line for `n` invoices never reached. Under a table it goes on from the rows ("… and 7
 * not started"); with no table above (`listed` 0: the run stopped before its first invoice, or
 * --quiet left out the rest) it stands alone, and says "none" when they are all of the `total`.
 */
export function notStartedLine(n: number, style: Style, at: { listed: number; total: number } = { listed: 1, total: n }): string {
  const them = n === 1 ? 'it' : 'them';
  const where = `the run stopped before reaching ${them} (--json and --report list ${them})`;
  const invoices = `invoice${n === 1 ? '' : 's'}`;
  if (at.listed > 0) return style.yellow(`… and ${n} ${invoices} not started: ${where}`);
  if (n < at.total) return style.yellow(`${n} ${invoices} not started: ${where}`);
  return style.yellow(n === 1 ? `The invoice was not started: ${where}` : `None of the ${n} invoices was started: ${where}`);
}

export function table(rows: string[][], style: Style, colour: ((s: string) => string)[] = []): string[] {
  const widths = columnWidths(rows);
  return rows.map((r, ri) =>
    r
      .map((c, i) => {
        const cell = i === r.length - 1 ? c : padToWidth(c, widths[i] ?? 0);
        if (ri === 0) return style.dim(cell);
        return i === 0 ? (colour[ri] ?? ((x: string) => x))(cell) : cell;
      })
      .join('  ')
      .trimEnd(),
  );
}

function detail(inv: ReportInvoice, batch: readonly Problem[], stopped?: string, label = 'Alma', stopDetail?: StopDetail): string {
  // The run's stop, not the invoice's failure: where it was, and that the same command finishes it.
  // A re-run finishes it after a Ctrl-C; after a refused key or the daily threshold only once
  // that is put right, which the advice below says.
  // One half-built in the target is to be left alone (stopped.ts's sentence, as the HTML report says it).
  if (inv.error && stoppedOn(inv) && (existsIncomplete(inv) || loadedElsewhere(inv))) return lowerFirst(stoppedSentence(inv, stopped, label, stopDetail, false)).replace(/\.$/, '');
  // A create sent without an answer: the re-run looks for it first (stopped.ts `stoppedAt`).
  if (inv.error && stoppedOn(inv)) return `${stoppedAt(inv)}; ${rerunsAtOnce(stopped) ? (createUnanswered(inv) !== undefined ? `a re-run looks for it in ${label} first` : 'a re-run finishes it') : 'see below'}`;
  if (inv.error) {
    const tracking = inv.error.tracking_id ? ` (tracking id ${inv.error.tracking_id})` : '';
    return `${inv.error.step}: ${inv.error.code} ${inv.error.message}${tracking}`;
  }
  if (inv.status === 'invalid') return errorsSeeBelow(inv, batch);
  if (inv.alerts.length > 0) return `${workflowLabel(inv.workflow_status)}: ${inv.alerts.map((a) => `${a.code} (${a.description})`).join(', ')}`;
  return workflowLabel(inv.workflow_status);
}

export function renderProblems(problems: readonly Problem[], style: Style): string[] {
  const out: string[] = [];
  const byFile = new Map<string, Problem[]>();
  for (const p of problems) {
    const list = byFile.get(p.file) ?? [];
    list.push(p);
    byFile.set(p.file, list);
  }
  for (const [file, list] of byFile) {
    out.push(style.bold(shownFile(file)));
    // The way out for the whole file (a mapping profile) comes after its rows, where a person
    // who scrolled past hundreds of them reads it.
    list.sort((a, b) => lastOf(a) - lastOf(b) || (a.row ?? 0) - (b.row ?? 0));
    const folded = foldWarnings(list);
    const shape = shapeAfterHeader(list);
    for (const p of list) {
      if (shape?.hidden.has(p) === true) continue;
      const rows = folded.get(p);
      if (rows === null) continue; // said with the first of its kind
      const where = rows !== undefined ? rowRanges(rows) : p.row !== undefined ? `row ${p.row}` : 'file';
      const col = p.column ? ` ${p.column}` : '';
      const sev = p.severity === 'error' ? style.red('error') : style.yellow('warning');
      out.push(`  ${where}${col}: ${sev} ${safe(p.message)} ${style.dim(`[${p.code}]`)}`);
      if (shape?.shown === p) out.push(`  ${shape.line}`);
    }
  }
  return out;
}

/**
 * An invalid invoice's outcome in a table: `2 errors, see below` (the problems are listed under it).
 * An invoice of a file without a column every invoice needs has no error of its own — the file has
 * one `missing_column` for all its invoices (domain/group.ts `FileState.lacking`), in `batch` (the
 * report's `issues`) — so the column is named: `its file has no total_amount column, see below`,
 * not "0 errors". One with none of its own in a batch another file's error stopped (verify marks
 * every invoice of such a batch invalid: README "invoice-load verify") says what was not done for
 * it, `held` — `not sent` in a load, `not looked up` in verify — and why: `not looked up: the
 * batch's error, see below`.
 */
export function errorsSeeBelow(inv: { issues: readonly Problem[]; rows: readonly Provenance[] }, batch: readonly Problem[] = [], held = 'not sent'): string {
  const errors = inv.issues.filter((p) => p.severity === 'error').length;
  const own = `${errors} error${errors === 1 ? '' : 's'}`;
  const file = fileLacks(inv, batch);
  if (file === undefined) {
    // None of its own, none of a column its file lacks: its file's error (one not read whole,
    // domain/group.ts `FileState.refused`) holds it back — not "0 errors".
    if (errors === 0 && byOwnFile(inv, batch)) return "its file's error, see below";
    if (errors === 0 && batch.some((p) => p.severity === 'error')) return `${held}: the batch's error, see below`;
    return `${own}, see below`;
  }
  return errors === 0 ? `${file}, see below` : `${own}, and ${file}, see below`;
}

/** An error of the batch (`batch`, the report's `issues`) is of the invoice's own file. */
const byOwnFile = (inv: { rows: readonly Provenance[] }, batch: readonly Problem[]): boolean => {
  const files = new Set(inv.rows.map((r) => r.file));
  return batch.some((p) => p.severity === 'error' && [...files].some((f) => problemOfFile(p.file, f)));
};

/**
 * An invalid invoice with nothing wrong of its own or of its file, held back only by another
 * file's error that stops the whole batch (`errorsSeeBelow`'s `held` case): verify's summary
 * counts it apart from the invalid ones, as a load's says "not sent, as the batch was refused".
 */
export function heldByBatch(inv: { issues: readonly Problem[]; rows: readonly Provenance[] }, batch: readonly Problem[]): boolean {
  return !inv.issues.some((p) => p.severity === 'error') && fileLacks(inv, batch) === undefined && !byOwnFile(inv, batch) && batch.some((p) => p.severity === 'error');
}

/**
 * `its file has no total_amount column`: the columns an invoice's file lacks that every invoice
 * needs (the file's `missing_column` errors in `batch`, the report's `issues`), which make it
 * invalid with no error of its own; undefined when its file lacks none.
 */
export function fileLacks(inv: { rows: readonly Provenance[] }, batch: readonly Problem[]): string | undefined {
  const files = new Set(inv.rows.map((r) => r.file));
  const lacking = batch.filter((p) => p.code === 'missing_column' && p.severity === 'error' && p.row === undefined && p.column !== undefined && files.has(p.file));
  if (lacking.length === 0) return undefined;
  const columns = [...new Set(lacking.map((p) => p.column!))].join(' or ');
  // An invoice with rows in two files (a copy in another: duplicate_invoice) names the file.
  const which = files.size === 1 ? 'its file' : [...new Set(lacking.map((p) => shownFile(p.file)))].join(' and ');
  return `${which} ${files.size === 1 || new Set(lacking.map((p) => p.file)).size === 1 ? 'has' : 'have'} no ${columns} column`;
}

/** `1 error, 0 warnings`: the problems a summary line counts. */
export function problemCounts(problems: readonly Problem[]): string {
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
}

/**
 * The problems to show and count, without the ones another on the same row says in full. A row
 * with an invoice number and no vendor has its `missing_value` (the file's, in `issues`, with
 * "fill in GOBI?") and, on each invoice of its number, a `row_without_vendor` error — no vendor,
 * in no invoice, which invoice and rows it holds back, fill in the vendor — the same news twice
 * on one row. The terminal and the HTML report say the row once, by its `row_without_vendor`;
 * --json, --report and --rejects keep both, with their codes (README "What is checked before
 * anything is sent").
 */
export function saidOnce(problems: readonly Problem[]): Problem[] {
  let held: Set<string> | undefined;
  for (const p of problems) if (p.code === 'row_without_vendor' && p.row !== undefined) (held ??= new Set()).add(`${p.file}\u0000${p.row}`);
  if (held === undefined) return problems as Problem[];
  return problems.filter((p) => !(p.code === 'missing_value' && p.column === 'vendor' && p.row !== undefined && held.has(`${p.file}\u0000${p.row}`)));
}

/** The input reader's problems with a row's shape: its cell count, its CSV syntax. */
const SHAPE_CODES: Readonly<Record<string, string>> = {
  extra_cells: 'the wrong number of cells',
  short_row: 'the wrong number of cells',
  csv_syntax: 'a CSV syntax error',
};

/**
 * A file whose header lacks vendor or invoice_number (`missing_column`, an error for the whole
 * file: another kind of file, or a vendor's layout without its profile) has no row read as an
 * invoice, and its rows' shape problems are the same news a row: README.md given as a batch
 * said "this row has 4 cells but the header has 1 column" on 1,053 rows, and the one message
 * that said what to do scrolled off. The first is shown, the rest folded into one line after
 * it; `--json` and `--report` keep each one. Undefined when there is nothing to fold.
 */
function shapeAfterHeader(list: readonly Problem[]): { shown: Problem; hidden: Set<Problem>; line: string } | undefined {
  if (!list.some((p) => p.code === 'missing_column' && p.row === undefined && p.severity === 'error')) return undefined;
  const shape = list.filter((p) => p.row !== undefined && SHAPE_CODES[p.code] !== undefined);
  if (shape.length < 2) return undefined;
  const [shown, ...rest] = shape as [Problem, ...Problem[]];
  const kinds = [...new Set(rest.map((p) => SHAPE_CODES[p.code]!))];
  const n = rest.length;
  const line = `… and ${n.toLocaleString('en-US')} more row${n === 1 ? '' : 's'} with ${kinds.join(' or ')} (not shown; --json and --report list each)`;
  return { shown, hidden: new Set(rest), line };
}

/** 1 for the file's `mapping_needed` hint (domain/style.ts), said after the rows; 0 for the rest. */
const lastOf = (p: Problem): number => (p.code === 'mapping_needed' && p.row === undefined ? 1 : 0);

/** A warning said in the same words on this many rows or more is said once, with its rows. */
const FOLD_AT = 3;

/**
 * Warnings of one file in the same words (code, column, message) on FOLD_AT rows or more —
 * "the run stopped while this invoice was being processed" for each invoice a Ctrl-C caught —
 * are said once: the first maps to all their rows, the others to null. Errors are never folded:
 * each keeps its own line with its row, as the person fixing the file works through them.
 */
function foldWarnings(list: readonly Problem[]): Map<Problem, number[] | null> {
  const groups = new Map<string, Problem[]>();
  for (const p of list) {
    if (p.severity !== 'warning' || p.row === undefined) continue;
    const key = `${p.code}\u0000${p.column ?? ''}\u0000${p.message}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [p]);
    else g.push(p);
  }
  const folded = new Map<Problem, number[] | null>();
  for (const g of groups.values()) {
    if (g.length < FOLD_AT) continue;
    folded.set(g[0]!, g.map((p) => p.row!));
    for (const p of g.slice(1)) folded.set(p, null);
  }
  return folded;
}

/** Rows as runs (`runLabels`), "rows 46–55, 60 (11 in all)"; past 8 runs, "…" before the count. */
export function rowRanges(rows: readonly number[]): string {
  const runs = runLabels(rows);
  const shown = runs.length > 8 ? `${runs.slice(0, 8).join(', ')}, …` : runs.join(', ');
  return `rows ${shown} (${rows.length} in all)`;
}

export interface HumanOptions {
  /** Terminal width: the outcome column is cut to fit, and what was cut follows in full. Absent for files and pipes. */
  width?: number | undefined;
  /** Cells cut to fit `width` end in `...`, not `…` (a terminal that may not show it: cli/terminal.ts `asciiOnly`). */
  ascii?: boolean | undefined;
  /** --quiet: only the invoices and problems that are errors, then the summary line. */
  quiet?: boolean | undefined;
  /** The target's name for people (`Alma`, `FOLIO`); default the report's `target`. */
  label?: string | undefined;
  /** The target can check a batch online (`--dry-run --online`, README "Online preflight"): a dry run without it says what it left unchecked. */
  online?: boolean | undefined;
  /** --verbose: a load's online checks show their counts and the request estimate too. */
  verbose?: boolean | undefined;
}

/** A batch action's words for "done" and "already so" (Exsited cancel / reactivate, issue #6). */
const ACTION_WORDS: Record<string, { loaded: string; already_loaded: string }> = {
  cancel: { loaded: 'cancelled', already_loaded: 'already cancelled' },
  reactivate: { loaded: 'reactivated', already_loaded: 'already active' },
};

const statusLabel = (report: ReportDocument, status: ReportStatus): string => {
  if (status === 'planned' && !report.dry_run) return 'not sent';
  const words = report.action !== undefined ? ACTION_WORDS[report.action] : undefined;
  return words !== undefined && (status === 'loaded' || status === 'already_loaded') ? words[status] : STATUS_LABEL[status];
};

/** What the report's `lines` are for this target: Exsited's child item is the invoice's note. */
const childNoun = (report: ReportDocument): string => (report.target === 'exsited' ? 'note' : 'line');

/** The id's place in a table of status, vendor, number, id, …, outcome. */
const ID_COLUMN = 3;

/**
 * Fits a table of status, vendor, number, the target's id, …, outcome (a load's, export's or
 * payments') to a terminal `width` wide, mutating `rows`. On a window too narrow for the
 * outcomes (80 columns and the sample batch: 14 characters left, so every outcome wrapped) the
 * id column is left out when that shows more outcomes whole — a person finds an invoice by its
 * number, and the ids are in --json and --report; an outcome still too long is cut with `…`.
 * Returns the lines to print under the table: a note that the ids were left out, and every
 * cut outcome whole (an Alma message or tracking id is never lost to a narrow window).
 */
export function fitOutcomeTable(rows: string[][], width: number, target: string, style: Style, saidBelow: (row: number) => boolean = () => false, ascii = false): string[] {
  const under: string[] = [];
  const last = rows[0]!.length - 1;
  if (rows.length > 1 && !lastColumnFits(rows.map((r) => r.filter((_, i) => i !== ID_COLUMN)), width)) {
    // Too narrow for an outcome beside its row even without the ids (a split pane, 50 columns):
    // every row wrapped across two lines and the columns broke. The table keeps what finds an
    // invoice; each outcome follows whole on a line of its own, broken between words.
    const outcomes = rows.slice(1).map((r) => `${r[2] ?? ''} (${r[1] ?? ''}): ${r[last] ?? ''}`);
    for (let i = 0; i < rows.length; i++) rows[i] = rows[i]!.filter((_, c) => c !== ID_COLUMN && c !== last);
    under.push(style.dim(`(${target} ids left out and outcomes listed below, to fit this window: --json and --report show the ids)`), '');
    for (const line of outcomes) under.push(line);
    return under;
  }
  if (rows.length > 1 && leaveOutIfNarrow(rows, ID_COLUMN, width)) under.push(style.dim(`(${target} ids left out to fit this window: --json and --report show them)`));
  // A cut outcome that a section below says in full anyway (`saidBelow`: an alert explained, a
  // stopped invoice under "Not finished") is not printed twice.
  const cut = [...fitLastColumn(rows, width, 2, 'start', ascii)].filter(([ri]) => !saidBelow(ri));
  if (cut.length > 0) {
    under.push('');
    for (const [ri, full] of cut) under.push(`${rows[ri]?.[2] ?? ''} (${rows[ri]?.[1] ?? ''}): ${full}`);
  }
  return under;
}

export function renderHuman(report: ReportDocument, style: Style = plainStyle, opts: HumanOptions = {}): string {
  const system = systemLabel(report, opts.label);
  const all = opts.quiet ? report.invoices.filter((i) => i.status === 'failed' || i.status === 'invalid') : report.invoices;
  const { listed: shown, notStarted } = report.dry_run ? { listed: all, notStarted: 0 } : withoutNotStarted(all);
  const out: string[] = [];
  const rows: string[][] = [
    report.dry_run
      ? ['status', 'vendor', 'number', 'lines', 'total', 'rows']
      : ['status', 'vendor', 'number', `${report.target} id`, `${childNoun(report)}s`, 'outcome'],
  ];
  const colours: ((s: string) => string)[] = [(s) => s];
  for (const inv of shown) {
    // An invalid total is no amount: its currency alone would read " USD".
    const total = inv.total !== undefined && inv.total !== '' ? `${inv.total}${inv.currency ? ' ' + inv.currency : ''}` : '';
    // Where it starts in each file: a copy of the invoice in another file (duplicate_invoice) is named too.
    const where = oneLine(firstRowPerFile(inv.rows).map((r) => placeOf(r.file, r.row)).join('; '));
    rows.push(
      report.dry_run
        ? [statusLabel(report, inv.status), safe(capped(inv.vendor, CELL_MAX, opts.ascii)), safe(capped(inv.number, CELL_MAX, opts.ascii)), String(inv.lines.length || ''), total, where]
        : [stoppedOn(inv) ? 'stopped' : statusLabel(report, inv.status), safe(capped(inv.vendor, CELL_MAX, opts.ascii)), safe(capped(inv.number, CELL_MAX, opts.ascii)), inv.id ?? '', String(inv.lines.length), safe(detail(inv, report.issues, report.stopped, system, report.stop_detail))],
    );
    colours.push(stoppedOn(inv) ? style.yellow : colourStatus(inv.status, style));
  }
  // A dry run's last column is where the invoice starts in the file: cut from the left, so the
  // row number stays, and not repeated below (it is no message; the file is the one named).
  let under: string[] = [];
  if (opts.width !== undefined) {
    if (report.dry_run) {
      // Too narrow even for a cut place (50 columns: every row wrapped inside its total): the
      // place goes, as a load's ids do; the problems below still name every row.
      if (rows.length > 1 && !lastColumnFits(rows, opts.width)) {
        for (let i = 0; i < rows.length; i++) rows[i] = rows[i]!.slice(0, -1);
        // Then the count of lines, if the total still does not fit: status, vendor, number, total.
        const wide = columnWidths(rows).reduce((a, b) => a + b + 2, -2) > opts.width;
        if (wide) for (let i = 0; i < rows.length; i++) rows[i]!.splice(3, 1);
        under.push(style.dim(`(${wide ? 'the line counts and ' : ''}where each invoice starts ${wide ? 'are' : 'is'} left out to fit this window: --json and --report show ${wide ? 'them' : 'it'})`));
      } else fitLastColumn(rows, opts.width, 2, 'end', opts.ascii);
    }
    else {
      // Row 0 is the header; each invoice's row is 1 + its place in `shown`.
      const saidBelow = (ri: number): boolean => {
        const inv = shown[ri - 1];
        return inv !== undefined && (stoppedOn(inv) || (inv.status === 'in_review' && inv.alerts.length > 0 && !opts.quiet));
      };
      under = fitOutcomeTable(rows, opts.width, peopleName(report.target), style, saidBelow, opts.ascii);
    }
  }
  // Appended line by line: spreading a million lines into one push overflows the call stack.
  if (shown.length > 0) for (const line of table(rows, style, colours)) out.push(line);
  // The table is fitted above; every other line is prose, broken at words below.
  const tableEnd = out.length;
  for (const line of under) out.push(line);
  if (notStarted > 0) out.push(notStartedLine(notStarted, style, { listed: shown.length, total: report.invoices.length }));
  if (!opts.quiet) for (const line of renderAlerts(report.invoices, style, system)) out.push(line);

  const problems = saidOnce([...report.issues, ...report.invoices.flatMap((i) => i.issues)]);
  const listed = opts.quiet ? problems.filter((p) => p.severity === 'error') : problems;
  if (listed.length > 0) {
    out.push('');
    for (const line of renderProblems(listed, style)) out.push(line);
  }
  if (report.preflight !== undefined) {
    out.push('');
    // A load's own checks (the batch refused): their counts and the request estimate are for
    // --verbose; a dry run --online asked for them.
    for (const line of renderPreflight(report.preflight, style, { label: system, brief: !report.dry_run && opts.verbose !== true })) out.push(line);
  }
  // Said only when the alerts foreseen before sending were not the ones the target raised: when
  // they were, the alerts above say all a person needs.
  const off = report.invoices.filter((i) => i.prediction?.held === false);
  if (!opts.quiet && off.length > 0) {
    const raised = (i: ReportInvoice): string[] => [...i.prediction!.alerts.filter((a) => !(i.prediction!.missed ?? []).includes(a)), ...(i.prediction!.unexpected ?? [])];
    const how = (i: ReportInvoice): string => `${safe(i.vendor)} ${safe(i.number)} (expected ${i.prediction!.alerts.join(', ') || 'no alert'}, ${system} raised ${raised(i).join(', ') || 'none'})`;
    out.push('', style.yellow(`${system}'s alerts were not the ones expected before sending for ${off.length === 1 ? '1 invoice' : `${off.length} invoices`}: ${off.map(how).join('; ')}. Each invoice is as ${system} shows it above.`));
  }
  const groups = groupFailures(report, system);
  if (groups.length > 0) out.push('', ...renderFailures(groups, style, report.stopped, system, report.stop_detail));
  // The blank line parts the summary from what is above it; --quiet may leave nothing above.
  if (out.length > 0 || !opts.quiet) out.push('');
  out.push(summaryLine(report, problems, style));
  // A clean offline dry run is no promise that the load goes through: the vendors, funds and PO
  // lines are only looked up by --online (README "Online preflight").
  // Not after a Ctrl-C: the line on stderr said what was cut short (the read, or the look-ups
  // --online asked for), and "add --online" would be wrong advice to a run that gave it.
  if (report.dry_run && report.preflight === undefined && opts.online === true && report.stopped !== 'interrupted') {
    out.push(`Checked the file only; vendors, funds and PO lines were not looked up in ${system} — add --online to check them.`);
  }
  // On a terminal, a problem's message that runs past the window's edge is broken between words,
  // under its own start ("row 21 currency: error currency "XYZ" is not an ISO 4217 c|urrency")
  // would otherwise split words at the edge. Files and pipes keep one problem a line, for grep.
  return proseText(out, opts.width, tableEnd);
}

/** Invoices named in an alert's heading before the rest are counted. */
const ALERT_NAMES = 5;

/**
 * The invoices in review, once per kind of alert: which invoices, Alma's words, what it means
 * and what to do (alerts.ts, the HTML report's words). Empty when none is in review.
 */
export function renderAlerts(invoices: readonly ReportInvoice[], style: Style, system = 'Alma'): string[] {
  const byCode = new Map<string, { description: string; invoices: ReportInvoice[] }>();
  for (const inv of invoices) {
    if (inv.status !== 'in_review') continue;
    for (const a of inv.alerts) {
      const entry = byCode.get(a.code) ?? { description: a.description, invoices: [] };
      entry.invoices.push(inv);
      byCode.set(a.code, entry);
    }
  }
  if (byCode.size === 0) return [];
  const out: string[] = [''];
  for (const [code, { description, invoices: list }] of byCode) {
    const names = list.slice(0, ALERT_NAMES).map((i) => `${safe(i.vendor)} ${safe(i.number)}`).join(', ');
    const more = list.length > ALERT_NAMES ? ` and ${list.length - ALERT_NAMES} more` : '';
    const which = list.length === 1 ? names : `${list.length} invoices (${names}${more})`;
    out.push(`${style.yellow(`In review in ${system}`)} — ${which}: ${safe(description)} ${style.dim(`[${safe(code)}]`)}`);
    const ex = explainAlert(code);
    if (ex !== undefined) out.push(`  ${ex.meaning}`, `  What to do: ${ex.action}`);
  }
  return out;
}

export function summaryLine(report: ReportDocument, problems: readonly Problem[], style: Style): string {
  const s = report.summary;
  const parts: string[] = [];
  const add = (n: number, label: string, colour: (x: string) => string): void => {
    if (n > 0) parts.push(colour(`${n} ${label}`));
  };
  add(s.loaded, statusLabel(report, 'loaded'), style.green);
  add(s.in_review, 'in review', style.yellow);
  add(s.already_loaded, statusLabel(report, 'already_loaded'), style.cyan);
  // Outside a dry run, planned is a valid invoice of a load refused before its first write.
  add(s.planned, report.dry_run ? 'planned' : 'not sent, as the batch was refused', report.dry_run ? style.green : style.yellow);
  // Invoices the run stopped on (a Ctrl-C, the daily threshold) are counted apart: nothing
  // refused them, and the same command finishes them.
  const stopped = countStopped(report.invoices);
  add(s.failed - stopped, 'failed', style.red);
  add(stopped, 'stopped before done', style.yellow);
  add(s.invalid, 'invalid', style.red);
  // Rows of the file's own errors that no invoice above counts (a row with an invoice number and
  // no vendor, Plan.skippable): counted in every run — dry, refused or sent — or the invoice of
  // such a row is named nowhere in the summary (README "Checks before sending").
  const rows = rowsInNoInvoice(report.issues, report.invoices, report.inputs);
  add(rows, `row${rows === 1 ? '' : 's'} in no invoice${report.dry_run ? '' : ', not loaded'}`, style.red);
  const counts = `${s.invoices} invoice${s.invoices === 1 ? '' : 's'}, ${s.lines} ${childNoun(report)}${s.lines === 1 ? '' : 's'}`;
  const probs = problems.length > 0 ? ` (${problemCounts(problems)})` : '';
  const tail = report.dry_run
    ? report.preflight !== undefined
      ? ` Dry run: nothing was written (${s.requests} read-only request${s.requests === 1 ? '' : 's'} to ${targetName(report)}).`
      : ' Dry run: nothing was sent.'
    : s.requests === 0
      ? '' // nothing was sent: no count of nothing, and no time to send it
      : ` ${s.requests} request${s.requests === 1 ? '' : 's'} to ${targetName(report)}${report.duration_s !== undefined ? ` in ${formatDuration(report.duration_s)}` : ''}.`;
  // A run stopped before its batch was read (load.ts interruptedRead) had nothing it knew of to do: not "nothing to do".
  const none = report.stopped === 'interrupted' && s.invoices === 0 && s.requests === 0 ? 'interrupted before the batch was read' : 'nothing to do';
  return `${counts}: ${parts.join(', ') || none}${probs}.${tail}`;
}

/**
 * The file's own problems said at a row that are not about that row: a byte the encoding does
 * not hold is said at its line, but the whole file is refused for it (input/decode.ts); a column
 * twice in the header, or a profile that does not fit the file, is said at the header's row.
 */
const FILE_CODES: ReadonlySet<string> = new Set(['invalid_encoding', 'file_changed', 'duplicate_column', 'mapping_mismatch']);

/**
 * How many rows of `issues` have an error (each row once) and belong to no invoice of the table:
 * a row an invoice counts (its `rows`) is not in no invoice, whatever the file's error said at it.
 * A row is a line of the file, and one line may hold many records (one-line JSON, every object on
 * row 1): a line is counted once for each record the grouper kept out of every invoice there —
 * each has one error of its own on a key column (`isRowsOwn`: a `missing_value`, domain/group.ts
 * `#ungroupable`, or the input's refusal of its vendor or invoice number cell, `"vendor": true`)
 * — so the count is the records', not 1 for all. A JSON record has no header: its
 * `duplicate_column` (two keys for one column, input/shape.ts) is the record's, not a header's.
 */
function rowsInNoInvoice(
  issues: readonly Problem[],
  invoices: readonly { rows: readonly { file: string; row: number }[] }[],
  inputs: readonly { file: string; format: string }[] = [],
): number {
  const format = new Map(inputs.map((i) => [i.file, i.format]));
  const records = (file: string): boolean => {
    const f = format.get(file);
    return f !== undefined ? f === 'json' || f === 'jsonl' : /\.jsonl?$/i.test(file);
  };
  const rows = new Set<string>();
  const own = new Map<string, number>();
  for (const p of issues) {
    if (p.severity !== 'error' || p.row === undefined) continue;
    if (FILE_CODES.has(p.code) && !(p.code === 'duplicate_column' && records(p.file))) continue;
    const at = `${p.file}\u0000${p.row}`;
    rows.add(at);
    if (isRowsOwn(p)) own.set(at, (own.get(at) ?? 0) + (p.code === 'row_without_vendor' ? 0 : 1));
  }
  if (rows.size === 0) return 0;
  for (const inv of invoices) for (const r of inv.rows) if (!own.has(`${r.file}\u0000${r.row}`)) rows.delete(`${r.file}\u0000${r.row}`);
  let count = 0;
  for (const at of rows) count += Math.max(1, own.get(at) ?? 0);
  return count;
}

/**
 * A row's own error, that keeps it out of every invoice: no vendor or no invoice number
 * (group.ts), or its vendor or invoice number cell refused by the input — an error on a key
 * column in the issues is a record's the grouper could not file under an invoice (a grouped
 * record's problems are its invoice's). Its row is in no invoice even where an invoice holds a
 * row of that number — in one-line JSON every object is on row 1.
 */
const isRowsOwn = (p: Problem): boolean => p.code === 'row_without_vendor' || p.column === 'vendor' || p.column === 'invoice_number';

/**
 * Failed invoices, one group per identical failure: how many, the step and Alma's code and
 * words, what it means and the fix (for the codes the loader knows), the rows; then what to do
 * next, by the kind of failure.
 */
export function renderFailures(groups: readonly FailureGroup[], style: Style, stopped?: string, label = 'Alma', detail?: StopDetail): string[] {
  const failed = groups.reduce((n, g) => n + g.invoices.length, 0);
  // Only the run's stop (a Ctrl-C, the daily threshold): nothing failed, the invoices wait.
  const onlyStopped = groups.every((g) => STOP_CODES.has(g.code));
  const out: string[] = [style.bold(`${onlyStopped ? 'Not finished' : 'Failures'} (${failed} invoice${failed === 1 ? '' : 's'}):`)];
  for (const g of groups) {
    const n = g.invoices.length;
    const which = n === 1 ? `${safe(g.invoices[0]!.vendor)} ${safe(g.invoices[0]!.number)}` : `${n} invoices`;
    const colour = STOP_CODES.has(g.code) ? style.yellow : style.red;
    // The run's stop is said in words, without the step and the stop's code (`lines INTERRUPTED`):
    // where the invoice was left and what finishes it (stopped.ts); the codes stay in --json.
    if (STOP_CODES.has(g.code)) out.push(`  ${colour(which)}: ${g.code === NOT_STARTED ? safe(n === 1 ? g.message : forMany(g.message)) : lowerFirst(stoppedSentence(g.invoices[0]!, stopped, label, detail, true, n > 1))}`);
    else out.push(`  ${colour(which)}: ${g.step} ${safe(g.code)} ${safe(g.message)}${g.kind === 'transient' ? ' (transient)' : ''}`);
    if (g.explanation !== undefined) out.push(`    means: ${g.explanation.means}`, `    fix: ${g.explanation.fix}`);
    // A refused line is named: its number, the row it came from, its PO line and fund.
    const refused = g.invoices.filter((i) => i.error?.line !== undefined);
    for (const inv of refused.slice(0, 10)) out.push(`    ${safe(refusedLineText(inv))}`);
    // The ones not named, counted: `… and 11 more`; a transient failure refused no line (the 502 was the way's, not the target's).
    const more = refused.length - 10;
    if (more > 0) out.push(`    … and ${more} more${g.kind === 'transient' ? '' : ` refused line${more === 1 ? '' : 's'}`}`);
    const rows = formatRows(g.rows.slice(0, 12));
    out.push(`    rows: ${safe(rows)}${g.rows.length > 12 ? `, … (${g.rows.length} rows)` : ''}`);
  }
  const advice = failureAdvice(groups, stopped, label, detail);
  if (advice !== undefined) out.push(style.yellow(advice));
  return out;
}

/**
 * A NOT_STARTED message, written for one invoice by the engine ("…; a re-run loads it",
 * engine.ts; "a re-run does it", operations.ts), said of a group of them: "… loads them".
 */
const forMany = (message: string): string => message.replace(/; (a re-run \w+) it$/, '; $1 them');

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

/** `line 2 of GOBI G-24118 (row b.csv:3, PO line POL-1004, fund HIST)`. */
export function refusedLineText(inv: Pick<ReportInvoice, 'vendor' | 'number' | 'error'>): string {
  const l = inv.error?.line;
  if (l === undefined) return '';
  // Standard input's place names its rows itself (`standard input, row 3`).
  const place = l.rows.length === 0 ? '' : l.rows.every((r) => r.file === STDIN_FILE) ? formatRows(l.rows) : `row ${formatRows(l.rows)}`;
  const parts = [place, l.po_line !== undefined ? `PO line ${l.po_line}` : 'no PO line', l.funds.length > 0 ? `fund ${l.funds.join(', ')}` : ''].filter((p) => p !== '');
  return `line ${l.number} of ${inv.vendor} ${inv.number} (${parts.join(', ')})`;
}

/** The targets' names for people, as their definitions' `label` (each target's index.ts) says them. */
const PEOPLE_NAMES: Readonly<Record<string, string>> = { alma: 'Alma', exsited: 'Exsited', alguna: 'Alguna', folio: 'FOLIO' };

/** A target as a person reads it in a sentence: `Alma`, `FOLIO`; another name as it is. */
export const peopleName = (target: string): string => (Object.hasOwn(PEOPLE_NAMES, target) ? PEOPLE_NAMES[target]! : target);

/** The target as a person reads it: `Alma`, or `the Alma sandbox` for an embedded sandbox. */
export const targetName = (report: Pick<ReportDocument, 'target' | 'sandbox'>): string => (report.sandbox === true ? `the ${peopleName(report.target)} sandbox` : peopleName(report.target));

/** Seconds as `4.2 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(sec).padStart(2, '0')} s`;
}

/** The first of an invoice's rows in each file it has rows in, in order. */
function firstRowPerFile(rows: readonly Provenance[]): Provenance[] {
  const out: Provenance[] = [];
  for (const r of rows) if (!out.some((o) => o.file === r.file)) out.push(r);
  return out;
}

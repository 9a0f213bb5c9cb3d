/**
 * The default command: read → validate and group → plan → (dry run: stop) → engine ⇄ target
 * (`send.ts`) → report. This is the I/O edge: files, stdin, the terminal; signals and the
 * journal's lock are `send.ts`'s.
 */
import { oneLine, shownFile } from '../common/shown.js';
import { unsendableReason } from '../common/header-value.js';
import { isAbsolute, relative } from 'node:path';
import { claimRunOutputs, outputClaim, type Config } from './config.js';
import { resultLine, warnLine, type Terminal } from './terminal.js';
import { exitCodeForReport } from './exit.js';
import { ReadInterrupted, readBatch, scanBatch } from './batch.js';
import { changedAfterRead, type InputSource } from '../input/read.js';
import { listenForInterrupts, type Interrupts } from './interrupts.js';
import { outlineInvoice } from '../domain/rules.js';
import type { MappingProfile } from '../input/mapping/profile.js';
import { buildReport, dryRunReport, reportInvoice, type ReportDocument } from '../report/report.js';
import { renderHuman } from '../report/human.js';
import { batchStoppers, buildPlan, hasErrors, validInvoices, type Plan } from '../plan/plan.js';
import { targetNamed } from '../targets/registry.js';
import type { Invoice } from '../domain/model.js';
import type { Problem } from '../domain/problem.js';
import type { PayloadPreview, ShownPayloads, TargetProfile } from '../targets/definition.js';
import type { Target } from '../targets/target.js';
import type { OnlineDeps } from './preflight.js';
import { readSecretFile, secretFileExposure, writeOutputFile } from '../common/fs.js';
import { addShownSecrets } from '../common/shown-secrets.js';
import { writeReportFiles } from './report-files.js';
import { writeRejects } from './rejects.js';
import { leftOutClause } from '../report/rejects.js';
import { visibleWidth, wrapWords } from '../report/fit.js';
import { checkOutputPaths, exitAfterOutputs, unwrittenReason, withRunFields } from './outputs.js';
import { stringifyJson, writeJson } from '../common/json.js';
import { UsageError } from '../common/errors.js';

export async function runLoadCommand(cfg: Config, term: Terminal): Promise<number> {
  // Every target the same pipeline (src/targets/registry.ts): the profile, looked up once here,
  // gives the target's rules, the report's child items and the payloads.
  const definition = targetNamed(cfg.targetName);
  const profile = definition.profile(cfg.action);
  const targetName = profile.name;
  const emit: OnlineDeps['emitReport'] = (c, t, report, plan, target) => emitReport(c, t, report, { plan, profile, target });
  const rules = profile.rules(process.cwd());
  // A bad profile stops the run before any input file is read (exit 2, every problem listed).
  const mapping = cfg.mappingPath !== undefined ? await readMapping(cfg.mappingPath, shownPath(cfg.mappingPath)) : undefined;
  // Every output path before anything is read or sent (exit 2, nothing sent).
  checkOutputPaths(cfg);
  if (cfg.dryRun && cfg.online !== true && !cfg.showPayloads) return offlineDryRun(cfg, term, mapping, profile);
  // Listening while the batch is read, the online dry run too (its look-ups then go on listening, preflight.ts).
  const reader = readListener(cfg, term);
  let plan: Plan;
  // The inputs as read, looked at again just before the first write (send.ts).
  let read: readonly InputSource[] = [];
  try {
    plan = await readBatch(cfg.files, { encoding: cfg.encoding, stdin: process.stdin, mapping, rules, sheet: cfg.sheet, onWait: waitNotice(cfg, term), listen: reader?.listen, onRead: (sources) => (read = sources) });
  } catch (err) {
    reader.interrupts()?.dispose();
    if (!(err instanceof ReadInterrupted)) throw err;
    return interruptedRead(cfg, term, profile, (c, report, none) => emit(c, term, report, none));
  } finally {
    reader.doneReading();
  }
  const interrupts = reader.interrupts();

  // --dry-run --online: the offline checks above, then read-only look-ups in the target.
  if (cfg.dryRun && cfg.online === true) {
    const { runOnlineDryRun } = await import('./preflight.js');
    return runOnlineDryRun(cfg, term, plan, { emitReport: emit, readKeyFile, afterReport: (checked) => dryRunStopLine(cfg, term, batchStoppers(checked)) }, interrupts);
  }
  // A row with an invoice number and no vendor is not one of these: its invoices are held back
  // (invalid), and --skip-invalid loads the others (Plan.skippable).
  const stoppers = batchStoppers(plan);
  const blocked = hasErrors(plan) && (!cfg.skipInvalid || stoppers.length > 0);
  const valid = validInvoices(plan).length;
  if (cfg.dryRun || blocked || valid === 0) {
    // Nothing is sent: a signal from here on ends Node as usual.
    interrupts?.dispose();
    const report = buildReport({ target: targetName, dryRun: cfg.dryRun, plan, requests: 0, lineKeys: profile.lineKeys, invalidLines: profile.invalidLines, action: cfg.action?.kind });
    const unwritten = await emit(cfg, term, report, plan);
    // Why nothing was sent, whenever the file's problems are the reason (README "Exit codes
    // (for cron)", 3): a cron log holds this line and the exit code. An empty batch (a header
    // and no rows) is not refused: exit 0, no line.
    if (!cfg.dryRun && hasErrors(plan)) process.stderr.write(resultLine(term, term.errStyle.red(nothingSent(cfg, stoppers, valid)), ''));
    else if (cfg.dryRun) dryRunStopLine(cfg, term, stoppers);
    return exitAfterOutputs(term, cfg, exitCodeForReport(report, { sent: false }), unwritten, { sent: false });
  }
  // The sending half (engine, journal, HTTP client, sandbox) is loaded only when something is
  // sent: a dry run then starts in a fraction of the time (~0.2 s less, issue #5).
  const { sendPlan } = await import('./send.js');
  return sendPlan(cfg, term, plan, { emitReport: emit, readKeyFile }, definition, profile, interrupts, () => changedAfterRead(read));
}

/**
 * Which of the problems stop everything (`row 11 vendor`, `file` of a file): `one problem — a.csv
 * row 1 line_note [duplicate_column] — is the file's, not one invoice's, and stops`. The load's
 * refusal and verify's (cli/verify.ts) say it in these words.
 */
export function stoppersClause(stoppers: readonly Problem[]): string {
  // The file as the problems above name it (common/shown.ts shownFile: standard input as
  // `standard input`, not `-`), as payments' line names it (cli/payments.ts notSentText).
  const batchErrors = stoppers.map((p) => `${shownFile(p.file)}${p.row !== undefined ? ` row ${p.row}` : ''}${p.column !== undefined ? ` ${p.column}` : ''} [${p.code}]`);
  return batchErrors.length === 1
    ? `one problem — ${batchErrors[0]} — is the file's, not one invoice's, and stops`
    : `${batchErrors.length} problems — ${batchErrors.slice(0, 3).join(', ')}${batchErrors.length > 3 ? ', …' : ''} — are the file's, not one invoice's, and stop`;
}

/**
 * The line after the summary of a load refused by the file's own problems. It suggests
 * --skip-invalid only when that would load something (how many): with every invoice invalid
 * the suggestion was no way out, and with --skip-invalid given the run said nothing at all.
 */
function nothingSent(cfg: Config, stoppers: readonly Problem[], valid: number): string {
  // With --json the problems are in the document on stdout, not above on the terminal.
  // The file's own problems are in the document's `issues`, an invoice's in its `invoices[].issues`.
  const fix = cfg.json ? "fix the problems listed in the report (its issues and each invoice's issues)" : 'fix the problems above';
  if (stoppers.length > 0) return `Nothing was sent: ${fix} (${stoppersClause(stoppers)} the whole batch, even with --skip-invalid).`;
  if (valid === 0) return `Nothing was sent: no invoice in the ${cfg.files.length === 1 ? 'file' : 'files'} is valid; ${fix}.`;
  // Here --skip-invalid was not given: with it, no stopper and a valid invoice, the load is sent (load() above).
  return `Nothing was sent: ${fix}, or pass --skip-invalid to load the ${valid === 1 ? 'one valid invoice' : `${valid.toLocaleString('en-US')} valid invoices`} only.`;
}

/**
 * A dry run whose file has a problem that stops the whole batch lists its valid invoices as
 * planned, yet a load of it would send none (`nothingSent`): said after the report, on stderr as a
 * load says it, so the dry run a librarian runs first does not promise what the load refuses.
 */
function dryRunStopLine(cfg: Config, term: Terminal, stoppers: readonly Problem[]): void {
  if (stoppers.length === 0) return;
  const fix = cfg.json ? 'fix the problems listed in the report (its issues)' : 'fix the problems above';
  process.stderr.write(resultLine(term, term.errStyle.red(`A load would send nothing: ${fix} (${stoppersClause(stoppers)} the whole batch, even with --skip-invalid).`), ''));
}

/**
 * The plain dry run streams: each invoice becomes its report line as soon as it is checked, and
 * the built invoice is dropped. A million-row file then needs memory for its report, not for
 * 100k invoices, and no batch id is computed (nothing is journaled). Same report as a plan gives.
 */
async function offlineDryRun(cfg: Config, term: Terminal, mapping: MappingProfile | undefined, profile: TargetProfile): Promise<number> {
  // Listening while it reads, as a load does: a Ctrl-C during a big workbook's read ended Node at
  // once, and the sheet parked in a temporary file (src/input/xlsx-zip.ts) was left behind.
  const reader = readListener(cfg, term);
  // Only what the report shows is built of each valid invoice (its header and line numbers).
  const batchOpts = { encoding: cfg.encoding, stdin: process.stdin, mapping, rules: profile.rules(process.cwd()), sheet: cfg.sheet, onWait: waitNotice(cfg, term), build: outlineInvoice, listen: reader.listen };
  let scanned: { entries: ReturnType<typeof reportInvoice>[]; issues: Problem[]; skippable: Problem[] };
  try {
    scanned = await scanBatch(cfg.files, batchOpts, (g) => reportInvoice(g, undefined, true, profile.lineKeys, profile.invalidLines));
  } catch (err) {
    if (!(err instanceof ReadInterrupted)) throw err;
    return interruptedRead(cfg, term, profile, (c, report) => emitReport(c, term, report));
  } finally {
    reader.doneReading();
    // Nothing is sent: a signal from here on ends Node as usual.
    reader.interrupts()?.dispose();
  }
  const { entries, issues, skippable } = scanned;
  const report = dryRunReport(profile.name, entries, issues, cfg.action?.kind);
  const unwritten = await emitReport(cfg, term, report);
  dryRunStopLine(cfg, term, batchStoppers({ issues, skippable }));
  return exitAfterOutputs(term, cfg, exitCodeForReport(report, { sent: false }), unwritten, { sent: false });
}

/**
 * Listening for Ctrl-C, SIGTERM and SIGHUP while the batch is read (`BatchOptions.listen`): a
 * signal while a big batch is read or planned ends the run with exit 130 and its report, as one
 * during the sending does, not with the signal's default (143, no --json document, no --report,
 * a workbook's temporary file left behind). It starts once the inputs are open: a FIFO waiting for
 * its writer still ends at a signal. `interrupts()` is the listener once started (a load hands it
 * on to the sending); `doneReading()` is called when the read ends, either way.
 */
function readListener(cfg: Config, term: Terminal): { listen: () => AbortSignal; interrupts: () => Interrupts | undefined; doneReading: () => void } {
  let interrupts: Interrupts | undefined;
  let reading = true;
  const listen = (): AbortSignal => {
    // --verbose says the signal came (a read of a big file, or of a pipe, may take a while yet).
    const listening = (interrupts = listenForInterrupts((line) => void (cfg.verbose && process.stderr.write(term.errStyle.yellow(line) + '\n'))));
    // A read blocked on a pipe whose writer stalls cannot be called off, so the first signal
    // waits for its next chunk; a second one is Node's own again: the run ends at once.
    listening.hard.addEventListener('abort', () => {
      if (reading) {
        listening.dispose();
        process.kill(process.pid, 'SIGINT');
      }
    });
    if (cfg.verbose) process.stderr.write(term.errStyle.dim(`reading ${cfg.files.map((f) => (f === '-' ? 'standard input' : oneLine(f))).join(', ')}`) + '\n');
    return listening.soft;
  };
  return {
    listen,
    interrupts: () => interrupts,
    doneReading: () => {
      reading = false;
    },
  };
}

/** A run a signal stopped while its batch was read: said, its report (`"stopped": "interrupted"`, nothing in it) written, exit 130. */
async function interruptedRead(cfg: Config, term: Terminal, profile: TargetProfile, emit: (cfg: Config, report: ReportDocument, none: Plan) => Promise<string[]>): Promise<number> {
  process.stderr.write(term.errStyle.red('invoice-load: interrupted while the batch was read; nothing was sent') + '\n');
  // No rows were checked: a --rejects file written now would say "no rejected rows" of a batch
  // that may hold many (and replace the one a finished run wrote), so it is not written.
  if (cfg.rejectsPath !== undefined && !cfg.quiet) process.stderr.write(term.errStyle.yellow(`${oneLine(cfg.rejectsPath)} was not written: the batch was not read to its end`) + '\n');
  const none = buildPlan([], []);
  const report = buildReport({ target: profile.name, dryRun: cfg.dryRun, plan: none, requests: 0, lineKeys: profile.lineKeys, invalidLines: profile.invalidLines, action: cfg.action?.kind, stopped: 'interrupted' });
  const unwritten = await emit({ ...cfg, rejectsPath: undefined }, report, none);
  return exitAfterOutputs(term, cfg, exitCodeForReport(report, { sent: false }), unwritten, { sent: false });
}

/**
 * With --verbose, says that a named pipe is being opened: the run waits, without a word
 * otherwise, until something writes to it (a FIFO without a writer is allowed).
 */
function waitNotice(cfg: Config, term: Terminal): ((path: string) => void) | undefined {
  return cfg.verbose ? (path) => void process.stderr.write(term.errStyle.dim(`waiting for a writer on ${oneLine(path)}`) + '\n') : undefined;
}

/**
 * What `--show-payloads` shows: the plan, the target's profile and, on a run that opened the
 * target, the target itself, whose bodies are the ones it sent (or would send, after its
 * look-ups) — Alguna's generation and Idempotency-Key are known only then.
 */
interface Shown {
  plan: Plan;
  profile: TargetProfile;
  target?: Target | undefined;
}

const shownPayloads = (shown: Shown, inv: Invoice): ShownPayloads => (shown.target ?? shown.profile).payloads(inv);
const shownPreview = (shown: Shown, inv: Invoice): PayloadPreview[] => shown.target?.preview?.(inv) ?? shown.profile.preview(inv);

/**
 * Writes the run's files and prints the report. `shown` (the plan, the target's profile, the
 * opened target) is needed for `--show-payloads` only.
 * A file that cannot be written (checked before the run, so only if something changed since)
 * does not hide the summary: it is printed, and the files' lines are returned, one each, for
 * exitAfterOutputs (outputs.ts) to end the run with.
 */
export async function emitReport(given: Config, term: Terminal, bare: ReportDocument, givenShown?: Shown): Promise<string[]> {
  // The outputs named inside folders take one suffix together (config.ts claimRunOutputs).
  const outputs = claimRunOutputs(given);
  try {
    return await emitClaimed(outputs.cfg, term, bare, givenShown);
  } finally {
    outputs.release();
  }
}

async function emitClaimed(cfg: Config, term: Terminal, bare: ReportDocument, givenShown?: Shown): Promise<string[]> {
  // A batch action (Exsited's cancel/reactivate) sends the action profile's request, not the
  // create the target's own bodies describe: its profile says what was sent.
  const shown = givenShown !== undefined && cfg.action !== undefined ? { ...givenShown, target: undefined } : givenShown;
  const report = withRunFields(bare, cfg, cfg.startedAt ?? new Date(), new Date());
  const failures: string[] = [];
  /** The files written, as `what: path`, said after the summary (a path from the config file is not on the command line). */
  const filesWritten: Written[] = [];
  let rejectsWritten: Written | undefined;
  const attempt = async (what: () => unknown): Promise<void> => {
    try {
      await what();
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      failures.push(err.message);
    }
  };
  if (cfg.rejectsPath !== undefined) {
    const mapping = cfg.mappingPath !== undefined ? await readMapping(cfg.mappingPath, shownPath(cfg.mappingPath)) : undefined;
    await attempt(async () => {
      const written = await writeRejects(report, { path: cfg.rejectsPath!, files: cfg.files, encoding: cfg.encoding, mapping, sheet: cfg.sheet, claim: outputClaim(cfg, cfg.rejectsPath!) });
      const n = written.unread.length;
      const g = written.gone.length;
      const unread =
        (n === 0 ? '' : `; not in it: ${written.unread.slice(0, 3).join(', ')}${n > 3 ? ', …' : ''}, which could not be read as ${n === 1 ? 'a row' : 'rows'} (see ${n === 1 ? 'its error' : 'their errors'} above) — fix ${n === 1 ? 'it' : 'them'} in the input`) +
        (g === 0 ? '' : `; not in it: the rejected rows of ${written.gone.map(shownPath).join(', ')}, which could not be opened again (moved or deleted since ${g === 1 ? 'it was' : 'they were'} read) — the report names them`);
      // An invoice the run stopped on, or one that failed for a transient cause, has nothing to correct: the same command finishes it.
      const leftOut = leftOutClause(written.leftOut);
      rejectsWritten = { path: shownPath(written.path), what: `(${written.rows === 0 ? 'no rejected rows' : written.rows === 1 ? '1 rejected row' : `${written.rows.toLocaleString('en-US')} rejected rows`}${unread}${leftOut})` };
      // The profile reads the vendor's layout, and these rows are in the canonical one.
      if (written.canonical && written.rows > 0 && mapping !== undefined && !cfg.quiet) {
        process.stderr.write(term.errStyle.dim(`${written.path} has the canonical columns (the input was not one CSV layout): load it without --mapping`) + '\n');
      }
      // Not --quiet's to hide: an empty rejects file would read as "nothing to reject".
      if (written.fromStdin > 0) {
        const rows = written.fromStdin === 1 ? '1 rejected row' : `${written.fromStdin} rejected rows`;
        process.stderr.write(term.errStyle.yellow(`${rows} read from standard input ${written.fromStdin === 1 ? 'is' : 'are'} not in ${written.path}: standard input cannot be read again; give the file by its name to have ${written.fromStdin === 1 ? 'it' : 'them'} there`) + '\n');
      }
    });
  }
  if (cfg.reportPath) {
    await attempt(() => {
      let path: string;
      try {
        // In pieces, like --json: the same text as JSON.stringify(report, null, 2) (report documents
        // are plain data), without one string of the whole report.
        path = writeOutputFile(
          cfg.reportPath!,
          (write) => {
            writeJson(report, 2, write, { plain: true });
            write('\n');
          },
          { claim: outputClaim(cfg, cfg.reportPath!) },
        );
      } catch (err) {
        // A path mistake (a folder made a file, a full disk), not a bug: exitAfterOutputs says so.
        throw new UsageError(`cannot write the report to ${cfg.reportPath}: ${unwrittenReason(cfg.reportPath!, err)}`);
      }
      filesWritten.push({ path: shownPath(path), what: '(the report)' });
    });
  }
  await attempt(() => {
    const written = writeReportFiles(cfg, report);
    if (written.csv !== undefined) filesWritten.push({ path: shownPath(written.csv), what: '(the report as CSV)' });
    if (written.html !== undefined) filesWritten.push({ path: shownPath(written.html), what: '(the report as HTML)' });
  });
  // --quiet, for cron's mail-on-output: a load that went well has nothing to say (the exit code
  // says it). A file not written is a problem: the summary is then the run's record.
  if (!(cfg.quiet && !cfg.json && failures.length === 0 && wentWell(report))) printReport(cfg, term, report, shown);
  if (rejectsWritten !== undefined) filesWritten.push(rejectsWritten);
  if (filesWritten.length > 0 && !cfg.quiet) {
    // Beside the summary; with --json, stdout holds the document alone.
    if (cfg.json) process.stderr.write(writtenLines(filesWritten, term.errColumns).map((l) => term.errStyle.dim(l)).join('\n') + '\n');
    else process.stdout.write(writtenLines(filesWritten, term.outColumns).map((l) => term.outStyle.dim(l)).join('\n') + '\n');
  }
  return failures;
}

/** A file the run wrote, for the `Written:` line: its path as shown, and what it is (`(the report)`). */
export interface Written {
  path: string;
  what: string;
}

/**
 * `Written: r.json (the report), r.html (the report as HTML).` — on a terminal `width` wide broken
 * between the files, as the summary's prose above it is broken between words (report/fit.ts
 * proseText), never inside a path: a path may hold spaces (`My Reports/batch report.json`), and
 * is copied whole from the terminal. A file whose path and words do not fit a row together is
 * broken after its path and between its words; a path wider than the window stays whole on a
 * row of its own. In a file or a pipe (`width` undefined) one line, for grep.
 */
export function writtenLines(files: readonly Written[], width: number | undefined): string[] {
  const entries = files.map((f, i) => `${f.path} ${f.what}${i === files.length - 1 ? '.' : ','}`);
  const line = `Written: ${entries.join(' ')}`;
  if (width === undefined || !(width > 0) || visibleWidth(line) <= width) return [line];
  const words = ['Written:'];
  files.forEach((f, i) => {
    if (visibleWidth(entries[i]!) <= width) words.push(entries[i]!);
    else words.push(f.path, ...entries[i]!.slice(f.path.length + 1).split(' '));
  });
  return wrapWords(words, width);
}

/**
 * A load with nothing needing attention: every invoice loaded (or already), none in review,
 * no warning anywhere, not stopped (README: `--quiet`).
 */
function wentWell(report: ReportDocument): boolean {
  const s = report.summary;
  return (
    !report.dry_run &&
    report.stopped === undefined &&
    s.failed === 0 &&
    s.invalid === 0 &&
    s.in_review === 0 &&
    s.planned === 0 &&
    report.issues.length === 0 &&
    report.invoices.every((i) => i.issues.length === 0) &&
    report.canary?.status !== 'failed'
  );
}

function printReport(cfg: Config, term: Terminal, report: ReportDocument, shown?: Shown): void {
  if (cfg.json) {
    const doc = cfg.showPayloads && shown !== undefined ? withPayloads(report, shown) : report;
    // In pieces: the report of a million-row file is 100+ MB of JSON.
    // Report documents are plain data (test/shared/write-json.test.ts); payloads are not.
    writeJson(doc, 2, (text) => process.stdout.write(text), { plain: doc === report });
    process.stdout.write('\n');
    return;
  }
  process.stdout.write(renderHuman(report, term.outStyle, { width: term.outColumns, ascii: term.ascii, quiet: cfg.quiet, label: targetNamed(report.target).label, online: targetNamed(report.target).preflight !== undefined, verbose: cfg.verbose }));
  if (cfg.showPayloads && shown !== undefined) {
    for (const inv of validInvoices(shown.plan)) {
      shownPreview(shown, inv).forEach((p, i) => {
        const heading = i === 0 ? `\n# ${inv.key.vendor} ${inv.key.number}: ${p.heading}` : `# ${p.heading}`;
        process.stdout.write(`${heading}\n${stringifyJson(p.body, 2)}\n`);
      });
    }
  }
}

function withPayloads(report: ReportDocument, shown: Shown): unknown {
  const byKey = new Map(validInvoices(shown.plan).map((inv) => [`${inv.key.vendor}\u0000${inv.key.number}`, inv]));
  return {
    ...report,
    invoices: report.invoices.map((r) => {
      const inv = byKey.get(`${r.vendor}\u0000${r.number}`);
      return inv ? { ...r, payload: shownPayloads(shown, inv) } : r;
    }),
  };
}

export function readKeyFile(path: string, warn: (line: string) => void = warnLine): string {
  const { text, mode } = readSecretFile(path, 'the API key file');
  const key = text.trim();
  // Masked in this run's messages from now on, as ALMA_API_KEY is (cli/secrets.ts).
  addShownSecrets(key);
  const exposed = secretFileExposure('the API key file', path, mode);
  if (exposed !== undefined) warn(exposed);
  if (key === '') throw new UsageError(`the API key file ${path} is empty`);
  const why = unsendableReason(key);
  if (why !== undefined) throw new UsageError(`the API key in ${path} cannot be sent to Alma: ${why}`);
  return key;
}

/** A path as the user probably typed it: relative when under the working directory. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return oneLine(rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path);
}

/** The `--mapping` profile; its validation (zod) is imported only by a run that has one. */
async function readMapping(path: string, shownAs: string): Promise<MappingProfile> {
  const { readMappingProfile } = await import('./mapping-command.js');
  return readMappingProfile(path, shownAs);
}

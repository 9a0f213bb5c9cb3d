/**
 * `--dry-run --online`: after the offline checks, read-only look-ups against the target (or its
 * embedded sandbox) for the valid invoices, folded into the same report. The I/O edge of each
 * target definition's `preflight` (Alma's: src/targets/alma/preflight.ts): progress on stderr,
 * the stops a load's checks also stop on, the report and the exit code.
 */
import type { Config } from './config.js';
import { warnLine, type Terminal } from './terminal.js';
import { createProgress } from './progress.js';
import { exitCodeForReport } from './exit.js';
import { exitAfterOutputs } from './outputs.js';
import { buildReport, type ReportDocument } from '../report/report.js';
import { validInvoices, type Plan } from '../plan/plan.js';
import { applyPreflight } from '../plan/preflight.js';
import type { Target, TargetEvent } from '../targets/target.js';
import { ExitCode, keyRefusedText, runStopOf, UsageError, type ApiError } from '../common/errors.js';
import { retryAfterText, retryAfterUntil } from '../engine/events.js';
import { targetNamed } from '../targets/registry.js';
import { listenForInterrupts, signalsDispatched, type Interrupts } from './interrupts.js';

export interface OnlineDeps {
  /**
   * Writes the run's files and prints the report; the lines of the files it could not write.
   * `target`: the run's opened target, whose bodies `--show-payloads` then shows (load.ts).
   */
  emitReport(cfg: Config, term: Terminal, report: ReportDocument, plan: Plan, target?: Target): Promise<string[]>;
  readKeyFile(path: string): string;
  /**
   * Said on stderr after the report of look-ups that ran to their end (load.ts dryRunStopLine):
   * a file-level problem stops the whole batch, so a load would send none of the invoices the
   * report lists as planned — as the plain dry run says it.
   */
  afterReport?: (plan: Plan) => void;
}

/**
 * `reading`: the listener the batch's read started (load.ts readListener), if it did; the
 * look-ups go on with it, or with their own. Read-only, so the first Ctrl-C, SIGTERM or SIGHUP
 * ends the look-ups in flight at once: the run says it was interrupted, writes its report
 * (`"stopped": "interrupted"`) and exits 130, as a load stopped before sending does — it used to
 * end by the signal, silently, with no report.
 */
export async function runOnlineDryRun(cfg: Config, term: Terminal, offline: Plan, deps: OnlineDeps, reading?: Interrupts): Promise<number> {
  const def = targetNamed(cfg.targetName);
  // The target's settings refuse --online without somewhere to look; this guards the invariant.
  if (def.preflight === undefined || cfg.target === undefined) {
    reading?.dispose();
    throw new UsageError(`--online needs somewhere to look for ${def.label}: --sandbox, or its URL and credentials`);
  }
  const invoices = validInvoices(offline);
  const progress = createProgress({ stream: process.stderr, interactive: false, quiet: cfg.quiet, verbose: cfg.verbose, style: term.errStyle });
  let requests = 0;
  const onEvent = (event: TargetEvent): void => {
    if (event.type === 'request' && event.unsent !== true) requests++;
    progress.onEvent({ type: 'target', event });
  };
  // Nothing to wait for: the first signal ends the reads (no notice of a second one to come).
  const signals = reading ?? listenForInterrupts(() => undefined);
  signals.setNotice(() => undefined);
  let outcome;
  try {
    outcome = await def.preflight(cfg.target, invoices, {
      transport: { rate: cfg.rate, timeoutMs: cfg.timeoutMs, maxRetries: cfg.maxRetries, signal: signals.soft, onEvent, proxy: cfg.proxy },
      info: (line) => progress.info(term.errStyle.dim(line)),
      warn: warnLine,
      env: process.env,
      readKeyFile: deps.readKeyFile,
      rate: cfg.rate,
      pollTimeoutMs: cfg.pollTimeoutMs,
    });
  } catch (err) {
    progress.stop();
    try {
      if (signals.soft.aborted) {
        process.stderr.write(term.errStyle.red(`invoice-load: interrupted while checking against ${def.label} (read-only); nothing was sent`) + '\n');
        const report = buildReport({ target: def.name, dryRun: true, plan: offline, requests, stopped: 'interrupted' });
        return exitAfterOutputs(term, cfg, exitCodeForReport(report, { sent: false }), await deps.emitReport(cfg, term, report, offline), { sent: false });
      }
    } finally {
      signals.dispose();
    }
    // Worded as a load's checks word them (src/cli/send.ts), for every target.
    const stop = runStopOf(err);
    if (stop === 'auth') {
      process.stderr.write(term.errStyle.red(`invoice-load: ${keyRefusedText(err as ApiError, def.label)}; nothing was checked online`) + '\n');
      return ExitCode.auth;
    }
    if (stop === 'daily_limit') {
      process.stderr.write(term.errStyle.red("invoice-load: the institution's daily API threshold is used up; run the online checks again after midnight") + '\n');
      return ExitCode.someFailed;
    }
    if (stop === 'retry_after') {
      process.stderr.write(term.errStyle.red(`invoice-load: ${retryAfterText(err, def.label)}; run the online checks again after ${retryAfterUntil(err)}`) + '\n');
      return ExitCode.someFailed;
    }
    throw err;
  }
  progress.stop();
  // Listening until the outputs are written, as the read and the look-ups did: a signal now (the
  // --rejects file re-reads the input, the report may be large) is this run's, said and exit 130
  // with the report written whole — it took Node's default end, with no line and no report.
  try {
    const plan = applyPreflight(offline, outcome.problems);
    const report = buildReport({ target: def.name, dryRun: true, plan, requests: outcome.report.requests, preflight: outcome.report });
    const unwritten = await deps.emitReport(cfg, term, report, plan);
    deps.afterReport?.(plan);
    await signalsDispatched();
    if (signals.soft.aborted) {
      process.stderr.write(term.errStyle.red(`invoice-load: interrupted as the report was written, after the checks against ${def.label} (read-only); nothing was sent`) + '\n');
      return exitAfterOutputs(term, cfg, ExitCode.interrupted, unwritten, { sent: false });
    }
    return exitAfterOutputs(term, cfg, exitCodeForReport(report, { sent: false }), unwritten, { sent: false });
  } finally {
    signals.dispose();
  }
}

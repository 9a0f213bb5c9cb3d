/**
 * `--dry-run --online`: after the offline checks, read-only look-ups against the target (or its
 * embedded sandbox) for the valid invoices, folded into the same report. The I/O edge of each
 * target definition's `preflight` (Alma's: src/targets/alma/preflight.ts): progress on stderr,
 * the stops a load's checks also stop on, the report and the exit code.
 */
import type { Config } from './config.js';
import type { Terminal } from './terminal.js';
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

export interface OnlineDeps {
  /**
   * Writes the run's files and prints the report; the lines of the files it could not write.
   * `target`: the run's opened target, whose bodies `--show-payloads` then shows (load.ts).
   */
  emitReport(cfg: Config, term: Terminal, report: ReportDocument, plan: Plan, target?: Target): Promise<string[]>;
  readKeyFile(path: string): string;
}

export async function runOnlineDryRun(cfg: Config, term: Terminal, offline: Plan, deps: OnlineDeps): Promise<number> {
  const def = targetNamed(cfg.targetName);
  // The target's settings refuse --online without somewhere to look; this guards the invariant.
  if (def.preflight === undefined || cfg.target === undefined) throw new UsageError(`--online needs somewhere to look for ${def.label}: --sandbox, or its URL and credentials`);
  const invoices = validInvoices(offline);
  const progress = createProgress({ stream: process.stderr, interactive: false, quiet: cfg.quiet, verbose: cfg.verbose, style: term.errStyle });
  const onEvent = (event: TargetEvent): void => progress.onEvent({ type: 'target', event });
  let outcome;
  try {
    // Read-only: a Ctrl-C ends the process (nothing to save), so this signal is never aborted.
    const signal = new AbortController().signal;
    outcome = await def.preflight(cfg.target, invoices, {
      transport: { rate: cfg.rate, timeoutMs: cfg.timeoutMs, maxRetries: cfg.maxRetries, signal, onEvent, proxy: cfg.proxy },
      info: (line) => progress.info(term.errStyle.dim(line)),
      env: process.env,
      readKeyFile: deps.readKeyFile,
      rate: cfg.rate,
      pollTimeoutMs: cfg.pollTimeoutMs,
    });
  } catch (err) {
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
  } finally {
    progress.stop();
  }
  const plan = applyPreflight(offline, outcome.problems);
  const report = buildReport({ target: def.name, dryRun: true, plan, requests: outcome.report.requests, preflight: outcome.report });
  const unwritten = await deps.emitReport(cfg, term, report, plan);
  return exitAfterOutputs(term, cfg, exitCodeForReport(report, { sent: false }), unwritten, { sent: false });
}

/**
 * The one place that turns outcomes and errors into exit codes (README "Exit codes"):
 * 0 all loaded · 1 internal error · 2 usage/configuration · 3 invalid input, nothing sent ·
 * 4 some invoices failed (a re-run finishes them) · 5 key refused · 130 interrupted.
 */
import { CommanderError } from 'commander';
import { ExitCode, UsageError, AuthError, DailyLimitError, InterruptedError, isUnreachable, RetryAfterError } from '../common/errors.js';
import { oneLine } from '../common/shown.js';
import type { ReportDocument } from '../report/report.js';
import { pathReason } from '../common/path-reasons.js';

/**
 * An operating-system error on a path (a `NodeJS.ErrnoException` with `path`) — every path the
 * CLI touches is one the user gave or chose (input, state dir, reports, key and config files) —
 * as a one-line usage error naming the path; undefined for anything else.
 */
export function pathError(err: unknown): UsageError | undefined {
  if (!(err instanceof Error)) return undefined;
  const { path, dest } = err as NodeJS.ErrnoException & { dest?: string };
  const reason = pathReason(err);
  if (typeof path !== 'string' || reason === undefined) return undefined;
  return new UsageError(`cannot use '${oneLine(dest ?? path)}': ${reason}`, { cause: err });
}

export function exitCodeForError(err: unknown): ExitCode {
  if (err instanceof CommanderError) {
    // --help and --version are successes; everything else commander refuses is a usage error
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (err instanceof UsageError) return ExitCode.usage;
  if (err instanceof AuthError) return ExitCode.auth;
  if (err instanceof DailyLimitError || err instanceof RetryAfterError) return ExitCode.someFailed;
  // A target that cannot be reached at all (no such host, nothing listening, TLS) outside the engine.
  if (isUnreachable(err)) return ExitCode.someFailed;
  if (err instanceof InterruptedError) return ExitCode.interrupted;
  if (pathError(err) !== undefined) return ExitCode.usage;
  return ExitCode.internal;
}

/** Any report of the same shape as a load's (the load, `payments`, `export`). */
type ExitShape = Pick<ReportDocument, 'stopped' | 'issues'> & { summary: Pick<ReportDocument['summary'], 'failed' | 'invalid'> };

export function exitCodeForReport(report: ExitShape, opts: { sent: boolean }): ExitCode {
  if (report.stopped === 'auth') return ExitCode.auth;
  if (report.stopped === 'interrupted') return ExitCode.interrupted;
  const s = report.summary;
  const fileErrors = report.issues.some((p) => p.severity === 'error');
  if (!opts.sent) return s.invalid > 0 || fileErrors ? ExitCode.invalidInput : ExitCode.ok;
  // A row --skip-invalid left behind (one with an invoice number and no vendor, whose number no
  // invoice has) is an error of `issues` alone: the run did not load all of the batch.
  if (report.stopped !== undefined || s.failed > 0 || s.invalid > 0 || fileErrors) return ExitCode.someFailed;
  return ExitCode.ok;
}

/**
 * A run that may have sent something, and then could not write a report file (`--report`,
 * `--report-csv`, `--report-html`, `--rejects`): its own code stands (4, 5, 130), and a success
 * becomes 1, as when standard output cannot be written (README "Exit codes"). Never 2, which
 * says nothing was sent.
 */
export function exitCodeWithUnwrittenOutputs(code: ExitCode): ExitCode {
  return code === ExitCode.ok ? ExitCode.internal : code;
}

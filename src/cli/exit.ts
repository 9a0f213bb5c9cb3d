/**
 * The one place that turns outcomes and errors into exit codes (README "Exit codes"):
 * 0 all loaded · 1 internal error · 2 usage/configuration · 3 invalid input, nothing sent ·
 * 4 some invoices failed (a re-run finishes them) · 5 key refused · 130 interrupted.
 */
import { CommanderError } from 'commander';
import { ExitCode, UsageError, AuthError, DailyLimitError, InterruptedError } from '../shared/errors.js';
import type { ReportDocument } from '../report/report.js';

export function exitCodeForError(err: unknown): ExitCode {
  if (err instanceof CommanderError) {
    // --help and --version are successes; everything else commander refuses is a usage error
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (err instanceof UsageError) return ExitCode.usage;
  if (err instanceof AuthError) return ExitCode.auth;
  if (err instanceof DailyLimitError) return ExitCode.someFailed;
  if (err instanceof InterruptedError) return ExitCode.interrupted;
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
  if (report.stopped === 'daily_limit' || s.failed > 0 || s.invalid > 0) return ExitCode.someFailed;
  return ExitCode.ok;
}

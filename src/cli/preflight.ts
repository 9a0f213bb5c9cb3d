/**
 * `--dry-run --online`: after the offline checks, read-only look-ups against Alma (or the
 * embedded sandbox) for the valid invoices, folded into the same report. The I/O edge of
 * src/targets/alma/preflight.ts: the sandbox, the key, the client and its limiter, stderr.
 */
import type { Config } from './config.js';
import type { Terminal } from './terminal.js';
import { createProgress } from './progress.js';
import { exitCodeForReport } from './exit.js';
import { buildReport, type ReportDocument } from '../report/report.js';
import { validInvoices, type Plan } from '../plan/plan.js';
import { applyPreflight } from '../plan/preflight.js';
import { limiterFor } from '../transport/http.js';
import { createAlmaHttpClient } from '../targets/alma/client.js';
import { runPreflight, type PreflightOutcome } from '../targets/alma/preflight.js';
import type { TargetEvent } from '../targets/target.js';
import { almaPlace, type AlmaSettings } from '../targets/alma/index.js';
import { AuthError, DailyLimitError, ExitCode, keyRefusedText, UsageError } from '../common/errors.js';
import { targetNamed } from '../targets/registry.js';

export interface OnlineDeps {
  emitReport(cfg: Config, term: Terminal, report: ReportDocument, plan: Plan): Promise<void>;
  readKeyFile(path: string): string;
}

export async function runOnlineDryRun(cfg: Config, term: Terminal, offline: Plan, deps: OnlineDeps): Promise<number> {
  // A target with its own preflight (the definition's `preflight`, e.g. FOLIO's).
  if (cfg.targetName !== 'alma') return runTargetPreflight(cfg, term, offline, deps);
  // resolveConfig refuses --online for a target other than Alma, and without a target; this guards the invariant.
  const target = cfg.targetName === 'alma' ? (cfg.target as AlmaSettings | undefined) : undefined;
  if (target === undefined) throw new UsageError('--online needs a target: --sandbox, or --region / --alma-url with ALMA_API_KEY');
  const invoices = validInvoices(offline);
  const progress = createProgress({ stream: process.stderr, interactive: false, quiet: cfg.quiet, verbose: cfg.verbose, style: term.errStyle });
  const cleanups: (() => Promise<void> | void)[] = [];
  let remaining: number | undefined;
  let outcome: PreflightOutcome;
  try {
    // The same sandbox state a `--sandbox` load uses, so the preflight sees what earlier runs created.
    const place = await almaPlace(target, { info: () => undefined, env: process.env, readKeyFile: deps.readKeyFile }, 'check');
    cleanups.push(() => place.close());
    const where = place.where;
    const onEvent = (event: TargetEvent): void => {
      // The budget left after the preflight's own requests: the smallest value any answer carried.
      if (event.type === 'remaining') remaining = remaining === undefined ? event.remaining : Math.min(remaining, event.remaining);
      progress.onEvent({ type: 'target', event });
    };
    // The same client and pacing as the load (createAlmaTarget): look-ups count against --rate.
    const http = createAlmaHttpClient({ ...place.client, limiter: limiterFor({ rate: cfg.rate, onEvent }), timeoutMs: cfg.timeoutMs, maxRetries: cfg.maxRetries, onEvent, proxy: cfg.proxy });
    cleanups.push(() => http.close().catch(() => undefined));
    if (invoices.length > 0) progress.info(term.errStyle.dim(`checking ${invoices.length} invoice${invoices.length === 1 ? '' : 's'} (read-only) against ${where}`));
    try {
      outcome = await runPreflight(invoices, { http, rate: cfg.rate, pollTimeoutMs: cfg.pollTimeoutMs, remaining: () => remaining });
    } catch (err) {
      if (err instanceof AuthError) {
        process.stderr.write(term.errStyle.red(`invoice-load: ${keyRefusedText(err, 'Alma')}; nothing was checked online`) + '\n');
        return ExitCode.auth;
      }
      if (err instanceof DailyLimitError) {
        process.stderr.write(
          term.errStyle.red("invoice-load: the institution's daily API threshold is used up; run the online checks again after midnight") + '\n',
        );
        return ExitCode.someFailed;
      }
      throw err;
    }
  } finally {
    progress.stop();
    for (const c of cleanups.reverse()) await c();
  }
  const plan = applyPreflight(offline, outcome.problems);
  const report = buildReport({ target: 'alma', dryRun: true, plan, requests: outcome.report.requests, preflight: outcome.report });
  await deps.emitReport(cfg, term, report, plan);
  return exitCodeForReport(report, { sent: false });
}

/** `--dry-run --online` through a target definition's own `preflight`, with the same progress, exit codes and report. */
async function runTargetPreflight(cfg: Config, term: Terminal, offline: Plan, deps: OnlineDeps): Promise<number> {
  const def = targetNamed(cfg.targetName);
  if (def.preflight === undefined || cfg.target === undefined) throw new UsageError(`--online needs somewhere to look for ${def.label}: --sandbox, or its URL and credentials`);
  const invoices = validInvoices(offline);
  const progress = createProgress({ stream: process.stderr, interactive: false, quiet: cfg.quiet, verbose: cfg.verbose, style: term.errStyle });
  const onEvent = (event: TargetEvent): void => progress.onEvent({ type: 'target', event });
  let outcome;
  try {
    const signal = new AbortController().signal;
    outcome = await def.preflight(cfg.target, invoices, {
      transport: { rate: cfg.rate, timeoutMs: cfg.timeoutMs, maxRetries: cfg.maxRetries, signal, onEvent, proxy: cfg.proxy },
      info: (line) => progress.info(term.errStyle.dim(line)),
      env: process.env,
      readKeyFile: deps.readKeyFile,
      rate: cfg.rate,
    });
  } catch (err) {
    if (err instanceof AuthError) {
      process.stderr.write(term.errStyle.red(`invoice-load: ${err.message}; nothing was checked online`) + '\n');
      return ExitCode.auth;
    }
    throw err;
  } finally {
    progress.stop();
  }
  const plan = applyPreflight(offline, outcome.problems);
  const report = buildReport({ target: def.name, dryRun: true, plan, requests: outcome.report.requests, preflight: outcome.report });
  await deps.emitReport(cfg, term, report, plan);
  return exitCodeForReport(report, { sent: false });
}

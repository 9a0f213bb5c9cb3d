/**
 * The sending half of the default command: target (Alma, its sandbox, Exsited, Alguna) ⇄
 * engine with journal and lock, signals and progress, then the report. `load.ts` imports it
 * only when a batch is sent, so a dry run never loads the engine, the HTTP client or the sandbox.
 */
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from './config.js';
import type { Terminal } from './terminal.js';
import type { OnlineDeps } from './preflight.js';
import { createProgress } from './progress.js';
import { exitCodeForReport } from './exit.js';
import { buildReport } from '../report/report.js';
import { validInvoices, type Plan } from '../plan/plan.js';
import { applyPreflight } from '../plan/preflight.js';
import { AuthError, DailyLimitError, type ApiError } from '../shared/errors.js';
import { DEFAULT_POLL, isUnreachable, runInvoices, type RunOutcome } from '../engine/engine.js';
import { DEFAULT_SETTLE } from '../engine/settle.js';
import { Journal } from '../engine/journal.js';
import { acquireLock } from '../engine/lock.js';
import { InFlightSizer } from '../engine/inflight.js';
import type { EngineEvent } from '../engine/events.js';
import type { TargetEvent } from '../targets/target.js';
import type { TargetDefinition, TargetProfile } from '../targets/definition.js';
import { openTarget, voidJournal, type OpenedRun } from './open-target.js';

export async function load(cfg: Config, term: Terminal, givenPlan: Plan, deps: OnlineDeps, definition: TargetDefinition, profile: TargetProfile): Promise<number> {
  const progress = createProgress({
    stream: process.stderr,
    interactive: term.interactive && !cfg.quiet,
    quiet: cfg.quiet,
    verbose: cfg.verbose,
    style: term.errStyle,
    targetLabel: profile.label,
    statusWords: cfg.action?.kind === 'cancel' ? { loaded: 'cancelled', already_loaded: 'already cancelled' } : cfg.action?.kind === 'reactivate' ? { loaded: 'reactivated', already_loaded: 'already active' } : undefined,
  });
  const soft = new AbortController(); // first Ctrl-C: no new work
  const hard = new AbortController(); // second Ctrl-C: abandon requests in flight
  // Every request in flight and every limiter wait listens on these; more than Node's default 10 is normal here.
  setMaxListeners(0, soft.signal, hard.signal);
  const cleanups: (() => Promise<void> | void)[] = [];
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!soft.signal.aborted) {
      soft.abort();
      progress.info(term.errStyle.yellow(`${signal}: finishing the requests in flight, then stopping (again to stop at once)`));
    } else {
      hard.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  cleanups.push(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });

  let plan = givenPlan;
  let opened: OpenedRun | undefined;
  let journal: Journal | undefined;
  let outcome!: RunOutcome; // assigned in the try; an exception skips every use below
  try {
    const emit = (e: EngineEvent): void => progress.onEvent(e);
    // Invoices in flight follow --rate × the latency the answers show; --concurrency caps them.
    const inFlight = new InFlightSizer({ rate: cfg.rate, max: cfg.concurrency });
    const onTargetEvent = (event: TargetEvent): void => {
      if (event.type === 'request' && event.status !== 0) inFlight.observe(event.ms);
      emit({ type: 'target', event });
    };
    opened = await openTarget(definition, cfg, {
      signal: hard.signal,
      onEvent: onTargetEvent,
      info: (line) => progress.info(term.errStyle.dim(line)),
      env: process.env,
      readKeyFile: deps.readKeyFile,
    });
    const { endpoint, journalName } = opened;
    cleanups.push(() => opened?.close());

    const journalFile = (name: string): string => join(cfg.stateDir, 'journals', `${name}-${hash(endpoint)}-${plan.batchId}.jsonl`);
    const journalPath = journalFile(journalName);
    mkdirSync(join(cfg.stateDir, 'journals'), { recursive: true });
    // An action voids the opposite action's journal of this batch (open-target.ts voidJournal).
    if (opened.opposite !== undefined) voidJournal(journalFile(opened.opposite));
    const release = acquireLock(journalPath + '.lock');
    cleanups.push(release);
    journal = Journal.open({ path: journalPath, target: profile.name, endpoint, batch: plan.batchId, sync: cfg.fsync });
    cleanups.push(() => journal?.close());
    if (cfg.verbose) progress.info(term.errStyle.dim(`journal: ${journalPath}`));

    // The target's own verdict, foreseen before the first write: the same rules as --dry-run --online.
    // Only what this batch's journal does not already hold: a finished re-run costs no request.
    const unsent = validInvoices(plan).filter((inv) => journal!.state(inv.key).id === undefined);
    if (opened.check !== undefined && cfg.check !== 'none' && unsent.length > 0) {
      const sending = unsent;
      let checked: Awaited<ReturnType<NonNullable<OpenedRun['check']>>>;
      try {
        checked = await opened.check(sending, cfg.check);
      } catch (err) {
        // A refused key, a spent daily threshold or a Ctrl-C (the second one aborts the look-ups in
        // flight) ends the run here as it would in the engine: nothing was written yet.
        const stoppedBy =
          err instanceof AuthError ? 'auth' : err instanceof DailyLimitError ? 'daily_limit' : isUnreachable(err) ? 'unreachable' : soft.signal.aborted ? 'interrupted' : undefined;
        if (stoppedBy === undefined) throw err;
        progress.stop();
        const why =
          stoppedBy === 'auth'
            ? `the API key was refused (${(err as AuthError).code})`
            : stoppedBy === 'daily_limit'
              ? "the institution's daily API threshold is used up"
              : stoppedBy === 'unreachable'
                ? `cannot reach ${profile.label}: ${(err as ApiError).code} (${(err as ApiError).message}); check the address, the network, proxy and certificates, then run the same command again`
                : 'interrupted during the checks before sending';
        process.stderr.write(term.errStyle.red(`invoice-load: ${why}; nothing was sent`) + '\n');
        const report = buildReport({ target: profile.name, dryRun: false, plan, requests: opened.requestCount(), lineKeys: profile.lineKeys, invalidLines: profile.invalidLines, stopped: stoppedBy });
        await deps.emitReport(cfg, term, report, plan);
        return exitCodeForReport(report, { sent: true });
      }
      plan = applyPreflight(plan, checked.problems);
      for (const u of checked.report.unchecked) progress.info(term.errStyle.dim(`not checked before sending: ${u.what} (${u.reason})`));
      const refused = sending.filter((inv) => !validInvoices(plan).includes(inv)).length;
      if (refused > 0 && (!cfg.skipInvalid || validInvoices(plan).length === 0)) {
        progress.stop();
        const report = buildReport({ target: profile.name, dryRun: false, plan, requests: opened.requestCount(), lineKeys: profile.lineKeys, invalidLines: profile.invalidLines, preflight: checked.report });
        await deps.emitReport(cfg, term, report, plan);
        process.stderr.write(
          term.errStyle.red(`Nothing was sent: ${profile.label} would refuse ${refused} invoice${refused === 1 ? '' : 's'} (above)`) +
            (cfg.skipInvalid ? '.\n' : '; fix them, or pass --skip-invalid to load the others.\n'),
        );
        return exitCodeForReport(report, { sent: false });
      }
      if (refused > 0) progress.info(term.errStyle.yellow(`${refused} invoice${refused === 1 ? '' : 's'} ${profile.label} would refuse will not be sent (--skip-invalid)`));
    }

    outcome = await runInvoices(validInvoices(plan), {
      target: opened.target,
      journal,
      concurrency: cfg.concurrency,
      inFlight,
      emit,
      stopSignal: soft.signal,
      // The engine only sleeps between reads of an invoice being processed: the first Ctrl-C ends that wait.
      sleep: (ms) => delay(ms, undefined, { signal: soft.signal }).catch(() => undefined),
      poll: { ...DEFAULT_POLL, timeoutMs: cfg.pollTimeoutMs, unknownMs: Math.min(DEFAULT_POLL.unknownMs, cfg.pollTimeoutMs) },
      maxWriteAttempts: 3,
      settle: { ...DEFAULT_SETTLE, fixedMs: cfg.settleMs },
      canary: cfg.canary,
      maxErrors: cfg.maxErrors,
    });
  } finally {
    progress.stop();
    for (const c of cleanups.reverse()) await c();
  }
  const report = buildReport({
    target: profile.name,
    dryRun: false,
    plan,
    results: outcome.results,
    requests: opened?.requestCount() ?? 0,
    stopped: outcome.stopped?.reason,
    lineKeys: profile.lineKeys, invalidLines: profile.invalidLines,
    action: cfg.action?.kind,
    ...(outcome.canary !== undefined
      ? { canary: { vendor: outcome.canary.key.vendor, number: outcome.canary.key.number, id: outcome.canary.id, status: outcome.canary.status, differences: outcome.canary.differences } }
      : {}),
  });
  await deps.emitReport(cfg, term, report, plan);
  return exitCodeForReport(report, { sent: true });
}

const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);

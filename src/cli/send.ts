/**
 * The sending half of the default command: the target (any in src/targets/registry.ts) ⇄
 * engine with journal and lock, signals and progress, then the report. `load.ts` imports it
 * only when a batch is sent, so a dry run never loads the engine, the HTTP client or the sandbox.
 */
import { setMaxListeners } from 'node:events';
import { stoppableSleep } from '../common/time.js';
import type { Config } from './config.js';
import type { Terminal } from './terminal.js';
import type { OnlineDeps } from './preflight.js';
import { createProgress } from './progress.js';
import { exitCodeForReport } from './exit.js';
import { exitAfterOutputs, sentOpts } from './outputs.js';
import { buildReport } from '../report/report.js';
import { validInvoices, type Plan } from '../plan/plan.js';
import { applyPreflight } from '../plan/preflight.js';
import { keyRefusedText, runStopOf, unreachableText, type ApiError } from '../common/errors.js';
import { DEFAULT_POLL, resultsBeforeSending, runInvoices, startLookups, type EngineOptions, type Lookups, type RunOutcome } from '../engine/engine.js';
import { DEFAULT_SETTLE } from '../engine/settle.js';
import { gatherElsewhere, type Elsewhere } from '../engine/elsewhere.js';
import { existingProblems, onlyNotOurs } from '../engine/existing.js';
import { estimateWithout, type PreflightReport } from '../report/preflight.js';
import { keyString, type Invoice } from '../domain/model.js';
import { isError, type Problem } from '../domain/problem.js';
import type { Journal } from '../engine/journal.js';
import { InFlightSizer } from '../engine/inflight.js';
import { retryAfterText, retryAfterUntil, stopDetail, type EngineEvent } from '../engine/events.js';
import type { TargetEvent } from '../targets/target.js';
import type { TargetDefinition, TargetProfile } from '../targets/definition.js';
import { openTarget, type OpenedRun } from './open-target.js';
import { listenForInterrupts, type Interrupts } from './interrupts.js';
import { claimInvoices, journalBeforeFingerprint, openLockedJournal, readOtherJournals } from './journals.js';
import { earlierRuns, MAX_AGE_MS } from './unfinished.js';
import { openKeys, stillUnfinished, unfinishedWarning, type EarlierRun } from '../engine/unfinished.js';
import { resolve as resolvePath } from 'node:path';
import { maskMessage } from '../common/shown-secrets.js';
import { oneLine } from '../common/shown.js';
import { changedAfterReadLine } from '../input/read.js';

type Progress = ReturnType<typeof createProgress>;

/**
 * Sends a checked plan: opens the target, the batch's journal under its lock, checks what is
 * still unsent the way the target would, runs the engine, and emits the report. The exit code.
 */
export async function sendPlan(
  cfg: Config,
  term: Terminal,
  givenPlan: Plan,
  deps: OnlineDeps,
  definition: TargetDefinition,
  profile: TargetProfile,
  /** Listening since before the batch was read (load.ts): a signal from then on is this run's. */
  listening?: Interrupts,
  /**
   * The input files looked at again (load.ts, `changedAfterRead`): a `file_changed` error for each
   * that changed since it was read. Asked once, just before the first write.
   */
  changedSinceRead?: () => Promise<Problem[]>,
): Promise<number> {
  const interactive = term.interactive && !cfg.quiet;
  const progress = createProgress({
    stream: process.stderr,
    interactive,
    ora: interactive ? (await import('ora')).default : undefined,
    colour: term.errColour,
    quiet: cfg.quiet,
    verbose: cfg.verbose,
    style: term.errStyle,
    ascii: term.ascii,
    // The spinner's clock counts from the command's start, as the summary's time does.
    since: cfg.startedAt?.getTime(),
    targetLabel: profile.label,
    statusWords: cfg.action?.kind === 'cancel' ? { loaded: 'cancelled', already_loaded: 'already cancelled' } : cfg.action?.kind === 'reactivate' ? { loaded: 'reactivated', already_loaded: 'already active' } : undefined,
  });
  // The Ctrl-C lines (cli/interrupts.ts): under --quiet too, which hides the progress, not the
  // answer to a person's own Ctrl-C (README, `--quiet`). Quiet has no spinner to write above.
  const notice = (line: string): void => (cfg.quiet ? void process.stderr.write(term.errStyle.yellow(line) + '\n') : progress.info(term.errStyle.yellow(line)));
  const signals = listening ?? listenForInterrupts(notice);
  signals.setNotice(notice);
  const cleanups: (() => Promise<void> | void)[] = [signals.dispose];

  let plan = givenPlan;
  let opened: OpenedRun | undefined;
  let outcome!: RunOutcome; // assigned in the try; an exception skips every use below
  // What the engine's writes (a create, a line, a file, processing) did, as engine/operations.ts
  // `writes` says for export and payments: `wrote`, one was accepted or its outcome is unknown;
  // `refused`, the target answered one with an error (a read-only key's 403). Neither: nothing
  // was written, and an unwritable report says so. Said once each request ended (the `write`
  // event), not when its step began: a refused first create wrote nothing.
  let wrote = false;
  let refused = false;
  // The try below ended without an exception: the journal's `end` entry is written.
  let ended = false;
  let earlier: EarlierRun[] = [];
  try {
    const emit = (e: EngineEvent): void => {
      if (e.type === 'write' && (e.outcome === 'accepted' || e.outcome === 'unknown')) wrote = true;
      if (e.type === 'write' && e.outcome === 'refused') refused = true;
      progress.onEvent(e);
    };
    // Invoices in flight follow --rate × the latency the answers show; --concurrency caps them.
    const inFlight = new InFlightSizer({ rate: cfg.rate, max: cfg.concurrency });
    // Once the run stops on an unreachable target, a refused key or a spent daily threshold,
    // the transport sends nothing more, not even a retry (HttpClient's `halt`).
    const halt = new AbortController();
    // Before the first write nothing sent can be left uncertain, so the first Ctrl-C ends the reads
    // in flight at once, as only the second does later: a check or look-up on a network that hangs
    // held the stop for --timeout (30 s) while the terminal said "stopping". Listened to until
    // the engine starts (below).
    const beforeWrites = new AbortController();
    const endReads = (): void => beforeWrites.abort(signals.soft.reason);
    signals.soft.addEventListener('abort', endReads, { once: true });
    cleanups.push(() => signals.soft.removeEventListener('abort', endReads));
    const hard = AbortSignal.any([signals.hard, beforeWrites.signal]);
    // Every request in flight listens on it, as on the signals it follows (cli/interrupts.ts).
    setMaxListeners(0, hard);
    opened = await openRunTarget(definition, cfg, term, deps, progress, { hard, soft: signals.soft, halt: halt.signal }, (event) => {
      if (event.type === 'request' && event.status !== 0) inFlight.observe(event.ms);
      emit({ type: 'target', event });
    });
    cleanups.push(() => opened?.close());
    // An action voids the opposite action's journal of this batch (journals.ts voidJournal).
    const at = {
      stateDir: cfg.stateDir,
      name: opened.journalName,
      endpoint: opened.endpoint,
      batch: plan.batchId,
      target: profile.name,
      fsync: cfg.fsync,
      voids: opened.opposite,
      account: opened.account,
      files: cfg.files.map((f) => (f === '-' ? f : resolvePath(f))),
    };
    const { journal, path, held, tookOver } = openLockedJournal(at, cleanups);
    // The run ended (not killed, nor on an error): what its journal leaves half-built, and which
    // of the earlier runs' it finished, in one last line the next loads read alone
    // (cli/unfinished.ts). Before the journal closes (cleanups run in reverse). A journal that
    // cannot be written any more stays without it: the next load folds it whole.
    cleanups.push(() => {
      if (!ended) return;
      try {
        journal.append(journal.endEntry(openKeys(earlier)));
      } catch {
        // said already by the run (JournalWriteError)
      }
    });
    // An earlier run of another file killed with invoices half-built: said on stderr, under
    // --quiet too (README "A killed batch another file's run tells of"). Only a load's journals.
    earlier = opened.opposite === undefined && cfg.action === undefined ? earlierRuns(at, opened.account, path, Date.now()) : [];
    // Each of those this run finishes is journaled as it is, so a kill after it still settles it.
    journal.finishing(openKeys(earlier));
    const batchKeys = new Set(validInvoices(plan).map((inv) => keyString(inv.key)));
    for (const u of stillUnfinished(earlier, batchKeys, journal.endEntry([]).settles ?? [], MAX_AGE_MS)) {
      notice(`warning: ${oneLine(unfinishedWarning(u, profile.label, 'invoice-load'))}`);
    }
    if (cfg.verbose) progress.info(term.errStyle.dim(`journal: ${path}`));
    // A journal of this batch an earlier version kept by the address alone may be another
    // institution's at that address (a sandbox and production share a host): never resumed,
    // only its recent writes read (journals.ts readOtherJournals); the look-ups say what exists.
    const before = journalBeforeFingerprint(at);
    if (before !== undefined) {
      progress.info(
        term.errStyle.yellow(
          `a journal of this batch kept by an earlier version (by the address alone, before journals were kept per API key) is not resumed: at one address another key may reach another institution (Alma's sandbox and production share a host); each invoice is looked up in ${opened.target.label} instead (${before})`,
        ),
      );
    }
    if (tookOver !== undefined) {
      const minutes = Math.round(tookOver.silentMs / 60_000);
      progress.info(term.errStyle.yellow(`took over the journal's lock from the run on host ${tookOver.host} (pid ${tookOver.pid}, started ${tookOver.started}), silent for ${minutes} minutes: that run is gone`));
    }

    // The invoices' look-ups (what makes a re-run exactly-once) go out beside the checks: both
    // are reads, and nothing is written before both end (engine.ts startLookups). At high
    // latency each round trip before the first write is time the whole run loses.
    // What other journals of this place sent lately (an earlier run of this file before an
    // edit): the look-ups may not show it yet (engine/elsewhere.ts).
    const valid = validInvoices(plan);
    const keys = valid.map((inv) => inv.key);
    // Another run loading one of these invoices at this moment (another file with it): stop
    // before the first request (journals.ts claimInvoices). A finished invoice is not written.
    claimInvoices(at, held, keys.filter((k) => journal.state(k).settled === undefined), cleanups);
    const elsewhere = gatherElsewhere(readOtherJournals(at, elsewhereHorizonMs(cfg.settleMs), Date.now(), keys), keys);
    const lookups = startLookups(valid, opened.target, journal, { signal: signals.soft, elsewhere });
    cleanups.push(() => lookups.then(() => undefined));
    const stopSending = (reason: Error): void => halt.abort(reason);
    const checked = await checkBeforeSending(cfg, term, deps, progress, signals.soft, opened, journal, plan, profile, lookups, stopSending, elsewhere);
    if (typeof checked === 'number') {
      ended = true;
      return checked;
    }
    plan = checked;
    // The checks and look-ups took seconds after a read of milliseconds: a file still being
    // uploaded whose transfer stalled inside its last value read whole, and grows only now.
    // Nothing is written from it (README "What is checked before anything is sent").
    const changed = (await changedSinceRead?.()) ?? [];
    ended = changed.length > 0;
    if (changed.length > 0) return await refuseChangedFiles(cfg, term, deps, progress, opened, plan, profile, changed);
    // From here writes go: the first Ctrl-C waits for the requests in flight (README "Interrupts").
    signals.soft.removeEventListener('abort', endReads);

    outcome = await runInvoices(validInvoices(plan), { ...engineOptions(cfg, opened, journal, inFlight, emit, signals.soft), lookups, elsewhere, halt: stopSending });
    ended = true;
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
    stopDetail: stopDetail(outcome.stopped?.reason, outcome.stopped?.error),
    lineKeys: profile.lineKeys,
    invalidLines: profile.invalidLines,
    action: cfg.action?.kind,
    alertPrediction: profile.alertPrediction,
    ...(outcome.canary !== undefined
      ? { canary: { vendor: outcome.canary.key.vendor, number: outcome.canary.key.number, id: outcome.canary.id, status: outcome.canary.status, differences: outcome.canary.differences.map(({ field, sent, stored }) => ({ field, sent: maskMessage(sent), stored: maskMessage(stored) })), compared: outcome.canary.compared } }
      : {}),
  });
  const unwritten = await deps.emitReport(cfg, term, report, plan, opened?.target);
  return exitAfterOutputs(term, cfg, exitCodeForReport(report, { sent: true }), unwritten, sentOpts(wrote, outcome.stopped !== undefined, report.summary.requests, profile.label, refused));
}

/**
 * An input that changed after it was read, seen just before the first write: its `file_changed`
 * errors join the batch's issues and nothing is written — exit 3, as for the same error found
 * while the file was read. Only the checks and look-ups (reads) were sent.
 */
async function refuseChangedFiles(cfg: Config, term: Terminal, deps: OnlineDeps, progress: Progress, opened: OpenedRun, plan: Plan, profile: TargetProfile, changed: readonly Problem[]): Promise<number> {
  progress.stop();
  const refused: Plan = { ...plan, issues: [...plan.issues, ...changed] };
  const report = buildReport({ target: profile.name, dryRun: false, plan: refused, requests: opened.requestCount(), lineKeys: profile.lineKeys, invalidLines: profile.invalidLines, action: cfg.action?.kind });
  const unwritten = await deps.emitReport(cfg, term, report, refused, opened.target);
  const said = opened.requestCount() > 0 ? `Nothing was written to ${profile.label}` : 'Nothing was sent';
  process.stderr.write(term.errStyle.red(`${said}: ${changedAfterReadLine(changed, oneLine)}`) + '\n');
  return exitAfterOutputs(term, cfg, exitCodeForReport(report, { sent: false }), unwritten, { sent: false });
}

/**
 * The target of this run (its client, or its sandbox in-process): its requests abandoned on
 * `hard`, none retried after `soft` (the first Ctrl-C), none sent after `halt`.
 */
function openRunTarget(
  definition: TargetDefinition,
  cfg: Config,
  term: Terminal,
  deps: OnlineDeps,
  progress: Progress,
  signals: { hard: AbortSignal; soft: AbortSignal; halt: AbortSignal },
  onEvent: (event: TargetEvent) => void,
): Promise<OpenedRun> {
  return openTarget(definition, cfg, {
    signal: signals.hard,
    halt: signals.halt,
    stop: signals.soft,
    onEvent,
    info: (line) => progress.info(term.errStyle.dim(line)),
    env: process.env,
    readKeyFile: deps.readKeyFile,
  });
}

/**
 * The target's own verdict, foreseen before the first write: the same rules as --dry-run --online,
 * on what this batch's journal does not already hold (a finished re-run costs no request). The
 * plan to send, or the exit code when the run ends here (a refusal without --skip-invalid, a
 * refused key, a spent daily threshold, a Ctrl-C) with its report emitted.
 */
async function checkBeforeSending(
  cfg: Config,
  term: Terminal,
  deps: OnlineDeps,
  progress: Progress,
  soft: AbortSignal,
  opened: OpenedRun,
  journal: Journal,
  plan: Plan,
  profile: TargetProfile,
  lookups: Promise<Lookups>,
  halt: (reason: Error) => void,
  elsewhere: ReadonlyMap<string, Elsewhere>,
): Promise<Plan | number> {
  const unsent = validInvoices(plan).filter((inv) => journal.state(inv.key).id === undefined);
  if (unsent.length === 0) return plan;
  const sending = unsent;
  const check = cfg.check === 'none' ? undefined : cfg.check;
  const checking = opened.check !== undefined && check !== undefined;
  let checked: Awaited<ReturnType<NonNullable<OpenedRun['check']>>> | undefined;
  progress.phase(
    checking
      ? `checking ${sending.length} invoice${sending.length === 1 ? '' : 's'} against ${profile.label} before sending`
      : `looking up ${sending.length} invoice${sending.length === 1 ? '' : 's'} in ${profile.label} before sending`,
  );
  // A refused key, a spent daily threshold, an unreachable target or a Ctrl-C (the second one
  // aborts the reads in flight), in the checks or the look-ups beside them, ends the run here as
  // it would in the engine, with one line: nothing was written yet. Undefined for any other error.
  const stopBeforeSending = async (err: unknown): Promise<number | undefined> => {
    const stoppedBy = runStopOf(err) ?? (soft.aborted ? 'interrupted' : undefined);
    if (stoppedBy === undefined) return undefined;
    // No look-up sent beside the checks retries after this; they end first, so the report counts every request.
    if (stoppedBy !== 'interrupted') halt(err as Error);
    await lookups;
    progress.stop();
    const why =
      stoppedBy === 'auth'
        ? keyRefusedText(err as ApiError, profile.label)
        : stoppedBy === 'daily_limit'
          ? "the institution's daily API threshold is used up"
          : stoppedBy === 'retry_after'
            ? retryAfterText(err, profile.label)
            : stoppedBy === 'unreachable'
            ? unreachableText(err as ApiError, profile.label)
            : 'interrupted before sending';
    // The daily threshold resets at the institution's midnight: say so, as the engine's stop does.
    const then = stoppedBy === 'daily_limit' ? ' — re-run after midnight (the institution\'s time)' : stoppedBy === 'retry_after' ? `; run again after ${retryAfterUntil(err)}` : '';
    process.stderr.write(term.errStyle.red(`invoice-load: ${why}; nothing was sent${then}`) + '\n');
    const results = resultsBeforeSending(validInvoices(plan), journal, stoppedBy, opened.target, err, elsewhere);
    const report = buildReport({ target: profile.name, dryRun: false, plan, results, requests: opened.requestCount(), lineKeys: profile.lineKeys, invalidLines: profile.invalidLines, stopped: stoppedBy, stopDetail: stopDetail(stoppedBy, err) });
    // Only look-ups were sent: the exit code is the stop's, and the message says nothing was written.
    return exitAfterOutputs(term, cfg, exitCodeForReport(report, { sent: true }), await deps.emitReport(cfg, term, report, plan, opened.target), sentOpts(false, true, report.summary.requests, profile.label));
  };
  try {
    if (opened.check !== undefined && check !== undefined) checked = await opened.check(sending, check);
  } catch (err) {
    const code = await stopBeforeSending(err);
    if (code === undefined) throw err;
    return code;
  }
  // An invoice the target holds with another total, or that the loader did not make, is one of the problems (engine/existing.ts).
  const found = await lookups;
  if (found.failed !== undefined) {
    // Any other failure is the engine's to report, before it writes anything.
    const code = await stopBeforeSending(found.failed.error);
    if (code !== undefined) return code;
  }
  const problems = new Map(checked?.problems ?? []);
  const held = found.failed === undefined ? existingProblems(sending, found.found, profile.label) : new Map<string, Problem[]>();
  for (const [key, list] of held) problems.set(key, [...(problems.get(key) ?? []), ...list]);
  const checkedPlan = applyPreflight(plan, problems);
  for (const u of checked?.report.unchecked ?? []) progress.info(term.errStyle.dim(`not checked before sending: ${u.what} (${u.reason})`));
  const stillValid = new Set(validInvoices(checkedPlan));
  const notSent = sending.filter((inv) => !stillValid.has(inv));
  if (notSent.length === 0) return checkedPlan;
  // Held back only for what the look-ups found: a check's error counts first.
  const heldOnly = notSent.filter((inv) => !(checked?.problems.get(keyString(inv.key)) ?? []).some(isError));
  const notOurs = heldOnly.filter((inv) => onlyNotOurs(found.found.get(keyString(inv.key)) ?? [])).length;
  const why = notSentWhy(notSent.length - heldOnly.length, heldOnly.length - notOurs, notOurs, profile.label);
  if (!cfg.skipInvalid || stillValid.size === 0) {
    progress.stop();
    const preflight = checked === undefined ? undefined : checksWithLookups(checked.report, found.found.size, heldOnly, opened.requestCount());
    const report = buildReport({ target: profile.name, dryRun: false, plan: checkedPlan, requests: opened.requestCount(), lineKeys: profile.lineKeys, invalidLines: profile.invalidLines, ...(preflight !== undefined ? { preflight } : {}) });
    const unwritten = await deps.emitReport(cfg, term, report, checkedPlan, opened.target);
    // Checks and look-ups were sent (reads only): nothing was written, as payments says it (payments.ts).
    // "Nothing was sent" only where no request went out at all.
    const said = opened.requestCount() > 0 ? `Nothing was written to ${profile.label}: ${notSentWhy(notSent.length - heldOnly.length, heldOnly.length - notOurs, notOurs, 'it')}` : `Nothing was sent: ${why}`;
    process.stderr.write(term.errStyle.red(`${said} (${cfg.json ? "listed in the report's invoices' issues" : 'above'})`) + (cfg.skipInvalid ? '.\n' : '; fix them, or pass --skip-invalid to load the others.\n'));
    return exitAfterOutputs(term, cfg, exitCodeForReport(report, { sent: false }), unwritten, { sent: false });
  }
  progress.info(term.errStyle.yellow(`${notSent.length} invoice${notSent.length === 1 ? '' : 's'} will not be sent: ${why} (--skip-invalid)`));
  return checkedPlan;
}

/**
 * The checks' report as the load's look-ups left it: the invoices looked up (the load's own, not
 * the checks'), the requests of both (every one sent so far, all reads: nothing was written),
 * and the estimate without the invoices only the look-ups held back (found in the target with
 * another total; one with a check's error is out of the estimate already). Exported for its test.
 */
export function checksWithLookups(report: PreflightReport, lookedUp: number, held: readonly Invoice[], requests: number): PreflightReport {
  const lines = held.reduce((n, inv) => n + inv.lines.length, 0);
  const attachments = held.reduce((n, inv) => n + (inv.header.attachments?.length ?? 0), 0);
  return { ...report, requests, checked: { ...report.checked, invoices: lookedUp }, estimate: estimateWithout(report.estimate, { invoices: held.length, lines, attachments }) };
}

/**
 * Why invoices are held back, in one clause: the target's foreseen refusals, then invoices it
 * holds with another total, then invoices it holds that invoice-load did not create.
 */
function notSentWhy(refusedByChecks: number, otherTotal: number, notOurs: number, label: string): string {
  const n = (k: number): string => `${k} invoice${k === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (refusedByChecks > 0) parts.push(`${label} would refuse ${n(refusedByChecks)}`);
  if (otherTotal > 0) parts.push(`${label} already holds ${n(otherTotal)} with another total`);
  if (notOurs > 0) parts.push(`${label} already holds ${n(notOurs)} that invoice-load did not create`);
  return parts.join(', and ');
}

/**
 * How recent another journal must be to matter: the longest the target's look-ups may lag a
 * write (the settle window's ceiling, or --settle), twice over, and never under ten minutes.
 */
function elsewhereHorizonMs(settleMs: number | undefined): number {
  return Math.max(10 * 60_000, 2 * Math.max(DEFAULT_SETTLE.ceilingMs, settleMs ?? 0));
}

/** The engine's settings from the run's config; the first Ctrl-C (`soft`) stops it taking new work. */
function engineOptions(cfg: Config, opened: OpenedRun, journal: Journal, inFlight: InFlightSizer, emit: (e: EngineEvent) => void, soft: AbortSignal): EngineOptions {
  return {
    target: opened.target,
    journal,
    concurrency: cfg.concurrency,
    inFlight,
    emit,
    stopSignal: soft,
    // The engine only sleeps between reads of an invoice being processed: the first Ctrl-C ends that wait.
    sleep: (ms, cut) => stoppableSleep(ms, soft, cut),
    poll: { ...DEFAULT_POLL, timeoutMs: cfg.pollTimeoutMs, unknownMs: Math.min(DEFAULT_POLL.unknownMs, cfg.pollTimeoutMs) },
    maxWriteAttempts: 3,
    settle: { ...DEFAULT_SETTLE, fixedMs: cfg.settleMs },
    canary: cfg.canary,
    maxErrors: cfg.maxErrors,
  };
}

/**
 * The engine: runs the valid invoices of a plan against a target, exactly once.
 *
 * Each invoice is a small saga — look up, create, add each line, process, poll until settled —
 * and every write is bracketed in the journal (intent before, outcome after). On a re-run the
 * journal says where each invoice stands; where it cannot (an intent without an outcome, or no
 * journal at all), the target is asked what exists before anything is sent again:
 * - create: a live look-up by vendor and number;
 * - line: the invoice's lines are listed and matched by line number;
 * - process: the invoice is read; processing is never requested twice once it has visibly run.
 * Invoices run `concurrency` at a time; the pace is the target's limiter's business.
 *
 * The saga is the same for every target; only its shape comes from the `Target` seam: "lines"
 * are the target's child items (`childKeys`: Alma's lines by number, Exsited's note, none for
 * Alguna, whose line items go inline in the create and come back as `RemoteInvoice.children`),
 * and "process" is the optional `finalize` step (Alma only). A target without one is settled
 * once its children exist. Journal entries keep their names (`line` holds a child key), so
 * journals written before targets existed still resume.
 */
import { keyString, type Invoice, type InvoiceKey } from '../domain/model.js';
import { ApiError, IdNotKeptError, isAbort, isRefusal, RetryAfterError, runStopOf, UnknownOutcomeError, writeVerdict } from '../common/errors.js';
import type { JsonValue } from '../common/json.js';
import type { FieldDifference, RemoteInvoice, RemoteLine, Target } from '../targets/target.js';
import { nextPollWait } from '../targets/target.js';
import { stopMessage, type EngineEventSink, type StopReason, type WriteOutcome } from './events.js';
import { endedUnsent } from '../transport/http.js';
import type { ErrorRecord, InvoiceJournalState, Journal, JournalEntry, RefusedLine, Step } from './journal.js';
import type { InvoiceResult, LoadWarning } from './result.js';
import { runWithPriority } from '../common/priority.js';
import { ProcessingWatch } from './watch.js';
import { clockBackNotice, DEFAULT_SETTLE, lookAcrossWindow, SettleWindow, type SettleOptions } from './settle.js';
import { CanaryGate, canaryMessage, differenceText, type CanaryVerdict } from './canary.js';
import { findWithElsewhere, type Elsewhere, type RecordedElsewhere } from './elsewhere.js';
import { CREATE_UNANSWERED, CREATE_UNANSWERED_EARLIER, ID_NOT_KEPT, LOADED_BY_ANOTHER_RUN, NOT_STARTED, OUTCOME_UNKNOWN, refusalKind, STOP_CODE, stoppedOn, WITHDRAWN } from './result.js';
import { adoptable, EXISTS_NOT_OURS, heldText, holdsOtherTotal, madeNotKept, notOursText, settledLineText } from '../targets/matches.js';
import { maskMessage } from '../common/shown-secrets.js';

export interface PollOptions {
  /** First wait after the process request before reading the invoice. */
  initialMs: number;
  /** Longest wait between two reads. */
  maxIntervalMs: number;
  /** Give up waiting for processing to show after this long (the invoice is then reported in review). */
  timeoutMs: number;
  /**
   * After a process request whose outcome is unknown, how long to watch for processing to show
   * before concluding it never started and sending it again. Alma processes asynchronously and
   * documents no completion time, so this is a judgement: long enough for processing to begin.
   */
  unknownMs: number;
}

export interface EngineOptions {
  target: Target;
  journal: Journal;
  /** Invoices in flight at most (`--concurrency`); with `inFlight`, an upper bound on its size. */
  concurrency: number;
  /**
   * Sizes the invoices in flight from the rate and the observed latency (inflight.ts): read at
   * the start and whenever it changes. Without it, `concurrency` invoices run at once.
   */
  inFlight?: { readonly size: number; onChange(listener: () => void): void } | undefined;
  emit: EngineEventSink;
  /** Soft stop (first Ctrl-C): take no new invoice and no new step; in-flight requests finish. */
  stopSignal?: AbortSignal | undefined;
  /** Waits `ms`; `cut`, when given, ends the wait early (its timer cleared, so nothing keeps the process alive). */
  sleep: (ms: number, cut?: AbortSignal) => Promise<void>;
  poll: PollOptions;
  /** How many times one write may be sent when its outcome stays unknown after reconciling. */
  maxWriteAttempts: number;
  /** Clock for waiting on processing (ms, any origin). Default `performance.now`. */
  now?: (() => number) | undefined;
  /**
   * How long the target's look-ups may lag a write (engine/settle.ts): fixed (`--settle`), or
   * measured on the run's first created invoice within a floor and a ceiling. Default: measured.
   */
  settle?: SettleOptions | undefined;
  /** Wall clock (ms since epoch) for when writes were sent; journaled, so a later run can use it. Default `Date.now`. */
  wallNow?: (() => number) | undefined;
  /**
   * Read the first invoice written back before any other is written (engine/canary.ts). Default
   * true; a target without `readBack` has no canary. `--no-canary` sets false.
   */
  canary?: boolean | undefined;
  /**
   * After this many business refusals with the same code in a row, take no new invoice
   * (`--max-errors`; 0 or absent: no limit). Invoices already started finish.
   */
  maxErrors?: number | undefined;
  /**
   * The look-ups `startLookups` began for these invoices (beside the checks before sending);
   * without it the engine starts them itself. Either way no invoice starts before they end.
   */
  lookups?: Promise<Lookups> | undefined;
  /**
   * What other journals of this target know about the batch's invoices (engine/elsewhere.ts):
   * invoices and lines an earlier run of an edited file sent, which the look-ups may not show yet.
   */
  elsewhere?: ReadonlyMap<string, Elsewhere> | undefined;
  /**
   * Called once, when the run stops because no further request can succeed (the target cannot
   * be reached, the key is refused, the daily threshold is spent): the caller's transport then
   * sends nothing more (`TransportOptions.halt`), not even the retries of requests in flight,
   * so the run ends at once and "nothing more will be sent" holds.
   */
  halt?: ((reason: Error) => void) | undefined;
}

/** The look-ups before the first create failed: the run stops on `error` as on any request's. */
export interface LookupsFailed {
  error: unknown;
}

/**
 * The look-ups the run makes before its first write: the target's `prepareLookups`, then every
 * invoice the journal cannot answer looked up by vendor and number (a vendor listing answers
 * many; none for a finished batch). A caller may start them early, beside other reads; they are
 * reads, and `runInvoices` waits for them before any write, then adopts from `found` without
 * asking again. Before the first write, so an invoice the target holds with another total is a
 * problem reported with the others (existing.ts), not a refusal after other invoices went.
 * Never rejects: a failure that stops the run (a refused key, the daily threshold, the target
 * unreachable, a hard stop) is what it resolves to; any other failure of one look-up leaves that
 * invoice out of `found`, to look itself up when its turn comes, as it always did.
 */
export function startLookups(
  invoices: readonly Invoice[],
  target: Target,
  journal: Journal,
  opts: { signal?: AbortSignal | undefined; elsewhere?: ReadonlyMap<string, Elsewhere> | undefined } = {},
): Promise<Lookups> {
  const todo = invoices.filter((inv) => !journal.state(inv.key).settled && journal.state(inv.key).id === undefined && !journal.state(inv.key).createPending);
  const found = new Map<string, RemoteInvoice[]>();
  if (todo.length === 0) return Promise.resolve({ found });
  let failed: { error: unknown } | undefined;
  const lookUp = async (inv: Invoice): Promise<void> => {
    try {
      found.set(keyString(inv.key), await findWithElsewhere(target, inv, opts.elsewhere?.get(keyString(inv.key))));
    } catch (error) {
      if (stopFor(error) !== undefined || (opts.signal?.aborted === true && isAbort(error))) failed ??= { error };
    }
  };
  return target.prepareLookups(todo.map((inv) => inv.key)).then(
    async () => {
      // The first alone: a target that cannot be reached, or refuses the key, stops the run after
      // one request, not LOOKUPS_IN_FLIGHT (prepareLookups has usually proved it already). Then a
      // few at a time: the target's limiter paces them; more in flight would only queue there.
      let next = 0;
      const worker = async (): Promise<void> => {
        while (failed === undefined && opts.signal?.aborted !== true && next < todo.length) await lookUp(todo[next++]!);
      };
      await lookUp(todo[next++]!);
      await Promise.all(Array.from({ length: Math.min(LOOKUPS_IN_FLIGHT, todo.length - 1) }, worker));
      return failed !== undefined ? { found, failed } : { found };
    },
    (error: unknown) => ({ found, failed: { error } }),
  );
}

/** Look-ups in flight at once before the first write (each waits for the target's limiter). */
const LOOKUPS_IN_FLIGHT = 32;

/** What the look-ups before the first write found, by `keyString`; `failed` when one stopped the run. */
export interface Lookups {
  found: ReadonlyMap<string, readonly RemoteInvoice[]>;
  failed?: LookupsFailed | undefined;
}

export interface RunOutcome {
  results: InvoiceResult[];
  stopped?: { reason: StopReason; error?: Error | undefined; message?: string | undefined } | undefined;
  /** The canary's read-back, when one was made (engine/canary.ts). */
  canary?: CanaryVerdict | undefined;
}

class StopRun extends Error {
  /** `beforeWrites`: the invoice had sent nothing in this run (it waited at the canary's gate). */
  constructor(
    readonly reason: StopReason,
    readonly beforeWrites = false,
  ) {
    super(reason);
  }
}

/** The canary read back differently from what was sent: the invoice fails and the run stops. */
class CanaryStop extends Error {
  constructor(readonly record: ErrorRecord) {
    super(record.message);
  }
}

/** The target made this invoice's record under another id than the loader gave it: the invoice fails and the run stops. */
class IdsStop extends Error {
  constructor(
    readonly record: ErrorRecord,
    readonly error: IdNotKeptError,
  ) {
    super(record.message);
  }
}

/** An error that ends one invoice (not the run): a business refusal or a write that stayed unknown. */
class InvoiceFailure extends Error {
  /** `rewatch`: journaled with the failure (journal.ts), so a re-run watches the pending process request again. */
  constructor(
    readonly record: ErrorRecord,
    readonly rewatch = false,
  ) {
    super(record.message);
  }
}

export { DEFAULT_POLL } from '../targets/target.js';

/** The error code of an invoice whose read-back (the canary) differed from what was sent. */
export const CANARY_MISMATCH = 'CANARY_MISMATCH';

export async function runInvoices(invoices: readonly Invoice[], opts: EngineOptions): Promise<RunOutcome> {
  const { journal, emit } = opts;
  const results: InvoiceResult[] = new Array<InvoiceResult>(invoices.length);
  let stopped: RunOutcome['stopped'];
  const alreadyDone = invoices.filter((inv) => journal.state(inv.key).settled !== undefined).length;
  const awaiting = invoices.filter((inv) => journal.state(inv.key).settled === undefined && journal.state(inv.key).processed).length;
  // Created (or a create sent unanswered) by an earlier run, and not sent in full: a re-run finishes them.
  const partly = invoices.filter((inv) => {
    const st = journal.state(inv.key);
    return st.settled === undefined && !st.processed && (st.id !== undefined || st.createPending);
  });
  emit({ type: 'start', invoices: invoices.length, alreadyDone, resumed: journal.resumed, ...(awaiting > 0 ? { awaiting } : {}), ...(partly.length > 0 ? { partly: partly.length, partlyKeys: partly.map((inv) => inv.key) } : {}) });

  const stopNow = (): boolean => stopped !== undefined || opts.stopSignal?.aborted === true;
  const pending = invoices
    .map((inv, index) => ({ inv, index }))
    .filter(({ inv, index }) => {
      const st = journal.state(inv.key);
      if (!st.settled) return true;
      results[index] = { ...settledResult(inv.key, st, 'already_loaded'), warnings: unattached(inv, st, opts.target) };
      return false;
    });
  let done = alreadyDone;
  for (const r of results) if (r) emit({ type: 'invoice', result: r, done: 0, total: invoices.length });

  // Only look-ups for invoices the journal cannot answer are prepared (nothing for a finished batch).
  const lookups = await (opts.lookups ?? startLookups(pending.map(({ inv }) => inv), opts.target, journal, { signal: opts.stopSignal, elsewhere: opts.elsewhere }));
  if (lookups.failed !== undefined) {
    const err = lookups.failed.error;
    stopped = stopFor(err) ?? (opts.stopSignal?.aborted === true && isAbort(err) ? { reason: 'interrupted' } : undefined);
    if (!stopped) throw err;
    if (stopped.error !== undefined) opts.halt?.(stopped.error);
    emit({ type: 'stopping', reason: stopped.reason, message: stopMessage(stopped.reason, err) });
  }

  // A target that reads many invoices in one request has its waits for processing gathered (watch.ts).
  const { readInvoices, readCost } = opts.target;
  const watch =
    readInvoices !== undefined && readCost !== undefined
      ? new ProcessingWatch(
          { readInvoices: (w) => readInvoices.call(opts.target, w), readCost: (v, n) => readCost.call(opts.target, v, n) },
          {
            poll: opts.poll,
            sleep: opts.sleep,
            now: opts.now ?? (() => performance.now()),
            stopping: () => (stopNow() ? new StopRun(stopped?.reason ?? 'interrupted') : undefined),
          },
        )
      : undefined;
  watch?.expect(pending.length);
  const settle = new SettleWindow(opts.settle ?? DEFAULT_SETTLE, journal.settleWindowMs);
  const canary = new CanaryGate(opts.canary !== false && opts.target.readBack !== undefined);
  const stoppedOn = pending.findIndex(({ inv }) => !journal.state(inv.key).processed && journal.state(inv.key).lastError?.code === CANARY_MISMATCH);
  if (stoppedOn >= 0) {
    canary.reserve(pending[stoppedOn]!.inv.key);
    pending.unshift(...pending.splice(stoppedOn, 1));
  }
  // --max-errors: business refusals with the same code in a row, or failures without a definite
  // answer (5xx, timeouts, lost answers: a failing gateway, a maintenance page) in a row, in the
  // order invoices finish — a breaker, so a target that fails everything is not sent the whole
  // batch one invoice at a time (docs: README "Never a storm").
  let streak = { code: '', count: 0 };
  let transient = 0;
  let halted: { reason: StopReason; message: string } | undefined;
  const countRefusal = (r: InvoiceResult): void => {
    const max = opts.maxErrors ?? 0;
    if (max <= 0 || halted !== undefined || stopped !== undefined) return;
    const e = r.error;
    if (r.status !== 'failed' || e === undefined) {
      if (r.status !== 'not_started') {
        streak = { code: '', count: 0 };
        transient = 0;
      }
      return;
    }
    const label = opts.target.label;
    let message: string;
    if (refusalKind(e) === 'business') {
      transient = 0;
      streak = streak.code === e.code ? { code: e.code, count: streak.count + 1 } : { code: e.code, count: 1 };
      if (streak.count < max) return;
      message = `${label} refused ${streak.count} invoices in a row with ${e.code} (${e.message}); no new invoice is started (--max-errors ${max}). `;
    } else {
      streak = { code: '', count: 0 };
      if (++transient < max) return;
      message = `${transient} invoices in a row failed without a definite answer from ${label} (the last: ${e.code}, ${e.message}); no new invoice is started (--max-errors ${max}). `;
    }
    message += 'The invoices already started finish; the others are not sent. Fix the cause, then run the same command again';
    halted = { reason: 'max_errors', message };
    emit({ type: 'stopping', reason: 'max_errors', message });
  };
  const background: Promise<unknown>[] = [];
  const endOfRun = new AbortController();
  const tasks: Promise<void>[] = [];
  // The number of slots follows the sizer during the run, never above --concurrency.
  const limit = (): number => Math.max(1, Math.min(opts.concurrency, opts.inFlight?.size ?? opts.concurrency));
  const slots = new Slots(limit());
  opts.inFlight?.onChange(() => slots.resize(limit()));
  let failure: { err: unknown } | undefined;
  // An invoice's lines go one after the other while other invoices wait for a slot; slots left
  // free (the end of a batch, a batch of few large invoices) go to the lines of those sending,
  // shared out evenly, up to what the target allows at once (Target.childrenAtOnce).
  let linesAlone = (opts.target.childrenAtOnce ?? 1) <= 1;
  let clockBackSaid = false;
  const lineSlots = (): number =>
    linesAlone ? 1 : Math.max(1, Math.min(opts.target.childrenAtOnce ?? 1, Math.floor(slots.size / Math.max(1, slots.held))));
  /** The run stops on the canary's read-back: one line saying what differed and where the canary stands. */
  const stopForCanary = (): void => {
    if (stopped) return;
    const verdict = canary.verdict!;
    const inv = invoices.find((i) => keyString(i.key) === keyString(verdict.key));
    const message = canaryMessage(verdict, opts.target.label, {
      added: journal.state(verdict.key).lines.size,
      total: inv === undefined ? journal.state(verdict.key).lines.size : opts.target.childKeys(inv).length,
    });
    stopped = { reason: 'canary', message };
    emit({ type: 'stopping', reason: 'canary', message });
  };
  const runOne = async (item: { inv: Invoice; index: number }): Promise<void> => {
    // The invoice holds a slot while it sends; it gives it up while it only waits for the
    // target's processing (normal or after a lost answer), and asks again before sending more.
    let held = true;
    const ctx: InvoiceContext = {
      watch,
      settle,
      background,
      measurementNeedless: endOfRun.signal,
      canary,
      found: lookups.found,
      lineSlots,
      clockBack: (aheadMs: number) => {
        if (clockBackSaid) return;
        clockBackSaid = true;
        emit({ type: 'notice', message: clockBackNotice(aheadMs, opts.target.label) });
      },
      linesOneAtATime: () => {
        if (!linesAlone) {
          const message = `${opts.target.label} refused a line sent while others of its invoice were on their way: it is sent again alone, and lines go one at a time for the rest of the run`;
          emit({ type: 'notice', message });
        }
        linesAlone = true;
      },
      release: () => {
        if (held) {
          held = false;
          slots.release();
        }
      },
      reacquire: async () => {
        if (!held) {
          await slots.acquire(true);
          held = true;
        }
      },
    };
    let result: InvoiceResult;
    // Processing accepted by an earlier run (the journal's `processed` before this one began).
    const processedEarlier = journal.state(item.inv.key).processed;
    try {
      try {
        result = await loadInvoice(item.inv, opts, stopNow, ctx);
      } catch (err) {
        if (err instanceof CanaryStop) {
          stopForCanary();
          result = { ...settledResult(item.inv.key, journal.state(item.inv.key), 'failed'), error: err.record, warnings: [] };
        } else if (err instanceof IdsStop) {
          // Exactly-once rests on the target keeping the loader's ids: nothing more is sent.
          if (!stopped) {
            stopped = { reason: 'ids_not_kept', error: err.error, message: stopMessage('ids_not_kept', err.error) };
            opts.halt?.(err.error);
            emit({ type: 'stopping', reason: 'ids_not_kept', message: stopped.message! });
          }
          result = { ...settledResult(item.inv.key, journal.state(item.inv.key), 'failed'), error: err.record, warnings: [] };
        } else {
          // Another invoice's record kept no id (IdNotKeptError): this one stops with the run.
          const reason = err instanceof StopRun ? err.reason : err instanceof IdNotKeptError ? 'ids_not_kept' : stopFor(err)?.reason;
          if (!reason) throw err;
          // An invoice turned back at the gate may get there before the canary's own stop: the
          // stop says what the canary found either way.
          if (reason === 'canary' && canary.verdict !== undefined) stopForCanary();
          if (!stopped) {
            const message = stopMessage(reason, err, opts.target.label);
            stopped = { reason, error: err instanceof StopRun ? undefined : (err as Error), message };
            if (stopped.error !== undefined) opts.halt?.(stopped.error);
            emit({ type: 'stopping', reason, message });
          }
          const st = journal.state(item.inv.key);
          // Stopped by the canary, an unreachable target or a record kept under another id before
          // anything was written for it (at the gate, in its look-up, or its create held back by
          // the stop): not started, like the invoices the run never reached.
          const why = stopped?.reason ?? reason;
          // Never for an invoice an earlier run sent a create for whose answer was lost: it may be in
          // Alma — in this journal or another (an earlier run of this file before an edit), as for
          // one the stop came before (`unreached`). Nor for one an earlier run created (its id
          // journaled): it exists in the target, incomplete.
          const sentElsewhere = createSentElsewhere(opts.elsewhere, item.inv.key);
          const unanswered = st.createPending || sentElsewhere;
          const untouched = st.id === undefined && !unanswered && ((err instanceof StopRun && err.beforeWrites) || BEFORE_ANY_WRITE.has(why));
          const pastLines = pastLinesStep(opts.target, item.inv, st);
          result = untouched
            ? notStarted(item.inv.key, st, why, pastLines, stopped?.error)
            : interruptedResult(item.inv.key, st, why, pastLines, sentElsewhere, opts.target.label, processedEarlier || processedElsewhere(opts.elsewhere, item.inv.key, st.id));
        }
      }
    } finally {
      ctx.release();
      canary.release(item.inv.key);
    }
    results[item.index] = result;
    done++;
    countRefusal(result);
    emit({ type: 'invoice', result, done, total: invoices.length });
  };
  // The order requests wait in at the rate limiter. While invoices are still starting, the
  // oldest go first: each runs its steps back to back and frees its slot, and the invoices in
  // flight stay spread over their steps (first-come order moves them in lockstep cohorts, and
  // a small last cohort then runs alone at the end). Once every invoice has started, the ones
  // with the most steps left go first, so the last ones finish together instead of one by one.
  let allStarted = false;
  let seq = 0;
  for (const item of pending) {
    await slots.acquire();
    if (stopNow() || halted !== undefined || failure !== undefined) {
      slots.release();
      break;
    }
    const mine = ++seq;
    const priority = (): number => (allStarted ? stepsLeft(opts.target, item.inv, journal) * pending.length - mine : -mine);
    tasks.push(runWithPriority(priority, () => runOne(item)).catch((err: unknown) => void (failure ??= { err })));
  }
  allStarted = true;
  // The end is near: the watch's reads at the end cover what waits now.
  watch?.hold();
  // Every invoice has been started and none is sending any more: what waits is read without
  // waiting for a fuller batch. (A parked invoice that must send again still gets a slot.)
  await slots.idle();
  watch?.drain();
  await Promise.all(tasks);
  // The settle window is for reconciling writes whose answer was lost. When every write of the
  // batch has its answer, no run will need it: a lagging search is not waited for at the end
  // (a short batch against searches 20 s late waited 17 s after its last invoice).
  if (pending.every(({ inv }) => !awaitsAnswer(journal.state(inv.key)))) endOfRun.abort();
  await Promise.all(background);
  if (failure !== undefined) throw failure.err;

  // A Ctrl-C that every invoice finished before (the last answers were in): the run is whole,
  // and is not reported as stopped (it exited 130 under a table of loaded invoices).
  if (!stopped && opts.stopSignal?.aborted && pending.some(({ index }) => results[index] === undefined || cutShort(results[index]!))) stopped = { reason: 'interrupted' };
  stopped ??= halted;
  for (const { inv, index } of pending) {
    const st = journal.state(inv.key);
    if (!results[index]) results[index] = unreached(inv.key, st, createSentElsewhere(opts.elsewhere, inv.key), stopped?.reason ?? 'interrupted', opts.target.label, pastLinesStep(opts.target, inv, st), stopped?.error, madeElsewhere(opts.elsewhere, inv.key));
  }
  return { results, stopped, ...(canary.verdict !== undefined ? { canary: canary.verdict } : {}) };
}

/**
 * Stops after which an invoice with nothing written for it (no id, no create without its answer)
 * is reported not started: nothing of it reached the target.
 */
const BEFORE_ANY_WRITE: ReadonlySet<StopReason> = new Set(['canary', 'unreachable', 'ids_not_kept']);

/**
 * An invoice the stop left unfinished: not done, done without its workflow status known, or one
 * whose file listing the stop cut (attachment_not_listed: said only when the run stops, and its
 * warning says "the run stopped" — a Ctrl-C in the last invoice's listing exits 130, not 0).
 */
const cutShort = (r: InvoiceResult): boolean => stoppedOn(r) || r.status === 'not_started' || r.warnings.some((w) => w.code === 'status_unknown' || w.code === 'attachment_not_listed');

/** Whether the journal holds a write of the invoice sent without a recorded answer (a later run reconciles it). */
function awaitsAnswer(st: InvoiceJournalState): boolean {
  return st.createPending || st.linesPending.size > 0 || st.processPending || st.attachmentsPending.size > 0 || st.opsPending.size > 0;
}

/**
 * Whether any run of the loader sent the invoice a line, a file or its processing that may have
 * taken effect (an intent in the journal, accepted or unanswered, not refused or never sent:
 * journal.ts `mayHaveSent`): a found invoice it did is `loaded`, never `already_loaded` — "found
 * complete, nothing sent" (README "The report") holds only when no run of this journal sent it
 * anything, not merely this one.
 */
function sentByLoader(st: InvoiceJournalState): boolean {
  return st.mayHaveSent.size > 0;
}

/** Requests the invoice still needs to send as the journal knows it: create, each child, finalize. */
function stepsLeft(target: Target, inv: Invoice, journal: Journal): number {
  const st = journal.state(inv.key);
  let left = st.id === undefined ? 1 : 0;
  for (const k of target.childKeys(inv)) if (!st.lines.has(k)) left++;
  if (!st.processed && target.finalize !== undefined) left++;
  return Math.max(1, left);
}

function stopFor(err: unknown): RunOutcome['stopped'] {
  const reason = runStopOf(err);
  return reason === undefined ? undefined : { reason, error: err as Error };
}





/**
 * A line the target refused with a definite answer (common/errors.ts `writeVerdict` refused: a
 * 4xx, a 429 that is no stop of the run, or its error document under a 2xx with a code,
 * `inSuccess`: nothing was added), as opposed to a stop of the run, an interruption or an outcome
 * left unknown.
 */
export const isLineRefusal = (err: unknown): boolean => runStopOf(err) === undefined && writeVerdict(err) === 'refused';

const errorRecord = (step: Step, err: ApiError, line?: RefusedLine): ErrorRecord => ({
  step,
  http_status: err.httpStatus,
  code: err.code,
  message: err.message,
  ...(err.trackingId !== undefined ? { tracking_id: err.trackingId } : {}),
  ...(err.inSuccess ? { in_success: true as const } : {}),
  ...(line !== undefined ? { line } : {}),
});

/** The invoice line with this key, as the report names a refused one. Undefined for a child that is not a line (Exsited's note). */
function refusedLine(inv: Invoice, number: string | undefined): RefusedLine | undefined {
  const l = number === undefined ? undefined : inv.lines.find((x) => x.number === number);
  if (l === undefined) return undefined;
  return {
    number: l.number,
    ...(l.poLine !== undefined && l.poLine !== '' ? { po_line: l.poLine } : {}),
    funds: [...new Set(l.funds.map((f) => f.fundCode))],
    rows: l.rows.map((r) => ({ file: r.file, row: r.row })),
  };
}

function settledResult(key: InvoiceKey, st: InvoiceJournalState, status: InvoiceResult['status']): InvoiceResult {
  const s = st.settled;
  return {
    key,
    status,
    id: s?.id ?? st.id,
    workflowStatus: s?.workflow_status,
    approvalStatus: s?.approval_status,
    alerts: s?.alerts ?? [],
    ...(s?.amounts !== undefined ? { amounts: s.amounts } : {}),
    lines: [...st.lines].map(([number, id]) => ({ number, id })),
    ...(st.attachments.size > 0 ? { attachments: [...st.attachments].map(([file, id]) => ({ file, id })) } : {}),
    warnings: [],
  };
}

/**
 * `processedEarlier`: the journal held the invoice processed before this run began — an earlier
 * run loaded it, and said so; this one only read it (README "The report": `already_loaded`).
 * `reached`: the run got to the invoice before it stopped; false for one it never reached
 * (`unreached`), which it stopped before reading, not while.
 */
function interruptedResult(
  key: InvoiceKey,
  st: InvoiceJournalState,
  reason: StopReason,
  pastLines?: Step,
  sentElsewhere = false,
  label = 'Alma',
  processedEarlier = false,
  reached = true,
): InvoiceResult {
  const stoppedReading = reached ? 'the run stopped while reading this invoice' : 'the run stopped before reading this invoice';
  // Found processed (journal `processed` after a look-up) and sent nothing by any run: someone
  // else's doing, already loaded — not "being processed" by this loader (README "The report").
  if (st.processed && st.id !== undefined && st.found && !sentByLoader(st)) {
    return {
      ...settledResult(key, st, 'already_loaded'),
      warnings: [{ code: 'status_unknown', message: `${stoppedReading}: it was found already processed, and nothing was sent to it; its workflow status was not read (a re-run reads it)` }],
    };
  }
  if (st.processed && st.id !== undefined && processedEarlier) {
    // An earlier run loaded it (and reported it loaded, its status not known then); this run only
    // read it, and the stop came first: already loaded, not loaded a second time.
    return {
      ...settledResult(key, st, 'already_loaded'),
      warnings: [{ code: 'status_unknown', message: `${stoppedReading}: an earlier run loaded it, and nothing was sent to it; its workflow status was not read (a re-run reads it)` }],
    };
  }
  if (st.processed && st.id !== undefined) {
    // Created, every line added and processing accepted: only the wait for the target's
    // workflow was cut short. Loaded, as when the poll times out; nothing is journaled as
    // settled, so a re-run reads its final status (and sends nothing).
    return {
      ...settledResult(key, st, 'loaded'),
      // The same words for each such invoice (its row and number are the report's), so the
      // terminal says them once for all of them (report/human.ts `renderProblems`).
      warnings: [{ code: 'status_unknown', message: 'the run stopped while this invoice was being processed: it is loaded; its workflow status was not known yet (a re-run reads it)' }],
    };
  }
  return stoppedResult(key, st, reason, pastLines, sentElsewhere, label);
}

/**
 * The step an invoice the run stopped on was at, by its journal: waiting for processing (`poll`),
 * its process request sent without an answer (`process`), not created (`create`), else `lines`
 * — or `pastLines`, the step after them (engine `pastLinesStep`) when every line is added.
 */
export function stoppedStep(st: Pick<InvoiceJournalState, 'processed' | 'processPending' | 'id'>, pastLines?: Step): Step {
  return st.processed ? 'poll' : st.processPending ? 'process' : st.id === undefined ? 'create' : (pastLines ?? 'lines');
}

/**
 * For a created invoice the run stopped on: the step after its lines when the journal holds every
 * line as added (its files to attach, else processing), undefined while one is missing or
 * unanswered. A daily threshold met by the process request left it at `process`, not `lines`
 * (README "The report document": `error.step` is where it stopped).
 */
function pastLinesStep(target: Target, inv: Invoice, st: InvoiceJournalState): Step | undefined {
  if (st.linesPending.size > 0) return undefined;
  for (const k of target.childKeys(inv)) if (!st.lines.has(k)) return undefined;
  const seam = target.attachments;
  if (seam !== undefined && (st.attachmentsPending.size > 0 || seam.files(inv).some((f) => !st.attachments.has(f.name)))) return 'attachments';
  return target.finalize !== undefined ? 'process' : 'poll';
}

/**
 * `sentElsewhere`: another journal holds a create of the invoice sent without an answer. Without
 * an id, an invoice whose create went out unanswered (here or there) says so in the words the
 * reports look for (result.ts `CREATE_UNANSWERED`): it may be in the target, and a re-run looks
 * for it first; any other one without an id was not created (nothing of it sent, or its create
 * answered with a refusal).
 */
function stoppedResult(key: InvoiceKey, st: InvoiceJournalState, reason: StopReason, pastLines?: Step, sentElsewhere = false, label = 'Alma'): InvoiceResult {
  const base = settledResult(key, st, 'failed');
  const unanswered = st.id === undefined && (st.createPending || sentElsewhere);
  return {
    ...base,
    error: {
      step: stoppedStep(st, pastLines),
      http_status: 0,
      code: STOP_CODE[reason],
      message: unanswered
        ? `the run stopped before this invoice was finished; this run or an earlier one ${CREATE_UNANSWERED}, so it may already be in ${label}: a re-run looks for it in ${label} first and does not create it twice`
        : "the run stopped before this invoice was finished; the run's record (kept so a re-run never sends twice) lets a re-run complete it",
    },
  };
}

const STOP_WORDS: Record<StopReason, string> = {
  interrupted: 'it was interrupted',
  daily_limit: "the daily API threshold was reached",
  retry_after: 'the API asked to wait longer than the loader waits (Retry-After)',
  auth: 'the API key was refused',
  canary: 'the first invoice did not read back as sent',
  max_errors: 'too many refusals in a row (--max-errors)',
  unreachable: 'the target could not be reached',
  journal: 'the journal could not be written',
  ids_not_kept: 'the target did not keep the id invoice-load gave a record',
};

/**
 * The results of a run that stopped before its first write (the checks before sending met a
 * refused key, the daily threshold, an unreachable target or a Ctrl-C: cli/send.ts): what the
 * journal holds as finished is already loaded, every other invoice is not started — failed with
 * `NOT_STARTED`, as when the engine stops, never `planned`, which is a dry run's; one whose
 * create an earlier run sent without an answer is failed with the stop's code (`unreached`).
 */
export function resultsBeforeSending(invoices: readonly Invoice[], journal: Journal, reason: StopReason, target?: Target, err?: unknown, elsewhere?: ReadonlyMap<string, Elsewhere>): InvoiceResult[] {
  return invoices.map((inv) => {
    const st = journal.state(inv.key);
    if (st.settled !== undefined) return settledResult(inv.key, st, 'already_loaded');
    return unreached(inv.key, st, createSentElsewhere(elsewhere, inv.key), reason, target?.label, target === undefined ? undefined : pastLinesStep(target, inv, st), err, madeElsewhere(elsewhere, inv.key));
  });
}

/**
 * Whether another journal (engine/elsewhere.ts) recorded the process request of the invoice held
 * under `id` answered: an earlier run of this file, before an edit, loaded it (`#recordInvoice`).
 */
const processedElsewhere = (elsewhere: ReadonlyMap<string, Elsewhere> | undefined, key: InvoiceKey, id: string | undefined): boolean =>
  id !== undefined && elsewhere?.get(keyString(key))?.ids.get(id)?.processed === true;

/** Whether another journal (engine/elsewhere.ts) holds a create of the invoice sent without an answer. */
const createSentElsewhere = (elsewhere: ReadonlyMap<string, Elsewhere> | undefined, key: InvoiceKey): boolean => elsewhere?.get(keyString(key))?.createSentAt !== undefined;

/**
 * The ids another journal (engine/elsewhere.ts: a run of this batch's invoices from another file,
 * an edited copy, in the last minutes) recorded the invoice created under: it is in the target.
 */
const madeElsewhere = (elsewhere: ReadonlyMap<string, Elsewhere> | undefined, key: InvoiceKey): ReadonlyMap<string, RecordedElsewhere> => elsewhere?.get(keyString(key))?.ids ?? new Map();

/**
 * An invoice the run stopped before reaching. Not started (`NOT_STARTED`: nothing of it reached
 * the target), but for one whose create an earlier run sent without learning the answer — in
 * this journal (`createPending`) or another (`createSentElsewhere`): that create may be in the
 * target, so it is failed with the stop's code, as one stopped after its look-up is (report/failures.ts
 * explains NOT_STARTED as "nothing of it was sent"; README "Never a storm"). A re-run looks it up
 * first (across the settle window) and creates it only if it is not there; the words say so, not
 * "a re-run loads it". So is one only another journal recorded created (`idsElsewhere`): it
 * exists in the target, as one this journal holds the id of does (README "Never a storm": "for
 * one an earlier run created … it has the stop's code"); a re-run reads it by id and completes
 * it, never "a re-run loads it", which reads as a create to come.
 */
function unreached(
  key: InvoiceKey,
  st: InvoiceJournalState,
  sentElsewhere: boolean,
  reason: StopReason,
  label = 'Alma',
  pastLines?: Step,
  err?: unknown,
  idsElsewhere: ReadonlyMap<string, RecordedElsewhere> = new Map(),
): InvoiceResult {
  // Created by an earlier run (the journal holds its id): it exists in the target, incomplete or
  // processed — reported as when the stop meets it after reaching it (`interruptedResult`: the
  // stop's code where it was left, or loaded with its status unknown), never "not started".
  if (st.id !== undefined) {
    // Never reached by this run: a processed one was processed by an earlier run.
    const r = interruptedResult(key, st, reason, pastLines, false, label, true, false);
    if (r.status !== 'failed' || r.error === undefined) return r;
    return {
      ...r,
      error: { ...r.error, message: `the run stopped before reaching this invoice (${stopWords(reason, err)}); an earlier run created it in ${label} (id ${st.id}) without finishing it: a re-run completes it` },
    };
  }
  if (!st.createPending && !sentElsewhere && idsElsewhere.size === 0) return notStarted(key, st, reason, pastLines, err);
  const r = stoppedResult(key, st, reason, pastLines);
  if (!st.createPending && !sentElsewhere) {
    // Its id (one: which of several a re-run adopts is the look-up's), and the step that journal
    // left it at, so the reports say it exists there (report/stopped.ts `existsIncomplete`), not "not created yet".
    const ids = [...idsElsewhere.keys()];
    const rec = ids.length === 1 ? idsElsewhere.get(ids[0]!) : undefined;
    const step: Step = rec?.processed === true ? 'poll' : rec?.processPending === true ? 'process' : 'lines';
    return {
      ...r,
      ...(ids.length === 1 ? { id: ids[0] } : {}),
      error: r.error && {
        ...r.error,
        step,
        message:
          `the run stopped before reaching this invoice (${stopWords(reason, err)}); ` +
          // The reports read LOADED_BY_ANOTHER_RUN (result.ts loadedElsewhere): not "incomplete".
          (rec?.processed === true
            ? `${LOADED_BY_ANOTHER_RUN} ${label} (id ${ids.join(', ')}, its processing requested), as that run's journal records: a re-run reads it there and sends only what this file has more of, and does not create it twice`
            : `another run of it (from another file, such as an edited copy of this one) created it in ${label} (id ${ids.join(', ')}), as that run's journal records: a re-run finds it there and completes it, and does not create it twice`),
      },
    };
  }
  return {
    ...r,
    error: r.error && {
      ...r.error,
      message:
        `the run stopped before reaching this invoice (${stopWords(reason, err)}); ${CREATE_UNANSWERED_EARLIER}, ` +
        `so it may already be in ${label}: a re-run looks for it in ${label} first and does not create it twice`,
    },
  };
}

/** `err`: the stop's error, when there is one — it may say more of why than the reason does (`stopWords`). */
function notStarted(key: InvoiceKey, st: InvoiceJournalState, reason: StopReason, pastLines?: Step, err?: unknown): InvoiceResult {
  const r = stoppedResult(key, st, reason, pastLines);
  return {
    ...r,
    status: 'not_started',
    error: r.error && { ...r.error, code: NOT_STARTED, message: `not started: the run stopped first (${stopWords(reason, err)}); a re-run loads it` },
  };
}

/**
 * Why the run stopped, in a few words: `STOP_WORDS`, but for a `retry_after` stop that no
 * Retry-After asked for — nothing but per-second refusals (429) came for a minute
 * (transport/http.ts `REFUSED_STOP_MS`, `RetryAfterError.refused`) — and for an `auth` stop on a
 * 401/403 without the API's error document (`ApiError.bare`: a proxy's or firewall's page), which
 * does not say the key was refused: the Next: line asks to put the network or proxy right.
 */
function stopWords(reason: StopReason, err: unknown): string {
  if (reason === 'auth' && err instanceof ApiError && err.bare) return "a request was refused without the API's error document (a proxy or firewall)";
  const refused = reason === 'retry_after' && err instanceof RetryAfterError ? err.refused : undefined;
  if (refused !== undefined) return `the API answered nothing but refusals for its per-second threshold (429) for ${Math.round(refused.forMs / 1000)} s, though the loader slowed down`;
  return STOP_WORDS[reason];
}

/**
 * Picks our invoice among the target's matches; refuses one that is plainly a different invoice
 * (existing.ts: a load finds that before its first write; here for look-ups after it — a fresh
 * one after an unknown write — and for callers that pass no look-ups): one with another total, or
 * matches that are all invoices the loader did not make (`RemoteInvoice.notOurs`), which get
 * neither lines nor a finalize from it. `notKept`: ids an earlier run's create got from the target
 * instead of the loader's (the journal's `id_not_kept`): left alone the same, but said as what they are.
 */
function adopt(matches: readonly RemoteInvoice[], inv: Invoice, warnings: LoadWarning[], label = 'Alma', notKept: ReadonlySet<string> = new Set()): RemoteInvoice {
  const sorted = adoptable(matches);
  // Only invoices the loader did not make (FOLIO: ids not its own): never continued, never finalized.
  if (sorted.length === 0) {
    const code = matches.some((m) => madeNotKept(m, notKept)) ? ID_NOT_KEPT : EXISTS_NOT_OURS;
    throw new InvoiceFailure({ step: 'lookup', http_status: 0, code, message: notOursText(inv, matches, label, notKept) });
  }
  const first = sorted[0]!;
  if (matches.length > 1) {
    const others = matches.filter((m) => m.notOurs === true);
    warnings.push({
      code: 'several_found',
      message:
        others.length > 0
          ? `${label} holds ${matches.length} invoices numbered ${inv.key.number} from ${inv.key.vendor} (ids ${matches.map((m) => m.id).join(', ')}); used ${first.id}, the one invoice-load made; ${others.length === 1 ? 'the other was' : 'the others were'} left as ${others.length === 1 ? 'it is' : 'they are'}`
          : `${label} holds ${sorted.length} invoices numbered ${inv.key.number} from ${inv.key.vendor} (ids ${sorted.map((m) => m.id).join(', ')}); used the oldest, ${first.id}`,
    });
  }
  if (holdsOtherTotal(first, inv)) {
    throw new InvoiceFailure({
      step: 'lookup',
      http_status: 0,
      code: 'EXISTS_DIFFERENT',
      message:
        `${label} already holds invoice ${inv.key.number} from ${inv.key.vendor} (id ${first.id}) with total ${first.totalAmount}, ` +
        `but this batch says ${inv.header.totalAmount.toFixed()}; it was left unchanged — check it in ${label}`,
    });
  }
  return first;
}

/** Per invoice: the shared watch, and how to give up its slot while it only waits (and get one back). */
interface InvoiceContext {
  watch: ProcessingWatch | undefined;
  release: () => void;
  reacquire: () => Promise<void>;
  /** The run's settle window, and where a measurement running beside the load is kept. */
  settle: SettleWindow;
  /** The canary's gate: the first invoice to write is read back before any other writes. */
  canary: CanaryGate;
  /** What the look-ups before the first write found (`startLookups`): adopted without asking again. */
  found: ReadonlyMap<string, readonly RemoteInvoice[]>;
  background: Promise<unknown>[];
  /** Aborted at the end of a run that left nothing without an answer: a measurement still running then is not waited for. */
  measurementNeedless: AbortSignal;
  /** How many of the invoice's lines may be in flight at once now (see `addLines`). */
  lineSlots: () => number;
  /** A line was refused while others of its invoice were in flight: one at a time for the rest of the run. */
  linesOneAtATime: () => void;
  /** A journaled send time is later than the clock now (set back since): said once a run (clockBackNotice). */
  clockBack: (aheadMs: number) => void;
}

/**
 * The `concurrency` slots invoices send in. One that is waiting to be given a slot back (it
 * waited for processing and must send again) goes before an invoice not started yet.
 */
class Slots {
  #size: number;
  #held = 0;
  readonly #resuming: (() => void)[] = [];
  readonly #starting: (() => void)[] = [];
  readonly #idle: (() => void)[] = [];

  constructor(size: number) {
    this.#size = size;
  }

  /** Invoices the slots are for now. */
  get size(): number {
    return this.#size;
  }

  /** Slots held: invoices sending now. */
  get held(): number {
    return this.#held;
  }

  /** A new number of slots: more start waiting invoices at once; fewer take effect as slots are given back. */
  resize(size: number): void {
    this.#size = Math.max(1, size);
    this.#grant();
  }

  acquire(resuming = false): Promise<void> {
    return new Promise<void>((resolve) => {
      (resuming ? this.#resuming : this.#starting).push(resolve);
      this.#grant();
    });
  }

  release(): void {
    this.#held--;
    this.#grant();
    if (this.#held === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Resolves once no slot is held. */
  idle(): Promise<void> {
    if (this.#held === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #grant(): void {
    while (this.#held < this.#size) {
      const next = this.#resuming.shift() ?? this.#starting.shift();
      if (next === undefined) return;
      this.#held++;
      next();
    }
  }
}

/**
 * One invoice's saga, as named steps: find or create the invoice, add its lines, the canary's
 * read-back, attach its files, process it, wait for the outcome. What the steps share (the
 * journal's view, the invoice as the target shows it, the lines known to exist, whether this
 * run wrote, the step a failure is reported under) lives on the object.
 */
async function loadInvoice(inv: Invoice, opts: EngineOptions, stopNow: () => boolean, ctx: InvoiceContext): Promise<InvoiceResult> {
  const saga = new InvoiceSaga(inv, opts, stopNow, ctx);
  try {
    const found = await saga.findOrCreate();
    if (found !== undefined) return found;
    await saga.addLines();
    await saga.readBackCanary();
    await saga.attach();
    return (await saga.process()) ?? (await saga.awaitOutcome());
  } catch (err) {
    return saga.failed(err);
  }
}

class InvoiceSaga {
  readonly #inv: Invoice;
  readonly #opts: EngineOptions;
  readonly #stopNow: () => boolean;
  readonly #ctx: InvoiceContext;
  readonly #key: InvoiceKey;
  readonly #who: { vendor: string; number: string };
  readonly #warnings: LoadWarning[] = [];
  readonly #label: string;
  readonly #wallNow: () => number;
  readonly #clock: { wallNow: () => number; sleep: (ms: number) => Promise<void>; checkpoint: () => void; clockBack: (aheadMs: number) => void };
  /** Whether this run sent a write for the invoice: one found complete costs none (already_loaded). */
  #wrote = false;
  /**
   * The invoice was found (not created) by the loader, no run sent it a line, a file or
   * processing that may have taken effect (the journal's `mayHaveSent`), and the read before processing showed it processed: someone
   * finished it by hand. Nothing of this loader's went into it, so it is `already_loaded`.
   */
  #finishedByOthers = false;
  /**
   * The journal held the invoice processed before this run began: an earlier run loaded it (and
   * reported it loaded, its workflow status not yet shown or not read: `not_finished`,
   * `status_unknown`). A run that only reads its status reports it `already_loaded` — "found
   * complete from an earlier run; nothing sent" (README "The report") — or `in_review` when Alma
   * has sent it to review since, which no run said yet and which asks for a look. Also set for one
   * adopted whose process request another journal recorded answered (`#recordInvoice`).
   */
  #processedEarlier: boolean;
  /** The canary's gate is passed once, before this invoice's first data write (engine/canary.ts). */
  #gated = false;
  /**
   * The run's stop cut the file listing of this invoice, processed already (#sayUnattached): its
   * result is not journaled as settled, so a re-run lists its files again (sending nothing) and
   * says what it finds — a settled one is never listed again, and its files would read as missing.
   */
  #listingCut = false;
  /** The step a failure is reported under. */
  #step: Step = 'lookup';
  /** The line being sent, so a refusal names it (number, row, PO line, fund). */
  #sendingLine: string | undefined;
  #st: InvoiceJournalState;
  /** The invoice as the target last showed it; undefined when resumed from the journal alone. */
  #remote: RemoteInvoice | undefined;
  /** Lines known to exist remotely; undefined = unknown, must be listed before adding any. */
  #knownLines: Map<string, string> | undefined;
  /**
   * The lines findOrCreate listed to count them (an invoice In Review with an alert, its
   * `number_of_lines` not shown), for #listHeldLines to use once instead of asking again.
   */
  #heldAtLookup: readonly RemoteLine[] | undefined;
  /** The lines as the target last listed them, by number (for `Target.settledChildDifferences`). */
  #listedLines = new Map<string, RemoteLine>();
  /**
   * The canary's own answers, kept until its verdict: its create's (when this run made it) and
   * its lines', by number (Target.answerDifferences).
   */
  #answers: { created: JsonValue; lines: Map<string, JsonValue> } | undefined;

  constructor(inv: Invoice, opts: EngineOptions, stopNow: () => boolean, ctx: InvoiceContext) {
    this.#inv = inv;
    this.#opts = opts;
    this.#stopNow = stopNow;
    this.#ctx = ctx;
    this.#key = inv.key;
    this.#who = { vendor: inv.key.vendor, number: inv.key.number };
    this.#label = opts.target.label;
    this.#wallNow = opts.wallNow ?? Date.now;
    this.#clock = { wallNow: this.#wallNow, sleep: opts.sleep, checkpoint: () => this.#checkpoint(), clockBack: ctx.clockBack };
    this.#st = opts.journal.state(inv.key);
    this.#processedEarlier = this.#st.processed;
  }

  /** The invoice's id in the target: journaled by the time any step after findOrCreate runs. */
  get #id(): string {
    return this.#st.id!;
  }

  /**
   * Step 1. The invoice in the target: from the journal, found by a look-up, or created now.
   * Returns the result when the invoice is found already processed (nothing more to do).
   */
  async findOrCreate(): Promise<InvoiceResult | undefined> {
    const { target, journal, emit } = this.#opts;
    const key = this.#key;
    const inv = this.#inv;
    const st = this.#st;
    if (st.id !== undefined) {
      // Found by an earlier run of this file: what it took over from another journal, again, in
      // case a kill cut the take-over short (#adoptElsewhere).
      if (st.found) this.#adoptElsewhere(st.id);
      return undefined;
    }
    emit({ type: 'step', key, step: 'lookup' });
    // A create an earlier run sent without an answer may not show in the look-ups yet: look across the window.
    let pending: RemoteInvoice | undefined;
    let matches: readonly RemoteInvoice[];
    if (st.createPending) {
      pending = await this.#findPendingCreate(st.createSentAt, 'an earlier run sent its create and never learned whether it took effect');
      matches = pending !== undefined ? [pending] : [];
    } else {
      const elsewhere = this.#opts.elsewhere?.get(keyString(key));
      matches = this.#ctx.found.get(keyString(key)) ?? (await this.#lookUp(elsewhere));
      // The same for one another journal sent (an earlier run of this file before it was edited,
      // or one an earlier version kept by the address alone: cli/journals.ts journalBeforeFingerprint).
      if (matches.length === 0 && elsewhere?.createSentAt !== undefined) {
        pending = await this.#findPendingCreate(elsewhere.createSentAt, 'an earlier run (of this file before an edit, or of an earlier version of invoice-load) sent its create and never learned whether it took effect');
        if (pending !== undefined) matches = [pending];
      }
    }
    let found = matches.length > 0;
    if (found) {
      this.#remote = pending ?? adopt(matches, inv, this.#warnings, this.#label, st.notKept);
      this.#recordInvoice(this.#remote, true);
      this.#compareHeld(this.#remote);
    } else {
      // Refused because the number exists: found late, and treated as found (see #create).
      found = await this.#create();
    }
    const remote = this.#remote!;
    // In Review with an alert reads as processed (Alma has no processed flag), but an alert may
    // stand before processing too (sample 03: In Review, NOT_READY_LINES). One holding fewer
    // lines than the file was left half-loaded (the loader processes only once every line is
    // in): its lines are added and it is processed, not reported complete without them.
    // A search answer may leave `number_of_lines` out (view=brief): then the lines it holds are
    // listed (one request, only for one In Review with an alert) — else a create of ours whose
    // answer a kill lost, In Review with NOT_READY_LINES from its creation, read as complete and
    // was never given its lines nor processed.
    // The listing is part of finding it: a failure is the look-up's, also on the path where a
    // create refused as a duplicate found it (#create left the step at `create`).
    const countUnshown = found && remote.processed && remote.inReview && remote.lineCount === undefined;
    if (countUnshown) this.#step = 'lookup';
    const listed = countUnshown ? await target.listChildren(remote.id, inv) : undefined;
    const held = listed?.length ?? remote.lineCount;
    const partial = remote.inReview && held !== undefined && held < inv.lines.length;
    if (found && remote.processed && !partial) {
      journal.append({ t: 'processed', ...this.#who, id: remote.id });
      this.#st = journal.state(key);
      await this.#sayUnattached();
      return settle(inv, remote, 'already_loaded', this.#opts, this.#warnings, false, this.#listingCut);
    }
    if (partial && remote.processed) this.#remote = { ...remote, processed: false };
    // Nothing is sent to it before addLines lists its lines: that listing is this one.
    this.#heldAtLookup = listed;
    this.#st = journal.state(key);
    return undefined;
  }

  /**
   * The invoice's own look-up, when the look-ups before the first write did not answer for it
   * (one failed without stopping the run). For an invoice nothing was sent to — by this run or
   * any earlier one: no id, no create in this journal nor in another (`elsewhere`) — the first
   * Ctrl-C ends it at once (`Target.findInvoices` `signal`): before, a look-up on an Alma that
   * took the connection and never answered held the stop for --timeout (30 s). The invoice then
   * ends not started, as one the stop came before; an ended look-up is never read as "absent"
   * (whatever a target made of the abort, it is the stop here) and nothing of it is journaled.
   * Any other invoice's reads are answered as before (README "Interrupts").
   */
  async #lookUp(elsewhere: Elsewhere | undefined): Promise<RemoteInvoice[]> {
    const st = this.#st;
    const signal = this.#opts.stopSignal;
    const untouched = signal !== undefined && elsewhere === undefined && st.id === undefined && !st.createPending && st.createSentAt === undefined && st.notKept.size === 0;
    if (!untouched) return findWithElsewhere(this.#opts.target, this.#inv, elsewhere);
    let matches: RemoteInvoice[];
    try {
      matches = await findWithElsewhere(this.#opts.target, this.#inv, undefined, signal);
    } catch (err) {
      if (signal.aborted) throw new StopRun('interrupted', true);
      throw err;
    }
    // Answered after the stop, or a target that made an answer of its end: not gone on with.
    if (signal.aborted) throw new StopRun('interrupted', true);
    return matches;
  }

  /**
   * Creates the invoice. Returns true when the target refused the create because the number
   * exists: the invoice found then may be someone else's (see below).
   */
  async #create(): Promise<boolean> {
    const { target, emit } = this.#opts;
    const key = this.#key;
    const inv = this.#inv;
    // Stopped before its create (a look-up answered "absent" just after the first Ctrl-C): nothing
    // was sent for it in this run, so it is not started, as at the gate — never failed INTERRUPTED.
    if (this.#stopNow()) throw new StopRun('interrupted', !this.#wrote);
    await this.#throughGate();
    this.#step = 'create';
    emit({ type: 'step', key, step: 'create' });
    let reconciled = false;
    let late = false;
    let sentAt = this.#wallNow();
    // A create of this number whose outcome is unknown: an earlier run's (this journal's, or
    // another's of this file before an edit), or one of this run's attempts below.
    let unanswered = this.#st.createPending || this.#opts.elsewhere?.get(keyString(key))?.createSentAt !== undefined;
    const isDuplicate = (err: unknown): err is ApiError => err instanceof ApiError && target.isDuplicateRefusal?.(err) === true;
    this.#wrote = true;
    const { answer, ...remote } = await writeOnce(
      this.#opts,
      key,
      'create',
      async () => {
        sentAt = this.#wallNow();
        // After an unknown outcome the refusal of the number is no proof that nothing of ours
        // exists: the intent stays pending (no `refused`), so a re-run looks the invoice up.
        const stillPending = (err: unknown): boolean => unanswered && isDuplicate(err);
        try {
          return await sendJournaled(this.#opts, { t: 'intent', ...this.#who, step: 'create', at: sentAt }, async () => this.#notAnotherAnswer(await target.createInvoice(inv)), stillPending);
        } catch (err) {
          // "This number already exists for this vendor" proves the invoice is there: find it.
          if (!isDuplicate(err)) throw err;
          // Made after the look-ups by another run (another batch with this invoice) or a person,
          // it may have lines already: it is treated as found (its lines listed before any is
          // added), not as one a create of ours made empty. (When an earlier create of ours made
          // it, its answer lost, the listing finds no lines: one request more, nothing sent twice.)
          late = true;
          reconciled = true;
          this.#opts.emit({ type: 'reconcile', key, step: 'create', reason: `${err.code}: ${err.message}`, duplicate: true });
          const existing = await this.#findAcrossWindow(sentAt);
          if (existing !== undefined) return existing;
          if (unanswered) throw this.#heldButUnseen(err);
          throw err;
        }
      },
      async () => {
        reconciled = true;
        unanswered = true;
        return this.#findAcrossWindow(sentAt);
      },
    );
    // An invoice our own create made has not been through processing, whatever it shows: an
    // alert may stand from its creation (sample 03: In Review with NOT_READY_LINES), and without
    // `number_of_lines` nothing else would tell it from a processed one — it would never be
    // processed. One made by someone else (`late`) is read as any found invoice is.
    this.#remote = late ? remote : { ...remote, processed: false };
    // Only an answer to our own create: one found after a lost answer or a duplicate refusal has none.
    if (answer !== undefined && this.#ctx.canary.isCanary(key)) this.#answers = { created: answer, lines: new Map() };
    this.#recordInvoice(remote, late, reconciled);
    if (late) this.#compareHeld(remote);
    if (!reconciled && this.#ctx.settle.wantsMeasurement) this.#startMeasurement(remote.id, sentAt);
    // A clean create leaves an invoice with no lines (or the ones it made inline). After a
    // create settled by a look-up, the invoice found may be someone else's made meanwhile, with
    // lines: addLines lists them before adding any (one request more, only on this path), as it
    // does for an invoice made by someone else (`late`) — the journal knows only our own lines.
    // The journal says so (`reconciled`), so a run that resumes the invoice lists them too.
    if (!reconciled) this.#knownLines = new Map((remote.children ?? []).map((c) => [c.number, c.id]));
    return late;
  }

  /**
   * A create answered with an id this batch's journal holds for another invoice, or for a line
   * (a proxy that mixed answers up on a reused connection handed it another request's): the
   * answer says nothing of this create, and nothing may be sent to that id. Its outcome is
   * unknown, so the invoice is looked up by number, as after a lost answer. (A target that
   * answers with the invoice's number checks that itself: targets/alma/target.ts.)
   */
  #notAnotherAnswer(remote: RemoteInvoice): RemoteInvoice {
    const holder = this.#opts.journal.holderOf(remote.id);
    if (holder === undefined || (holder.line === undefined && holder.vendor === this.#key.vendor && holder.number === this.#key.number)) return remote;
    const whose = `${holder.line !== undefined ? `line ${holder.line} of ` : ''}invoice ${holder.number} of vendor ${holder.vendor}`;
    throw new UnknownOutcomeError({
      httpStatus: 200,
      code: 'BAD_RESPONSE',
      message: `the answer to the create of invoice ${this.#key.number} gave the id ${remote.id}, which is ${whose} in this batch: it is another request's answer, so whether this create took effect is not known`,
    });
  }

  /**
   * A line answered with an id this batch's journal holds for something else (another line, of
   * this invoice or another, or an invoice): another request's answer, as for the create
   * (`#notAnotherAnswer`). Unknown, so the line is looked for by its number before it is sent again.
   */
  #notAnotherLine(number: string, line: RemoteLine): RemoteLine {
    const holder = line.id === '' ? undefined : this.#opts.journal.holderOf(line.id);
    if (holder === undefined || (holder.line === number && holder.vendor === this.#key.vendor && holder.number === this.#key.number)) return line;
    const whose = `${holder.line !== undefined ? `line ${holder.line} of ` : ''}invoice ${holder.number} of vendor ${holder.vendor}`;
    throw new UnknownOutcomeError({
      httpStatus: 200,
      code: 'BAD_RESPONSE',
      message: `the answer to line ${number} of invoice ${this.#key.number} gave the id ${line.id}, which is ${whose} in this batch: it is another request's answer, so whether the line was added is not known`,
    });
  }

  /**
   * The target refused the create because it holds the number, after a create of ours of that
   * number went without an answer, and its look-ups still do not show the invoice: most likely
   * the one that create made, not yet searchable. Not a refusal to correct in the file (a new
   * number would load the bill twice): its outcome is unknown, the intent stays pending, and the
   * same command run later finds it and completes it.
   */
  #heldButUnseen(err: ApiError): InvoiceFailure {
    const label = this.#label;
    const { vendor, number } = this.#key;
    return new InvoiceFailure({
      step: 'create',
      http_status: 0,
      code: OUTCOME_UNKNOWN,
      message:
        `${label} holds invoice ${number} of vendor ${vendor} (it refused the create: ${err.code} ${err.message}), but its search does not show it yet; ` +
        `a create of it was sent earlier without an answer, so it is most likely that one. Nothing was sent for it after that refusal. ` +
        `Run the same command again later: it looks the invoice up and completes it (do not change its number in the file: that would load the invoice twice)`,
      ...(err.trackingId !== undefined ? { tracking_id: err.trackingId } : {}),
    });
  }

  /**
   * An invoice found in the target rather than made by this batch's journal: where it differs
   * from the file in what a person edits (Target.heldDifferences), the load says so on the
   * invoice and leaves it as it is. Without it, a note corrected in the file after a run had
   * sent the invoice was dropped in silence: the re-run said "already loaded".
   */
  #compareHeld(remote: RemoteInvoice): void {
    this.#sayHeld(this.#opts.target.heldDifferences?.(remote, this.#inv) ?? [], `invoice ${this.#key.number} (id ${remote.id})`);
  }

  #sayHeld(found: readonly FieldDifference[], what: string): void {
    // Where the target writes its own text (tolerated: Alma's line vat_note) the file is not wrong,
    // and "change it in Alma" would be bad advice; the canary and verify list those apart.
    const differences = found.filter((d) => d.tolerated !== true);
    if (differences.length === 0) return;
    const label = this.#label;
    this.#warnings.push({
      code: 'held_different',
      message:
        `${label} already held ${what}, with other values than the file: ${heldText(differences, label)}. ` +
        `A load does not change what ${label} holds; if the file is right, change it in ${label}`,
    });
  }

  /**
   * The lines the target holds under the invoice, with the journal's; for an invoice found
   * rather than created by this batch, the ones held with other values than the file are said
   * (Target.heldChildDifferences), as #compareHeld says the invoice's own fields.
   */
  async #listHeldLines(): Promise<Map<string, string>> {
    const { target } = this.#opts;
    const lines = this.#heldAtLookup ?? (await target.listChildren(this.#id, this.#inv));
    this.#heldAtLookup = undefined;
    if (this.#st.found) this.#sayHeld(target.heldChildDifferences?.(lines, this.#inv) ?? [], `lines of invoice ${this.#key.number}`);
    this.#listedLines = new Map(lines.map((l) => [l.number, l]));
    return withListed(this.#st, lines);
  }

  /** Step 2. Lines (the target's children): every one once, matched by its explicit number (key). */
  async addLines(): Promise<void> {
    const { target, journal } = this.#opts;
    const key = this.#key;
    const inv = this.#inv;
    const st = this.#st;
    if (st.processed) return;
    // Resumed from the journal, nothing read yet, on a target with no finalize step (Exsited,
    // Alguna): the read process() makes to settle it comes first, so an invoice withdrawn since
    // an earlier run (RemoteInvoice.withdrawn) fails WITHDRAWN before anything is listed or sent
    // to it — no note posted to a deleted or voided purchase invoice (docs/exsited.md, "Money,
    // dates, statuses"). The same one read, earlier: process() uses it.
    if (this.#remote === undefined && target.finalize === undefined) {
      this.#step = 'lookup';
      this.#remote = this.#notWithdrawn(await target.getInvoice(this.#id));
    }
    this.#step = 'lines';
    if (this.#knownLines === undefined && !st.found && !st.createPending && st.linesPending.size === 0 && !st.reconciled) {
      // We created it, its create answered (not settled by a look-up: `reconciled`), and every
      // line we ever sent has a recorded outcome: the journal is exact. One `reconciled` has its
      // lines listed on every run that adds any, as a found one has: the listing is not journaled.
      this.#knownLines = new Map(st.lines);
    }
    const childKeys = target.childKeys(inv);
    // Nothing to list for an invoice without children (Alguna; an Exsited invoice without a note).
    if (this.#knownLines === undefined && !st.processPending && childKeys.length > 0) {
      this.#knownLines = await this.#listHeldLines();
    }
    let todo = childKeys.filter((number) => !st.lines.has(number));
    if (todo.length > 0 && this.#knownLines === undefined) this.#knownLines = await this.#listHeldLines();
    for (;;) {
      const { failed, unsent } = await this.#sendLines(todo);
      if (failed.length === 0) break;
      // Refused while other lines of the invoice were on their way: the target may not take
      // lines of one invoice at once (nothing documents it either way). A refusal is a definite
      // answer (nothing was added), so each such line is sent again alone — the run's lines go
      // one at a time from here — and the rest follow; refused again, it is the invoice's
      // failure. Anything else (a stop, an outcome left unknown, a refusal of a line sent
      // alone) ends the invoice as before.
      const other = failed.find((f) => !f.beside || !isLineRefusal(f.err));
      if (other !== undefined) {
        this.#sendingLine = other.line;
        throw other.err;
      }
      for (const f of failed) {
        this.#sendingLine = f.line;
        await this.#addLine(f.line);
      }
      todo = unsent;
    }
    this.#st = journal.state(key);
  }

  /**
   * Sends `lines` (their numbers), one at a time until the invoice is through the canary's gate
   * (the canary's own lines, and an earlier run's invoice waiting for it), then as many at once
   * as the run has room for (InvoiceContext.lineSlots): a batch of a few large invoices is paced
   * by the rate, not by one round trip a line. After a failure no line is started; the ones on
   * their way finish. Returns the failures (whether others of the invoice were on their way)
   * and the lines not started.
   */
  async #sendLines(lines: readonly string[]): Promise<{ failed: { err: unknown; line: string; beside: boolean }[]; unsent: string[] }> {
    const key = this.#key;
    const room = (): number => (this.#gated && !this.#ctx.canary.isCanary(key) ? this.#ctx.lineSlots() : 1);
    const running = new Set<Promise<void>>();
    const failed: { err: unknown; line: string; beside: boolean }[] = [];
    let next = 0;
    for (; next < lines.length; next++) {
      while (failed.length === 0 && running.size >= room()) await Promise.race(running);
      if (failed.length > 0) break;
      const number = lines[next]!;
      const beside = running.size > 0;
      const sending: Promise<void> = this.#addLine(number)
        .catch((err: unknown) => {
          const among = beside || running.size > 1;
          // The whole run's lines go one at a time from now on, not only this invoice's.
          if (among && isLineRefusal(err)) this.#ctx.linesOneAtATime();
          failed.push({ err, line: number, beside: among });
        })
        .finally(() => running.delete(sending));
      running.add(sending);
    }
    await Promise.all(running);
    return { failed, unsent: lines.slice(next) };
  }

  /** One line of step 2, once: found by its number (an earlier answer was lost), else sent. */
  async #addLine(number: string): Promise<void> {
    const { target, journal, emit } = this.#opts;
    const key = this.#key;
    const inv = this.#inv;
    const id = this.#id;
    const st = this.#st;
    let listed = this.#knownLines!.get(number);
    // A line an earlier run sent without an answer may not show in the listing yet.
    if (listed === undefined && st.linesPending.has(number)) {
      emit({ type: 'reconcile', key, step: 'lines', reason: `an earlier run sent its line ${number} and never learned whether it took effect`, earlier: true });
      const line = await lookAcrossWindow(() => listedLine(target, id, st, inv, number), st.lineSentAt.get(number) ?? 0, this.#ctx.settle, this.#clock);
      if (line !== undefined) await this.#settledAsSent(line);
      listed = line?.id;
    } else if (listed !== undefined && st.linesPending.has(number)) {
      // Listed before any line was sent, but its own send went unanswered: is it the line sent?
      const line = this.#listedLines.get(number);
      if (line !== undefined) await this.#settledAsSent(line);
    }
    if (listed !== undefined) {
      // Found by listing (an earlier answer was lost): journal it, or its id is missing from
      // the report and from every later run that trusts the journal.
      journal.append({ t: 'line', ...this.#who, line: number, id: listed });
      return;
    }
    this.#checkpoint();
    await this.#throughGate();
    await this.#readBackBeforeChildren();
    emit({ type: 'step', key, step: 'lines', detail: number });
    this.#wrote = true;
    let lineSentAt = this.#wallNow();
    const added = await writeOnce<RemoteLine>(
      this.#opts,
      key,
      'lines',
      async () => {
        lineSentAt = this.#wallNow();
        return sendJournaled(this.#opts, { t: 'intent', ...this.#who, step: 'line', line: number, id, at: lineSentAt }, async () => this.#notAnotherLine(number, await target.addChild(id, number, inv)));
      },
      async () => {
        const line = await lookAcrossWindow(() => listedLine(target, id, journal.state(key), inv, number), lineSentAt, this.#ctx.settle, this.#clock);
        if (line === undefined) return undefined;
        await this.#settledAsSent(line);
        return { id: line.id, number };
      },
    );
    journal.append({ t: 'line', ...this.#who, line: number, id: added.id });
    this.#knownLines!.set(number, added.id);
    if (this.#answers !== undefined && added.answer !== undefined) this.#answers.lines.set(number, added.answer);
    await this.#readBackEarly();
  }

  /**
   * The canary whose verdict needs none of its children (Target.canaryChildren empty: Exsited's
   * note carries nothing compared) is judged before its first child is written, not after: a
   * canary that stops the run leaves no child behind (a note under an invoice that no later
   * look-up can find), on its first run and on the run after a difference alike.
   */
  async #readBackBeforeChildren(): Promise<void> {
    const { target } = this.#opts;
    if (target.readBack === undefined || target.canaryChildren === undefined || !this.#ctx.canary.isCanary(this.#key)) return;
    if (target.canaryChildren(this.#inv).length > 0) return;
    await this.#canaryVerdict([]);
  }

  /**
   * A line found after its send went unanswered is taken as that line only when the target holds
   * it as sent (Target.settledChildDifferences): else the invoice fails EXISTS_DIFFERENT, its
   * intent left pending for a re-run to look again, and nothing more is sent for it.
   */
  async #settledAsSent(line: RemoteLine): Promise<void> {
    const differences = (await this.#opts.target.settledChildDifferences?.(this.#id, line, this.#inv)) ?? [];
    if (differences.length === 0) return;
    const refused = refusedLine(this.#inv, line.number);
    throw new InvoiceFailure({
      step: 'lines',
      http_status: 0,
      code: 'EXISTS_DIFFERENT',
      message: settledLineText(this.#inv, line.number, line.id, differences, this.#label),
      ...(refused !== undefined ? { line: refused } : {}),
    });
  }

  /**
   * The canary's read-back as soon as the lines it needs exist (Target.canaryChildren: with a
   * uniform file, the first), before its other lines: the other invoices wait a round trip less
   * per further line. Not for an invoice an earlier run stopped on: that one is read back in full
   * before it is processed (readBackCanary).
   */
  async #readBackEarly(): Promise<void> {
    const { target, journal } = this.#opts;
    if (target.readBack === undefined || target.canaryChildren === undefined || !this.#ctx.canary.isCanary(this.#key)) return;
    const st = journal.state(this.#key);
    if (st.lastError?.code === CANARY_MISMATCH) return;
    const needed = target.canaryChildren(this.#inv);
    // All of them: the read-back after the lines (readBackCanary) is the same request.
    if (needed.length >= target.childKeys(this.#inv).length || !needed.every((n) => st.lines.has(n))) return;
    await this.#canaryVerdict(needed);
  }

  /**
   * Step 2a. The canary: read back before any other invoice writes (after its lines, unless
   * #readBackEarly did after the first ones). One an earlier run stopped on is read back again, in
   * full, before it is processed.
   */
  async readBackCanary(): Promise<void> {
    const st = this.#st;
    if (!st.processed && st.lastError?.code === CANARY_MISMATCH) await this.#throughGate();
    if (!st.processed && this.#ctx.canary.isCanary(this.#key) && this.#opts.target.readBack !== undefined) await this.#canaryVerdict();
  }

  /** Reads the canary back (every line, or only `lines`), settles the gate, and stops the run on a difference. */
  async #canaryVerdict(lines?: readonly string[]): Promise<void> {
    const { target, journal, emit } = this.#opts;
    const key = this.#key;
    const id = this.#id;
    this.#step = 'lines';
    const answered = this.#answeredDifferences(lines ?? target.childKeys(this.#inv));
    this.#answers = undefined;
    // The answers showing every field as sent are the verdict; anything else is read back, as
    // an answer may carry less than the target stored.
    const compared = answered?.length === 0 ? 'answers' : 'read_back';
    const found = compared === 'answers' ? [] : await target.readBack!(id, this.#inv, lines);
    // A field the target may write its own text into (FieldDifference.tolerated: Alma's line
    // vat_note) is said on the invoice, not a stop: the run would otherwise stop on the target's own
    // wording (docs/alma.md#reading-the-first-invoice-back-the-canary-verify).
    const tolerated = found.filter((d) => d.tolerated === true);
    if (tolerated.length > 0) this.#warnings.push(storedOtherwise(tolerated, this.#label));
    const differences = found.filter((d) => d.tolerated !== true);
    const verdict: CanaryVerdict = { key, id, status: differences.length === 0 ? 'passed' : 'failed', differences, compared };
    emit({ type: 'canary', key, id, passed: differences.length === 0, differences: differences.length, compared });
    this.#ctx.canary.settle(verdict);
    if (differences.length > 0) {
      const record: ErrorRecord = { step: 'lines', http_status: 0, code: CANARY_MISMATCH, message: `read back from ${this.#label}: ${differenceText(verdict)}` };
      journal.append({ t: 'failed', ...this.#who, error: record });
      throw new CanaryStop(record);
    }
  }

  /** The canary's comparison on its own write answers, when the target makes one and this run has them all. */
  #answeredDifferences(lines: readonly string[]): FieldDifference[] | undefined {
    const compare = this.#opts.target.answerDifferences;
    const answers = this.#answers;
    if (compare === undefined || answers === undefined || !lines.every((n) => answers.lines.has(n))) return undefined;
    return compare(this.#inv, answers.created, new Map(lines.map((n) => [n, answers.lines.get(n)!])));
  }

  /** Step 2b. Attachments (Alma's invoice files): each once, after the lines, before processing. */
  async attach(): Promise<void> {
    if (this.#opts.target.attachments === undefined) return;
    if (this.#st.processed) return this.#sayUnattached();
    this.#step = 'attachments';
    this.#wrote = (await attachFiles(this.#inv, this.#id, this.#opts, () => this.#checkpoint(), this.#warnings)) || this.#wrote;
    this.#st = this.#opts.journal.state(this.#key);
  }

  /** An invoice processed already: the files it holds are journaled; the others are said (unattached), not sent. */
  async #sayUnattached(): Promise<void> {
    const seam = this.#opts.target.attachments;
    if (seam === undefined) return;
    this.#step = 'attachments';
    const unlisted: string[] = [];
    for (const file of seam.files(this.#inv)) {
      if (this.#st.attachments.has(file.name)) continue;
      if (unlisted.length > 0) {
        unlisted.push(file.name);
        continue;
      }
      // A listing refused is no failure of an invoice already loaded: the warning says the rest.
      const held = await seam.find(this.#id, file).catch((err: unknown) => {
        // A listing the run's stop cut short (a Ctrl-C, another invoice's stop) may end with its
        // last attempt's error, an ApiError of no stop (transport/http.ts `#halted`), or the hard
        // stop's abort: the file may be there. Nothing is left to send to a processed invoice, so
        // it is not stopped (a stopped one read as "processed by us": loaded) — the files not
        // listed are said as not known, never as missing (attachment_not_added).
        if (this.#stopNow() && ((err instanceof ApiError && runStopOf(err) === undefined) || isAbort(err))) {
          unlisted.push(file.name);
          return undefined;
        }
        if (!(err instanceof ApiError) || runStopOf(err) !== undefined) throw err;
        return undefined;
      });
      if (held === undefined) continue;
      this.#opts.journal.append({ t: 'attachment', ...this.#who, file: file.name, id: held.id });
      if (held.unmeasured === true) this.#warnings.push(notCompared(file.name, this.#opts.target.label));
    }
    this.#st = this.#opts.journal.state(this.#key);
    if (unlisted.length > 0) this.#listingCut = true;
    this.#warnings.push(...unattached(this.#inv, this.#st, this.#opts.target, unlisted));
  }

  /**
   * Step 3. Process (the target's finalize step), once. A target without one is done here: its
   * result is returned.
   */
  async process(): Promise<InvoiceResult | undefined> {
    const { target, journal, emit } = this.#opts;
    const key = this.#key;
    const inv = this.#inv;
    const id = this.#id;
    const st = this.#st;
    const ctx = this.#ctx;
    const finalize = target.finalize;
    if (finalize === undefined && !st.processed) {
      this.#step = 'poll';
      // Resumed from the journal: read the invoice once, for the statuses the report shows
      // (addLines has read it already, before any child was listed or sent).
      if (this.#remote === undefined) this.#remote = this.#notWithdrawn(await target.getInvoice(id));
      // One an earlier run sent a child or a file to is loaded too, as for #finishedByOthers.
      const untouched = st.found && !this.#wrote && !sentByLoader(journal.state(key));
      return settle(inv, this.#remote, untouched ? 'already_loaded' : 'loaded', this.#opts, this.#warnings);
    }
    // Resumed after an earlier run journaled it found processed and stopped before settling it:
    // nothing of this loader's went into it, so it is already loaded, as findOrCreate says.
    if (st.processed && st.found && !sentByLoader(journal.state(key)) && !this.#wrote) this.#finishedByOthers = true;
    if (st.processed || finalize === undefined) return undefined;
    this.#step = 'process';
    let remote = this.#remote;
    // A process request may have been sent by an earlier run, or someone processed it by hand: look first.
    if (remote === undefined && (st.processPending || st.found)) remote = this.#notWithdrawn(await target.getInvoice(id));
    // A found invoice still In Review with an alert, to which this loader sent lines and never a
    // process request, has not been processed since: the alert may stand from its creation
    // (sample 03: NOT_READY_LINES; docs/alma.md "Processing and workflow statuses") — a half-loaded
    // invoice, or a create of ours whose answer a kill lost, resumed after its lines were listed.
    if (remote?.processed === true && remote.inReview && st.found && !st.processPending && journal.state(key).lineSentAt.size > 0) remote = { ...remote, processed: false };
    this.#finishedByOthers = remote?.processed === true && st.found && !sentByLoader(st) && !this.#wrote;
    // How long a process request whose outcome is unknown is watched for before anything is concluded.
    const once = target.finalizeOnce;
    const watchMs = Math.max(this.#opts.poll.unknownMs, once?.watchMs ?? 0);
    // An earlier run watched it whole and ended the invoice (OUTCOME_UNKNOWN): the read above decides.
    if (remote !== undefined && !remote.processed && st.processPending && !st.processWatched) {
      // Waiting to learn whether an earlier request took effect holds no slot (else a few
      // such invoices, first in the batch, stall everything behind them), and the time
      // already passed since an earlier run sent it counts, so killed runs still progress.
      remote = await parkedWait(id, this.#opts, ctx, watchMs - journal.pendingProcessAgeMs(key));
    }
    if (!remote?.processed) {
      await ctx.reacquire();
      this.#checkpoint();
      emit({ type: 'step', key, step: 'process' });
      this.#wrote = true;
      let watched: RemoteInvoice | undefined;
      // An earlier run journaled the invoice OUTCOME_UNKNOWN after watching its request whole: a
      // refusal now is taken at its word (else a refusal that stands would never be said as one).
      const concluded = journal.state(key).processWatched === true;
      // A send again while an earlier one's answer is lost (this run's, or an earlier run's intent
      // still pending): its refusal settles nothing of the earlier send, which may be at work in
      // the target — the refusal may be the target declining a second start (Alma's 60260).
      let earlierUnknown = false;
      let sends = 0;
      try {
        remote = await writeOnce(
          this.#opts,
          key,
          'process',
          async () => {
            earlierUnknown = journal.state(key).processPending && (sends > 0 || !concluded);
            sends++;
            const unsettled = earlierUnknown;
            return sendJournaled(this.#opts, { t: 'intent', ...this.#who, step: 'process', id }, () => finalize(id, inv), () => unsettled);
          },
          async () => {
            const seen = await parkedWait(id, this.#opts, ctx, watchMs);
            if (seen.processed) return seen;
            watched = seen;
            // Never twice in a run (Target.finalizeOnce): writeOnce gives up after this one send.
            if (once !== undefined) return undefined;
            await ctx.reacquire();
            this.#checkpoint();
            return undefined;
          },
          once !== undefined ? 1 : this.#opts.maxWriteAttempts,
        );
      } catch (err) {
        // Sent again after a lost answer, and refused (or met by a 429 that stops nothing): as
        // engine/operations.ts runOne's `resentUnknown`. The invoice is read once more: shown
        // processed, the earlier send did it; else its outcome is unknown, not the refusal's code
        // (a business refusal would read "fix it in Alma", and the re-run would send at once to an
        // invoice the target may still be processing). The intent stays pending (no `refused`).
        if (earlierUnknown && err instanceof ApiError && (isRefusal(err) || err.httpStatus === 429) && runStopOf(err) === undefined) {
          const now = this.#notWithdrawn(await target.getInvoice(id));
          if (!now.processed) throw new InvoiceFailure(this.#resentUnknown(err, now), watched !== undefined);
          remote = now;
        } else {
          // ABORTED: the hard stop cut it off (failed() says so), no watch of it ended.
          if (watched === undefined || !(err instanceof UnknownOutcomeError) || err.code === 'ABORTED') throw err;
          // Still not shown after the watch: it may yet be at work in the target. The intent stays
          // pending in the journal, so a re-run reads the invoice first and decides. So for a target
          // that may be sent it again (Alma's process, `maxWriteAttempts`), whose last send went
          // unanswered too: OUTCOME_UNKNOWN, not the lost answer's code (ECONNRESET, a 5xx's).
          const shown = watched.workflowStatus !== undefined ? `still showed ${watched.workflowStatus}` : 'did not show it done';
          const later = `${Math.round(watchMs / 1000)} s later`;
          throw new InvoiceFailure({
            step: 'process',
            http_status: err.httpStatus,
            code: OUTCOME_UNKNOWN,
            message:
              once !== undefined
                ? `${once.what} outcome unknown: ${this.#label} did not answer the ${once.what} (${err.code}: ${err.message}), and the invoice ${shown} ` +
                  `${later}; it was not sent again, as a second ${once.what} could be a second financial transaction — ` +
                  'run the same command again to check it: it reads the invoice first'
                : `process outcome unknown: ${this.#label} answered none of the ${this.#opts.maxWriteAttempts} process requests sent (the last: ${err.code}: ${err.message}), ` +
                  `and the invoice ${shown} ${later}; it was not sent again — run the same command again to check it: it reads the invoice first, and sends the request again only if ${this.#label} does not show it processed`,
            ...(err.trackingId !== undefined ? { tracking_id: err.trackingId } : {}),
          });
        }
      }
    }
    this.#remote = remote;
    journal.append({ t: 'processed', ...this.#who, id });
    return undefined;
  }

  /**
   * A process request sent again while an earlier one's answer was lost, refused (or met by a
   * 429), and the invoice read after it not processed: OUTCOME_UNKNOWN, the refusal's status, code
   * and words in the message, its tracking id in the record (as engine/operations.ts `resentUnknown`).
   */
  #resentUnknown(err: ApiError, now: RemoteInvoice): ErrorRecord {
    const shows = now.workflowStatus !== undefined ? `still shows ${now.workflowStatus}` : 'does not show it processed';
    return {
      step: 'process',
      // Not the refusal's status: a 4xx would make it a business refusal (result.ts refusalKind).
      http_status: 0,
      code: OUTCOME_UNKNOWN,
      message:
        `process outcome unknown: a process request was sent before and its answer never came; sent again, it was answered ` +
        `${err.httpStatus > 0 ? `HTTP ${err.httpStatus}, ` : ''}${err.code}: ${err.message}, and the invoice ${shows} — ` +
        `the first request may still be at work in ${this.#label}: run the same command again to check it: it reads and watches the invoice first, and sends the request again only if ${this.#label} does not show it processed`,
      ...(err.trackingId !== undefined ? { tracking_id: err.trackingId } : {}),
    };
  }

  /** Step 4. Poll until Alma shows the outcome of its asynchronous processing. */
  async awaitOutcome(): Promise<InvoiceResult> {
    const { emit } = this.#opts;
    const id = this.#id;
    const ctx = this.#ctx;
    this.#step = 'poll';
    let remote = this.#remote;
    if (!remote?.processed) {
      emit({ type: 'step', key: this.#key, step: 'poll' });
      try {
        if (ctx.watch !== undefined) {
          // Nothing more to send for this invoice: its worker takes the next one while it waits.
          ctx.release();
          const seen = await ctx.watch.wait({ id, key: this.#key }, this.#opts.poll.timeoutMs);
          remote = seen.remote;
          if (!seen.settled) this.#warnings.push(notFinished(this.#opts.target, this.#opts.poll.timeoutMs));
        } else remote = await waitForProcessing(id, this.#opts, this.#opts.poll.timeoutMs, this.#warnings);
      } catch (err) {
        // A read of its status that failed (an answer cut short, a timeout) is no failure of an
        // invoice whose processing was accepted: it is loaded, as when processing has not shown
        // by --poll-timeout, and a re-run reads the status (sending nothing). A stop of the run
        // (refused key, daily threshold, unreachable, Ctrl-C) still stops it (`failed`).
        if (!(err instanceof ApiError) || err instanceof IdNotKeptError || runStopOf(err) !== undefined || (this.#stopNow() && isAbort(err))) throw err;
        this.#warnings.push(statusUnread(this.#opts.target, err));
        const status = this.#finishedByOthers || (this.#processedEarlier && !this.#wrote) ? 'already_loaded' : 'loaded';
        if (remote !== undefined) return settle(this.#inv, this.#notWithdrawn(remote), status, this.#opts, this.#warnings, true);
        return { ...settledResult(this.#key, this.#opts.journal.state(this.#key), status), unfinished: true, warnings: this.#warnings };
      }
    }
    // Withdrawn since (FOLIO Cancelled reads as processed): one this file's journal recorded and
    // had not settled fails WITHDRAWN, as on the other reads (docs/folio.md "Cancelled") — a
    // resume whose journal shows the approval answered reads it here first.
    remote = this.#notWithdrawn(remote);
    // Processing not shown by the time limit: loaded (created, every line added, processing
    // accepted) with its warning — `in_review` says Alma processed it and sent it to review,
    // which an invoice still In Review without alerts has not shown. One the look-ups found and no
    // run sent anything (processed by hand since an earlier run) is already loaded, as when the
    // first look-up finds it processed (findOrCreate).
    if (this.#finishedByOthers) return settle(this.#inv, remote, 'already_loaded', this.#opts, this.#warnings, false, this.#listingCut);
    const loaded = this.#processedEarlier && !this.#wrote ? 'already_loaded' : 'loaded';
    return settle(this.#inv, remote, remote.processed && remote.inReview ? 'in_review' : loaded, this.#opts, this.#warnings, !remote.processed, !remote.processed || this.#listingCut);
  }

  /**
   * A step threw: a stop of the whole run is passed on; a refusal or a write whose outcome stayed
   * unknown ends this invoice, journaled as failed under the step it happened in.
   */
  failed(err: unknown): InvoiceResult {
    if (err instanceof IdNotKeptError && keyString(err.key) === keyString(this.#key)) throw this.#idNotKept(err);
    if (err instanceof StopRun || err instanceof CanaryStop || err instanceof IdNotKeptError || runStopOf(err) !== undefined) throw err;
    // Cut off by the hard stop: nothing is journaled as failed, so a re-run takes it up where it was.
    if (this.#stopNow() && isAbort(err)) throw new StopRun('interrupted');
    let record: ErrorRecord;
    let rewatch = false;
    if (err instanceof InvoiceFailure) {
      record = err.record;
      rewatch = err.rewatch;
    } else if (err instanceof ApiError) record = errorRecord(this.#step, err, this.#step === 'lines' ? refusedLine(this.#inv, this.#sendingLine) : undefined);
    else throw err;
    const { journal } = this.#opts;
    journal.append({ t: 'failed', ...this.#who, error: record, ...(rewatch ? { rewatch: true as const } : {}) });
    const st = journal.state(this.#key);
    return { ...settledResult(this.#key, st, 'failed'), error: record, warnings: this.#warnings };
  }

  /**
   * The target made this invoice's record, or one of its lines, under its own id: journaled as
   * failed. A line is journaled under the id it holds, so no run adds it again; the invoice's
   * create stays without an outcome, and a re-run's look-up finds it and leaves it alone (its id
   * is not the loader's), saying it is the one this create made (`id_not_kept`).
   */
  #idNotKept(err: IdNotKeptError): IdsStop {
    const { journal } = this.#opts;
    // A document (FOLIO) likewise under the id it holds, so no run attaches the file again.
    if (err.file !== undefined) journal.append({ t: 'attachment', ...this.#who, file: err.file, id: err.held });
    else if (err.line !== undefined) journal.append({ t: 'line', ...this.#who, line: err.line, id: err.held });
    else journal.append({ t: 'id_not_kept', ...this.#who, id: err.held });
    const line = err.line !== undefined ? refusedLine(this.#inv, err.line) : undefined;
    const step = err.file !== undefined ? 'attachments' : err.line !== undefined ? 'lines' : 'create';
    const record: ErrorRecord = { step, http_status: err.httpStatus, code: ID_NOT_KEPT, message: err.message, ...(line !== undefined ? { line } : {}) };
    journal.append({ t: 'failed', ...this.#who, error: record });
    return new IdsStop(record, err);
  }

  /**
   * The invoice this batch's journal records as its own, read by id: one the target now holds only
   * as deleted or withdrawn (`RemoteInvoice.withdrawn`: Exsited `DELETED` or `VOID`, Alguna `void` or
   * `canceled`, FOLIO `Cancelled`) is neither reported loaded nor created again blindly — it fails WITHDRAWN, and so
   * does every re-run of this batch. A new batch (an edited file) or this batch's journal deleted
   * creates it again: its look-up leaves the withdrawn one out (README, Exsited and Alguna).
   */
  #notWithdrawn(remote: RemoteInvoice): RemoteInvoice {
    if (remote.withdrawn !== true) return remote;
    const label = this.#label;
    const as = remote.workflowStatus !== undefined && remote.workflowStatus !== '' ? ` (${label} shows it ${remote.workflowStatus})` : '';
    throw new InvoiceFailure({
      step: this.#step,
      http_status: 0,
      code: WITHDRAWN,
      message:
        `invoice ${this.#key.number} of vendor ${this.#key.vendor} (id ${remote.id}) was deleted or withdrawn in ${label} since an earlier run of this file created it${as}; ` +
        `it was not reported loaded, and not created again (${WITHDRAWN}) — this file's journal records that invoice-load created it, so the same command fails it again. ` +
        `To load it again, load its rows from another file — the --rejects file, or an edited copy: another file has a journal of its own, so this one is looked for and created anew (deleting this file's journal would also drop what it knows of the batch's unfinished invoices); ` +
        'if it stays withdrawn, take it out of the file',
    });
  }

  #checkpoint(): void {
    if (this.#stopNow()) throw new StopRun('interrupted');
  }

  async #throughGate(): Promise<void> {
    if (this.#gated) return;
    const answer = await this.#ctx.canary.enter(this.#key);
    this.#gated = true;
    if (answer === 'failed') throw new StopRun('canary', !this.#wrote);
    if (this.#stopNow()) throw new StopRun('interrupted', !this.#wrote);
  }

  /** Journals the invoice's id, and the children the target created inline with it (Alguna). */
  #recordInvoice(r: RemoteInvoice, found: boolean, reconciled = false): void {
    const journal = this.#opts.journal;
    journal.append({ t: 'invoice', ...this.#who, id: r.id, found, ...(reconciled ? { reconciled } : {}) });
    for (const c of r.children ?? []) if (!journal.state(this.#key).lines.has(c.number)) journal.append({ t: 'line', ...this.#who, line: c.number, id: c.id });
    if (found) this.#adoptElsewhere(r.id);
  }

  /**
   * What another journal sent to the invoice found under `id` (engine/elsewhere.ts), made this
   * journal's. Written after the `invoice` entry, as entries of their own, so a kill may cut it
   * anywhere: the invoice's id journaled and found, with none, some or all of these entries. A
   * re-run (findOrCreate, the id known) runs it again: each step checks the journal before it
   * writes, so what was written is not written twice and what the kill cut is written now — else
   * the request taken over was not, and Alma still processing (In Review without alerts, as before
   * the request), the re-run sent op=process_invoice a second time (README "An edited file is a
   * new batch").
   */
  #adoptElsewhere(id: string): void {
    const journal = this.#opts.journal;
    // Lines another journal sent to this invoice: the listing may not show them yet, so they
    // become this journal's — recorded ones known, unanswered ones looked for across the window
    // before any is sent.
    const there = this.#opts.elsewhere?.get(keyString(this.#key))?.ids.get(id);
    if (there === undefined) return;
    const st = journal.state(this.#key);
    for (const [line, lineId] of there.lines) if (!st.lines.has(line)) journal.append({ t: 'line', ...this.#who, line, id: lineId });
    for (const [line, at] of there.linesPending) {
      if (!st.lines.has(line) && !st.linesPending.has(line)) journal.append({ t: 'intent', ...this.#who, step: 'line', line, id, at });
    }
    // Its process request too: Alma shows nothing while it processes (In Review without alerts,
    // as before the request), so the look-up cannot tell. Answered there: this journal's own
    // processed invoice (the request and its answer recorded, as they were there) — never
    // requested again, its status waited for and reported as a resumed run's (`#processedEarlier`).
    // Its intent already here without `processed` (a kill between the two): `processed` is written.
    // Sent there without an answer: this journal's own pending one — read, and watched for
    // across the watch, before it is sent again (`process`). README "An edited file is a new batch".
    // (A target without that step has none to take over: its `settled` is no request.)
    if (st.processed || this.#opts.target.finalize === undefined) return;
    if (!this.#allLinesThere(there)) return;
    if (there.processed === true) {
      if (!st.processPending) journal.append({ t: 'intent', ...this.#who, step: 'process', id });
      journal.append({ t: 'processed', ...this.#who, id });
      this.#processedEarlier = true;
    } else if (there.processPending === true && !st.processPending) {
      journal.append({ t: 'intent', ...this.#who, step: 'process', id });
    }
  }

  /**
   * Only for the lines that run sent is another journal's process request taken over: a line the
   * edit added is not in what was processed, and taken over as processed it was never added
   * (reported already_loaded without it). Then the line is added and processing requested again,
   * as before the take-over.
   */
  #allLinesThere(there: RecordedElsewhere): boolean {
    return this.#inv.lines.every((l) => there.lines.has(l.number) || there.linesPending.has(l.number));
  }

  /** Measures the settle window on this invoice, just created, beside the rest of the load. */
  #startMeasurement(createdId: string, sentAt: number): void {
    const { target, journal, emit } = this.#opts;
    const key = this.#key;
    const visible = async (): Promise<boolean> => (await target.findInvoices(key, { fresh: true, invoice: this.#inv })).some((r) => r.id === createdId);
    const clock = { wallNow: this.#wallNow, sleep: this.#opts.sleep, stopped: this.#stopNow, needless: this.#ctx.measurementNeedless };
    const measuring = this.#ctx.settle.measure(sentAt, visible, clock).then((m) => {
      if (m === undefined) return;
      journal.append({ t: 'settle', window_ms: m.windowMs, ...(m.lagMs !== undefined ? { lag_ms: m.lagMs } : {}), probes: m.probes });
      emit({ type: 'settle', key, lagMs: m.lagMs, windowMs: m.windowMs, probes: m.probes });
    });
    this.#ctx.background.push(measuring);
  }

  /** A create sent by an earlier run without an answer: the wait is said, then the invoice looked for across the window. */
  #findPendingCreate(sentAt: number | undefined, why: string): Promise<RemoteInvoice | undefined> {
    this.#opts.emit({ type: 'reconcile', key: this.#key, step: 'create', reason: why, earlier: true });
    return this.#findAcrossWindow(sentAt);
  }

  /** The invoice as the target shows it, looking again until a create sent at `sentAt` is older than the settle window. */
  #findAcrossWindow(sentAt: number | undefined): Promise<RemoteInvoice | undefined> {
    return lookAcrossWindow(
      async () => {
        const again = await this.#opts.target.findInvoices(this.#key, { fresh: true, invoice: this.#inv });
        return again.length > 0 ? adopt(again, this.#inv, this.#warnings, this.#label, this.#opts.journal.state(this.#key).notKept) : undefined;
      },
      sentAt ?? 0,
      this.#ctx.settle,
      this.#clock,
    );
  }
}

/**
 * Adds each of the invoice's files the journal does not record as attached. The journal is exact
 * for an invoice this loader created, unless a file's send has no recorded outcome; then, and for
 * an invoice found in the target, the target is asked (name and size) before anything is sent;
 * a file it holds under the name without a size to compare is taken, and `warnings` say so.
 * Returns whether anything was sent.
 */
async function attachFiles(inv: Invoice, id: string, opts: EngineOptions, checkpoint: () => void, warnings: LoadWarning[]): Promise<boolean> {
  const { target, journal, emit } = opts;
  const seam = target.attachments!;
  const key = inv.key;
  const who = { vendor: key.vendor, number: key.number };
  let sent = false;
  for (const file of seam.files(inv)) {
    const st = journal.state(key);
    if (st.attachments.has(file.name)) continue;
    if (st.found || st.attachmentsPending.has(file.name)) {
      const held = await seam.find(id, file);
      if (held !== undefined) {
        journal.append({ t: 'attachment', ...who, file: file.name, id: held.id });
        if (held.unmeasured === true) warnings.push(notCompared(file.name, target.label));
        continue;
      }
    }
    checkpoint();
    emit({ type: 'step', key, step: 'attachments', detail: file.name });
    sent = true;
    const added = await writeOnce(
      opts,
      key,
      'attachments',
      async () => {
        return sendJournaled(opts, { t: 'intent', ...who, step: 'attachment', id, file: file.name }, () => seam.add(id, file, who));
      },
      () => seam.find(id, file),
    );
    journal.append({ t: 'attachment', ...who, file: file.name, id: added.id });
    // Found after a lost answer, by its name only.
    if (added.unmeasured === true) warnings.push(notCompared(file.name, target.label));
  }
  return sent;
}

/** A file the target holds under its name, taken without its content compared (RemoteAttachment.unmeasured). */
const notCompared = (name: string, label: string): LoadWarning => ({
  code: 'attachment_not_compared',
  message:
    `${name}: ${label} holds a file of that name on this invoice, but gave neither its size nor its content, so the two could not be compared; ` +
    `it was taken as this file and not sent (a file is never attached twice) — check in ${label} that it is the right one`,
});

/**
 * The files named for an invoice processed before this loader attached them (loaded earlier
 * without the column, or found processed in the target): a load attaches files before
 * processing only, so they are said, not sent — the target may hold them already (added by hand).
 */
function unattached(inv: Invoice, st: InvoiceJournalState, target: Target, unlisted: readonly string[] = []): LoadWarning[] {
  const label = target.label;
  const out: LoadWarning[] = [];
  const missing = (target.attachments?.files(inv) ?? []).filter((f) => !st.attachments.has(f.name) && !unlisted.includes(f.name)).map((f) => f.name);
  if (missing.length > 0) {
    out.push({
      code: 'attachment_not_added',
      message: `${missing.join(', ')} not attached by this load: the invoice was already processed in ${label}, and files are attached only before processing; add ${missing.length > 1 ? 'them' : 'it'} in ${label} if ${missing.length > 1 ? 'they are' : 'it is'} not there`,
    });
  }
  if (unlisted.length > 0) {
    const many = unlisted.length > 1;
    out.push({
      code: 'attachment_not_listed',
      message:
        `${unlisted.join(', ')}: the run stopped before ${label} listed this invoice's files, so whether ${many ? 'they are' : 'it is'} there is not known; ` +
        `the invoice was already processed, and nothing was sent to it — check in ${label} and add ${many ? 'them' : 'it'} by hand if missing`,
    });
  }
  return out;
}

/** The line with this number as the target lists it, else as the journal knows it (an id only). */
async function listedLine(target: Target, id: string, st: InvoiceJournalState, inv: Invoice, number: string): Promise<RemoteLine | undefined> {
  const listed = (await target.listChildren(id, inv)).find((l) => l.number === number);
  if (listed !== undefined) return listed;
  const known = st.lines.get(number);
  return known === undefined ? undefined : { id: known, number };
}

/** The journal's lines by number, with the ones the target listed. */
function withListed(st: InvoiceJournalState, lines: readonly RemoteLine[]): Map<string, string> {
  const map = new Map(st.lines);
  for (const l of lines) map.set(l.number, l.id);
  return map;
}

/**
 * Appends a write's intent, sends the write, and journals a definite refusal (journal.ts
 * `refused`) or a request that provably never left (`unsent`), as common/errors.ts `writeVerdict`
 * says — never an outcome that may have written (an `UnknownOutcomeError`, a 5xx). Without it, a
 * re-run after a refused create (the vendor's account fixed in Alma, say) said its answer was
 * lost and waited out the settle
 * window, up to 30 s, looking for an invoice the refusal had not made. A write a Ctrl-C stopped
 * before it left (`NotSentError`) is journaled `unsent` for the same reason, and so is one that
 * ended on another write's `IdNotKeptError` (`notItsOwn`). `stillPending`: an error that
 * settles nothing, whatever its verdict — a create refused because the number exists after one
 * of ours of that number went unanswered: that refusal may be about our own invoice.
 */
async function sendJournaled<T>(
  opts: Pick<EngineOptions, 'journal' | 'emit'>,
  intent: Extract<JournalEntry, { t: 'intent' }> & { step: keyof typeof STEP_OF },
  send: () => Promise<T>,
  stillPending: (err: unknown) => boolean = () => false,
): Promise<T> {
  const { journal, emit } = opts;
  const written = (outcome: WriteOutcome): void => emit({ type: 'write', key: { vendor: intent.vendor, number: intent.number }, step: STEP_OF[intent.step], outcome });
  await journal.appendBeforeSend(intent);
  let answered: T;
  try {
    answered = await send();
  } catch (err) {
    const outcome = writeOutcome(err, intent);
    const settled = stillPending(err) ? undefined : settlingEntry(outcome);
    if (settled !== undefined) {
      const { vendor, number, step, line, file } = intent;
      journal.append({ t: settled, vendor, number, step, ...(line !== undefined ? { line } : {}), ...(file !== undefined ? { file } : {}) });
    }
    written(outcome);
    throw err;
  }
  written('accepted');
  return answered;
}

/**
 * The journal entry that settles the intent of a write that threw (`sendJournaled`): `refused`,
 * `unsent`, or undefined — the intent stays pending and a re-run looks for what it made.
 */
export function journaledAs(err: unknown, intent: Extract<JournalEntry, { t: 'intent' }>): 'refused' | 'unsent' | undefined {
  return settlingEntry(writeOutcome(err, intent));
}

const settlingEntry = (outcome: WriteOutcome): 'refused' | 'unsent' | undefined => (outcome === 'refused' || outcome === 'unsent' ? outcome : undefined);

/** The engine's step of a journaled write (journal.ts names them singular). */
const STEP_OF = { create: 'create', line: 'lines', attachment: 'attachments', process: 'process' } as const satisfies Record<string, Step>;

/**
 * How a write that threw ended, for the `write` event and the journal (`journaledAs`): common/errors.ts
 * `writeVerdict`, the rule the operations share, but for another write's `IdNotKeptError`, which
 * never left (`notItsOwn`: only the load knows which write an error is about), and for a write the
 * transport's halt ended before it left, which carries another request's error (transport/http.ts
 * `endedUnsent`: the 429 of a Retry-After too long, a refused key).
 */
export function writeOutcome(err: unknown, intent: Extract<JournalEntry, { t: 'intent' }>): WriteOutcome {
  return notItsOwn(err, intent) || endedUnsent(err) ? 'unsent' : writeVerdict(err);
}

/**
 * An `IdNotKeptError` a write ended on that is about another write: it never left. Only the
 * create or line the target answered under its own id gets its own; every other write gets it
 * unsent — held back until a first create showed the ids kept (targets/folio/target.ts
 * `firstAlone`), or waiting for its turn when the run halted the transport on it (which then ends
 * only requests not yet attempted with the halt's reason, transport/http.ts `#halted`). Its
 * status (the create's 2xx) is no refusal, so without this the intent stayed pending and a re-run
 * looked across the settle window for a record no request had made.
 */
export function notItsOwn(err: unknown, intent: Extract<JournalEntry, { t: 'intent' }>): boolean {
  if (!(err instanceof IdNotKeptError)) return false;
  const same = err.key.vendor === intent.vendor && err.key.number === intent.number;
  const own =
    same &&
    (err.file !== undefined
      ? intent.step === 'attachment' && intent.file === err.file
      : err.line === undefined
        ? intent.step === 'create'
        : intent.step === 'line' && intent.line === err.line);
  return !own;
}

/**
 * Sends a write; if its outcome is unknown, asks the target what exists (`reconcile`) and only
 * sends again when the write is provably absent. Never more than `maxAttempts` sends
 * (`maxWriteAttempts`; 1 for a finalize the target never lets go twice in a run).
 */
async function writeOnce<T>(
  opts: EngineOptions,
  key: InvoiceKey,
  step: Step,
  send: () => Promise<T>,
  reconcile: () => Promise<T | undefined>,
  maxAttempts = opts.maxWriteAttempts,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!(err instanceof UnknownOutcomeError)) throw err;
      // The hard stop cut the request off: no asking now (every request is being aborted); the
      // intent stays pending in the journal and the next run reconciles it.
      if (err.code === 'ABORTED') throw err;
      opts.emit({ type: 'reconcile', key, step, reason: `${err.code}: ${err.message}` });
      const existing = await reconcile();
      if (existing !== undefined) return existing;
      if (attempt >= maxAttempts) throw err;
    }
  }
}

/** `waitForProcessing` without holding a slot: other invoices send meanwhile. */
async function parkedWait(id: string, opts: EngineOptions, ctx: InvoiceContext, limitMs: number): Promise<RemoteInvoice> {
  ctx.release();
  return waitForProcessing(id, opts, Math.max(0, limitMs));
}

/**
 * Reads the invoice until processing has visibly run, for at most `limitMs`. With `warnings`
 * (the process request was answered), running out of time is reported on the invoice;
 * without (reconciling an unknown outcome), the caller decides whether to send the request.
 */
async function waitForProcessing(
  id: string,
  opts: EngineOptions,
  limitMs: number,
  warnings?: LoadWarning[],
): Promise<RemoteInvoice> {
  let waited = 0;
  let interval = opts.poll.initialMs;
  for (;;) {
    await opts.sleep(interval);
    // A stop ends the waiting, not a request: what was sent is journaled, and a re-run reads the invoice again.
    if (opts.stopSignal?.aborted === true) throw new StopRun('interrupted');
    waited += interval;
    const remote = await opts.target.getInvoice(id);
    if (remote.processed) return remote;
    if (waited >= limitMs) {
      if (warnings) warnings.push(notFinished(opts.target, limitMs));
      return remote;
    }
    interval = nextPollWait(interval, opts.poll.maxIntervalMs, limitMs, waited);
  }
}

/** The same words for every such invoice (its row and number are the report's): the terminal says them once for all. */
const notFinished = (target: Target, limitMs: number): LoadWarning => ({
  code: 'not_finished',
  message: `${target.label} had not finished processing the invoice after ${limitMs / 1000} s (--poll-timeout): its status and alerts may still change, and running the same command again reads them (sending nothing)`,
});

/** Processing was accepted, but the invoice's status could not be read afterwards: `not_finished`, with why (the target's code kept). */
const statusUnread = (target: Target, err: ApiError): LoadWarning => ({
  code: 'not_finished',
  message: `${target.label} accepted the request to process the invoice, but its status could not be read afterwards (${err.code}: ${err.message}${err.trackingId !== undefined ? `, tracking id ${err.trackingId}` : ''}): its status and alerts are not known yet, and running the same command again reads them (sending nothing)`,
});

/**
 * The invoice's result, journaled as settled — unless its processing had not shown by the time
 * limit (`unfinished`): the status read then is not its outcome, so it is not kept; a re-run
 * reads the invoice again (it sends nothing: the journal has the process request) and reports
 * what Alma decided. It was journaled once, and every re-run showed the stale status.
 * `unkept`: not journaled either, the status being its outcome — the run's stop cut its file
 * listing (InvoiceSaga #listingCut), and a re-run lists them.
 */
function settle(
  inv: Invoice,
  remote: RemoteInvoice,
  status: 'loaded' | 'in_review' | 'already_loaded',
  opts: EngineOptions,
  warnings: LoadWarning[],
  unfinished = false,
  unkept = unfinished,
): InvoiceResult {
  const who = { vendor: inv.key.vendor, number: inv.key.number };
  if (unkept) {
    const st = opts.journal.state(inv.key);
    return {
      ...settledResult(inv.key, st, status),
      workflowStatus: remote.workflowStatus,
      approvalStatus: remote.approvalStatus,
      alerts: remote.alerts,
      ...(remote.amounts !== undefined ? { amounts: remote.amounts } : {}),
      ...(unfinished ? { unfinished: true as const } : {}),
      warnings,
    };
  }
  opts.journal.append({
    t: 'settled',
    ...who,
    id: remote.id,
    status,
    workflow_status: remote.workflowStatus,
    approval_status: remote.approvalStatus,
    alerts: remote.alerts,
    ...(remote.amounts !== undefined ? { amounts: remote.amounts } : {}),
  });
  const st = opts.journal.state(inv.key);
  return { ...settledResult(inv.key, st, status), warnings };
}

/** The canary's read-back differs only where the target may write its own text (FieldDifference.tolerated): said, the run goes on. */
function storedOtherwise(differences: readonly FieldDifference[], label: string): LoadWarning {
  // Shown as words: the run's secrets masked (common/shown-secrets.ts).
  const what = maskMessage(differences.map((d) => `${d.field}: sent ${d.sent}, stored ${d.stored}`).join('; '));
  return {
    code: 'stored_otherwise',
    message: `${label} stored ${what}. ${label} may write its own text there, so the run went on; if the file's text matters, check it in ${label}`,
  };
}

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
 */
import { Decimal } from 'decimal.js';
import type { Invoice, InvoiceKey } from '../domain/model.js';
import { ApiError, AuthError, DailyLimitError, UnknownOutcomeError } from '../shared/errors.js';
import type { RemoteInvoice, Target } from '../targets/target.js';
import type { EngineEventSink, StopReason } from './events.js';
import type { ErrorRecord, InvoiceJournalState, Journal, Step } from './journal.js';
import type { InvoiceResult } from './result.js';

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
  concurrency: number;
  emit: EngineEventSink;
  /** Soft stop (first Ctrl-C): take no new invoice and no new step; in-flight requests finish. */
  stopSignal?: AbortSignal | undefined;
  sleep: (ms: number) => Promise<void>;
  poll: PollOptions;
  /** How many times one write may be sent when its outcome stays unknown after reconciling. */
  maxWriteAttempts: number;
}

export interface RunOutcome {
  results: InvoiceResult[];
  stopped?: { reason: StopReason; error?: Error | undefined } | undefined;
}

class StopRun extends Error {
  constructor(readonly reason: StopReason) {
    super(reason);
  }
}

/** An error that ends one invoice (not the run): a business refusal or a write that stayed unknown. */
class InvoiceFailure extends Error {
  constructor(readonly record: ErrorRecord) {
    super(record.message);
  }
}

export const DEFAULT_POLL: PollOptions = { initialMs: 300, maxIntervalMs: 5_000, timeoutMs: 60_000, unknownMs: 10_000 };

export async function runInvoices(invoices: readonly Invoice[], opts: EngineOptions): Promise<RunOutcome> {
  const { journal, emit } = opts;
  const results: InvoiceResult[] = new Array<InvoiceResult>(invoices.length);
  let stopped: RunOutcome['stopped'];
  const alreadyDone = invoices.filter((inv) => journal.state(inv.key).settled !== undefined).length;
  emit({ type: 'start', invoices: invoices.length, alreadyDone, resumed: journal.resumed });

  const stopNow = (): boolean => stopped !== undefined || opts.stopSignal?.aborted === true;
  const pending = invoices
    .map((inv, index) => ({ inv, index }))
    .filter(({ inv, index }) => {
      const settled = journal.state(inv.key).settled;
      if (!settled) return true;
      results[index] = settledResult(inv.key, journal.state(inv.key), 'already_loaded');
      return false;
    });
  let done = alreadyDone;
  for (const r of results) if (r) emit({ type: 'invoice', result: r, done: 0, total: invoices.length });

  // Only look-ups for invoices the journal cannot answer are prepared (nothing for a finished batch).
  const needLookup = pending.filter(({ inv }) => journal.state(inv.key).id === undefined).map(({ inv }) => inv.key);
  let next = 0;
  try {
    if (needLookup.length > 0) await opts.target.prepareLookups(needLookup);
  } catch (err) {
    stopped = stopFor(err);
    if (!stopped) throw err;
    emit({ type: 'stopping', reason: stopped.reason, message: stopMessage(stopped.reason, err) });
  }

  const worker = async (): Promise<void> => {
    while (!stopNow()) {
      const item = pending[next++];
      if (!item) return;
      let result: InvoiceResult;
      try {
        result = await loadInvoice(item.inv, opts, stopNow);
      } catch (err) {
        const reason = err instanceof StopRun ? err.reason : stopFor(err)?.reason;
        if (!reason) throw err;
        if (!stopped) {
          stopped = { reason, error: err instanceof StopRun ? undefined : (err as Error) };
          emit({ type: 'stopping', reason, message: stopMessage(reason, err) });
        }
        result = interruptedResult(item.inv.key, journal.state(item.inv.key), reason);
      }
      results[item.index] = result;
      done++;
      emit({ type: 'invoice', result, done, total: invoices.length });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, pending.length)) }, worker));

  if (!stopped && opts.stopSignal?.aborted) stopped = { reason: 'interrupted' };
  for (const { inv, index } of pending) {
    if (!results[index]) results[index] = notStarted(inv.key, journal.state(inv.key), stopped?.reason ?? 'interrupted');
  }
  return { results, stopped };
}

function stopFor(err: unknown): RunOutcome['stopped'] {
  if (err instanceof AuthError) return { reason: 'auth', error: err };
  if (err instanceof DailyLimitError) return { reason: 'daily_limit', error: err };
  return undefined;
}

function stopMessage(reason: StopReason, err: unknown): string {
  switch (reason) {
    case 'auth':
      return `the API key was refused (${(err as ApiError).code}: ${(err as ApiError).message}); nothing more will be sent`;
    case 'daily_limit':
      return "the institution's daily API threshold is used up; the journal is saved — re-run after midnight (the institution's time) to finish";
    case 'interrupted':
      return 'interrupted: finishing the requests in flight, then stopping (press Ctrl-C again to stop at once)';
  }
}

const errorRecord = (step: Step, err: ApiError): ErrorRecord => ({
  step,
  http_status: err.httpStatus,
  code: err.code,
  message: err.message,
  ...(err.trackingId !== undefined ? { tracking_id: err.trackingId } : {}),
});

function settledResult(key: InvoiceKey, st: InvoiceJournalState, status: InvoiceResult['status']): InvoiceResult {
  const s = st.settled;
  return {
    key,
    status,
    id: s?.id ?? st.id,
    workflowStatus: s?.workflow_status,
    approvalStatus: s?.approval_status,
    alerts: s?.alerts ?? [],
    lines: [...st.lines].map(([number, id]) => ({ number, id })),
    warnings: [],
  };
}

function interruptedResult(key: InvoiceKey, st: InvoiceJournalState, reason: StopReason): InvoiceResult {
  const base = settledResult(key, st, 'failed');
  const code = reason === 'daily_limit' ? 'DAILY_THRESHOLD' : reason === 'auth' ? 'UNAUTHORIZED' : 'INTERRUPTED';
  return {
    ...base,
    error: {
      step: st.processed ? 'poll' : st.id === undefined ? 'create' : 'lines',
      http_status: 0,
      code,
      message: 'the run stopped before this invoice was finished; the journal lets a re-run complete it',
    },
  };
}

const STOP_WORDS: Record<StopReason, string> = {
  interrupted: 'it was interrupted',
  daily_limit: "the daily API threshold was reached",
  auth: 'the API key was refused',
};

function notStarted(key: InvoiceKey, st: InvoiceJournalState, reason: StopReason): InvoiceResult {
  const r = interruptedResult(key, st, reason);
  return {
    ...r,
    status: 'not_started',
    error: r.error && { ...r.error, code: 'NOT_STARTED', message: `not started: the run stopped first (${STOP_WORDS[reason]}); a re-run loads it` },
  };
}

/** Picks our invoice among Alma's matches; refuses one that is plainly a different invoice. */
function adopt(matches: RemoteInvoice[], inv: Invoice, warnings: string[]): RemoteInvoice {
  const sorted = [...matches].sort((a, b) => compareIds(a.id, b.id));
  const first = sorted[0]!;
  if (sorted.length > 1) {
    warnings.push(
      `Alma holds ${sorted.length} invoices numbered ${inv.key.number} from ${inv.key.vendor} (ids ${sorted.map((m) => m.id).join(', ')}); used the oldest, ${first.id}`,
    );
  }
  if (first.totalAmount !== undefined && !new Decimal(first.totalAmount).equals(inv.header.totalAmount.toString())) {
    throw new InvoiceFailure({
      step: 'lookup',
      http_status: 0,
      code: 'EXISTS_DIFFERENT',
      message:
        `Alma already holds invoice ${inv.key.number} from ${inv.key.vendor} (id ${first.id}) with total ${first.totalAmount}, ` +
        `but this batch says ${inv.header.totalAmount.toFixed()}; it was left unchanged — check it in Alma`,
    });
  }
  return first;
}

/** Alma ids are long digit strings: compare by length, then text, never as JS numbers. */
const compareIds = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

async function loadInvoice(inv: Invoice, opts: EngineOptions, stopNow: () => boolean): Promise<InvoiceResult> {
  const { target, journal, emit } = opts;
  const key = inv.key;
  const who = { vendor: key.vendor, number: key.number };
  const warnings: string[] = [];
  const checkpoint = (): void => {
    if (stopNow()) throw new StopRun('interrupted');
  };
  let step: Step = 'lookup';
  try {
    let st = journal.state(key);
    let remote: RemoteInvoice | undefined;
    // Lines known to exist remotely; undefined = unknown, must be listed before adding any.
    let knownLines: Map<string, string> | undefined;

    // 1. The invoice in the target: from the journal, found by a look-up, or created now.
    if (st.id === undefined) {
      emit({ type: 'step', key, step: 'lookup' });
      const matches = await target.findInvoices(key, { fresh: st.createPending });
      if (matches.length > 0) {
        remote = adopt(matches, inv, warnings);
        journal.append({ t: 'invoice', ...who, id: remote.id, found: true });
        if (remote.processed) {
          journal.append({ t: 'processed', ...who, id: remote.id });
          return settle(inv, remote, 'already_loaded', opts, warnings);
        }
      } else {
        checkpoint();
        step = 'create';
        emit({ type: 'step', key, step: 'create' });
        let reconciled = false;
        remote = await writeOnce(
          opts,
          key,
          'create',
          () => {
            journal.append({ t: 'intent', ...who, step: 'create' });
            return target.createInvoice(inv);
          },
          async () => {
            reconciled = true;
            const again = await target.findInvoices(key, { fresh: true });
            return again.length > 0 ? adopt(again, inv, warnings) : undefined;
          },
        );
        journal.append({ t: 'invoice', ...who, id: remote.id, found: false });
        // A clean create leaves an invoice with no lines; after a reconcile we list them to be sure.
        if (!reconciled) knownLines = new Map();
      }
      st = journal.state(key);
    }
    const id = st.id!;

    // 2. Lines: every line once, matched by its explicit number.
    if (!st.processed) {
      step = 'lines';
      if (knownLines === undefined && !st.found && !st.createPending && st.linesPending.size === 0) {
        // We created it and every line we ever sent has a recorded outcome: the journal is exact.
        knownLines = new Map(st.lines);
      }
      if (knownLines === undefined && !st.processPending) {
        knownLines = await listLineMap(target, id, st);
      }
      for (const line of inv.lines) {
        if (knownLines?.has(line.number) || st.lines.has(line.number)) continue;
        if (knownLines === undefined) knownLines = await listLineMap(target, id, st);
        if (knownLines.has(line.number)) continue;
        checkpoint();
        emit({ type: 'step', key, step: 'lines', detail: line.number });
        const added = await writeOnce(
          opts,
          key,
          'lines',
          () => {
            journal.append({ t: 'intent', ...who, step: 'line', line: line.number, id });
            return target.addLine(id, line, inv);
          },
          async () => {
            const lineId = (await listLineMap(target, id, journal.state(key))).get(line.number);
            return lineId === undefined ? undefined : { id: lineId, number: line.number };
          },
        );
        journal.append({ t: 'line', ...who, line: line.number, id: added.id });
        knownLines.set(line.number, added.id);
      }
      st = journal.state(key);
    }

    // 3. Process, once.
    if (!st.processed) {
      step = 'process';
      // A process request may have been sent by an earlier run, or someone processed it by hand: look first.
      if (remote === undefined && (st.processPending || st.found)) remote = await target.getInvoice(id);
      if (remote !== undefined && !remote.processed && st.processPending) {
        remote = await waitForProcessing(inv, id, opts, opts.poll.unknownMs);
      }
      if (!remote?.processed) {
        checkpoint();
        emit({ type: 'step', key, step: 'process' });
        remote = await writeOnce(
          opts,
          key,
          'process',
          () => {
            journal.append({ t: 'intent', ...who, step: 'process', id });
            return target.processInvoice(id);
          },
          async () => {
            const seen = await waitForProcessing(inv, id, opts, opts.poll.unknownMs);
            return seen.processed ? seen : undefined;
          },
        );
      }
      journal.append({ t: 'processed', ...who, id });
    }

    // 4. Poll until Alma shows the outcome of its asynchronous processing.
    step = 'poll';
    if (!remote?.processed) {
      emit({ type: 'step', key, step: 'poll' });
      remote = await waitForProcessing(inv, id, opts, opts.poll.timeoutMs, warnings);
    }
    return settle(inv, remote, remote.inReview ? 'in_review' : 'loaded', opts, warnings);
  } catch (err) {
    if (err instanceof StopRun || err instanceof AuthError || err instanceof DailyLimitError) throw err;
    let record: ErrorRecord;
    if (err instanceof InvoiceFailure) record = err.record;
    else if (err instanceof ApiError) record = errorRecord(step, err);
    else throw err;
    if (stopNow() && record.code === 'ABORTED') throw new StopRun('interrupted');
    journal.append({ t: 'failed', ...who, error: record });
    const st = journal.state(key);
    return { ...settledResult(key, st, 'failed'), error: record, warnings };
  }
}

async function listLineMap(target: Target, id: string, st: InvoiceJournalState): Promise<Map<string, string>> {
  const lines = await target.listLines(id);
  const map = new Map(st.lines);
  for (const l of lines) map.set(l.number, l.id);
  return map;
}

/**
 * Sends a write; if its outcome is unknown, asks the target what exists (`reconcile`) and only
 * sends again when the write is provably absent. Never more than `maxWriteAttempts` sends.
 */
async function writeOnce<T>(
  opts: EngineOptions,
  key: InvoiceKey,
  step: Step,
  send: () => Promise<T>,
  reconcile: () => Promise<T | undefined>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!(err instanceof UnknownOutcomeError)) throw err;
      opts.emit({ type: 'reconcile', key, step, reason: `${err.code}: ${err.message}` });
      const existing = await reconcile();
      if (existing !== undefined) return existing;
      if (attempt >= opts.maxWriteAttempts) throw err;
    }
  }
}

/**
 * Reads the invoice until processing has visibly run, for at most `limitMs`. With `warnings`
 * (the process request was answered), running out of time is reported on the invoice;
 * without (reconciling an unknown outcome), the caller decides whether to send the request.
 */
async function waitForProcessing(
  inv: Invoice,
  id: string,
  opts: EngineOptions,
  limitMs: number,
  warnings?: string[],
): Promise<RemoteInvoice> {
  let waited = 0;
  let interval = opts.poll.initialMs;
  for (;;) {
    await opts.sleep(interval);
    waited += interval;
    const remote = await opts.target.getInvoice(id);
    if (remote.processed) return remote;
    if (waited >= limitMs) {
      if (warnings) {
        warnings.push(
          `Alma had not finished processing invoice ${inv.key.number} after ${Math.round(waited / 1000)} s; its status may still change`,
        );
      }
      return remote;
    }
    interval = Math.min(interval * 2, opts.poll.maxIntervalMs, Math.max(1, limitMs - waited));
  }
}

function settle(
  inv: Invoice,
  remote: RemoteInvoice,
  status: 'loaded' | 'in_review' | 'already_loaded',
  opts: EngineOptions,
  warnings: string[],
): InvoiceResult {
  const who = { vendor: inv.key.vendor, number: inv.key.number };
  opts.journal.append({
    t: 'settled',
    ...who,
    id: remote.id,
    status,
    workflow_status: remote.workflowStatus,
    approval_status: remote.approvalStatus,
    alerts: remote.alerts,
  });
  const st = opts.journal.state(inv.key);
  return { ...settledResult(inv.key, st, status), warnings };
}


/**
 * One write on each of many existing invoices, exactly once: the hand-over to finance
 * (`op=mark_in_erp`) and its answers (`op=paid`, `op=rejected`). Alma has no idempotency key
 * here either, so the pattern is the load's (engine.ts), smaller:
 * - the journal records the intent before the request and the outcome after it; an operation
 *   with an outcome is never sent again;
 * - the invoice is always read before it is changed: one that already shows the operation's
 *   effect is `already_done` (someone in the UI, say) — `done` when this loader sent it in an
 *   earlier run whose answer was lost (its intent pending, or `opsLost`, in the journal) — one in
 *   a status that does not accept it fails with the reason, and nothing is sent for either;
 * - a request Alma answers (2xx) was accepted, whatever its answer holds: Alma processes these
 *   actions asynchronously, and the answer "might not include status and alerts" (the invoice
 *   XSD, docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments). Unless the answer
 *   shows the effect, it is journaled as accepted — never to be sent again — and the invoice is
 *   read until it shows the effect, a bounded series of reads (`confirm`);
 * - a request whose outcome is unknown (no answer at all) is followed by reads: at once, then as
 *   an accepted one's for a bounded time (`confirm.unknownMs`, as a load watches a lost
 *   process_invoice), since the request may have reached Alma and still be at work there; it is
 *   sent again only when they never show its effect. A request a killed run sent without an
 *   answer (its intent pending in the journal) is watched the same way on the re-run, for what
 *   is left of that time since the run after it began, so killed runs do not send it again at
 *   once. A send again refused (a 4xx: Alma's codes
 *   for an invoice in the wrong status are not documented, docs/alma.md "Inferred, not
 *   documented"; or a 429) is read once more: the first may have taken effect meanwhile, and then
 *   it is done; if not, its outcome is unknown (OUTCOME_UNKNOWN, not the refusal), and the journal
 *   still holds the first as lost (journal.ts `opsLost`), so a later
 *   run that finds the effect reports it done, not `already_done`. A send again after this run's
 *   lost answer that did nothing (refused, never sent) settles nothing: the first send's intent
 *   stays pending, so the re-run reads and watches the invoice before sending; one after an
 *   earlier run's, which this run watched first, is settled as any other. A send that did nothing is
 *   journaled as the load's writes are (engine.ts `journaledAs`): `refused` (a 4xx, a 429
 *   included), `unsent` (it never left: a Ctrl-C before its turn, a connection refused before
 *   any byte), so a re-run does not wait for an answer there was none of.
 * Items run `concurrency` at a time; pace and retries are the client's (transport/).
 */
import type { InvoiceKey } from '../domain/model.js';
import { ApiError, isAbort, isRefusal, runStopOf, UnknownOutcomeError, writeVerdict } from '../common/errors.js';
import { DEFAULT_POLL, nextPollWait, type Alert } from '../targets/target.js';
import { stopDetail, stopMessage, type StopDetail, type StopReason } from './events.js';
import type { ErrorRecord, Journal } from './journal.js';
import { journaledAs } from './engine.js';
import { endedUnsent } from '../transport/http.js';
import { NOT_STARTED, OUTCOME_UNKNOWN } from './result.js';

/** What an operation needs to know of an invoice's current state. */
export interface OpState {
  id: string;
  workflowStatus?: string | undefined;
  alerts: Alert[];
}

export interface OpSpec<S extends OpState> {
  key: InvoiceKey;
  /**
   * The invoice's key in the journal, when vendor and number may not name one invoice (export:
   * an institution with `invoice_not_unique=true` holds one number twice). Default `key`.
   */
  journalKey?: InvoiceKey | undefined;
  /** `mark_in_erp`, `paid`, `rejected`: the journal's name for the write. */
  op: string;
  /** The invoice as it is now; an `ErrorRecord` when it cannot be found (or is ambiguous). */
  read(): Promise<S | ErrorRecord>;
  /** True when the invoice already shows this operation's effect. */
  done(state: S): boolean;
  /** Why the invoice's status does not accept the operation, or undefined when it does. */
  refuse(state: S): ErrorRecord | undefined;
  /**
   * The invoice shows the effect (`done`) but not as this operation would leave it (a payment
   * with the same voucher and another amount): why, and it fails. Asked only when the effect was
   * there before this loader sent anything (`already_done`); undefined when it is the same.
   */
  differs?: ((state: S) => ErrorRecord | undefined) | undefined;
  /** The invoice as the answer shows it; undefined when the answer (2xx) shows none: accepted. */
  send(id: string): Promise<S | undefined>;
}

export type OpStatus = 'done' | 'already_done' | 'failed' | 'not_started';

export interface OpResult<S extends OpState> {
  key: InvoiceKey;
  status: OpStatus;
  id?: string | undefined;
  state?: S | undefined;
  workflowStatus?: string | undefined;
  alerts: Alert[];
  error?: ErrorRecord | undefined;
}

export interface OpRunOptions {
  journal: Journal;
  concurrency: number;
  stopSignal?: AbortSignal | undefined;
  /** Sends of one write at most, while its outcome stays unknown. */
  maxWriteAttempts: number;
  /**
   * How an accepted write is confirmed: reads `sleep`ing `initialMs` (default 300) before the
   * first, each wait twice the one before up to `maxIntervalMs` (default 5 s), for at most
   * `timeoutMs` in all. A write whose answer was lost is read at once, then the same way for at
   * most `unknownMs` (default the load's: 10 s, at most `timeoutMs`) before it is sent again.
   * Without it, one read at once.
   */
  confirm?:
    | { timeoutMs: number; sleep: (ms: number) => Promise<void>; initialMs?: number | undefined; maxIntervalMs?: number | undefined; unknownMs?: number | undefined }
    | undefined;
  onResult?: ((r: OpResult<OpState>, done: number, total: number) => void) | undefined;
  /** The wall clock (ms) written into each send's intent (`at`; default Date.now): when it left, for journal.ts `opsSentAt`. */
  wallNow?: (() => number) | undefined;
  /** Told once when the run stops for Alma's sake (unreachable, key refused, daily threshold): the line to show. */
  onStop?: ((reason: StopReason, message: string) => void) | undefined;
  /**
   * Called once with the error of that stop: no further request can succeed, so the caller's
   * transport sends nothing more, not even the retries of the requests in flight.
   */
  halt?: ((reason: Error) => void) | undefined;
}

export interface OpRunOutcome<S extends OpState> {
  results: OpResult<S>[];
  /**
   * What this run's writes did: `wrote`, one may have changed an invoice (Alma accepted it, or
   * its outcome is unknown: no answer, Ctrl-C during it); `refused`, Alma answered one with an
   * error (a refused key, a 4xx, the daily threshold), which changed nothing. Neither: no write
   * was sent — every invoice done already, refused before sending, or a stop before the first.
   */
  writes: { wrote: boolean; refused: boolean };
  stopped?: StopReason | undefined;
  /** More of the stop, for the report's next step (events.ts `stopDetail`). */
  detail?: StopDetail | undefined;
}

export async function runOperations<S extends OpState>(specs: readonly OpSpec<S>[], opts: OpRunOptions): Promise<OpRunOutcome<S>> {
  let finished = 0;
  // One operation per journal key in a run: items run side by side, so a key given twice (an
  // invoice listed twice) would be read twice before either is journaled, and sent twice. The
  // later one waits for the first and is what the first became, sending nothing of its own.
  const firsts = new Map<string, Promise<OpResult<S>>>();
  const writes = { wrote: false, refused: false };
  const once = (spec: OpSpec<S>): Promise<OpResult<S>> => {
    const jk = spec.journalKey ?? spec.key;
    const k = `${spec.op}\u0000${jk.vendor}\u0000${jk.number}`;
    const first = firsts.get(k);
    if (first !== undefined) return first.then((r) => ({ ...r, key: spec.key, status: r.status === 'done' ? 'already_done' : r.status }));
    const p = runOne({ ...spec, send: watchedSend(spec.send, writes) }, opts);
    firsts.set(k, p);
    return p;
  };
  const { results, stopped, detail } = await eachUntilStopped<OpSpec<S>, OpResult<S>>(
    specs,
    once,
    // The invoice that met an unreachable Alma keeps its own error, as it did when that was no stop.
    (spec, reason, err) => (reason === 'unreachable' ? { key: spec.key, status: 'failed', alerts: [], error: apiErrorRecord(err as ApiError) } : notStarted(spec, reason)),
    opts,
    (r) => opts.onResult?.(r, ++finished, specs.length),
  );
  return { results: specs.map((spec, i) => results[i] ?? notStarted(spec, stopped ?? 'interrupted')), writes, stopped, ...(detail !== undefined ? { detail } : {}) };
}

/**
 * `send`, telling `writes` what each request did, as the load's journal says it
 * (common/errors.ts `writeVerdict`): answered 2xx, or its outcome unknown (no answer, a 5xx,
 * Ctrl-C during it, a 2xx the loader could not use) — it may have changed the invoice; refused
 * (a 4xx, a refused key, the daily threshold) — nothing changed; never sent (`NotSentError`, an
 * unreachable Alma) — neither.
 */
export function watchedSend<S>(send: (id: string) => Promise<S | undefined>, writes: { wrote: boolean; refused: boolean }): (id: string) => Promise<S | undefined> {
  return async (id) => {
    try {
      const answered = await send(id);
      writes.wrote = true;
      return answered;
    } catch (err) {
      // A write the halt ended before it left carries another request's error (transport/http.ts `endedUnsent`).
      const verdict = endedUnsent(err) ? 'unsent' : writeVerdict(err);
      if (verdict === 'unknown') writes.wrote = true;
      else if (verdict === 'refused') writes.refused = true;
      throw err;
    }
  };
}

/**
 * Reads the invoices many items name, `concurrency` at a time, before anything is changed
 * (payments: every problem before the first write), stopping as `runOperations` does when Alma
 * cannot go on (unreachable, key refused, daily threshold): an item not read is left undefined;
 * the one that met an unreachable Alma gets its error.
 */
export async function readEach<T, R>(
  items: readonly T[],
  read: (item: T) => Promise<R | ErrorRecord>,
  opts: Pick<OpRunOptions, 'concurrency' | 'stopSignal' | 'onStop' | 'halt'>,
): Promise<{ results: (R | ErrorRecord | undefined)[]; stopped?: StopReason | undefined; detail?: StopDetail | undefined }> {
  return eachUntilStopped<T, R | ErrorRecord | undefined>(items, read, (_item, reason, err) => (reason === 'unreachable' ? apiErrorRecord(err as ApiError) : undefined), opts);
}

/** Items `concurrency` at a time; the first run stop (runStopOf, or Ctrl-C) is said once and ends every worker. */
async function eachUntilStopped<T, R>(
  items: readonly T[],
  run: (item: T) => Promise<R>,
  onStop: (item: T, reason: StopReason, err: unknown) => R,
  opts: Pick<OpRunOptions, 'concurrency' | 'stopSignal' | 'onStop' | 'halt'>,
  onResult?: (r: R) => void,
): Promise<{ results: (R | undefined)[]; stopped?: StopReason | undefined; detail?: StopDetail | undefined }> {
  const results = new Array<R | undefined>(items.length);
  let stopped: StopReason | undefined;
  let detail: StopDetail | undefined;
  let next = 0;
  const aborted = (): boolean => opts.stopSignal?.aborted === true;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (stopped !== undefined || aborted()) return;
      const index = next++;
      if (index >= items.length) return;
      const item = items[index]!;
      let r: R;
      try {
        r = await run(item);
      } catch (err) {
        const reason = runStopOf(err) ?? (aborted() ? 'interrupted' : undefined);
        if (reason === undefined) throw err;
        if (stopped === undefined && reason !== 'interrupted') {
          detail = stopDetail(reason, err);
          opts.halt?.(err as Error);
          opts.onStop?.(reason, stopMessage(reason, err));
        }
        stopped ??= reason;
        r = onStop(item, stopped, err);
      }
      results[index] = r;
      onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, items.length)) }, worker));
  if (stopped === undefined && aborted()) stopped = 'interrupted';
  return { results, stopped, ...(detail !== undefined ? { detail } : {}) };
}

const notStarted = <S extends OpState>(spec: OpSpec<S>, reason: StopReason): OpResult<S> => ({
  key: spec.key,
  status: 'not_started',
  alerts: [],
  error: { step: 'erp', http_status: 0, code: NOT_STARTED, message: `not started: the run stopped first (${reason}); a re-run does it` },
});

async function runOne<S extends OpState>(spec: OpSpec<S>, opts: OpRunOptions): Promise<OpResult<S>> {
  const { journal } = opts;
  const jk = spec.journalKey ?? spec.key;
  const who = { vendor: jk.vendor, number: jk.number };
  const st = journal.state(jk);
  const recorded = st.ops.get(spec.op);
  // Done in an earlier run: nothing to send or read.
  if (recorded !== undefined) {
    return { key: spec.key, status: 'already_done', id: recorded.id, workflowStatus: recorded.workflow_status, alerts: recorded.alerts ?? [] };
  }
  const fail = (error: ErrorRecord, id?: string): OpResult<S> => {
    journal.append({ t: 'failed', ...who, error });
    return { key: spec.key, status: 'failed', id, alerts: [], error };
  };
  // What this run sent and got no verdict on (accepted, or its answer lost), for a Ctrl-C while
  // it reads the invoice after the send: not "not started" then (the journal holds the send).
  let sent: { id: string; accepted: boolean } | undefined;
  // The reads after a send: one that fails (a 4xx, a 5xx past the retries) is said as the send's
  // outcome not known, not as a plain read failure (catch, below).
  const after: OpSpec<S> = { ...spec, read: () => readAfterSend(spec) };
  try {
    const found = await spec.read();
    if (!('id' in found)) return fail(found);
    const finish = (state: S, outcome: 'done' | 'already_done'): OpResult<S> => {
      journal.append({ t: 'op', ...who, op: spec.op, id: state.id, outcome, workflow_status: state.workflowStatus, alerts: state.alerts });
      return { key: spec.key, status: outcome, id: state.id, state, workflowStatus: state.workflowStatus, alerts: state.alerts };
    };
    // Accepted by an earlier run: its effect shows now (done by that request), or it is not sent again.
    const accepted = st.opsAccepted.has(spec.op);
    // Sent by an earlier run whose answer was lost (its intent pending, or `opsLost`: sent again
    // since, and that refused or never sent — which settles the intent, not the first send): an
    // effect shown now is most likely that send's, so it is done by this loader and journaled as
    // its own, not `already_done` (recorded by an earlier run, or done by someone else).
    const pending = st.opsPending.has(spec.op);
    const lost = pending || st.opsLost.has(spec.op);
    if (spec.done(found)) {
      // Not sent by this loader: Alma's values may be another's (a corrected file, the UI), and
      // already_done would say the row's are there. (Sent by it, the journal's file is this one.)
      const other = accepted || lost ? undefined : spec.differs?.(found);
      if (other !== undefined) return fail(other, found.id);
      return finish(found, accepted || lost ? 'done' : 'already_done');
    }
    const refused = spec.refuse(found);
    if (refused !== undefined) return fail(refused, found.id);
    if (accepted) return fail(notShown(spec.op, found, 'an earlier run'), found.id);
    const c = opts.confirm;
    const unknownMs = Math.min(c?.unknownMs ?? DEFAULT_POLL.unknownMs, c?.timeoutMs ?? 0);
    // Sent by an earlier run, its answer never came (a kill): it may have reached Alma and be at
    // work there. Watched as a lost answer is within a run, for what is left of that wait since
    // the run after it began (as a load's pending process_invoice, engine.ts pendingProcessAgeMs),
    // before it is sent again.
    if (pending) {
      const left = unknownMs - journal.pendingOpAgeMs(jk, spec.op);
      if (left > 0) {
        sent = { id: found.id, accepted: false };
        const now = await confirm(after, opts, left);
        if (!('id' in now)) return fail(lostUnsettled(spec.op, 'an earlier run', now), found.id);
        if (spec.done(now)) return finish(now, 'done');
        const refusedNow = spec.refuse(now);
        if (refusedNow !== undefined) return fail(refusedNow, now.id);
      }
    }
    if (opts.stopSignal?.aborted === true) throw new ApiError({ httpStatus: 0, code: 'ABORTED', message: 'stopped' });
    let answered: S | undefined;
    for (let attempt = 1; ; attempt++) {
      const intent = { t: 'intent', ...who, step: 'op', op: spec.op, id: found.id, at: (opts.wallNow ?? Date.now)() } as const;
      try {
        journal.append(intent);
        answered = await spec.send(found.id);
        break;
      } catch (err) {
        // A write that did nothing — refused (a 4xx, a 429 included), or never sent (a Ctrl-C
        // before its turn, a connection refused before any byte) — is settled as the load's writes
        // are, by the one rule (engine.ts journaledAs, common/errors.ts writeVerdict): the re-run
        // reads once and sends at once instead of waiting for a lost answer there was none of.
        // Not a send again after this run's lost answer (attempt > 1): `refused` or `unsent` would
        // settle the first send's intent too (journal.ts opsPending), which may be at work in Alma
        // — the refusal may be Alma declining the operation for the status that first send left —
        // so the re-run would send at once to an invoice Alma is still changing. Its intent stays
        // pending, and the re-run reads and watches the invoice first, as after a kill (and as a
        // load's process request, engine.ts InvoiceSaga.process: README "Exactly once").
        const settled = attempt > 1 ? undefined : journaledAs(err, intent);
        if (settled !== undefined) journal.append({ t: settled, ...who, step: 'op', op: spec.op });
        // isRefusal is never an unknown outcome (common/errors.ts writeVerdict); a 429 that is no
        // stop of the run (the per-second threshold, after the client's retries) did nothing either.
        const definite = err instanceof ApiError && (isRefusal(err) || err.httpStatus === 429);
        if ((attempt > 1 || pending) && definite && runStopOf(err) === undefined) {
          // Sent again after a lost answer, and refused or met by a 429: for the status the first
          // send left it in (Alma works on these asynchronously). Not shown done, the first send may
          // still take effect: its outcome is unknown, not the send again's refusal (which would
          // read as a business refusal: report/failures.ts). (A refused key, the daily threshold:
          // the run stops, below.) A failed read says so too (readAfterSend). This run's lost
          // answer (attempt > 1): the intent stays pending (above), so the re-run watches before
          // it sends. An earlier run's (`pending`), watched above for the rest of its wait: the
          // refusal settled it (`refused`), so the run after sends at once and a refusal that
          // stands is said as one then.
          sent ??= { id: found.id, accepted: false };
          const now = await after.read();
          if ('id' in now && spec.done(now)) return finish(now, 'done');
          return fail(resentUnknown(spec.op, err), found.id);
        }
        if (!(err instanceof UnknownOutcomeError) || err.code === 'ABORTED') throw err;
        // No answer: it may have reached Alma and be at work there. Read, for a while, before sending again.
        sent ??= { id: found.id, accepted: false };
        const now = await confirm(after, opts, unknownMs, true);
        // The invoice cannot be found any more (deleted meanwhile, or its look-up ambiguous): the
        // send's outcome unknown, with the read's failure in its words, as after an earlier run's
        // lost answer (above) — not sent again, which Alma could only refuse for the missing invoice.
        if (!('id' in now)) return fail(lostUnsettled(spec.op, 'this run', now), found.id);
        if (spec.done(now)) return finish(now, 'done');
        // Its last send lost too, and not shown done: it may still take effect (Alma works on these
        // asynchronously). OUTCOME_UNKNOWN, not the socket's code (ECONNRESET, a timeout's, a 5xx's),
        // as after a send again refused (resentUnknown); the intent stays pending, so the same command
        // reads the invoice first (docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments).
        if (attempt >= opts.maxWriteAttempts) return fail(lostEachTime(spec.op, attempt, err, now), found.id);
      }
    }
    if (answered !== undefined && spec.done(answered)) return finish(answered, 'done');
    // Answered, its effect not in the answer: accepted, never sent again; read until it shows.
    journal.append({ t: 'accepted', ...who, op: spec.op, id: found.id });
    sent = { id: found.id, accepted: true };
    const seen = await confirm(after, opts);
    if ('id' in seen && spec.done(seen)) return finish(seen, 'done');
    return fail('id' in seen ? notShown(spec.op, seen, 'this run', opts.confirm?.timeoutMs) : seen, found.id);
  } catch (err) {
    // A refused key, a spent threshold, an Alma that cannot be reached: the run stops (above).
    if (runStopOf(err) !== undefined) throw err;
    // Stopped while the invoice was read after its send: sent (accepted, or its answer lost), not
    // "not started"; nothing is journaled as failed, and the next run reads it first (above).
    if (opts.stopSignal?.aborted === true && sent !== undefined && isAbort(err)) return stoppedAfterSend(spec, sent);
    // The read after a send failed: the send may have been done. OUTCOME_UNKNOWN (or NOT_CONFIRMED,
    // accepted) with the read's error in it; the journal keeps the send pending (or accepted), so
    // the same command reads the invoice first (docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments).
    if (err instanceof ReadAfterSendError && sent !== undefined) return fail(unreadAfterSend(spec, sent, err.error), sent.id);
    if (opts.stopSignal?.aborted === true) throw err;
    if (!(err instanceof ApiError)) throw err;
    return fail(apiErrorRecord(err));
  }
}

/**
 * Reads the invoice after a write until it shows the effect, as `opts.confirm` says, for at most
 * `limitMs` (an accepted write: `timeoutMs`); `atOnce`, the first read without a wait (a lost
 * answer: the write may have been done long before it was lost). The last read (an
 * `ErrorRecord` ends it: the invoice cannot be found).
 */
async function confirm<S extends OpState>(spec: OpSpec<S>, opts: OpRunOptions, limitMs = opts.confirm?.timeoutMs ?? 0, atOnce = false): Promise<S | ErrorRecord> {
  const c = opts.confirm;
  let waited = 0;
  let interval = Math.min(c?.initialMs ?? DEFAULT_POLL.initialMs, Math.max(1, limitMs));
  for (let reads = 0; ; reads++) {
    if (c !== undefined && (reads > 0 || !atOnce)) {
      await c.sleep(interval);
      waited += interval;
      interval = nextPollWait(interval, c.maxIntervalMs ?? DEFAULT_POLL.maxIntervalMs, limitMs, waited);
    }
    if (opts.stopSignal?.aborted === true) throw new ApiError({ httpStatus: 0, code: 'ABORTED', message: 'stopped' });
    const now = await spec.read();
    if (!('id' in now) || spec.done(now) || c === undefined || waited >= limitMs) return now;
  }
}

/** A read after a send that failed with an error of its own (not a run stop, not a Ctrl-C): see readAfterSend. */
class ReadAfterSendError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

/** `spec.read()`, its own failure (not a run stop, not a Ctrl-C) wrapped as ReadAfterSendError. */
async function readAfterSend<S extends OpState>(spec: OpSpec<S>): Promise<S | ErrorRecord> {
  try {
    return await spec.read();
  } catch (err) {
    if (err instanceof ApiError && runStopOf(err) === undefined && !isAbort(err)) throw new ReadAfterSendError(err);
    throw err;
  }
}

/**
 * An operation sent (its answer lost, or accepted) whose read afterwards failed: not known to be
 * done, never a plain read failure, which would hide that it was sent. The read's code, message
 * and tracking id are kept in it.
 */
function unreadAfterSend<S extends OpState>(spec: OpSpec<S>, sent: { id: string; accepted: boolean }, err: ApiError): ErrorRecord {
  const read = `reading the invoice back then failed (${err.httpStatus > 0 ? `HTTP ${err.httpStatus}, ` : ''}${err.code}: ${err.message})`;
  return {
    step: 'erp',
    // Not the read's status: a 4xx would make it a business refusal (result.ts refusalKind: fix
    // the file), where the same command finishes it. The read's status, code and message are in the words.
    http_status: 0,
    code: sent.accepted ? NOT_CONFIRMED : OUTCOME_UNKNOWN,
    message: sent.accepted
      ? `Alma accepted op=${spec.op} (sent by this run), but ${read}: it is not sent again — the same command reads the invoice and confirms it`
      : `op=${spec.op} was sent and its answer lost, and ${read}, so whether Alma did it is not known: it is not sent again now — the same command reads the invoice first, and sends it again only if Alma does not show it`,
    ...(err.trackingId !== undefined ? { tracking_id: err.trackingId } : {}),
  };
}

/**
 * A write whose answer was lost (`by`: the run that sent it), and the reads after it could not
 * settle it — the invoice not found (deleted meanwhile) or its look-up ambiguous: its outcome is
 * unknown, not the read's NOT_FOUND or AMBIGUOUS, which would read as a business refusal of the
 * write (result.ts refusalKind: to the rejects, "fix the file"). The journal keeps the send
 * pending, so the same command reads the invoice first. The read's code and words are in the message.
 */
const lostUnsettled = (op: string, by: string, read: ErrorRecord): ErrorRecord => ({
  step: 'erp',
  http_status: 0,
  code: OUTCOME_UNKNOWN,
  message:
    `op=${op} was sent by ${by} and its answer lost, and reading the invoice back could not settle it (${read.code}: ${read.message}), so whether Alma did it is not known: ` +
    'it is not sent again now — the same command reads the invoice first, and sends it again only if Alma shows the invoice without it',
  ...(read.tracking_id !== undefined ? { tracking_id: read.tracking_id } : {}),
});

/** An accepted write whose effect the invoice does not show (`by`: the run that sent it). */
const notShown = (op: string, now: OpState, by: string, waitedMs?: number): ErrorRecord => ({
  step: 'erp',
  http_status: 0,
  code: NOT_CONFIRMED,
  message:
    `Alma accepted op=${op} (sent by ${by}), but the invoice still shows ${now.workflowStatus ?? 'no workflow status'}` +
    (waitedMs !== undefined ? ` ${Math.round(waitedMs / 1000)} s later` : '') +
    ': it is not sent again, as Alma may still be at work on it and a second could be done twice; the next run reads it again — check the invoice in Alma if it stays so',
});

/** A Ctrl-C (or the aborted signal's ABORTED) ended the request or the reads after it. */

/**
 * An operation the run was stopped on after its send (runOne): accepted by Alma and not shown yet
 * (NOT_CONFIRMED), or sent without an answer (OUTCOME_UNKNOWN). Never sent again without a read:
 * the same command reads the invoice and confirms it, or (a lost answer) sends it only if Alma
 * does not show it.
 */
function stoppedAfterSend<S extends OpState>(spec: OpSpec<S>, sent: { id: string; accepted: boolean }): OpResult<S> {
  const error: ErrorRecord = sent.accepted
    ? {
        step: 'erp',
        http_status: 0,
        code: NOT_CONFIRMED,
        message: `Alma accepted op=${spec.op} (sent by this run); the run was stopped before the invoice showed it: it is not sent again — the same command reads the invoice and confirms it`,
      }
    : {
        step: 'erp',
        http_status: 0,
        code: OUTCOME_UNKNOWN,
        message: `op=${spec.op} was sent, and the run was stopped before its answer or the invoice showed it done: the same command reads the invoice first, and sends it again only if Alma does not show it`,
      };
  return { key: spec.key, status: 'failed', id: sent.id, alerts: [], error };
}

/**
 * An operation sent before without an answer, sent again and refused (or met by a 429), the
 * invoice not showing it done: the first send may still take effect (runOne). The send again's
 * answer (its HTTP status, code and words) is kept in the message, its tracking id in the record.
 */
const resentUnknown = (op: string, err: ApiError): ErrorRecord => ({
  step: 'erp',
  // Not the send again's status: a 4xx would make it a business refusal (result.ts refusalKind:
  // to the rejects, "fix the file"), where the same command finishes it — as unreadAfterSend.
  http_status: 0,
  code: OUTCOME_UNKNOWN,
  message:
    `op=${op} was sent before and its answer never came; sent again, it was answered ${err.httpStatus > 0 ? `HTTP ${err.httpStatus}, ` : ''}${err.code}: ${err.message}, and the invoice does not show it done — ` +
    'the first send may still take effect: the same command reads the invoice first, and sends it again only if Alma does not show it',
  ...(err.trackingId !== undefined ? { tracking_id: err.trackingId } : {}),
});

/**
 * An operation sent `sends` times, none answered (the last's error: `err`), and the invoice read
 * back after each not showing it done (`now`, the last read): whether Alma did it is not known —
 * a lost answer is no refusal, and the socket's code (ECONNRESET, a timeout's) or a 5xx's would
 * say only how the last answer was lost. The last error's status, code and words are kept in the
 * message, its tracking id in the record.
 */
const lostEachTime = (op: string, sends: number, err: ApiError, now: OpState): ErrorRecord => ({
  step: 'erp',
  // Not the lost answer's status: a 4xx one (Alguna's 409 for a request still at work) would make
  // it a business refusal (result.ts refusalKind), where the same command finishes it — as resentUnknown.
  http_status: 0,
  code: OUTCOME_UNKNOWN,
  message:
    `op=${op} was sent ${sends === 1 ? 'once' : `${sends} times`} and no answer came (the last: ${err.httpStatus > 0 ? `HTTP ${err.httpStatus}, ` : ''}${err.code}: ${err.message}), ` +
    `and the invoice read back still shows ${now.workflowStatus ?? 'no workflow status'}, so whether Alma did it is not known: it is not sent again now — ` +
    'the same command reads the invoice first, and sends it again only if Alma does not show it',
  ...(err.trackingId !== undefined ? { tracking_id: err.trackingId } : {}),
});

/** The loader's code for an accepted write whose effect did not show (runOne). */
export const NOT_CONFIRMED = 'NOT_CONFIRMED';

const apiErrorRecord = (err: ApiError): ErrorRecord => ({
  step: 'erp',
  http_status: err.httpStatus,
  code: err.code,
  message: err.message,
  ...(err.trackingId !== undefined ? { tracking_id: err.trackingId } : {}),
  ...(err.inSuccess ? { in_success: true as const } : {}),
});

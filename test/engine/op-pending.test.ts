/**
 * An operation (export --mark-in-erp, payments op=paid) whose request left and whose run was
 * killed before the answer: the re-run watches the invoice for what is left of the wait a lost
 * answer gets within a run, counted since the run after the intent began, before it sends the
 * operation again — as a load's pending process_invoice (engine.ts pendingProcessAgeMs).
 * Virtual time: the journal's clock and the reads' sleeps are the test's.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOperations, type OpSpec, type OpState } from '../../src/engine/operations.js';
import { ApiError, NotSentError, UnknownOutcomeError } from '../../src/common/errors.js';
import type { JournalEntry } from '../../src/engine/journal.js';
import { journalAt } from '../helpers/engine-run.js';
import { failureKind } from '../../src/report/failures.js';
import { rerunFinishes } from '../../src/report/rejects.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'op-pending-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

class Kill extends Error {}

interface Paid extends OpState {
  paid: boolean;
}

/**
 * Alma-like: a paid request is queued and takes effect `lag` reads later (asynchronous
 * processing); `answer(n)` is what the n-th send meets: a Kill (the run dies as it waits for
 * the answer), a refusal, or nothing (a 2xx without the effect: accepted).
 */
function world(lag: number, answer: (n: number) => Error | undefined) {
  let sends = 0;
  let reads = 0;
  let paid = false;
  let readsLeft = -1;
  const id = '9000000000000000001';
  const state = (): Paid => ({ id, paid, alerts: [], workflowStatus: paid ? 'CLOSED' : 'Ready to be Paid' });
  const spec: OpSpec<Paid> = {
    key: { vendor: 'ACME', number: 'INV-1' },
    op: 'paid',
    read: async () => {
      reads++;
      if (readsLeft > 0 && --readsLeft === 0) paid = true;
      return state();
    },
    done: (s) => s.paid,
    refuse: () => undefined,
    send: async () => {
      sends++;
      const err = answer(sends);
      // A refusal, or a request that never left: nothing reaches Alma.
      if (err instanceof ApiError || err instanceof NotSentError) throw err;
      if (!paid && readsLeft < 0) readsLeft = lag;
      if (err !== undefined) throw err;
      return undefined;
    },
  };
  return { spec, sends: () => sends, reads: () => reads, applyLate: () => void (paid = true) };
}

/** A run at `clock.t` (ms): the journal's clock, and sleeps that add up in `slept`. */
function runAt(path: string, clock: { t: number }, stopSignal?: AbortSignal) {
  const journal = journalAt(path, { now: () => new Date(clock.t) });
  const slept: number[] = [];
  const opts = {
    journal,
    stopSignal,
    concurrency: 1,
    maxWriteAttempts: 3,
    confirm: { timeoutMs: 60_000, unknownMs: 10_000, initialMs: 300, sleep: async (ms: number) => void slept.push(ms) },
  };
  return { opts, slept, close: () => journal.close() };
}

const sum = (ms: number[]): number => ms.reduce((a, b) => a + b, 0);

/** Run 1 sends the operation and is killed before the answer; the invoice shows it `lag` reads later. */
async function killedAfterSend(path: string, clock: { t: number }, lag: number, later: (n: number) => Error | undefined = () => undefined) {
  const w = world(lag, (n) => (n === 1 ? new Kill('killed') : later(n)));
  const first = runAt(path, clock);
  await expect(runOperations([w.spec], first.opts)).rejects.toBeInstanceOf(Kill);
  first.close();
  return w;
}

describe('operations: an operation sent by a run killed before its answer', () => {
  it('the re-run watches the invoice before sending again: shown done, it is not sent a second time', async () => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    // Alma carries the first request out three reads later; the first run is gone by then.
    const w = await killedAfterSend(path, clock, 3);
    clock.t += 100;
    const second = runAt(path, clock);
    const out = await runOperations([w.spec], second.opts);
    second.close();
    expect(w.sends()).toBe(1);
    expect(out.results[0]!.status).toBe('done');
  });

  it('the wait counts from the run after the intent: 6 s into a 10 s wait, it watches about 4 s more, then sends', async () => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    // The first request never takes effect (lost on its way): sent again after the wait.
    const waitedAtSend: number[] = [];
    let slept: number[] = [];
    const w = await killedAfterSend(path, clock, Number.POSITIVE_INFINITY, () => void waitedAtSend.push(sum(slept)));
    const second = runAt(path, clock);
    slept = second.slept;
    clock.t += 6_000;
    await runOperations([w.spec], second.opts);
    second.close();
    expect(w.sends()).toBe(2);
    // The reads before the send waited what was left of the 10 s, not the whole of it again.
    expect(waitedAtSend).toHaveLength(1);
    expect(waitedAtSend[0]).toBeGreaterThanOrEqual(4_000);
    expect(waitedAtSend[0]).toBeLessThan(10_000);
  });

  it('sent again once the wait is over and refused: read once more, done when the first took effect meanwhile', async () => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    // Alma shows the first request's effect only after the second is refused (60267: its status no longer takes it).
    const refusal = new ApiError({ httpStatus: 400, code: '60267', message: 'Invoice status is not valid for this action' });
    const w = await killedAfterSend(path, clock, 2, (n) => (n === 2 ? refusal : undefined));
    const second = runAt(path, clock);
    // The whole wait passed since the run after the intent: no watching, the re-run sends at once.
    clock.t += 60_000;
    const out = await runOperations([w.spec], second.opts);
    second.close();
    expect(w.sends()).toBe(2);
    expect(out.results[0]!.status).toBe('done');
  });
});

describe('operations: an operation Alma refused', () => {
  it('is journaled refused: the re-run sends it again at once, without watching for a lost answer', async () => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    const refusal = new ApiError({ httpStatus: 400, code: '402459', message: 'Invoice is not in the right status' });
    const w = world(1, (n) => (n === 1 ? refusal : undefined));
    const first = runAt(path, clock);
    const failed = await runOperations([w.spec], first.opts);
    first.close();
    expect(failed.results[0]!.status).toBe('failed');
    const entries = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as JournalEntry);
    expect(entries.filter((e) => e.t === 'refused')).toEqual([{ t: 'refused', vendor: 'ACME', number: 'INV-1', step: 'op', op: 'paid' }]);
    const second = runAt(path, clock);
    const out = await runOperations([w.spec], second.opts);
    second.close();
    expect(w.sends()).toBe(2);
    expect(out.results[0]!.status).toBe('done');
    // Sent at once: the only waits are the reads after the accepted send.
    expect(second.slept.length).toBeLessThanOrEqual(1);
  });
});

const journaled = (path: string): JournalEntry[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JournalEntry);

describe('operations: a send that did nothing (never left, or a 429) is settled, not left pending', () => {
  const stop = new AbortController();
  it.each<[string, 'unsent' | 'refused', () => Error, AbortSignal | undefined]>([
    // A Ctrl-C while it waited for its turn (transport/http.ts): the run stops, nothing went out.
    ['a Ctrl-C before its turn (NotSentError)', 'unsent', () => (stop.abort(), new NotSentError('POST /acq/invoices/9000000000000000001')), stop.signal],
    // Connection refused before any byte: the run stops (unreachable), nothing went out.
    ['a connection refused before any byte', 'unsent', () => new ApiError({ httpStatus: 0, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }), undefined],
    // Alma refused it for rate, past the retries: not applied.
    ['a 429 past the retries', 'refused', () => new ApiError({ httpStatus: 429, code: 'PER_SECOND_THRESHOLD', message: 'too many requests' }), undefined],
  ])('%s: journaled %s; the re-run reads once and sends at once', async (_what, entry, fault, signal) => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    let readsAtSend = -1;
    let sleptAtSend = -1;
    let slept: number[] = [];
    const w = world(1, (n) => {
      if (n === 1) return fault();
      readsAtSend = w.reads();
      sleptAtSend = sum(slept);
      return undefined;
    });
    const first = runAt(path, clock, signal);
    const failed = await runOperations([w.spec], first.opts);
    first.close();
    expect(failed.results[0]!.status).not.toBe('done');
    expect(journaled(path).filter((e) => e.t === 'unsent' || e.t === 'refused')).toEqual([{ t: entry, vendor: 'ACME', number: 'INV-1', step: 'op', op: 'paid' }]);
    // The next run, at once: the window of a lost answer is not waited, there was none.
    clock.t += 100;
    const second = runAt(path, clock);
    slept = second.slept;
    const before = w.reads();
    const out = await runOperations([w.spec], second.opts);
    second.close();
    expect(w.sends()).toBe(2);
    expect(readsAtSend - before).toBe(1);
    expect(sleptAtSend).toBe(0);
    expect(out.results[0]!.status).toBe('done');
  });
});

describe('operations: an operation an earlier run sent without an answer, found done', () => {
  it('by the first read of the re-run: done by this loader and journaled as its own, not already_done', async () => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    // Alma carried the first request out before the re-run's first read.
    const w = await killedAfterSend(path, clock, 1);
    clock.t += 100;
    const second = runAt(path, clock);
    const before = w.reads();
    const out = await runOperations([w.spec], second.opts);
    second.close();
    expect(w.sends()).toBe(1);
    expect(w.reads() - before).toBe(1);
    expect(out.results[0]!.status).toBe('done');
    expect(journaled(path).filter((e) => e.t === 'op')).toMatchObject([{ op: 'paid', outcome: 'done' }]);
  });

  it('sent again and refused (pending settled), the first taking effect late: the next run reads it and reports it done, no wait, nothing sent', async () => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    const refusal = new ApiError({ httpStatus: 400, code: '60267', message: 'Invoice status is not valid for this action' });
    const w = await killedAfterSend(path, clock, Number.POSITIVE_INFINITY, (n) => (n === 2 ? refusal : undefined));
    clock.t += 60_000;
    const second = runAt(path, clock);
    const failed = await runOperations([w.spec], second.opts);
    second.close();
    expect(w.sends()).toBe(2);
    // The first send may still take effect: its outcome is unknown, not a business refusal (60267 kept in the message).
    // http_status 0, the 400 in its words: a 4xx would group it as a business refusal (to the rejects, "fix the file").
    expect(failed.results[0]).toMatchObject({ status: 'failed', error: { code: 'OUTCOME_UNKNOWN', http_status: 0 } });
    expect(failed.results[0]!.error!.message).toContain('HTTP 400, 60267: Invoice status is not valid for this action');
    expect(failureKind(failed.results[0]!.error)).toBe('transient');
    expect(journaled(path).filter((e) => e.t === 'refused')).toHaveLength(1);
    // The first request, lost in run 1, takes effect at last.
    w.applyLate();
    clock.t += 60_000;
    const third = runAt(path, clock);
    const out = await runOperations([w.spec], third.opts);
    third.close();
    expect(w.sends()).toBe(2);
    expect(third.slept).toEqual([]);
    expect(out.results[0]!.status).toBe('done');
    expect(journaled(path).filter((e) => e.t === 'op')).toMatchObject([{ op: 'paid', outcome: 'done' }]);
  });
});

describe('operations: sent again in the same run after a lost answer, and refused or met by a 429', () => {
  /** The first send's answer is lost; the invoice never shows the effect; the send again meets `again`. */
  const lostThen = (again: ApiError) => {
    let sends = 0;
    let reads = 0;
    const spec: OpSpec<Paid> = {
      key: { vendor: 'ACME', number: 'INV-1' },
      op: 'paid',
      read: async () => {
        reads++;
        return { id: '9000000000000000001', paid: false, alerts: [], workflowStatus: 'Ready to be Paid' };
      },
      done: (st) => st.paid,
      refuse: () => undefined,
      send: async () => {
        sends++;
        if (sends === 1) throw new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' });
        throw again;
      },
    };
    return { spec, sends: () => sends, reads: () => reads };
  };

  it('a 429: OUTCOME_UNKNOWN after one read more, not PER_SECOND_THRESHOLD', async () => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    const w = lostThen(new ApiError({ httpStatus: 429, code: 'PER_SECOND_THRESHOLD', message: 'too many requests', trackingId: 'E01-0712' }));
    const r = runAt(path, clock);
    let readsAtResend = 0;
    const send = w.spec.send;
    const out = await runOperations([{ ...w.spec, send: async (id) => ((readsAtResend = w.reads()), send(id)) }], r.opts);
    r.close();
    expect(w.sends()).toBe(2);
    // Read again after the 429, as after a refusal.
    expect(w.reads()).toBeGreaterThan(readsAtResend);
    expect(out.results[0]).toMatchObject({ status: 'failed', error: { code: 'OUTCOME_UNKNOWN', http_status: 0, tracking_id: 'E01-0712' } });
    expect(out.results[0]!.error!.message).toContain('HTTP 429, PER_SECOND_THRESHOLD: too many requests');
  });

  it('a 4xx: OUTCOME_UNKNOWN, the refusal in its message, not the refusal as a business one', async () => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    const w = lostThen(new ApiError({ httpStatus: 400, code: '60267', message: 'Invoice status is not valid for this action', trackingId: 'E01-0713' }));
    const r = runAt(path, clock);
    const out = await runOperations([w.spec], r.opts);
    r.close();
    expect(w.sends()).toBe(2);
    // The 400 in its words, not its status: the same command finishes it, so it is transient and
    // not sent to the rejects (report/rejects.ts rerunFinishes), as its message says.
    expect(out.results[0]).toMatchObject({ status: 'failed', error: { code: 'OUTCOME_UNKNOWN', http_status: 0, tracking_id: 'E01-0713' } });
    expect(out.results[0]!.error!.message).toContain('HTTP 400, 60267');
    expect(failureKind(out.results[0]!.error)).toBe('transient');
    expect(rerunFinishes({ vendor: 'ACME', number: 'INV-1', status: 'failed', error: out.results[0]!.error, rows: [{ file: 'p.csv', row: 2 }] } as never)).toBe(true);
  });
});

describe('operations: an earlier run\'s lost answer the re-run cannot settle by reading', () => {
  it('the invoice gone from the reads while it is watched: OUTCOME_UNKNOWN (the read\'s NOT_FOUND in its words), not a business refusal; not sent, still pending for the next run', async () => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    const w = await killedAfterSend(path, clock, Number.POSITIVE_INFINITY);
    clock.t += 100;
    const missing = { step: 'lookup' as const, http_status: 0, code: 'NOT_FOUND', message: 'Alma holds no invoice with id 9000000000000000001' };
    // The first read of the re-run finds the invoice; the reads of the watch after it do not.
    let reads = 0;
    const second = runAt(path, clock);
    const out = await runOperations([{ ...w.spec, read: async () => (++reads === 1 ? w.spec.read() : missing) }], second.opts);
    second.close();
    expect(w.sends()).toBe(1);
    const error = out.results[0]!.error!;
    expect(out.results[0]).toMatchObject({ status: 'failed', error: { step: 'erp', code: 'OUTCOME_UNKNOWN', http_status: 0 } });
    expect(error.message).toContain('an earlier run');
    expect(error.message).toContain('NOT_FOUND: Alma holds no invoice with id 9000000000000000001');
    expect(failureKind(error)).toBe('transient');
    expect(rerunFinishes({ vendor: 'ACME', number: 'INV-1', status: 'failed', error, rows: [{ file: 'p.csv', row: 2 }] } as never)).toBe(true);
    // Still pending: the next run reads first, and the first send shown, it is done (not already_done), nothing sent.
    w.applyLate();
    const third = runAt(path, clock);
    const again = await runOperations([w.spec], third.opts);
    third.close();
    expect(again.results[0]!.status).toBe('done');
    expect(w.sends()).toBe(1);
  });
});

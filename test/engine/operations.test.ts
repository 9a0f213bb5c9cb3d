/**
 * One write on each of many loaded invoices (the hand-over to finance, payments), exactly once:
 * runOperations against scripted invoices, each outcome and each way a run stops.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOperations, type OpRunOptions, type OpSpec, type OpState } from '../../src/engine/operations.js';
import { ApiError, AuthError, UnknownOutcomeError } from '../../src/common/errors.js';
import type { StopReason } from '../../src/engine/events.js';
import { refusalKind } from '../../src/engine/result.js';
import type { ErrorRecord } from '../../src/engine/journal.js';
import { failureKind, groupFailures } from '../../src/report/failures.js';
import { rerunFinishes } from '../../src/report/rejects.js';
import { journalAt } from '../helpers/engine-run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'operations-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Paid extends OpState {
  paid: boolean;
}

/** Invoices INV-1..n, unpaid; `send` marks one paid unless `fault` says otherwise for its number. */
function world(n: number, fault: (number: string, step: 'read' | 'send') => Error | undefined = () => undefined) {
  const paid = new Map<string, boolean>();
  const sent: string[] = [];
  const specs: OpSpec<Paid>[] = Array.from({ length: n }, (_, i) => {
    const number = `INV-${i + 1}`;
    const id = String(9_000_000_000_000_000 + i);
    const state = (): Paid => ({ id, paid: paid.get(id) === true, alerts: [] });
    return {
      key: { vendor: 'ACME', number },
      op: 'paid',
      read: async () => {
        const err = fault(number, 'read');
        if (err !== undefined) throw err;
        return state();
      },
      done: (s) => s.paid,
      refuse: () => undefined,
      send: async (sid) => {
        sent.push(number);
        const err = fault(number, 'send');
        if (err !== undefined && !(err instanceof UnknownOutcomeError)) throw err;
        paid.set(sid, true);
        if (err !== undefined) throw err; // taken effect, answer lost
        return state();
      },
    };
  });
  return { specs, sent, paid };
}

async function run(specs: OpSpec<Paid>[], opts: Partial<OpRunOptions> = {}) {
  const journal = journalAt(join(dir, 'j.jsonl'));
  const stops: Array<{ reason: StopReason; message: string }> = [];
  const halts: Error[] = [];
  try {
    const outcome = await runOperations(specs, {
      journal,
      concurrency: 1,
      maxWriteAttempts: 3,
      onStop: (reason, message) => stops.push({ reason, message }),
      halt: (reason) => halts.push(reason),
      ...opts,
    });
    return { outcome, stops, halts };
  } finally {
    journal.close();
  }
}

const refused = (code: string) => new ApiError({ httpStatus: 0, code, message: `GET /acq/invoices/: connect ${code} (after 5 attempts)` });

describe('runOperations', () => {
  it('sends each once; a re-run sends nothing', async () => {
    const w = world(3);
    const first = await run(w.specs);
    expect(first.outcome.results.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    expect(w.sent).toEqual(['INV-1', 'INV-2', 'INV-3']);
    const again = await run(w.specs);
    expect(again.outcome.results.map((r) => r.status)).toEqual(['already_done', 'already_done', 'already_done']);
    expect(w.sent).toHaveLength(3);
  });

  it('a lost answer is read before sending again: taken effect, it is not sent twice', async () => {
    const lost = new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' });
    const w = world(2, (n, step) => (n === 'INV-1' && step === 'send' ? lost : undefined));
    const { outcome } = await run(w.specs);
    expect(outcome.results.map((r) => r.status)).toEqual(['done', 'done']);
    expect(w.sent).toEqual(['INV-1', 'INV-2']);
  });

  it('one invoice given twice (the same journal key) is sent once, however many run at once; two keys of one number are two invoices', async () => {
    const w = world(2);
    const twice = [w.specs[0]!, w.specs[1]!, { ...w.specs[0]! }];
    const { outcome } = await run(twice, { concurrency: 3 });
    expect(w.sent).toEqual(['INV-1', 'INV-2']);
    expect(outcome.results.map((r) => [r.key.number, r.status])).toEqual([
      ['INV-1', 'done'],
      ['INV-2', 'done'],
      ['INV-1', 'already_done'],
    ]);
    // invoice_not_unique=true: one number, two invoices told apart by the journal key (cli/export.ts).
    const v = world(1);
    const two = [0, 1].map((i) => ({ ...v.specs[0]!, journalKey: { vendor: 'ACME', number: `INV-1 #${i}` } }));
    await run(two, { concurrency: 2 });
    expect(v.sent).toEqual(['INV-1', 'INV-1']);
  });

  it('an API refusal fails that invoice only; the run goes on and nothing is halted', async () => {
    const w = world(3, (n, step) => (n === 'INV-2' && step === 'send' ? new ApiError({ httpStatus: 400, code: '402459', message: 'not allowed' }) : undefined));
    const { outcome, stops, halts } = await run(w.specs);
    expect(outcome.results.map((r) => r.status)).toEqual(['done', 'failed', 'done']);
    expect(outcome.results[1]!.error).toMatchObject({ code: '402459' });
    expect(outcome.stopped).toBeUndefined();
    expect(stops).toEqual([]);
    expect(halts).toEqual([]);
  });

  it.each([
    ['unreachable', refused('ECONNREFUSED'), 'failed', /^cannot reach Alma: ECONNREFUSED .*; nothing more will be sent$/],
    ['auth', new AuthError({ httpStatus: 401, code: 'UNAUTHORIZED', message: 'API-key not defined' }), 'not_started', /^the API key was refused/],
  ] as const)('%s: one stop, said once, the transport halted with its error; the rest not started', async (reason, err, own, said) => {
    const w = world(5, (n, step) => (n === 'INV-2' && step === 'read' ? err : undefined));
    const { outcome, stops, halts } = await run(w.specs, { concurrency: 1 });
    expect(outcome.stopped).toBe(reason);
    expect(outcome.results.map((r) => r.status)).toEqual(['done', own, 'not_started', 'not_started', 'not_started']);
    if (own === 'failed') expect(outcome.results[1]!.error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatchObject({ reason, message: expect.stringMatching(said) });
    expect(halts).toEqual([err]);
    expect(w.sent).toEqual(['INV-1']);
  });

  it.each<[string, (() => Error | undefined) | 'again', { wrote: boolean; refused: boolean }]>([
    ['sent and answered', () => undefined, { wrote: true, refused: false }],
    ['every invoice done already (a re-run): none sent', 'again', { wrote: false, refused: false }],
    ['refused by Alma (a 4xx): nothing changed', () => new ApiError({ httpStatus: 400, code: '402459', message: 'not allowed' }), { wrote: false, refused: true }],
    ['the key refused on the first write: the run stops, nothing changed', () => new AuthError({ httpStatus: 403, code: 'UNAUTHORIZED', message: 'read-only key' }), { wrote: false, refused: true }],
    ['its answer lost: it may have been done', () => new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' }), { wrote: true, refused: false }],
    ['never reaching Alma: neither', () => refused('ECONNREFUSED'), { wrote: false, refused: false }],
  ])('writes says what the sends did: %s', async (_, fault, writes) => {
    const w = world(2, (_n, step): Error | undefined => (step === 'send' && typeof fault === 'function' ? fault() : undefined));
    if (fault === 'again') await run(w.specs);
    const { outcome } = await run(w.specs);
    expect(outcome.writes).toEqual(writes);
  });

  it('every invoice in flight meeting the same unreachable Alma: still one stop, one halt', async () => {
    const w = world(12, () => refused('ECONNREFUSED'));
    const { outcome, stops, halts } = await run(w.specs, { concurrency: 4 });
    expect(outcome.stopped).toBe('unreachable');
    expect(stops).toHaveLength(1);
    expect(halts).toHaveLength(1);
    expect(outcome.results.filter((r) => r.status === 'failed')).toHaveLength(4);
    expect(outcome.results.filter((r) => r.status === 'not_started')).toHaveLength(8);
  });
});

/**
 * Invoices INV-1..n, unpaid, on an Alma that answers the write 2xx without the invoice (empty,
 * `{}`: `send` resolves undefined) and applies it asynchronously: shown by the `after`th read
 * after it was sent (never, for `Infinity`). `answer`: the invoice as the answer shows it instead
 * (not paid yet).
 */
function accepting(n: number, after: number, answer = false) {
  const sent: string[] = [];
  const readsSince = new Map<string, number>();
  const specs: OpSpec<Paid>[] = Array.from({ length: n }, (_, i) => {
    const number = `INV-${i + 1}`;
    const id = `91000000000000${i}`;
    const paid = (): boolean => (readsSince.get(id) ?? -1) >= after;
    return {
      key: { vendor: 'ACME', number },
      op: 'paid',
      read: async () => {
        if (readsSince.has(id)) readsSince.set(id, readsSince.get(id)! + 1);
        return { id, paid: paid(), alerts: [] };
      },
      done: (s) => s.paid,
      refuse: () => undefined,
      send: async (sid) => {
        sent.push(number);
        if (!readsSince.has(sid)) readsSince.set(sid, 0);
        return answer ? { id: sid, paid: false, alerts: [] } : undefined;
      },
    };
  });
  return { specs, sent, readsSince };
}

describe('runOperations: a write answered without its effect (Alma processes it asynchronously)', () => {
  const clock = () => {
    const waits: number[] = [];
    return { waits, confirm: { timeoutMs: 10_000, sleep: async (ms: number) => void waits.push(ms) } };
  };

  it.each([
    ['an answer without the invoice', false],
    ['an answer with the invoice as it was', true],
  ])('%s was accepted: sent once, then read until it shows — done; a re-run sends nothing', async (_what, answer) => {
    const w = accepting(3, 2, answer);
    const c = clock();
    const { outcome } = await run(w.specs, { confirm: c.confirm });
    expect(w.sent).toEqual(['INV-1', 'INV-2', 'INV-3']);
    expect(outcome.results.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    // Two reads each after the send, the waits growing (the clock is the test's).
    expect(c.waits).toEqual([300, 600, 300, 600, 300, 600]);
    const again = await run(w.specs, { confirm: c.confirm });
    expect(again.outcome.results.map((r) => r.status)).toEqual(['already_done', 'already_done', 'already_done']);
    expect(w.sent).toHaveLength(3);
  });

  it('not shown within the time: failed NOT_CONFIRMED and never sent again; shown later, a re-run finds it done', async () => {
    const w = accepting(1, Infinity);
    const c = clock();
    const { outcome } = await run(w.specs, { confirm: { ...c.confirm, timeoutMs: 4_000 } });
    expect(w.sent).toEqual(['INV-1']);
    expect(c.waits).toEqual([300, 600, 1200, 1900]);
    expect(outcome.results[0]).toMatchObject({
      status: 'failed',
      error: {
        code: 'NOT_CONFIRMED',
        message:
          'Alma accepted op=paid (sent by this run), but the invoice still shows no workflow status 4 s later: it is not sent again, ' +
          'as Alma may still be at work on it and a second could be done twice; the next run reads it again — check the invoice in Alma if it stays so',
      },
    });
    const again = await run(w.specs, { confirm: c.confirm });
    expect(w.sent).toEqual(['INV-1']);
    expect(again.outcome.results[0]).toMatchObject({ status: 'failed', error: { code: 'NOT_CONFIRMED', message: expect.stringContaining('(sent by an earlier run)') } });
    // Alma shows it at last.
    w.readsSince.set('910000000000000', Infinity);
    const last = await run(w.specs, { confirm: c.confirm });
    expect(last.outcome.results[0]!.status).toBe('done');
    expect(w.sent).toEqual(['INV-1']);
  });
});

/**
 * Invoices INV-1..n, unpaid, on an Alma that takes the first send and applies it asynchronously
 * while its answer is lost: the effect shows from the `after`th read after it (never, for
 * `Infinity`; nor when the send never reached Alma, `reached` false). A send again is
 * refused 60267 (the wrong status) once the first reached Alma, else applied at once.
 */
function lostWhileAtWork(n: number, after: number, reached = true) {
  const sent: string[] = [];
  const readsSince = new Map<string, number>();
  const paidNow = new Set<string>();
  const specs: OpSpec<Paid>[] = Array.from({ length: n }, (_, i) => {
    const number = `INV-${i + 1}`;
    const id = `92000000000000${i}`;
    const paid = (): boolean => paidNow.has(id) || (readsSince.get(id) ?? -1) >= after;
    return {
      key: { vendor: 'ACME', number },
      op: 'paid',
      read: async () => {
        if (readsSince.has(id)) readsSince.set(id, readsSince.get(id)! + 1);
        return { id, paid: paid(), alerts: [] };
      },
      done: (s) => s.paid,
      refuse: () => undefined,
      send: async (sid) => {
        sent.push(number);
        if (sent.filter((s) => s === number).length === 1) {
          if (reached) readsSince.set(sid, 0);
          throw new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' });
        }
        if (reached) throw new ApiError({ httpStatus: 400, code: '60267', message: 'Failed to process invoice in ERP.' });
        paidNow.add(sid);
        return { id: sid, paid: true, alerts: [] };
      },
    };
  });
  return { specs, sent, readsSince };
}

describe('runOperations: a write whose answer was lost while Alma was at work on it', () => {
  const clock = (timeoutMs = 10_000, unknownMs?: number) => {
    const waits: number[] = [];
    return { waits, confirm: { timeoutMs, sleep: async (ms: number) => void waits.push(ms), ...(unknownMs !== undefined ? { unknownMs } : {}) } };
  };

  it('is read at once, then for a while: shown on the third read, it is done and never sent again', async () => {
    const w = lostWhileAtWork(1, 3);
    const c = clock();
    const { outcome } = await run(w.specs, { confirm: c.confirm });
    expect(outcome.results[0]).toMatchObject({ status: 'done' });
    expect(w.sent).toEqual(['INV-1']);
    // The first read without a wait; then as an accepted write's (the clock is the test's).
    expect(c.waits).toEqual([300, 600]);
  });

  it('not shown in the watch (10 s by default, at most --poll-timeout): sent again; that refused for the status the first left, a read shows it done', async () => {
    // Seven reads in the watch; the eighth, after the refusal, shows it.
    const w = lostWhileAtWork(1, 8);
    const c = clock(20_000);
    const { outcome } = await run(w.specs, { confirm: c.confirm });
    expect(w.sent).toEqual(['INV-1', 'INV-1']);
    expect(c.waits).toEqual([300, 600, 1200, 2400, 4800, 700]);
    expect(outcome.results[0]).toMatchObject({ status: 'done' });
  });

  it('the watch is no longer than the confirm of an accepted write (--poll-timeout) when that is shorter', async () => {
    const c = clock(1_000);
    await run(lostWhileAtWork(1, Infinity).specs, { confirm: c.confirm });
    // The watch after the lost answer; the send again, refused, is read once at once.
    expect(c.waits).toEqual([300, 600, 100]);
  });

  it('sent again and refused, still not shown: OUTCOME_UNKNOWN (the first may still take effect), the refusal in its message', async () => {
    const w = lostWhileAtWork(1, Infinity);
    const c = clock(10_000, 1_000);
    const { outcome } = await run(w.specs, { confirm: c.confirm });
    expect(w.sent).toEqual(['INV-1', 'INV-1']);
    expect(outcome.results[0]).toMatchObject({ status: 'failed', error: { code: 'OUTCOME_UNKNOWN', http_status: 0 } });
    expect(outcome.results[0]!.error!.message).toContain('HTTP 400, 60267');
    expect(refusalKind(outcome.results[0]!.error!)).toBe('transient');
  });

  it('sent again and refused, still not shown — the first shown later: the next run reads it and reports it done, nothing sent', async () => {
    const w = lostWhileAtWork(1, Infinity);
    const c = clock(10_000, 1_000);
    const { outcome } = await run(w.specs, { confirm: c.confirm });
    expect(outcome.results[0]).toMatchObject({ status: 'failed', error: { code: 'OUTCOME_UNKNOWN' } });
    // The first send, whose answer was lost, takes effect late (its intent still pending: the refusal settled nothing).
    w.readsSince.set('920000000000000', Infinity);
    const again = await run(w.specs, { confirm: c.confirm });
    expect(again.outcome.results[0]!.status).toBe('done');
    expect(w.sent).toEqual(['INV-1', 'INV-1']);
  });

  it.each<[string, ErrorRecord]>([
    ['gone (deleted meanwhile)', { step: 'lookup' as const, http_status: 0, code: 'NOT_FOUND', message: 'Alma holds no invoice with id 9300' }],
    ['its look-up ambiguous', { step: 'lookup' as const, http_status: 0, code: 'AMBIGUOUS', message: 'Alma holds 2 invoices numbered INV-1 of vendor ACME', tracking_id: 'E01-AMB' }],
  ])(
    "%s when read after the lost answer: OUTCOME_UNKNOWN (the answer was lost, the read could not settle it), not the read's refusal; not sent again, and the re-run reads first",
    async (_, unread) => {
      const sent: string[] = [];
      let reads = 0;
      let paid = false;
      const spec: OpSpec<Paid> = {
        key: { vendor: 'ACME', number: 'INV-1' },
        op: 'paid',
        // The read before the send finds it; every read after the lost answer does not, until `paid` (the next run).
        read: async () => (++reads === 1 || paid ? { id: '9300', paid, alerts: [] } : unread),
        done: (s) => s.paid,
        refuse: () => undefined,
        send: async () => {
          sent.push('INV-1');
          if (sent.length === 1) throw new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' });
          throw new ApiError({ httpStatus: 400, code: '412400', message: 'Invoice 9300 not found' });
        },
      };
      const c = clock(10_000, 1_000);
      const { outcome } = await run([spec], { confirm: c.confirm });
      expect(sent).toEqual(['INV-1']);
      const error = outcome.results[0]!.error!;
      expect(outcome.results[0]).toMatchObject({ status: 'failed', id: '9300', error: { step: 'erp', code: 'OUTCOME_UNKNOWN', http_status: 0 } });
      // Says what happened — the answer lost, the read's own words — and what a re-run does; not a refusal of the write.
      expect(error.message).toContain('its answer lost');
      expect(error.message).toContain(`${unread.code}: ${unread.message}`);
      expect(error.message).toContain('the same command reads the invoice first');
      expect(error.tracking_id).toBe(unread.tracking_id);
      expect(refusalKind(error)).toBe('transient');
      expect(failureKind(error)).toBe('transient');
      expect(rerunFinishes({ vendor: 'ACME', number: 'INV-1', status: 'failed', error, rows: [{ file: 'p.csv', row: 2 }] } as never)).toBe(true);
      // The journal keeps the send pending: the re-run reads first and, the first send shown, reports it done (its own), sending nothing.
      paid = true;
      const again = await run([spec], { confirm: c.confirm });
      expect(again.outcome.results[0]).toMatchObject({ status: 'done', id: '9300' });
      expect(sent).toEqual(['INV-1']);
    },
  );

  it('never reached Alma: sent again after the watch, once, and done', async () => {
    const w = lostWhileAtWork(1, Infinity, false);
    const c = clock(10_000, 1_000);
    const { outcome } = await run(w.specs, { confirm: c.confirm });
    expect(w.sent).toEqual(['INV-1', 'INV-1']);
    expect(c.waits).toEqual([300, 600, 100]);
    expect(outcome.results[0]).toMatchObject({ status: 'done' });
  });
});

describe('runOperations: every send of a write answered by nothing', () => {
  /** INV-1, unpaid, whose every send ends as `lost` says and never shows done. */
  function neverAnswered(lost: () => UnknownOutcomeError) {
    const sent: string[] = [];
    const spec: OpSpec<Paid> = {
      key: { vendor: 'ACME', number: 'INV-1' },
      op: 'paid',
      read: async () => ({ id: '940000000000000', paid: false, workflowStatus: 'READY_TO_BE_PAID', alerts: [] }),
      done: (s) => s.paid,
      refuse: () => undefined,
      send: async () => {
        sent.push('INV-1');
        throw lost();
      },
    };
    return { specs: [spec], sent };
  }
  const confirm = { timeoutMs: 1_000, sleep: async () => {} };

  it.each([
    ['the socket reset after the request', () => new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' }), 'ECONNRESET: socket hang up'],
    ['a 502 each time', () => new UnknownOutcomeError({ httpStatus: 502, code: 'HTTP_502', message: 'Bad Gateway', trackingId: 'E01-502' }), 'HTTP 502, HTTP_502: Bad Gateway'],
    ["a 409 for a request still at work (Alguna's)", () => new UnknownOutcomeError({ httpStatus: 409, code: 'conflict', message: 'request currently being processed' }), 'HTTP 409, conflict'],
  ])("%s, after the last attempt: OUTCOME_UNKNOWN (transient, with the last error in its words), not the lost answer's code; the re-run reads it first", async (_, lost, said) => {
    const w = neverAnswered(lost);
    const { outcome } = await run(w.specs, { confirm });
    expect(w.sent).toEqual(['INV-1', 'INV-1', 'INV-1']);
    const r = outcome.results[0]!;
    expect(r).toMatchObject({ status: 'failed', id: '940000000000000', error: { step: 'erp', code: 'OUTCOME_UNKNOWN', http_status: 0 } });
    expect(r.error!.message).toContain('was sent 3 times and no answer came');
    expect(r.error!.message).toContain(said);
    expect(r.error!.message).toContain('still shows READY_TO_BE_PAID');
    if (lost().trackingId !== undefined) expect(r.error!.tracking_id).toBe(lost().trackingId);
    expect(refusalKind(r.error!)).toBe('transient');
    const failed = { vendor: 'ACME', number: 'INV-1', status: 'failed', alerts: [], lines: [], issues: [], rows: [{ file: 'p.csv', row: 2 }], error: r.error! };
    expect(rerunFinishes(failed as never)).toBe(true);
    // What the report says of it: its own words, not the load's last step's "not sent a second time".
    const [group] = groupFailures({ target: 'alma', invoices: [failed] } as never);
    expect(group!.explanation!.means).not.toContain('not sent a second time');
    expect(group!.explanation!.fix).toContain('reads the invoice first');
  });
});

describe('runOperations: a Ctrl-C while the invoice is read after its send', () => {
  /** A confirm whose second wait is cut by a Ctrl-C (the clock is the test's). */
  const ctrlC = () => {
    const stop = new AbortController();
    let waits = 0;
    return { stop, confirm: { timeoutMs: 10_000, sleep: async () => void (++waits === 2 && stop.abort()) } };
  };

  it('accepted, not shown yet: failed NOT_CONFIRMED ("accepted … the same command confirms it"), not not_started; the rest not started; a re-run confirms it without sending', async () => {
    const w = accepting(3, Infinity);
    const c = ctrlC();
    const { outcome } = await run(w.specs, { confirm: c.confirm, stopSignal: c.stop.signal });
    expect(w.sent).toEqual(['INV-1']);
    expect(outcome.stopped).toBe('interrupted');
    expect(outcome.results.map((r) => [r.status, r.error?.code])).toEqual([
      ['failed', 'NOT_CONFIRMED'],
      ['not_started', 'NOT_STARTED'],
      ['not_started', 'NOT_STARTED'],
    ]);
    expect(outcome.results[0]!.error!.message).toBe(
      'Alma accepted op=paid (sent by this run); the run was stopped before the invoice showed it: it is not sent again — the same command reads the invoice and confirms it',
    );
    // Alma shows it now: the same command confirms it and sends the two never started, nothing twice.
    w.readsSince.set('910000000000000', Infinity);
    const again = await run(w.specs, { confirm: { timeoutMs: 0, sleep: async () => {} } });
    expect(again.outcome.results[0]!.status).toBe('done');
    expect(w.sent).toEqual(['INV-1', 'INV-2', 'INV-3']);
  });

  it('its answer lost: failed OUTCOME_UNKNOWN, not not_started; a re-run reads it first and sends nothing again', async () => {
    const w = lostWhileAtWork(1, Infinity);
    const c = ctrlC();
    const { outcome } = await run(w.specs, { confirm: c.confirm, stopSignal: c.stop.signal });
    expect(w.sent).toEqual(['INV-1']);
    expect(outcome.stopped).toBe('interrupted');
    expect(outcome.results[0]).toMatchObject({ status: 'failed', error: { code: 'OUTCOME_UNKNOWN', message: expect.stringMatching(/^op=paid was sent, and the run was stopped before its answer/) } });
    w.readsSince.set('920000000000000', Infinity);
    const again = await run(w.specs);
    // Found done by the read: the send whose answer was lost did it (its intent pending), so done by this loader.
    expect(again.outcome.results[0]!.status).toBe('done');
    expect(w.sent).toEqual(['INV-1']);
  });
});

describe('runOperations: a send whose read afterwards fails', () => {
  const retrieve = new ApiError({ httpStatus: 400, code: '402459', message: 'Error while trying to retrieve invoice', trackingId: 'E01-0712-TRACK' });
  /** INV-1: the first read finds it; the send takes effect and its answer is lost (or it is accepted, `accepted`); every later read fails while `failing`. */
  function failingReads(accepted = false) {
    let reads = 0;
    let paid = false;
    const sent: string[] = [];
    const w = { failing: true };
    const spec: OpSpec<Paid> = {
      key: { vendor: 'ACME', number: 'INV-1' },
      op: 'paid',
      read: async () => {
        if (++reads > 1 && w.failing) throw retrieve;
        return { id: '930000000000000', paid, alerts: [] };
      },
      done: (s) => s.paid,
      refuse: () => undefined,
      send: async () => {
        sent.push('INV-1');
        paid = true;
        if (accepted) return undefined;
        throw new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' });
      },
    };
    return { specs: [spec], sent, w };
  }
  const confirm = { timeoutMs: 10_000, sleep: async () => {} };

  it('its answer lost: failed OUTCOME_UNKNOWN with the read\'s code, message and tracking id, not a plain read failure; the re-run reads first, finds it done, sends nothing', async () => {
    const w = failingReads();
    const { outcome } = await run(w.specs, { confirm });
    expect(w.sent).toEqual(['INV-1']);
    expect(outcome.results[0]).toMatchObject({
      status: 'failed',
      id: '930000000000000',
      error: {
        step: 'erp',
        code: 'OUTCOME_UNKNOWN',
        // Not the read's 400: that would make it a business refusal (fix the file), where the same command finishes it.
        http_status: 0,
        tracking_id: 'E01-0712-TRACK',
        message:
          'op=paid was sent and its answer lost, and reading the invoice back then failed (HTTP 400, 402459: Error while trying to retrieve invoice), so whether Alma did it is not known: ' +
          'it is not sent again now — the same command reads the invoice first, and sends it again only if Alma does not show it',
      },
    });
    w.w.failing = false;
    const again = await run(w.specs, { confirm });
    // The intent stayed pending: done by this loader, not already_done, and not sent again.
    expect(again.outcome.results[0]!.status).toBe('done');
    expect(w.sent).toEqual(['INV-1']);
  });

  it('accepted: failed NOT_CONFIRMED with the read\'s error, never sent again', async () => {
    const w = failingReads(true);
    const { outcome } = await run(w.specs, { confirm });
    expect(outcome.results[0]).toMatchObject({ status: 'failed', error: { code: 'NOT_CONFIRMED', tracking_id: 'E01-0712-TRACK', message: expect.stringContaining('(HTTP 400, 402459: Error while trying to retrieve invoice)') } });
    expect(refusalKind(outcome.results[0]!.error!)).toBe('transient');
    w.w.failing = false;
    const again = await run(w.specs, { confirm });
    expect(again.outcome.results[0]!.status).toBe('done');
    expect(w.sent).toEqual(['INV-1']);
  });
});

describe('runOperations: an invoice showing the effect otherwise than this operation would leave it', () => {
  const other = { step: 'erp' as const, http_status: 0, code: 'PAYMENT_DIFFERS', message: 'paid with another amount' };
  it('found so before anything was sent: failed with why (differs), nothing sent, nothing journaled as done; the same once it agrees is already_done; done by this loader, not asked', async () => {
    const w = world(1);
    w.paid.set('9000000000000000', true);
    let differs = true;
    const specs = w.specs.map((s) => ({ ...s, differs: () => (differs ? other : undefined) }));
    const { outcome } = await run(specs);
    expect(outcome.results[0]).toMatchObject({ status: 'failed', id: '9000000000000000', error: other });
    expect(w.sent).toEqual([]);
    differs = false;
    const again = await run(specs);
    expect(again.outcome.results[0]!.status).toBe('already_done');
    expect(w.sent).toEqual([]);
    // Done by this loader (its answer lost): not asked — the journal's file is the one sent.
    const lost = new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' });
    const v = world(1, (_n, step) => (step === 'send' ? lost : undefined));
    const fresh = journalAt(join(dir, 'j2.jsonl'));
    const mine = await run(
      v.specs.map((s) => ({ ...s, differs: () => other })),
      { journal: fresh },
    ).finally(() => fresh.close());
    expect(mine.outcome.results[0]!.status).toBe('done');
    expect(v.sent).toEqual(['INV-1']);
  });
});

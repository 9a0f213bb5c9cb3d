import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { notItsOwn, resultsBeforeSending, runInvoices, stoppedStep, type EngineOptions } from '../../src/engine/engine.js';
import type { Invoice } from '../../src/domain/model.js';
import type { AttachmentSeam, Target } from '../../src/targets/target.js';
import { ApiError, DailyLimitError, IdNotKeptError, RetryAfterError, UnknownOutcomeError } from '../../src/common/errors.js';
import { Crash, FakeAlma, makeInvoice, type Fault, type StoredInvoice } from '../helpers/fake-target.js';
import { createAlmaTarget } from '../../src/targets/alma/target.js';
import { journalAt, runEngine } from '../helpers/engine-run.js';
import { refusalKind } from '../../src/engine/result.js';
import type { EngineEvent } from '../../src/engine/events.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = (alma: FakeAlma, invoices: Invoice[], opts: Partial<EngineOptions> & { path?: string } = {}) =>
  runEngine(alma.target(), invoices, opts.path ?? join(dir, 'j.jsonl'), opts);

/** The exactly-once invariant: each invoice once, each of its lines once, processed once. */
function expectExactlyOnce(alma: FakeAlma, invoices: Invoice[]): void {
  for (const inv of invoices) {
    const stored = alma.invoices.filter((s) => s.vendor === inv.key.vendor && s.number === inv.key.number);
    expect(stored, `${inv.key.number} stored once`).toHaveLength(1);
    const s = stored[0]!;
    expect(s.lines.map((l) => l.number).sort(), `${inv.key.number} lines`).toEqual(inv.lines.map((l) => l.number).sort());
    expect(s.processCount, `${inv.key.number} processed once`).toBe(1);
  }
}

const batch = (): Invoice[] => [makeInvoice('ACME', 'INV-1', 2), makeInvoice('ACME', 'INV-2', 1), makeInvoice('BETA', 'B-7', 3)];

describe('engine: the three-step flow', () => {
  it('loads every invoice with look-up, create, each line, process and one poll', async () => {
    const alma = new FakeAlma();
    const invoices = batch();
    const { outcome } = await run(alma, invoices);
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
    expectExactlyOnce(alma, invoices);
    // Every invoice is looked up before the first write (engine/existing.ts), then INV-1's saga.
    expect(alma.log.slice(0, 8)).toEqual([
      'findInvoices INV-1',
      'findInvoices INV-2',
      'findInvoices B-7',
      'createInvoice INV-1',
      `addLine ${alma.invoices[0]!.id}#1`,
      `addLine ${alma.invoices[0]!.id}#2`,
      `processInvoice ${alma.invoices[0]!.id}`,
      `getInvoice ${alma.invoices[0]!.id}`,
    ]);
    expect(outcome.results[0]!.lines).toHaveLength(2);
    expect(outcome.results[0]!.workflowStatus).toBe('Waiting to be Sent');
  });

  it('a second run with the same journal sends nothing and reports already_loaded', async () => {
    const alma = new FakeAlma();
    const invoices = batch();
    await run(alma, invoices);
    const before = alma.log.length;
    const { outcome } = await run(alma, invoices);
    expect(alma.log.length).toBe(before);
    expect(outcome.results.map((r) => r.status)).toEqual(['already_loaded', 'already_loaded', 'already_loaded']);
    expect(outcome.results[2]!.id).toBe(alma.invoices[2]!.id);
  });

  it('with the journal lost, look-ups find the processed invoices and nothing is written', async () => {
    const alma = new FakeAlma();
    const invoices = batch();
    await run(alma, invoices, { path: join(dir, 'first.jsonl') });
    const writesBefore = alma.log.filter((l) => !l.startsWith('find') && !l.startsWith('get')).length;
    const { outcome } = await run(alma, invoices, { path: join(dir, 'second.jsonl') });
    expect(outcome.results.map((r) => r.status)).toEqual(['already_loaded', 'already_loaded', 'already_loaded']);
    expect(alma.log.filter((l) => !l.startsWith('find') && !l.startsWith('get')).length).toBe(writesBefore);
    expectExactlyOnce(alma, invoices);
  });

  it('two invoices of the number in Alma (one made by hand beside the load): the oldest is used, and the report says so under several_found', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 1);
    await run(alma, [inv], { path: join(dir, 'a.jsonl') });
    const oldest = alma.invoices[0]!;
    alma.invoices.push({ ...oldest, id: alma.newId(), lines: oldest.lines.map((l) => ({ ...l })) });
    const { outcome } = await run(alma, [inv], { path: join(dir, 'b.jsonl') });
    expect(outcome.results.map((r) => [r.status, r.id])).toEqual([['already_loaded', oldest.id]]);
    expect(outcome.results[0]!.warnings).toEqual([
      { code: 'several_found', message: `Alma holds 2 invoices numbered INV-1 from ACME (ids ${oldest.id}, ${alma.invoices[1]!.id}); used the oldest, ${oldest.id}` },
    ]);
  });

  it('an invoice found with other values than the file (a note corrected after it was sent): said on the invoice, left as it is; one it creates is not compared', async () => {
    const alma = new FakeAlma();
    await run(alma, [makeInvoice('ACME', 'INV-1', 1)], { path: join(dir, 'a.jsonl') });
    const compared: string[] = [];
    const target: Target = {
      ...alma.target(),
      heldDifferences: (found, inv) => {
        compared.push(`${inv.key.number} ${found.id}`);
        return [{ field: 'note', sent: '"April"', stored: '"March"' }];
      },
    };
    const writes = alma.log.filter((l) => !l.startsWith('find') && !l.startsWith('get')).length;
    const { outcome } = await runEngine(target, [makeInvoice('ACME', 'INV-1', 1), makeInvoice('ACME', 'INV-2', 1)], join(dir, 'b.jsonl'));
    expect(outcome.results.map((r) => r.status)).toEqual(['already_loaded', 'loaded']);
    expect(outcome.results[0]!.warnings).toEqual([
      {
        code: 'held_different',
        message: `Alma already held invoice INV-1 (id ${alma.invoices[0]!.id}), with other values than the file: note: "March" in Alma, "April" in the file. A load does not change what Alma holds; if the file is right, change it in Alma`,
      },
    ]);
    expect(outcome.results[1]!.warnings).toEqual([]);
    expect(compared).toEqual([`INV-1 ${alma.invoices[0]!.id}`]);
    // Nothing written to INV-1: only INV-2's create, line and process.
    expect(alma.log.filter((l) => !l.startsWith('find') && !l.startsWith('get')).length).toBe(writes + 3);
  });

  it('an invoice found before it was processed: the lines it holds are compared with the file\'s as they are listed, and said; the load adds none twice and processes it', async () => {
    const alma = new FakeAlma();
    alma.faults = [{ method: 'processInvoice', call: 1, kind: 'business' }];
    await run(alma, [makeInvoice('ACME', 'INV-1', 2)], { path: join(dir, 'a.jsonl') });
    expect(alma.invoices[0]!.state).toBe('new');
    const listed: string[] = [];
    const target: Target = {
      ...alma.target(),
      heldChildDifferences: (lines, inv) => {
        listed.push(`${inv.key.number}: ${lines.map((l) => l.number).join(',')}`);
        return [
          { field: 'line 1 fund_distribution BIO', sent: 'CHEM 100%', stored: 'BIO 100%' },
          // Alma's own words in a line's VAT note (tolerated): not a value to change in Alma, so not said.
          { field: 'line 2 vat_note', sent: '"VAT included"', stored: '"Approximately 0.00 included in line Total Price."', tolerated: true },
        ];
      },
    };
    const { outcome } = await runEngine(target, [makeInvoice('ACME', 'INV-1', 2), makeInvoice('ACME', 'INV-2', 1)], join(dir, 'b.jsonl'));
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    expect(outcome.results[0]!.warnings).toEqual([
      {
        code: 'held_different',
        message:
          'Alma already held lines of invoice INV-1, with other values than the file: line 1 fund_distribution BIO: BIO 100% in Alma, CHEM 100% in the file. A load does not change what Alma holds; if the file is right, change it in Alma',
      },
    ]);
    // Listed once, for the invoice found; the one created here has nothing to compare.
    expect(listed).toEqual(['INV-1: 1,2']);
    expect(outcome.results[1]!.warnings).toEqual([]);
    expectExactlyOnce(alma, [makeInvoice('ACME', 'INV-1', 2)]);
  });

  it('refuses to touch an invoice with the same number but another total', async () => {
    const alma = new FakeAlma();
    await run(alma, [makeInvoice('ACME', 'INV-1', 1, '10')], { path: join(dir, 'a.jsonl') });
    const { outcome } = await run(alma, [makeInvoice('ACME', 'INV-1', 2, '20')], { path: join(dir, 'b.jsonl') });
    expect(outcome.results[0]!.status).toBe('failed');
    expect(outcome.results[0]!.error?.code).toBe('EXISTS_DIFFERENT');
    expect(alma.invoices).toHaveLength(1);
    expect(alma.invoices[0]!.lines).toHaveLength(1);
  });

  it('recognises its invoice when the target answers the total with a double\'s digits', async () => {
    const alma = new FakeAlma();
    const invoices = [makeInvoice('ACME', 'INV-1', 1, '999999999999.99')];
    await run(alma, invoices, { path: join(dir, 'a.jsonl') });
    // What a double holds for 999999999999.99, printed in full (Alma keeps amounts as doubles).
    alma.invoices[0]!.total = (999999999999.99).toPrecision(17);
    expect(alma.invoices[0]!.total).not.toBe('999999999999.99');
    const { outcome } = await run(alma, invoices, { path: join(dir, 'b.jsonl') });
    expect(outcome.results[0]!.status).toBe('already_loaded');
    // ...while a total that differs within those 15 digits is still another invoice.
    alma.invoices[0]!.total = '999999999999.98';
    const again = await run(alma, invoices, { path: join(dir, 'c.jsonl') });
    expect(again.outcome.results[0]!.error?.code).toBe('EXISTS_DIFFERENT');
  });

  it('reports a business error with its code and tracking id and goes on with the others', async () => {
    const alma = new FakeAlma();
    alma.faults = [{ method: 'createInvoice', call: 2, kind: 'business' }];
    const { outcome } = await run(alma, batch());
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'failed', 'loaded']);
    expect(outcome.results[1]!.error).toEqual({
      step: 'create',
      http_status: 400,
      code: '60237',
      message: 'Invoice vendor account not valid',
      tracking_id: 'E02-TRACK',
    });
  });

  it('stops the whole run when the key is refused; the rest are not started', async () => {
    const alma = new FakeAlma();
    alma.faults = [{ method: 'createInvoice', call: 2, kind: 'auth' }];
    const { outcome } = await run(alma, batch());
    expect(outcome.stopped?.reason).toBe('auth');
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'failed', 'not_started']);
    // Looked up before the first write, never written.
    expect(alma.log.filter((l) => l.includes('B-7'))).toEqual(['findInvoices B-7']);
  });

  it('stops on a minute of nothing but per-second refusals: the invoices not started say so, not that a Retry-After asked to wait', async () => {
    const alma = new FakeAlma();
    const t = alma.target();
    let creates = 0;
    const refused = new RetryAfterError({ httpStatus: 429, code: 'PER_SECOND_THRESHOLD', message: 'HTTP requests are more than allowed per second' }, 60_000, 120_000);
    refused.refused = { forMs: 61_000, rate: 0.5 };
    const target: Target = { ...t, createInvoice: (inv) => (++creates === 2 ? Promise.reject(refused) : t.createInvoice(inv)) };
    const invoices = batch();
    const { outcome } = await runEngine(target, invoices, join(dir, 'j.jsonl'));
    expect(outcome.stopped?.reason).toBe('retry_after');
    // The create the stop met: stopped at it (RETRY_AFTER); the next, never reached.
    expect(outcome.results.map((r) => [r.status, r.error?.code])).toEqual([
      ['loaded', undefined],
      ['failed', 'RETRY_AFTER'],
      ['not_started', 'NOT_STARTED'],
    ]);
    expect(outcome.results[2]!.error?.message).toBe(
      'not started: the run stopped first (the API answered nothing but refusals for its per-second threshold (429) for 61 s, though the loader slowed down); a re-run loads it',
    );
    // Stopped before the checks' first write: the same words.
    const journal = journalAt(join(dir, 'before.jsonl'));
    try {
      const [r] = resultsBeforeSending(invoices, journal, 'retry_after', t, refused);
      expect(r!.error?.message).toMatch(/^not started: the run stopped first \(the API answered nothing but refusals for its per-second threshold \(429\) for 61 s/);
      // A Retry-After that asked for longer: the words it always had.
      const [asked] = resultsBeforeSending(invoices, journal, 'retry_after', t, new RetryAfterError({ httpStatus: 429, code: 'PER_SECOND_THRESHOLD', message: 'wait' }, 3_600_000, 3_600_000));
      expect(asked!.error?.message).toBe('not started: the run stopped first (the API asked to wait longer than the loader waits (Retry-After)); a re-run loads it');
    } finally {
      journal.close();
    }
  });

  it('a journal that cannot be written (a full disk) stops the run before the write whose intent failed; a re-run finishes exactly once', async () => {
    const alma = new FakeAlma();
    const invoices = batch();
    const path = join(dir, 'j.jsonl');
    // The disk fills while INV-1's second line is being journaled: its intent reaches the file in part.
    let full = false;
    const write = (fd: number, buf: Uint8Array, off: number, len: number): number => {
      const text = Buffer.from(buf.subarray(off, off + len)).toString();
      if (full || (text.includes('"step":"line"') && text.includes('"line":"2"') && text.includes('INV-1'))) {
        if (!full) {
          full = true;
          return writeSync(fd, buf, off, 10); // the first bytes fit
        }
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return writeSync(fd, buf, off, len);
    };
    const { outcome, events } = await runEngine(alma.target(), invoices, path, {}, { write });
    expect(outcome.stopped?.reason).toBe('journal');
    expect(events.filter((e) => e.type === 'stopping').map((e) => (e as { message: string }).message)).toEqual([
      `cannot write the journal ${path}: no space left on the device; nothing more will be sent. What was sent is in the journal up to that moment: free space (or fix the state dir), then run the same command again`,
    ]);
    const id = alma.invoices[0]!.id;
    // Line 1 went; line 2, whose intent did not reach the disk whole, did not; nothing after it.
    expect(alma.log.filter((l) => l.startsWith('addLine') || l.startsWith('createInvoice') || l.startsWith('processInvoice'))).toEqual(['createInvoice INV-1', `addLine ${id}#1`]);
    expect(outcome.results.map((r) => r.status)).toEqual(['failed', 'not_started', 'not_started']);
    // The stop's own code on the invoice it cut short, not a Ctrl-C's.
    expect(outcome.results[0]!.error).toMatchObject({ step: 'lines', code: 'JOURNAL_UNWRITABLE' });
    // The file holds whole entries only: the next run reads it and finishes, each thing once.
    const { outcome: again } = await run(alma, invoices);
    expect(again.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
    expectExactlyOnce(alma, invoices);
  });

  it('after a soft stop takes no new invoice', async () => {
    const alma = new FakeAlma();
    const stop = new AbortController();
    const { outcome } = await run(alma, batch(), {
      stopSignal: stop.signal,
      emit: (e) => {
        if (e.type === 'invoice') stop.abort();
      },
    });
    expect(outcome.stopped?.reason).toBe('interrupted');
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'not_started', 'not_started']);
  });

  it('a re-run after a stop says how many invoices the earlier run left partly sent', async () => {
    const alma = new FakeAlma();
    const stop = new AbortController();
    const invoices = batch();
    const path = join(dir, 'partly.jsonl');
    const { outcome } = await run(alma, invoices, {
      path,
      concurrency: 1,
      stopSignal: stop.signal,
      emit: (e) => {
        if (e.type === 'step' && e.step === 'lines') stop.abort();
      },
    });
    expect(outcome.results.map((r) => r.status)).toEqual(['failed', 'not_started', 'not_started']);
    const again = await run(alma, invoices, { path });
    // Named too, for the cron log's line (cli/progress.ts resumeLine).
    expect(again.events.find((e) => e.type === 'start')).toEqual({ type: 'start', invoices: 3, alreadyDone: 0, resumed: true, partly: 1, partlyKeys: [invoices[0]!.key] });
  });

  it('a soft stop after the last invoice finished leaves the run whole: not reported as stopped', async () => {
    const alma = new FakeAlma();
    const stop = new AbortController();
    const invoices = batch();
    let done = 0;
    const { outcome } = await run(alma, invoices, {
      stopSignal: stop.signal,
      emit: (e) => {
        if (e.type === 'invoice' && ++done === invoices.length) stop.abort();
      },
    });
    expect(stop.signal.aborted).toBe(true);
    expect(outcome.stopped).toBeUndefined();
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
  });
});

describe('engine: the write event says how each write request ended (cli/send.ts: what an unwritable report says)', () => {
  const writes = (events: EngineEvent[]): string[] => events.flatMap((e) => (e.type === 'write' ? [`${e.key.number} ${e.step} ${e.outcome}`] : []));

  it.each<[string, Fault[], string[]]>([
    ['each answered: accepted', [], ['INV-1 create accepted', 'INV-1 lines accepted', 'INV-1 process accepted']],
    ['the first create refused by the key (a read-only key): refused, the run stops, nothing else sent', [{ method: 'createInvoice', call: 1, kind: 'auth' }], ['INV-1 create refused']],
    ['a create answered 400: refused', [{ method: 'createInvoice', call: 1, kind: 'business' }], ['INV-1 create refused']],
    ['a create whose answer was lost: unknown (it may have been made), then its lines', [{ method: 'createInvoice', call: 1, kind: 'lost' }], ['INV-1 create unknown', 'INV-1 lines accepted', 'INV-1 process accepted']],
  ])('%s', async (_, faults, expected) => {
    const alma = new FakeAlma();
    alma.faults = faults;
    const { events } = await run(alma, [makeInvoice('ACME', 'INV-1', 1)]);
    expect(writes(events)).toEqual(expected);
    // The look-up and the read-backs are no writes.
    expect(events.some((e) => e.type === 'write' && (e.step === 'lookup' || e.step === 'poll'))).toBe(false);
  });
});

describe('engine: unknown outcomes are reconciled, never blindly re-sent', () => {
  it.each([
    ['createInvoice', 1],
    ['addLine', 2],
    ['processInvoice', 1],
  ] as const)('an answer lost after %s #%i made its change: no duplicate', async (method, call) => {
    const alma = new FakeAlma();
    alma.faults = [{ method, call, kind: 'lost' }];
    const invoices = batch();
    const { outcome, events } = await run(alma, invoices);
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
    expectExactlyOnce(alma, invoices);
    expect(events.some((e) => e.type === 'reconcile')).toBe(true);
  });

  it.each([['createInvoice'], ['addLine'], ['processInvoice']] as const)(
    'a 500 before %s made any change: the write is sent again after asking',
    async (method) => {
      const alma = new FakeAlma();
      alma.faults = [{ method, call: 1, kind: 'before' }];
      const invoices = batch();
      const { outcome } = await run(alma, invoices);
      expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
      expectExactlyOnce(alma, invoices);
    },
  );

  it('processing that is slow to show is waited for, not requested twice', async () => {
    const alma = new FakeAlma();
    alma.processReads = 3;
    alma.faults = [{ method: 'processInvoice', call: 1, kind: 'lost' }];
    const invoices = [makeInvoice('ACME', 'INV-1', 1)];
    const { outcome } = await run(alma, invoices, { poll: { initialMs: 1, maxIntervalMs: 1, timeoutMs: 20, unknownMs: 10 } });
    expect(outcome.results[0]!.status).toBe('loaded');
    expectExactlyOnce(alma, invoices);
  });
});

describe('engine: every process request answered by nothing (Alma: sent again after each watch, maxWriteAttempts)', () => {
  it('fails OUTCOME_UNKNOWN at the process step, the last lost answer in its words, not that answer\'s code; the re-run reads it first and decides at once', async () => {
    const alma = new FakeAlma();
    // Each process request is answered 500 without taking effect: the invoice never shows it processed.
    alma.faults = [1, 2, 3].map((call) => ({ method: 'processInvoice' as const, call, kind: 'before' as const }));
    const path = join(dir, 'j.jsonl');
    const poll = { initialMs: 1, maxIntervalMs: 1, timeoutMs: 3, unknownMs: 3 };
    const { outcome } = await run(alma, [makeInvoice('ACME', 'INV-1', 1)], { poll, path });
    expect(alma.log.filter((l) => l.startsWith('processInvoice'))).toHaveLength(3);
    const r = outcome.results[0]!;
    expect(r).toMatchObject({ status: 'failed', error: { step: 'process', code: 'OUTCOME_UNKNOWN', tracking_id: 'E01-T' } });
    expect(r.error!.message).toMatch(/^process outcome unknown: Alma answered none of the 3 process requests sent \(the last: INTERNAL: Internal server error\), and the invoice still showed InReview 0 s later; it was not sent again/);
    expect(refusalKind(r.error!)).toBe('transient');
    // The re-run: watched whole already (journal processWatched), read once, sent again at once, loaded.
    const again = await run(alma, [makeInvoice('ACME', 'INV-1', 1)], { poll, path });
    expect(again.outcome.results[0]!.status).toBe('loaded');
    expect(alma.invoices[0]!.processCount).toBe(1);
  });
});

describe('engine: processing that has not shown by the time limit', () => {
  const poll = { initialMs: 1, maxIntervalMs: 1, timeoutMs: 3, unknownMs: 3 };

  it('is a warning in the same words for each invoice, and not journaled as settled: a re-run reads the outcome and sends nothing', async () => {
    const alma = new FakeAlma();
    alma.processReads = 1_000;
    const invoices = [makeInvoice('ACME', 'INV-1', 1), makeInvoice('ACME', 'INV-2', 2)];
    const path = join(dir, 'j.jsonl');
    const first = (await run(alma, invoices, { poll, path })).outcome.results;
    // Loaded (processing accepted), not in_review: Alma has not shown that it processed them.
    expect(first.map((r) => [r.status, r.workflowStatus, r.unfinished])).toEqual([
      ['loaded', 'InReview', true],
      ['loaded', 'InReview', true],
    ]);
    const words = 'Alma had not finished processing the invoice after 0.003 s (--poll-timeout): its status and alerts may still change, and running the same command again reads them (sending nothing)';
    const warning = { code: 'not_finished', message: words };
    expect(first.map((r) => r.warnings)).toEqual([[warning], [warning]]);
    expectExactlyOnce(alma, invoices);

    // Alma has finished meanwhile.
    for (const s of alma.invoices) s.settlesAfterReads = 1;
    alma.log = [];
    const second = await run(alma, invoices, { poll, path });
    expect(second.events.find((e) => e.type === 'start')).toEqual({ type: 'start', invoices: 2, alreadyDone: 0, resumed: true, awaiting: 2 });
    const again = second.outcome.results;
    // Loaded by the first run, read by this one: already loaded (the re-run sent nothing).
    expect(again.map((r) => [r.status, r.workflowStatus, r.unfinished, r.warnings])).toEqual([
      ['already_loaded', 'Waiting to be Sent', undefined, []],
      ['already_loaded', 'Waiting to be Sent', undefined, []],
    ]);
    expect(alma.log.filter((l) => !l.startsWith('getInvoice'))).toEqual([]);
    expectExactlyOnce(alma, invoices);

    // Settled now: a third run reads nothing.
    alma.log = [];
    const third = (await run(alma, invoices, { poll, path })).outcome.results;
    expect(third.map((r) => [r.status, r.workflowStatus])).toEqual([
      ['already_loaded', 'Waiting to be Sent'],
      ['already_loaded', 'Waiting to be Sent'],
    ]);
    expect(alma.log).toEqual([]);
  });
});

describe('engine: a re-run that only reads the status of an invoice an earlier run processed', () => {
  const poll = { initialMs: 1, maxIntervalMs: 1, timeoutMs: 3, unknownMs: 3 };
  /** The fake Alma whose every read of an invoice meets the daily threshold (a stop of the run). */
  const dailyAtRead = (alma: FakeAlma): Target => ({
    ...alma.target(),
    getInvoice: async () => {
      throw new DailyLimitError({ httpStatus: 429, code: 'DAILY_THRESHOLD', message: 'Daily API threshold reached' });
    },
  });

  // The first run reported them loaded (not_finished); the re-run sends nothing: they are
  // already loaded (DESIGN "found complete from an earlier run; nothing sent"), not loaded twice.
  it('is already_loaded when the status it reads is not In Review, and in_review when Alma sent it to review', async () => {
    const alma = new FakeAlma();
    alma.processReads = 1_000;
    const invoices = [makeInvoice('ACME', 'INV-1', 1), makeInvoice('ACME', 'INV-2', 2)];
    const path = join(dir, 'j.jsonl');
    const first = (await run(alma, invoices, { poll, path })).outcome.results;
    expect(first.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    for (const s of alma.invoices) s.settlesAfterReads = 1;
    // Alma sent the second to review: news the first run did not have, which asks for a look.
    alma.invoices[1]!.alerts = [{ code: 'NOT_LINKED_LINES', description: 'Lines not linked' }];
    alma.log = [];
    const again = (await run(alma, invoices, { poll, path })).outcome.results;
    expect(again.map((r) => [r.status, r.workflowStatus])).toEqual([
      ['already_loaded', 'Waiting to be Sent'],
      ['in_review', 'InReview'],
    ]);
    expect(alma.log.filter((l) => !l.startsWith('getInvoice'))).toEqual([]);
    expectExactlyOnce(alma, invoices);
  });

  it('still not finished on the re-run: already_loaded with its not_finished warning', async () => {
    const alma = new FakeAlma();
    alma.processReads = 1_000;
    const invoices = [makeInvoice('ACME', 'INV-1', 1)];
    const path = join(dir, 'j.jsonl');
    await run(alma, invoices, { poll, path });
    const again = (await run(alma, invoices, { poll, path })).outcome.results;
    expect(again.map((r) => [r.status, r.unfinished, r.warnings.map((w) => w.code)])).toEqual([['already_loaded', true, ['not_finished']]]);
  });

  it('its read stopped by the run (the daily threshold): already_loaded with status_unknown, not loaded again', async () => {
    const alma = new FakeAlma();
    alma.processReads = 1_000;
    const invoices = [makeInvoice('ACME', 'INV-1', 1)];
    const path = join(dir, 'j.jsonl');
    await run(alma, invoices, { poll, path });
    const second = (await runEngine(dailyAtRead(alma), invoices, path, { poll })).outcome;
    expect(second.stopped?.reason).toBe('daily_limit');
    expect(second.results.map((r) => [r.status, r.warnings.map((w) => w.code)])).toEqual([['already_loaded', ['status_unknown']]]);
    expectExactlyOnce(alma, invoices);
  });

  it('one this run processed and stopped reading is loaded (status_unknown), as before', async () => {
    const alma = new FakeAlma();
    alma.processReads = 1_000;
    const invoices = [makeInvoice('ACME', 'INV-1', 1)];
    const first = (await runEngine(dailyAtRead(alma), invoices, join(dir, 'j.jsonl'), { poll })).outcome;
    expect(first.results.map((r) => [r.status, r.warnings.map((w) => w.code)])).toEqual([['loaded', ['status_unknown']]]);
  });
});

describe('engine: the status read after processing fails', () => {
  const poll = { initialMs: 1, maxIntervalMs: 1, timeoutMs: 3, unknownMs: 3 };

  it('an answer cut short (BAD_RESPONSE): loaded with not_finished saying why, not failed; a re-run reads the status and sends nothing', async () => {
    const alma = new FakeAlma();
    alma.faults = [{ method: 'getInvoice', call: 1, kind: 'bad-response' }];
    const invoices = [makeInvoice('ACME', 'INV-1', 1)];
    const path = join(dir, 'j.jsonl');
    const first = (await run(alma, invoices, { poll, path })).outcome.results;
    const id = alma.invoices[0]!.id;
    expect(first.map((r) => [r.status, r.id, r.unfinished, r.error])).toEqual([['loaded', id, true, undefined]]);
    expect(first[0]!.warnings).toEqual([
      {
        code: 'not_finished',
        message: `Alma accepted the request to process the invoice, but its status could not be read afterwards (BAD_RESPONSE: unreadable answer to GET /acq/invoices/${id}: Unexpected end of JSON input): its status and alerts are not known yet, and running the same command again reads them (sending nothing)`,
      },
    ]);
    const j = journalAt(path);
    expect(j.state(invoices[0]!.key).lastError).toBeUndefined();
    j.close();
    expectExactlyOnce(alma, invoices);

    alma.log = [];
    const again = (await run(alma, invoices, { poll, path })).outcome.results;
    expect(again.map((r) => [r.status, r.workflowStatus, r.warnings])).toEqual([['already_loaded', 'Waiting to be Sent', []]]);
    expect(alma.log).toEqual([`getInvoice ${id}`]);
    expectExactlyOnce(alma, invoices);
  });

  it('a refused key at that read still stops the run', async () => {
    const alma = new FakeAlma();
    alma.faults = [{ method: 'getInvoice', call: 1, kind: 'auth' }];
    const { outcome } = await run(alma, [makeInvoice('ACME', 'INV-1', 1)], { poll });
    expect(outcome.stopped?.reason).toBe('auth');
    expect(outcome.results[0]!.warnings.map((w) => w.code)).not.toContain('not_finished');
  });
});

describe('engine: a create refused because the number exists (someone made it after the look-up)', () => {
  /**
   * The look-ups found nothing; by the time the create is sent, another run (another batch with
   * the same invoice) or a person has made the invoice and added its first line. Alma refuses
   * the create (60288); the invoice found then is not one this run made, so its lines are listed
   * before any is added, as for an invoice the look-ups found.
   */
  function lateArrival(alma: FakeAlma, opts: { processed?: boolean; alerts?: StoredInvoice['alerts'] } = {}): Target {
    const base = alma.target();
    let hidden = true;
    return {
      ...base,
      isDuplicateRefusal: (err: ApiError) => err.httpStatus === 400 && err.code === '60288',
      findInvoices: (key, o) => (hidden ? Promise.resolve([]) : base.findInvoices(key, o)),
      createInvoice: async (inv) => {
        alma.invoices.push({ id: alma.newId(), vendor: inv.key.vendor, number: inv.key.number, total: '30', lines: [{ number: '1', id: alma.newId() }], processCount: opts.processed ? 1 : 0, settlesAfterReads: 0, state: opts.processed ? 'done' : 'new', alerts: opts.alerts ?? [] });
        hidden = false;
        throw new ApiError({ httpStatus: 400, code: '60288', message: 'Invoice number not unique', trackingId: 'E01-DUP' });
      },
    };
  }

  it('unprocessed: its first line is not added twice; the others are added and it is processed once', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 3);
    const { outcome } = await runEngine(lateArrival(alma), [inv], join(dir, 'j.jsonl'));
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded']);
    expectExactlyOnce(alma, [inv]);
  });

  it('what it holds is compared with the file, as for one the look-ups found: another value is said (held_different)', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 3);
    const target = lateArrival(alma);
    const compared: string[] = [];
    target.heldDifferences = (found) => {
      compared.push(found.id);
      return [{ field: 'total_amount', sent: '30', stored: '31' }];
    };
    const { outcome } = await runEngine(target, [inv], join(dir, 'j.jsonl'));
    expect(compared).toEqual([alma.invoices[0]!.id]);
    expect(outcome.results[0]!.warnings.map((w) => w.code)).toContain('held_different');
  });

  it('the reconcile it says is the duplicate refusal, not a lost answer', async () => {
    const alma = new FakeAlma();
    const { events } = await runEngine(lateArrival(alma), [makeInvoice('ACME', 'INV-1', 3)], join(dir, 'j.jsonl'));
    expect(events.filter((e) => e.type === 'reconcile')).toEqual([
      { type: 'reconcile', key: { vendor: 'ACME', number: 'INV-1' }, step: 'create', reason: '60288: Invoice number not unique', duplicate: true },
    ]);
  });

  it('In Review with an alert, no number_of_lines, and its line listing fails: the failure is at the look-up step, not the create', async () => {
    const alma = new FakeAlma();
    alma.alertsShowEarly = true;
    alma.lineCountShown = false;
    alma.faults = [{ method: 'listLines', call: 1, kind: 'before' }];
    const inv = makeInvoice('ACME', 'INV-1', 3);
    const { outcome } = await runEngine(lateArrival(alma, { alerts: [{ code: 'NOT_READY_LINES', description: 'lines not ready' }] }), [inv], join(dir, 'j.jsonl'));
    expect(outcome.results[0]).toMatchObject({ status: 'failed', error: { step: 'lookup', http_status: 500, code: 'INTERNAL' } });
  });

  it('processed already: left as it is (already loaded), nothing added to it', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 3);
    const { outcome } = await runEngine(lateArrival(alma, { processed: true }), [inv], join(dir, 'j.jsonl'));
    expect(outcome.results.map((r) => r.status)).toEqual(['already_loaded']);
    expect(alma.invoices[0]!.lines.map((l) => l.number)).toEqual(['1']);
    expect(alma.log.filter((l) => l.startsWith('addLine') || l.startsWith('processInvoice'))).toEqual([]);
  });
});

describe('engine: a create whose outcome a look-up settled, on an invoice someone else made with a line', () => {
  /**
   * The look-ups found nothing; the create's answer says nothing sure (lost, or Alma's error
   * document under a 200), and by then someone has made the invoice and added line 1. What the
   * engine finds is not known to be an empty invoice of its own create: its lines are listed
   * before any is added, and line 1 is not sent a second time.
   */
  function madeMeanwhile(alma: FakeAlma, answer: () => Error, isDuplicateRefusal?: Target['isDuplicateRefusal']): Target {
    const base = alma.target();
    let hidden = true;
    return {
      ...base,
      ...(isDuplicateRefusal !== undefined ? { isDuplicateRefusal } : {}),
      findInvoices: (key, o) => (hidden ? Promise.resolve([]) : base.findInvoices(key, o)),
      createInvoice: async (inv) => {
        alma.invoices.push({ id: alma.newId(), vendor: inv.key.vendor, number: inv.key.number, total: '30', lines: [{ number: '1', id: alma.newId() }], processCount: 0, settlesAfterReads: 0, state: 'new', alerts: [] });
        hidden = false;
        throw answer();
      },
    };
  }

  it('its answer lost (unknown outcome): the lines are listed first, line 1 is not added twice', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 3);
    const target = madeMeanwhile(alma, () => new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' }));
    const { outcome } = await runEngine(target, [inv], join(dir, 'j.jsonl'));
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded']);
    expectExactlyOnce(alma, [inv]);
    expect(alma.log.filter((l) => l.startsWith('listLines'))).not.toEqual([]);
  });

  it('its answer lost, then killed before the lines were listed: the next run lists them first, line 1 is not added twice', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 3);
    const path = join(dir, 'j.jsonl');
    const target = madeMeanwhile(alma, () => new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' }));
    // The create is settled by the look-up (someone's invoice, with line 1), then the run dies as it lists the lines.
    alma.faults = [{ call: 1, method: 'listLines', kind: 'crash-before' }];
    await expect(runEngine(target, [inv], path)).rejects.toBeInstanceOf(Crash);
    expect(alma.invoices[0]!.lines.map((l) => l.number)).toEqual(['1']);
    alma.dead = false;
    alma.faults = [];
    // The journal alone says the create was settled by a look-up: the next run lists the lines before adding any.
    const { outcome } = await runEngine(alma.target(), [inv], path);
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded']);
    expect(alma.invoices[0]!.lines.map((l) => l.number)).toEqual(['1', '2', '3']);
    expectExactlyOnce(alma, [inv]);
  });

  it("Alma's 60288 under a 200 (errorsExist) is the duplicate refusal: found late, line 1 not added twice, nothing created again", async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 3);
    const alma200 = createAlmaTarget({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9' });
    const refusal = () => new ApiError({ httpStatus: 200, inSuccess: true, code: '60288', message: 'an error answered with HTTP 200: Invoice number INV-1 already exists for vendor ACME.', trackingId: 'E01-DUP' });
    const { outcome } = await runEngine(madeMeanwhile(alma, refusal, alma200.isDuplicateRefusal), [inv], join(dir, 'j.jsonl'));
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded']);
    expectExactlyOnce(alma, [inv]);
    expect(alma.invoices).toHaveLength(1);
  });
});

describe('engine: an invoice the look-ups found, processed by hand before a re-run', () => {
  it('is read first on the re-run and not sent to processing again', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 2);
    // In Alma before the load, every line there, not processed: the look-up finds it.
    alma.invoices.push({ id: alma.newId(), vendor: 'ACME', number: 'INV-1', total: '20', lines: [{ number: '1', id: alma.newId() }, { number: '2', id: alma.newId() }], processCount: 0, settlesAfterReads: 0, state: 'new', alerts: [] });
    // Killed as it listed the lines: the journal holds the invoice found, and nothing sent.
    alma.faults = [{ call: 1, method: 'listLines', kind: 'crash-before' }];
    await expect(run(alma, [inv])).rejects.toBeInstanceOf(Crash);
    // Processed by hand meanwhile.
    alma.dead = false;
    alma.faults = [];
    alma.invoices[0]!.state = 'done';
    alma.log = [];
    const { outcome } = await run(alma, [inv]);
    // Read before anything is asked of it; nothing sent, and its outcome taken from that read.
    const id = alma.invoices[0]!.id;
    expect(alma.log).toEqual([`listLines ${id}`, `getInvoice ${id}`]);
    // Nothing sent for it by either run: already loaded, as when the first look-up finds it processed.
    expect(outcome.results.map((r) => [r.status, r.workflowStatus])).toEqual([['already_loaded', 'Waiting to be Sent']]);
    expect(alma.invoices[0]!.processCount).toBe(0);
  });

  it('one an earlier run added a line to is loaded (the loader put part of it in), not already loaded', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 2);
    // In Alma before the load with line 1 only: the first run adds line 2, then is killed before processing.
    alma.invoices.push({ id: alma.newId(), vendor: 'ACME', number: 'INV-1', total: '20', lines: [{ number: '1', id: alma.newId() }], processCount: 0, settlesAfterReads: 0, state: 'new', alerts: [] });
    alma.faults = [{ call: 1, method: 'processInvoice', kind: 'crash-before' }];
    await expect(run(alma, [inv])).rejects.toBeInstanceOf(Crash);
    expect(alma.invoices[0]!.lines.map((l) => l.number)).toEqual(['1', '2']);
    alma.dead = false;
    alma.faults = [];
    alma.invoices[0]!.state = 'done';
    const { outcome } = await run(alma, [inv]);
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded']);
    expect(alma.invoices[0]!.processCount).toBe(0);
  });
});

describe('engine: a write that provably never left (status 0, not an unknown outcome)', () => {
  it('is journaled refused, so the same command sends it again without first looking for what it made', async () => {
    const alma = new FakeAlma();
    const base = alma.target();
    let first = true;
    const target: Target = {
      ...base,
      createInvoice: async (inv) => {
        if (first) {
          first = false;
          // a connection refused before the request was written: nothing reached the target
          throw new ApiError({ httpStatus: 0, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
        }
        return base.createInvoice(inv);
      },
    };
    const inv = makeInvoice('ACME', 'INV-1', 2);
    const path = join(dir, 'j.jsonl');
    const once = await runEngine(target, [inv], path);
    expect(once.outcome.results[0]!.status).not.toBe('loaded');
    const j = journalAt(path);
    try {
      expect(j.state(inv.key).createPending).toBe(false);
    } finally {
      j.close();
    }
    alma.log.length = 0;
    const again = await runEngine(target, [inv], path);
    expect(again.outcome.results[0]!.status).toBe('loaded');
    // one look-up (the ordinary one before a create), not a second one reconciling a pending create
    expect(alma.log.filter((l) => l.startsWith('findInvoices'))).toHaveLength(1);
  });
});

describe('engine: killed at any call, re-run until done — exactly once', () => {
  // Every call index of a clean run, killed before and after the call takes effect.
  const invoices = batch();
  const cleanCalls = (() => {
    let n = 0;
    return async () => {
      if (n) return n;
      const alma = new FakeAlma();
      const d = mkdtempSync(join(tmpdir(), 'engine-count-'));
      const journal = journalAt(join(d, 'j.jsonl'));
      await runInvoices(invoices, {
        target: alma.target(),
        journal,
        concurrency: 1,
        emit: () => undefined,
        sleep: async () => undefined,
        poll: { initialMs: 1, maxIntervalMs: 1, timeoutMs: 5, unknownMs: 3 },
        maxWriteAttempts: 3,
        settle: { fixedMs: 0, floorMs: 0, ceilingMs: 0 },
      });
      journal.close();
      rmSync(d, { recursive: true, force: true });
      n = alma.log.length;
      return n;
    };
  })();

  for (const kind of ['crash-before', 'crash-after'] as const) {
    for (const concurrency of [1, 3]) {
      it(`${kind}, concurrency ${concurrency}: every crash point`, async () => {
        const total = await cleanCalls();
        expect(total).toBeGreaterThan(10);
        for (let call = 1; call <= total; call++) {
          const alma = new FakeAlma();
          const path = join(dir, `kill-${kind}-${concurrency}-${call}.jsonl`);
          alma.faults = [{ call, kind } satisfies Fault];
          await expect(run(alma, invoices, { path, concurrency })).rejects.toBeInstanceOf(Crash);
          // Let the other workers notice the dead target before the journal is reopened.
          await new Promise((r) => setTimeout(r, 0));
          alma.dead = false;
          alma.faults = [];
          const { outcome } = await run(alma, invoices, { path, concurrency });
          expect(outcome.results.every((r) => r.status === 'loaded' || r.status === 'already_loaded'), `call ${call}`).toBe(true);
          expectExactlyOnce(alma, invoices);
        }
      });
    }
  }
});

describe('engine: the step an invoice the run stopped on was at', () => {
  it.each([
    [{ processed: true, processPending: false, id: '1' }, 'poll'],
    // Its process request sent, no answer yet (killed, or the target went away): not "lines".
    [{ processed: false, processPending: true, id: '1' }, 'process'],
    [{ processed: false, processPending: false, id: '1' }, 'lines'],
    [{ processed: false, processPending: false, id: undefined }, 'create'],
  ] as const)('%j → %s', (st, step) => {
    expect(stoppedStep(st)).toBe(step);
  });
});

describe('engine: the daily threshold met on an invoice whose every line was added', () => {
  it("is reported at the process step, not 'lines'; one met while adding its lines stays at 'lines'", async () => {
    const alma = new FakeAlma();
    // A's process request, then B's second line, meet the daily threshold (one at a time).
    alma.faults = [{ method: 'processInvoice', call: 1, kind: 'daily' }];
    const a = await run(alma, [makeInvoice('ACME', 'A-1', 2)], { concurrency: 1 });
    expect(a.outcome.stopped?.reason).toBe('daily_limit');
    expect(a.outcome.results[0]).toMatchObject({ status: 'failed', error: { step: 'process', code: 'DAILY_THRESHOLD' } });

    const other = new FakeAlma();
    other.faults = [{ method: 'addLine', call: 2, kind: 'daily' }];
    const b = await run(other, [makeInvoice('ACME', 'B-1', 2)], { concurrency: 1, path: join(dir, 'b.jsonl') });
    expect(b.outcome.results[0]).toMatchObject({ status: 'failed', error: { step: 'lines', code: 'DAILY_THRESHOLD' } });
  });

  it('a re-run stopped before its first write (the checks met the threshold) says the same step of it', async () => {
    const alma = new FakeAlma();
    alma.faults = [{ method: 'processInvoice', call: 1, kind: 'daily' }];
    const path = join(dir, 'again.jsonl');
    const invoices = [makeInvoice('ACME', 'A-1', 2)];
    await run(alma, invoices, { concurrency: 1, path });
    const journal = journalAt(path);
    try {
      const [r] = resultsBeforeSending(invoices, journal, 'daily_limit', alma.target());
      // Created with every line by the first run: it exists in Alma, so it has the stop's code, not NOT_STARTED.
      expect(r).toMatchObject({ status: 'failed', error: { step: 'process', code: 'DAILY_THRESHOLD' } });
    } finally {
      journal.close();
    }
  });
});

describe('engine: a write that ended on the IdNotKeptError of another write never left (journaled unsent)', () => {
  const notKept = (number: string, line?: string) => new IdNotKeptError({ httpStatus: 201, message: 'not kept' }, { vendor: 'V', number }, 'sent-id', 'held-id', line);
  const docNotKept = (number: string, file: string) => new IdNotKeptError({ httpStatus: 201, message: 'not kept' }, { vendor: 'V', number }, 'sent-id', 'held-id', undefined, file);
  const intent = (number: string, step: 'create' | 'line' | 'attachment' | 'process', line?: string) => ({ t: 'intent' as const, vendor: 'V', number, step, ...(line !== undefined ? { line } : {}) });
  it.each([
    // The write FOLIO answered under its own id: its own error, not unsent.
    ['the create it happened to', notKept('A'), intent('A', 'create'), false],
    ['the line it happened to', notKept('A', '1'), intent('A', 'line', '1'), false],
    // Held back behind it, or ended by the halt before its turn.
    ["another invoice's create", notKept('A'), intent('B', 'create'), true],
    ['another line of the same invoice', notKept('A', '1'), intent('A', 'line', '2'), true],
    ["another invoice's line of the same number", notKept('A', '1'), intent('B', 'line', '1'), true],
    ['a line of the invoice whose create it was', notKept('A'), intent('A', 'line', '1'), true],
    ['the create of the invoice whose line it was', notKept('A', '1'), intent('A', 'create'), true],
    ['a process request', notKept('A'), intent('B', 'process'), true],
    // A document (FOLIO) answered under its own id: its own send is not unsent; the invoice's create is.
    ['the document it happened to', docNotKept('A', 'a.pdf'), { ...intent('A', 'attachment'), file: 'a.pdf' }, false],
    ['the create of the invoice whose document it was', docNotKept('A', 'a.pdf'), intent('A', 'create'), true],
    ['any other error', new ApiError({ httpStatus: 201, code: 'X', message: 'x' }), intent('B', 'create'), false],
  ] as const)('%s → unsent: %s', (_what, err, i, unsent) => {
    expect(notItsOwn(err, i)).toBe(unsent);
  });
});

describe('engine: an invoice of the journal read by id before its finalize, held as withdrawn (RemoteInvoice.withdrawn)', () => {
  it('fails WITHDRAWN at process: not processed, not reported loaded', async () => {
    const alma = new FakeAlma();
    alma.faults = [{ method: 'processInvoice', call: 1, kind: 'crash-before' }];
    const inv = makeInvoice('ACME', 'INV-1', 1);
    await expect(run(alma, [inv])).rejects.toBeInstanceOf(Crash);
    alma.dead = false;
    alma.faults = [];
    const plain = alma.target();
    const target: Target = { ...plain, getInvoice: async (id) => ({ ...(await plain.getInvoice(id)), withdrawn: true }) };
    const { outcome } = await runEngine(target, [inv], join(dir, 'j.jsonl'));
    expect(outcome.results[0]).toMatchObject({ status: 'failed', error: { step: 'process', code: 'WITHDRAWN' } });
    expect(alma.log.filter((l) => l.startsWith('processInvoice'))).toEqual([`processInvoice ${alma.invoices[0]!.id} !crash-before`]);
    expect(alma.invoices[0]!.processCount).toBe(0);
  });
});

describe('engine: a create answered In Review with an alert (as sample 03 shows a new invoice)', () => {
  it.each([true, false])('is still processed, once: an invoice this run created has not been through processing, whatever it shows (number_of_lines shown: %s)', async (shown) => {
    const alma = new FakeAlma();
    alma.alertsShowEarly = true;
    alma.lineCountShown = shown;
    alma.alertsOnCreate = [{ code: 'NOT_READY_LINES', description: 'lines not ready' }];
    const invs = [makeInvoice('ACME', 'INV-1', 2), makeInvoice('ACME', 'INV-2', 1)];
    const { outcome } = await run(alma, invs, { path: join(dir, `alert-on-create-${shown}.jsonl`) });
    expect(alma.invoices.map((i) => i.processCount)).toEqual([1, 1]);
    expect(outcome.results.map((r) => r.status)).not.toContain('already_loaded');
    expectExactlyOnce(alma, invs);
  });
});

describe('engine: an invoice found In Review with an alert but fewer lines than the file', () => {
  it('is not taken as processed: its missing lines are added and it is processed, once (a journal lost after a kill)', async () => {
    const alma = new FakeAlma();
    alma.alertsShowEarly = true;
    const [inv] = [makeInvoice('ACME', 'INV-1', 3)];
    // An earlier run created it and added one line; its journal is gone. Alma shows an alert already.
    alma.invoices.push({
      id: alma.newId(),
      vendor: 'ACME',
      number: 'INV-1',
      total: inv!.header.totalAmount.toFixed(2),
      lines: [{ number: '1', id: alma.newId() }],
      processCount: 0,
      settlesAfterReads: 0,
      state: 'new',
      alerts: [{ code: 'NOT_READY_LINES', description: 'lines not ready' }],
    });
    const { outcome } = await run(alma, [inv!], { path: join(dir, 'fresh.jsonl') });
    expect(outcome.results[0]!.status).not.toBe('already_loaded');
    expectExactlyOnce(alma, [inv!]);
  });

  it('with every line it holds the file\'s lines: taken as processed, nothing sent', async () => {
    const alma = new FakeAlma();
    alma.alertsShowEarly = true;
    const [inv] = [makeInvoice('ACME', 'INV-1', 1)];
    alma.invoices.push({ id: alma.newId(), vendor: 'ACME', number: 'INV-1', total: inv!.header.totalAmount.toFixed(2), lines: [{ number: '1', id: alma.newId() }], processCount: 1, settlesAfterReads: 0, state: 'new', alerts: [{ code: 'NOT_LINKED_LINES', description: 'x' }] });
    const { outcome } = await run(alma, [inv!], { path: join(dir, 'fresh2.jsonl') });
    expect(outcome.results[0]!.status).toBe('already_loaded');
    expect(alma.log.filter((l) => l.startsWith('addLine') || l.startsWith('processInvoice'))).toEqual([]);
  });
});

describe('engine: a file the target holds under its name, its size not measurable', () => {
  /**
   * FakeAlma with one file per invoice: once added, the target holds it and shows it by name
   * only, its size unknown (RemoteAttachment.unmeasured). `fail`: the first add's answer is lost
   * (the file kept), or the run dies while it is sent.
   */
  function withFile(alma: FakeAlma, fail?: 'lost' | 'crash'): { target: Target; adds: string[] } {
    const held = new Map<string, string>();
    const adds: string[] = [];
    const seam: AttachmentSeam = {
      files: () => [{ name: 'a.pdf', path: '/nowhere/a.pdf' }],
      find: async (id) => (held.has(id) ? { id: held.get(id)!, name: 'a.pdf', unmeasured: true } : undefined),
      async add(id) {
        adds.push(id);
        held.set(id, `A${adds.length}`);
        if (adds.length === 1 && fail === 'lost') throw new UnknownOutcomeError({ httpStatus: 0, code: 'ETIMEDOUT', message: 'timed out' });
        if (adds.length === 1 && fail === 'crash') throw new Crash();
        return { id: `A${adds.length}`, name: 'a.pdf' };
      },
    };
    return { target: { ...alma.target(), attachments: seam }, adds };
  }
  const compared = (r: { warnings?: { code: string; message: string }[] | undefined }) => (r.warnings ?? []).filter((w) => w.code === 'attachment_not_compared').map((w) => w.message);
  const WARNING = /^a\.pdf: Alma holds a file of that name on this invoice, but gave neither its size nor its content, so the two could not be compared; it was taken as this file and not sent/;

  it('its answer lost: found by name, taken, not sent again, and the load says so', async () => {
    const alma = new FakeAlma();
    const { target, adds } = withFile(alma, 'lost');
    const { outcome } = await runEngine(target, [makeInvoice('ACME', 'INV-1', 1)], join(dir, 'j.jsonl'));
    expect(outcome.results[0]).toMatchObject({ status: 'loaded', attachments: [{ file: 'a.pdf', id: 'A1' }] });
    expect(adds).toHaveLength(1);
    expect(compared(outcome.results[0]!)).toEqual([expect.stringMatching(WARNING)]);
  });

  it('the run killed while it was sent: the re-run finds it by name before sending, and says so', async () => {
    const alma = new FakeAlma();
    const { target, adds } = withFile(alma, 'crash');
    const inv = makeInvoice('ACME', 'INV-1', 1);
    await expect(runEngine(target, [inv], join(dir, 'j.jsonl'))).rejects.toBeInstanceOf(Crash);
    const { outcome } = await runEngine(target, [inv], join(dir, 'j.jsonl'));
    expect(outcome.results[0]).toMatchObject({ status: 'loaded', attachments: [{ file: 'a.pdf', id: 'A1' }] });
    expect(adds).toHaveLength(1);
    expect(compared(outcome.results[0]!)).toEqual([expect.stringMatching(WARNING)]);
  });

  it('made under an id of the target\'s own (IdNotKeptError with the file): the invoice fails ID_NOT_KEPT at attachments, the run stops, and the file is journaled under that id, never sent again', async () => {
    const alma = new FakeAlma();
    const adds: string[] = [];
    const seam: AttachmentSeam = {
      files: () => [{ name: 'a.pdf', path: '/nowhere/a.pdf' }],
      find: async () => undefined,
      async add(id, file, who) {
        adds.push(id);
        throw new IdNotKeptError({ httpStatus: 201, message: 'not kept' }, who, 'sent-doc', 'their-doc', undefined, file.name);
      },
    };
    const target: Target = { ...alma.target(), attachments: seam };
    const invs = [makeInvoice('ACME', 'INV-1', 1), makeInvoice('ACME', 'INV-2', 1)];
    const { outcome } = await runEngine(target, invs, join(dir, 'j.jsonl'), { concurrency: 1 });
    expect(outcome.stopped).toMatchObject({ reason: 'ids_not_kept' });
    expect(outcome.results[0]).toMatchObject({ status: 'failed', error: { step: 'attachments', code: 'ID_NOT_KEPT' }, attachments: [{ file: 'a.pdf', id: 'their-doc' }] });
    expect(adds).toHaveLength(1);
    expect(alma.invoices[0]!.processCount).toBe(0);
    // The re-run sends the file nothing more: the journal holds it under FOLIO's id.
    const again = await runEngine(target, invs.slice(0, 1), join(dir, 'j.jsonl'));
    expect(adds).toHaveLength(1);
    expect(again.outcome.results[0]!.attachments).toEqual([{ file: 'a.pdf', id: 'their-doc' }]);
  });

  it('the journal lost, the invoice found processed: the file is taken as held, not said missing, and the load says so', async () => {
    const alma = new FakeAlma();
    const { target, adds } = withFile(alma);
    const inv = makeInvoice('ACME', 'INV-1', 1);
    await runEngine(target, [inv], join(dir, 'first.jsonl'));
    const { outcome } = await runEngine(target, [inv], join(dir, 'second.jsonl'));
    expect(outcome.results[0]).toMatchObject({ status: 'already_loaded', attachments: [{ file: 'a.pdf', id: 'A1' }] });
    expect(adds).toHaveLength(1);
    expect(compared(outcome.results[0]!)).toEqual([expect.stringMatching(WARNING)]);
    expect((outcome.results[0]!.warnings ?? []).map((w) => w.code)).not.toContain('attachment_not_added');
  });
});

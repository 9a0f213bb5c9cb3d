/**
 * What other journals know (src/engine/elsewhere.ts): a run killed after its writes, its file
 * edited (a new batch, a new journal) and run again while the target's look-ups still lag those
 * writes. Virtual time throughout: `sleep` advances the clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal } from 'decimal.js';
import { runInvoices } from '../../src/engine/engine.js';
import { findWithElsewhere, gatherElsewhere, type Elsewhere } from '../../src/engine/elsewhere.js';
import { Journal, parseJournal, type JournalEntry } from '../../src/engine/journal.js';
import { ApiError } from '../../src/common/errors.js';
import { keyString, type Invoice } from '../../src/domain/model.js';
import type { EngineEvent } from '../../src/engine/events.js';
import type { RemoteInvoice, Target } from '../../src/targets/target.js';
import { Crash, FakeAlma, laggingTarget, makeInvoice, type Fault } from '../helpers/fake-target.js';
import { runEngine } from '../helpers/engine-run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-elsewhere-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const who = { vendor: 'ACME', number: 'A-1' };
const begin: JournalEntry = { t: 'begin', kind: 'invoice-load-journal', v: 1, target: 'alma', endpoint: 'fake://alma', batch: 'old', at: '2026-12-05T00:00:00Z' };

describe('gatherElsewhere', () => {
  const keys = [who, { vendor: 'ACME', number: 'A-2' }];

  it.each<[string, JournalEntry[][], Record<string, Elsewhere>]>([
    ['no other journal', [], {}],
    [
      'an invoice created, one line added, one sent without an answer',
      [
        [
          begin,
          { t: 'intent', ...who, step: 'create', at: 100 },
          { t: 'invoice', ...who, id: 'I1', found: false },
          { t: 'intent', ...who, step: 'line', line: '1', id: 'I1', at: 200 },
          { t: 'line', ...who, line: '1', id: 'L1' },
          { t: 'intent', ...who, step: 'line', line: '2', id: 'I1', at: 300 },
        ],
      ],
      { 'ACME\u0000A-1': { ids: new Map([['I1', { lines: new Map([['1', 'L1']]), linesPending: new Map([['2', 300]]) }]]) } },
    ],
    [
      'a create sent without an answer: when, the latest of two journals',
      [
        [begin, { t: 'intent', ...who, step: 'create', at: 100 }],
        [begin, { t: 'intent', ...who, step: 'create', at: 500 }],
      ],
      { 'ACME\u0000A-1': { ids: new Map(), createSentAt: 500 } },
    ],
    [
      'one id in two journals: the lines either recorded',
      [
        [begin, { t: 'invoice', ...who, id: 'I1', found: false }, { t: 'line', ...who, line: '1', id: 'L1' }],
        [begin, { t: 'invoice', ...who, id: 'I1', found: true }, { t: 'line', ...who, line: '2', id: 'L2' }],
      ],
      {
        'ACME\u0000A-1': {
          ids: new Map([
            [
              'I1',
              {
                lines: new Map([
                  ['1', 'L1'],
                  ['2', 'L2'],
                ]),
                linesPending: new Map(),
              },
            ],
          ]),
        },
      },
    ],
    [
      'its process request: answered in either journal is processed; sent without an answer in one and answered in none is pending',
      [
        [begin, { t: 'invoice', ...who, id: 'I1', found: false }, { t: 'intent', ...who, step: 'process', id: 'I1' }, { t: 'invoice', vendor: 'ACME', number: 'A-2', id: 'I2', found: false }, { t: 'intent', vendor: 'ACME', number: 'A-2', step: 'process', id: 'I2' }],
        [begin, { t: 'invoice', ...who, id: 'I1', found: true }, { t: 'intent', ...who, step: 'process', id: 'I1' }, { t: 'processed', ...who, id: 'I1' }],
      ],
      {
        'ACME\u0000A-1': { ids: new Map([['I1', { lines: new Map(), linesPending: new Map(), processed: true }]]) },
        'ACME\u0000A-2': { ids: new Map([['I2', { lines: new Map(), linesPending: new Map(), processPending: true }]]) },
      },
    ],
    ['an invoice not in this batch is left out', [[begin, { t: 'invoice', vendor: 'ACME', number: 'Z-9', id: 'I9', found: false }]], {}],
  ])('%s', (_what, journals, want) => {
    expect(Object.fromEntries(gatherElsewhere(journals, keys))).toEqual(want);
  });
});

describe('findWithElsewhere', () => {
  const inv = makeInvoice('ACME', 'A-1', 1);
  const remote = (id: string, number = 'A-1', vendor = 'ACME'): RemoteInvoice => ({ id, number, vendor, alerts: [], processed: false, inReview: false });
  const target = (found: RemoteInvoice[], byId: (id: string) => RemoteInvoice): Target & { reads: string[] } => {
    const reads: string[] = [];
    return {
      reads,
      findInvoices: async () => [...found],
      getInvoice: async (id: string) => {
        reads.push(id);
        return byId(id);
      },
    } as unknown as Target & { reads: string[] };
  };
  const recorded = (...ids: string[]): Elsewhere => ({ ids: new Map(ids.map((id) => [id, { lines: new Map(), linesPending: new Map() }])) });

  it('an id the look-up did not show is read by id and added; one it showed is not read again', async () => {
    const t = target([remote('I1')], (id) => remote(id));
    expect((await findWithElsewhere(t, inv, recorded('I1', 'I2'))).map((r) => r.id)).toEqual(['I1', 'I2']);
    expect(t.reads).toEqual(['I2']);
  });

  it('one the target no longer holds (a 4xx) or that now has another number is left out', async () => {
    const t = target([], (id) => {
      if (id === 'gone') throw new ApiError({ httpStatus: 400, code: '412400', message: 'Invoice gone not found.' });
      return remote(id, 'A-1-renumbered');
    });
    expect(await findWithElsewhere(t, inv, recorded('gone', 'moved'))).toEqual([]);
  });

  it('one the target reads back as deleted (RemoteInvoice.withdrawn) is left out as a 404 is', async () => {
    const t = target([], (id) => ({ ...remote(id), withdrawn: true }));
    expect(await findWithElsewhere(t, inv, recorded('I1'))).toEqual([]);
    expect(t.reads).toEqual(['I1']);
  });

  it('any other failure is the look-up\'s', async () => {
    const t = target([], () => {
      throw new ApiError({ httpStatus: 503, code: 'UNAVAILABLE', message: 'try later' });
    });
    await expect(findWithElsewhere(t, inv, recorded('I1'))).rejects.toThrow('try later');
  });
});

/**
 * The target as a process that is killed sees it: from the first Crash on, every call of the
 * dead run (its lag measurement running beside it) waits forever, as nothing of a killed
 * process runs on.
 */
function killable(target: Target, run: { killed: boolean }): Target {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const v = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (run.killed) return new Promise(() => undefined);
        const out = (v as (...a: unknown[]) => unknown).apply(obj, args);
        if (!(out instanceof Promise)) return out;
        return out.catch((err: unknown) => {
          if (err instanceof Crash) run.killed = true;
          throw err;
        });
      };
    },
  });
}

describe('engine: killed, the file edited, run again while the look-ups lag 3 s', () => {
  const invoices = (): Invoice[] => [makeInvoice('ACME', 'A-1', 2), makeInvoice('ACME', 'A-2', 1)];

  /** Run 1 dies on `fault`; run 2, 100 ms later, has a journal of its own (the edited file's), told or not what run 1's says. */
  async function killedThenEdited(fault: Fault, tell: boolean, journal: 'edited' | 'old' = 'edited') {
    const alma = new FakeAlma();
    alma.faults = [fault];
    let t = 1_000_000;
    const born = new Map<string, number>();
    const sleep = async (ms: number): Promise<void> => void (t += ms);
    const base = { concurrency: 1, emit: () => undefined, wallNow: () => t, now: () => t, poll: { initialMs: 1, maxIntervalMs: 1, timeoutMs: 5, unknownMs: 3 }, maxWriteAttempts: 3, settle: { floorMs: 2_000, ceilingMs: 30_000 } };
    const place = mkdtempSync(join(dir, 'state-'));
    const open = (batch: string): Journal => Journal.open({ path: join(place, `${batch}.jsonl`), target: 'alma', endpoint: 'fake://alma', batch, sync: false });
    const first = open('old');
    const run1 = { killed: false };
    // Nothing of the killed run moves the clock or calls the target once it is dead.
    const dies = (ms: number): Promise<void> => (run1.killed ? new Promise(() => undefined) : sleep(ms));
    const done = runInvoices(invoices(), { ...base, target: killable(laggingTarget(alma, 3_000, () => t, born), run1), sleep: dies, journal: first });
    // The run's promise may never settle (what it waits for waits forever): its death is the end.
    const failure = done.then(() => undefined, (err: unknown) => err);
    while (!run1.killed && (await Promise.race([failure, new Promise<'tick'>((r) => setImmediate(() => r('tick')))])) === 'tick');
    expect(run1.killed).toBe(true);
    first.close();
    alma.dead = false;
    t += 100;
    const old = parseJournal(readFileSync(join(place, 'old.jsonl'), 'utf8'), { endpoint: 'fake://alma', batch: 'old' }, 'old.jsonl').entries;
    const elsewhere = tell ? gatherElsewhere([old], invoices().map((i) => i.key)) : undefined;
    const second = open(journal);
    const events: EngineEvent[] = [];
    try {
      const outcome = await runInvoices(invoices(), { ...base, target: laggingTarget(alma, 3_000, () => t, born), sleep, journal: second, elsewhere, emit: (e) => events.push(e) });
      return { alma, outcome, events };
    } finally {
      second.close();
    }
  }

  const once = (alma: FakeAlma): Record<string, string[]> =>
    Object.fromEntries(alma.invoices.map((s) => [`${s.number} ${s.id}`, s.lines.map((l) => l.number)]));

  it('killed after a line was added and another sent: each line added once', async () => {
    const { alma, outcome, events } = await killedThenEdited({ method: 'addLine', call: 2, kind: 'crash-after' }, true);
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    // Each wait is said. (The killed run had written A-2's create intent as it died: a kill
    // between an intent and its request, which the journal answers for the same way.)
    expect(events.filter((e) => e.type === 'reconcile')).toEqual([
      { type: 'reconcile', key: { vendor: 'ACME', number: 'A-1' }, step: 'lines', reason: 'an earlier run sent its line 2 and never learned whether it took effect', earlier: true },
      { type: 'reconcile', key: { vendor: 'ACME', number: 'A-2' }, step: 'create', reason: 'an earlier run (of this file before an edit, or of an earlier version of invoice-load) sent its create and never learned whether it took effect', earlier: true },
    ]);
    expect([...alma.created.values()]).toEqual([1, 1]);
    expect(Object.values(once(alma))).toEqual([['1', '2'], ['1']]);
    expect(alma.invoices.map((s) => s.processCount)).toEqual([1, 1]);
  });

  it('killed with a create sent and no answer: looked for across the window, not created again', async () => {
    const { alma, outcome, events } = await killedThenEdited({ method: 'createInvoice', call: 2, kind: 'crash-after' }, true);
    // A-1 was finished by the killed run (and its search shows it by now).
    expect(outcome.results.map((r) => r.status)).toEqual(['already_loaded', 'loaded']);
    // The wait is said (the terminal prints it): not a silent pause of up to the window.
    expect(events.filter((e) => e.type === 'reconcile')).toEqual([
      { type: 'reconcile', key: { vendor: 'ACME', number: 'A-2' }, step: 'create', reason: 'an earlier run (of this file before an edit, or of an earlier version of invoice-load) sent its create and never learned whether it took effect', earlier: true },
    ]);
    expect([...alma.created.values()]).toEqual([1, 1]);
    expect(Object.values(once(alma))).toEqual([['1', '2'], ['1']]);
  });

  it('the same file run again (its own journal): the wait for its own unanswered create is said the same way', async () => {
    const { alma, events } = await killedThenEdited({ method: 'createInvoice', call: 2, kind: 'crash-after' }, false, 'old');
    expect([...alma.created.values()]).toEqual([1, 1]);
    expect(events.filter((e) => e.type === 'reconcile')).toEqual([{ type: 'reconcile', key: { vendor: 'ACME', number: 'A-2' }, step: 'create', reason: 'an earlier run sent its create and never learned whether it took effect', earlier: true }]);
  });

  it('the same runs without the other journal create both invoices twice (what the look-ups alone give)', async () => {
    const lines = await killedThenEdited({ method: 'addLine', call: 2, kind: 'crash-after' }, false);
    expect(lines.alma.created.get('ACME/A-1')).toBe(2);
    const create = await killedThenEdited({ method: 'createInvoice', call: 2, kind: 'crash-after' }, false);
    expect(create.alma.created.get('ACME/A-2')).toBe(2);
  });
});

describe('a stop that comes while the run looks for a create another journal sent without an answer', () => {
  it('an unreachable target: failed with the stop\'s code, saying it may be in Alma — not "not started", as one the run never reached says', async () => {
    const alma = new FakeAlma();
    const t = alma.target();
    const find = t.findInvoices.bind(t);
    // The look-ups before the first write answer (nothing there yet); the look again for the
    // other journal's create meets an Alma that no longer answers.
    t.findInvoices = async (key, o) => {
      if (o?.fresh === true) throw new ApiError({ httpStatus: 0, code: 'ECONNREFUSED', message: 'GET /acq/invoices: connect ECONNREFUSED' });
      return find(key, o);
    };
    const invoices = [makeInvoice('ACME', 'A-1', 1), makeInvoice('ACME', 'A-2', 1)];
    // Both had a create sent by an earlier run of the file before an edit, its answer never come.
    const elsewhere = new Map<string, Elsewhere>(invoices.map((inv) => [keyString(inv.key), { ids: new Map(), createSentAt: 1 }]));
    const { outcome } = await runEngine(t, invoices, join(dir, 'j.jsonl'), { elsewhere });
    expect(outcome.stopped?.reason).toBe('unreachable');
    // A-1 met the stop in its look again, A-2 was never reached: the same for both.
    expect(outcome.results.map((r) => [r.key.number, r.status, r.error?.code])).toEqual([
      ['A-1', 'failed', 'UNREACHABLE'],
      ['A-2', 'failed', 'UNREACHABLE'],
    ]);
    for (const r of outcome.results) expect(r.error!.message).toMatch(/may already be in Alma: a re-run looks for it in Alma first and does not create it twice$/);
    expect(alma.log.filter((l) => l.startsWith('createInvoice'))).toEqual([]);
  });
});

describe('engine: the file edited and run again while Alma still processes what the first run sent', () => {
  const invoices = (): Invoice[] => [makeInvoice('ACME', 'A-1', 2), makeInvoice('ACME', 'A-2', 1)];
  /** Virtual time: `sleep` advances the clock. */
  const clocked = () => {
    let t = 1_000_000;
    return { wallNow: () => t, now: () => t, sleep: async (ms: number): Promise<void> => void (t += ms) };
  };
  const entriesOf = (batch: string): JournalEntry[] => parseJournal(readFileSync(join(dir, `${batch}.jsonl`), 'utf8'), { endpoint: 'fake://alma', batch }, batch).entries;
  const run = (alma: FakeAlma, batch: string, more: Parameters<typeof runEngine>[3] = {}) => runEngine(alma.target(), invoices(), join(dir, `${batch}.jsonl`), { ...clocked(), ...more }, { batch });
  const processRequests = (alma: FakeAlma): string[] => alma.log.filter((l) => l.startsWith('processInvoice'));

  it('its process requests answered there (journal `processed`): none sent again, already loaded, its status waited for', async () => {
    const alma = new FakeAlma();
    // Alma takes longer than either run waits: In Review without alerts, as before the request.
    alma.processReads = 1_000_000;
    const first = await run(alma, 'old');
    expect(first.outcome.results.map((r) => [r.status, r.unfinished])).toEqual([
      ['loaded', true],
      ['loaded', true],
    ]);
    expect(processRequests(alma)).toHaveLength(2);
    const elsewhere = gatherElsewhere([entriesOf('old')], invoices().map((i) => i.key));
    const second = await run(alma, 'edited', { elsewhere });
    // No second request (the fake refuses one while processing: 60260, as Alma may).
    expect(processRequests(alma)).toHaveLength(2);
    expect(alma.invoices.map((s) => s.processCount)).toEqual([1, 1]);
    expect(second.outcome.results.map((r) => [r.status, r.unfinished, r.warnings.map((w) => w.code)])).toEqual([
      ['already_loaded', true, ['not_finished']],
      ['already_loaded', true, ['not_finished']],
    ]);
    // The edited file's journal now knows it: its next run, with no other journal read (past
    // the window), sends nothing either and reads the status Alma shows by then.
    for (const s of alma.invoices) s.state = 'done';
    const third = await run(alma, 'edited');
    expect(processRequests(alma)).toHaveLength(2);
    expect(third.outcome.results.map((r) => [r.status, r.workflowStatus])).toEqual([
      ['already_loaded', 'Waiting to be Sent'],
      ['already_loaded', 'Waiting to be Sent'],
    ]);
  });

  it('the take-over cut by a kill between its intent and its `processed`: the re-run finishes it from the other journal, sends nothing, already loaded', async () => {
    const alma = new FakeAlma();
    alma.processReads = 1_000_000;
    await run(alma, 'old');
    const elsewhere = gatherElsewhere([entriesOf('old')], invoices().map((i) => i.key));
    await run(alma, 'edited', { elsewhere });
    // The journal as a SIGKILL right after A-1's take-over intent leaves it (engine.ts #recordInvoice).
    const lines = readFileSync(join(dir, 'edited.jsonl'), 'utf8').split('\n');
    const cut = lines.findIndex((l) => l.includes('"t":"intent"') && l.includes('"step":"process"') && l.includes('"number":"A-1"'));
    expect(lines[cut + 1]).toContain('"t":"processed"');
    writeFileSync(join(dir, 'edited.jsonl'), lines.slice(0, cut + 1).join('\n') + '\n');
    const again = await run(alma, 'edited', { elsewhere });
    // Not watched as an unanswered request of its own and sent again (the fake refuses it while processing: 60260).
    expect(processRequests(alma)).toHaveLength(2);
    expect(again.outcome.results.map((r) => [r.key.number, r.status, r.error?.code])).toEqual([
      ['A-1', 'already_loaded', undefined],
      ['A-2', 'already_loaded', undefined],
    ]);
  });

  it('the edit added a line to an invoice processed there: the line is sent, not dropped under already_loaded', async () => {
    const alma = new FakeAlma();
    // Still processing (In Review without alerts) when the edited file runs.
    alma.processReads = 1_000_000;
    await run(alma, 'old');
    const elsewhere = gatherElsewhere([entriesOf('old')], invoices().map((i) => i.key));
    // A-1 edited: a third line, at no charge (the total the same).
    const more = makeInvoice('ACME', 'A-1', 3, '20');
    more.lines[2]!.price = new Decimal(0);
    const edited = [more, makeInvoice('ACME', 'A-2', 1)];
    const second = await runEngine(alma.target(), edited, join(dir, 'edited.jsonl'), { ...clocked(), elsewhere }, { batch: 'edited' });
    // The line is sent (this fake, as Alma may, refuses a line to an invoice being processed):
    // A-1 fails saying so, never already_loaded without it.
    expect(alma.log.filter((l) => l.startsWith('addLine') && l.endsWith('#3'))).toHaveLength(1);
    expect(second.outcome.results.find((r) => r.key.number === 'A-1')!.status).toBe('failed');
    // A-2, unchanged: taken over as processed, not requested again.
    expect(alma.invoices.find((s) => s.number === 'A-2')!.processCount).toBe(1);
  });

  it('its process requests answered there, the run stopped while it waits for them: already loaded (an earlier run loaded them), not loaded by this run', async () => {
    const alma = new FakeAlma();
    alma.processReads = 1_000_000;
    await run(alma, 'old');
    const elsewhere = gatherElsewhere([entriesOf('old')], invoices().map((i) => i.key));
    // A Ctrl-C at the first read of a status (A-1's, waiting for its processing).
    const stop = new AbortController();
    const t = alma.target();
    const read = t.getInvoice.bind(t);
    t.getInvoice = async (id, inv) => {
      stop.abort();
      return read(id, inv);
    };
    const second = await runEngine(t, invoices(), join(dir, 'edited.jsonl'), { ...clocked(), elsewhere, stopSignal: stop.signal }, { batch: 'edited' });
    expect(second.outcome.stopped?.reason).toBe('interrupted');
    expect(processRequests(alma)).toHaveLength(2);
    expect(second.outcome.results.map((r) => [r.key.number, r.status, r.warnings.map((w) => w.message)])).toEqual([
      ['A-1', 'already_loaded', [expect.stringMatching(/: an earlier run loaded it, and nothing was sent to it;/)]],
      // Never reached, but in Alma, loaded by the other run: the stop's code, not NOT_STARTED (engine.ts `unreached`).
      ['A-2', 'failed', []],
    ]);
    expect(second.outcome.results[1]!.error).toMatchObject({ code: 'INTERRUPTED', step: 'poll', message: expect.stringMatching(/another run of it \(from another file, such as an edited copy of this one\) loaded it into Alma \(id \d+, its processing requested\)/) });
  });

  it('its process request sent there without an answer (killed): read and watched for as this journal\'s own, not sent again once it shows', async () => {
    const alma = new FakeAlma();
    alma.processReads = 2;
    alma.faults = [{ method: 'processInvoice', call: 1, kind: 'crash-after' }];
    await expect(run(alma, 'old')).rejects.toThrow(Crash);
    alma.dead = false;
    expect(processRequests(alma)).toEqual([expect.stringMatching(/ !crash-after$/)]);
    const elsewhere = gatherElsewhere([entriesOf('old')], invoices().map((i) => i.key));
    expect(elsewhere.get('ACME\u0000A-1')?.ids.values().next().value).toMatchObject({ processPending: true });
    const second = await run(alma, 'edited', { elsewhere });
    // read until it showed processed, never sent again; A-2: created and processed by this run.
    expect(processRequests(alma)).toHaveLength(2);
    expect(alma.invoices.map((s) => [s.number, s.processCount])).toEqual([
      ['A-1', 1],
      ['A-2', 1],
    ]);
    expect(second.outcome.results.map((r) => [r.key.number, r.status, r.error?.code])).toEqual([
      ['A-1', 'loaded', undefined],
      ['A-2', 'loaded', undefined],
    ]);
  });
});

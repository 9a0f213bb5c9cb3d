/**
 * The engine's canary gate, --max-errors and the stop on an unreachable target, against the
 * in-memory Alma with a scripted read-back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineOptions } from '../../src/engine/engine.js';
import type { Invoice } from '../../src/domain/model.js';
import type { FieldDifference, Target } from '../../src/targets/target.js';
import { ApiError } from '../../src/common/errors.js';
import { FakeAlma, makeInvoice } from '../helpers/fake-target.js';
import { runEngine } from '../helpers/engine-run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-canary-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The fake Alma with a read-back that logs and answers `diffs(number)`. */
function withReadBack(alma: FakeAlma, diffs: (number: string) => FieldDifference[] = () => []): Target {
  const t = alma.target();
  t.readBack = async (_id: string, inv: Invoice, lines?: readonly string[]) => {
    await Promise.resolve();
    alma.log.push(`readBack ${inv.key.number}${lines === undefined ? '' : ` lines ${lines.join(',')}`}`);
    return diffs(inv.key.number);
  };
  return t;
}

/** ...and whose read-back needs only the first `n` lines of an invoice (Target.canaryChildren). */
function withEarlyReadBack(alma: FakeAlma, n: number, diffs?: (number: string) => FieldDifference[]): Target {
  const t = withReadBack(alma, diffs);
  t.canaryChildren = (inv: Invoice) => inv.lines.slice(0, n).map((l) => l.number);
  return t;
}

const writes = (alma: FakeAlma): string[] => alma.log.filter((l) => /^(createInvoice|addLine|processInvoice|readBack)/.test(l)).map((l) => l.replace(/ \d+#/, ' #'));

const run = (target: Target, invoices: Invoice[], opts: Partial<EngineOptions> = {}) => runEngine(target, invoices, join(dir, 'j.jsonl'), { concurrency: 8, ...opts });

const batch = (n = 4): Invoice[] => Array.from({ length: n }, (_, i) => makeInvoice('ACME', `INV-${i + 1}`, 2));
const NOTE: FieldDifference = { field: 'note', sent: '"spring"', stored: 'nothing' };
const creates = (alma: FakeAlma): string[] => alma.log.filter((l) => l.startsWith('createInvoice'));

describe('the canary gate', () => {
  it('the first invoice is read back after its lines and before any other is created; look-ups go on meanwhile', async () => {
    const alma = new FakeAlma();
    const { outcome } = await run(withReadBack(alma), batch());
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded', 'loaded']);
    expect(outcome.canary).toMatchObject({ key: { number: 'INV-1' }, status: 'passed', differences: [] });
    const readAt = alma.log.indexOf('readBack INV-1');
    expect(alma.log.filter((l) => l.startsWith('readBack'))).toEqual(['readBack INV-1']);
    // Before it: INV-1's create and both lines, other invoices' look-ups, no other write.
    const before = alma.log.slice(0, readAt);
    expect(before.filter((l) => /^(createInvoice|addLine|processInvoice)/.test(l))).toEqual([
      'createInvoice INV-1',
      expect.stringMatching(/^addLine \d+#1$/),
      expect.stringMatching(/^addLine \d+#2$/),
    ]);
    expect(before.filter((l) => l.startsWith('findInvoices')).length).toBeGreaterThan(1);
    expect(creates(alma)).toHaveLength(4);
  });

  it("a difference only where the target may write its own text (tolerated: Alma's line vat_note) is a warning on the canary, not a stop", async () => {
    const alma = new FakeAlma();
    const VAT_NOTE: FieldDifference = { field: 'line 1 vat_note', sent: '"VAT included"', stored: '"Approximately 0.00 included in line Total Price."', tolerated: true };
    const { outcome } = await run(withReadBack(alma, (n) => (n === 'INV-1' ? [VAT_NOTE] : [])), batch());
    expect(outcome.stopped).toBeUndefined();
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded', 'loaded']);
    expect(outcome.canary).toMatchObject({ key: { number: 'INV-1' }, status: 'passed', differences: [] });
    expect(outcome.results[0]!.warnings).toEqual([
      {
        code: 'stored_otherwise',
        message: 'Alma stored line 1 vat_note: sent "VAT included", stored "Approximately 0.00 included in line Total Price.". Alma may write its own text there, so the run went on; if the file\'s text matters, check it in Alma',
      },
    ]);
    expect(creates(alma)).toHaveLength(4);
    // Beside another difference it still stops, on that one.
    const other = new FakeAlma();
    const stopped = await runEngine(withReadBack(other, () => [VAT_NOTE, NOTE]), batch(), join(dir, 'k.jsonl'), { concurrency: 8 });
    expect(stopped.outcome.stopped?.reason).toBe('canary');
    expect(stopped.outcome.canary?.differences).toEqual([NOTE]);
    expect(creates(other)).toEqual(['createInvoice INV-1']);
  });

  it('a difference stops the run before a second invoice is created: the canary fails, the rest are not started', async () => {
    const alma = new FakeAlma();
    const { outcome, events } = await run(withReadBack(alma, () => [NOTE]), batch());
    expect(outcome.stopped?.reason).toBe('canary');
    expect(outcome.stopped?.message).toMatch(/ACME INV-1 \(id \d+\) note: sent "spring", stored nothing/);
    expect(outcome.stopped?.message).toMatch(/--no-canary/);
    expect(creates(alma)).toEqual(['createInvoice INV-1']);
    expect(alma.invoices[0]!.processCount).toBe(0);
    expect(outcome.results.map((r) => [r.status, r.error?.code])).toEqual([
      ['failed', 'CANARY_MISMATCH'],
      ['not_started', 'NOT_STARTED'],
      ['not_started', 'NOT_STARTED'],
      ['not_started', 'NOT_STARTED'],
    ]);
    expect(events.filter((e) => e.type === 'stopping')).toHaveLength(1);
    expect(outcome.canary).toMatchObject({ status: 'failed', differences: [NOTE] });
  });

  it('the same run again reads the stopped invoice back again before processing it, and stops again', async () => {
    const alma = new FakeAlma();
    await run(withReadBack(alma, () => [NOTE]), batch());
    alma.log = [];
    const { outcome } = await run(withReadBack(alma, () => [NOTE]), batch());
    expect(outcome.stopped?.reason).toBe('canary');
    expect(alma.log.filter((l) => /^(createInvoice|addLine|processInvoice|readBack)/.test(l))).toEqual(['readBack INV-1']);
    // Fixed (or accepted): it is processed and the others load.
    alma.log = [];
    const fixed = await run(withReadBack(alma), batch());
    expect(fixed.outcome.results.every((r) => r.status === 'loaded')).toBe(true);
    expect(alma.invoices.map((i) => i.processCount)).toEqual([1, 1, 1, 1]);
  });

  it('the invoice an earlier run stopped on goes first wherever it stands in the batch, with one slot, before any other writes', async () => {
    const alma = new FakeAlma();
    await run(withReadBack(alma, () => [NOTE]), batch());
    alma.log = [];
    const { outcome } = await run(withReadBack(alma, () => [NOTE]), batch().reverse(), { concurrency: 1 });
    expect(outcome.stopped?.reason).toBe('canary');
    expect(writes(alma)).toEqual(['readBack INV-1']);
    expect(outcome.results.map((r) => r.status)).toEqual(['not_started', 'not_started', 'not_started', 'failed']);
  });

  it('--no-canary (canary: false) reads nothing back', async () => {
    const alma = new FakeAlma();
    const { outcome } = await run(withReadBack(alma, () => [NOTE]), batch(), { canary: false });
    expect(outcome.results.every((r) => r.status === 'loaded')).toBe(true);
    expect(alma.log.some((l) => l.startsWith('readBack'))).toBe(false);
    expect(outcome.canary).toBeUndefined();
  });

  it('an invoice that ends without writing while the canary is read back does not open the gate for the others', async () => {
    const alma = new FakeAlma();
    const t = withReadBack(alma);
    // INV-2's look-up is refused only once INV-1 holds the gate (its create sent); INV-1's
    // read-back answers only after INV-2 has ended: its end must not let INV-3 write meanwhile.
    let created!: () => void;
    const canaryCreated = new Promise<void>((r) => (created = r));
    let ended!: () => void;
    const inv2Ended = new Promise<void>((r) => (ended = r));
    const create = t.createInvoice.bind(t);
    t.createInvoice = async (inv) => {
      if (inv.key.number === 'INV-1') created();
      return create(inv);
    };
    const find = t.findInvoices.bind(t);
    let asked = 0;
    t.findInvoices = async (key, o) => {
      if (key.number !== 'INV-2') return find(key, o);
      // The wave before the first write: a reset, so INV-2 looks itself up again at its turn.
      if (++asked === 1) throw new ApiError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' });
      await canaryCreated;
      throw new ApiError({ httpStatus: 400, code: 'X', message: 'refused look-up' });
    };
    const readBack = t.readBack!.bind(t);
    t.readBack = async (id, inv, lines) => {
      await inv2Ended;
      return readBack(id, inv, lines);
    };
    const { outcome } = await run(t, batch(), {
      emit: (e) => {
        if (e.type === 'invoice' && e.result.key.number === 'INV-2') ended();
      },
    });
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'failed', 'loaded', 'loaded']);
    const readAt = alma.log.indexOf('readBack INV-1');
    expect(creates(alma).filter((l) => alma.log.indexOf(l) < readAt)).toEqual(['createInvoice INV-1']);
  });

  it('a canary Alma refuses for another reason hands the check to the next invoice that writes', async () => {
    const alma = new FakeAlma();
    alma.faults = [{ method: 'createInvoice', call: 1, kind: 'business' }];
    const { outcome } = await run(withReadBack(alma), batch(3));
    expect(outcome.results.map((r) => r.status)).toEqual(['failed', 'loaded', 'loaded']);
    expect(alma.log.filter((l) => l.startsWith('readBack'))).toHaveLength(1);
    expect(outcome.canary?.status).toBe('passed');
    expect(outcome.canary?.key.number).not.toBe('INV-1');
  });
});

describe('the canary read back after the lines that carry every field (Target.canaryChildren)', () => {
  const threeLines = (n = 3): Invoice[] => Array.from({ length: n }, (_, i) => makeInvoice('ACME', `INV-${i + 1}`, 3));

  it('is read back after its first line, before its other lines and before any other invoice is created', async () => {
    const alma = new FakeAlma();
    const { outcome } = await run(withEarlyReadBack(alma, 1), threeLines());
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
    expect(outcome.canary).toMatchObject({ key: { number: 'INV-1' }, status: 'passed' });
    const log = writes(alma);
    expect(log.slice(0, 3)).toEqual(['createInvoice INV-1', 'addLine #1', 'readBack INV-1 lines 1']);
    expect(log.filter((l) => l.startsWith('readBack'))).toHaveLength(1);
    // Every invoice still gets every line once, and is processed once.
    expect(alma.invoices.map((i) => [i.lines.map((l) => l.number), i.processCount])).toEqual([
      [['1', '2', '3'], 1],
      [['1', '2', '3'], 1],
      [['1', '2', '3'], 1],
    ]);
  });

  it('needing every line, it is read back once after them, in full, as before', async () => {
    const alma = new FakeAlma();
    await run(withEarlyReadBack(alma, 3), threeLines(2));
    expect(writes(alma).slice(0, 5)).toEqual(['createInvoice INV-1', 'addLine #1', 'addLine #2', 'addLine #3', 'readBack INV-1']);
  });

  it('a difference stops the run with the canary holding only the lines read back; the same command adds the rest, reads it back in full and stops again', async () => {
    const alma = new FakeAlma();
    const first = await run(withEarlyReadBack(alma, 1, () => [NOTE]), threeLines());
    expect(first.outcome.stopped?.reason).toBe('canary');
    expect(first.outcome.stopped?.message).toMatch(/This one is in Alma with 1 of its 3 lines \(the rest are added when the run is resumed\), not processed/);
    expect(writes(alma)).toEqual(['createInvoice INV-1', 'addLine #1', 'readBack INV-1 lines 1']);
    expect(first.outcome.results.map((r) => r.error?.code)).toEqual(['CANARY_MISMATCH', 'NOT_STARTED', 'NOT_STARTED']);

    alma.log = [];
    const again = await run(withEarlyReadBack(alma, 1, () => [NOTE]), threeLines());
    expect(again.outcome.stopped?.reason).toBe('canary');
    expect(again.outcome.stopped?.message).toMatch(/with its lines, not processed/);
    expect(writes(alma)).toEqual(['addLine #2', 'addLine #3', 'readBack INV-1']);

    alma.log = [];
    const fixed = await run(withEarlyReadBack(alma, 1), threeLines());
    expect(fixed.outcome.results.every((r) => r.status === 'loaded')).toBe(true);
    expect(alma.invoices.map((i) => [i.lines.map((l) => l.number), i.processCount])).toEqual([
      [['1', '2', '3'], 1],
      [['1', '2', '3'], 1],
      [['1', '2', '3'], 1],
    ]);
  });
});

describe('the canary whose read-back needs no line (Target.canaryChildren empty: Exsited\'s note)', () => {
  const twoLines = (n = 3): Invoice[] => Array.from({ length: n }, (_, i) => makeInvoice('ACME', `INV-${i + 1}`, 2));

  it('is judged before its first line is written; passed, its lines and the others follow', async () => {
    const alma = new FakeAlma();
    // One invoice at a time: the log is the order of INV-1's own steps, then the others'.
    const { outcome } = await run(withEarlyReadBack(alma, 0), twoLines(), { concurrency: 1 });
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
    expect(outcome.canary).toMatchObject({ key: { number: 'INV-1' }, status: 'passed' });
    expect(writes(alma).slice(0, 5)).toEqual(['createInvoice INV-1', 'readBack INV-1 lines ', 'addLine #1', 'addLine #2', expect.stringMatching(/^processInvoice /)]);
    expect(writes(alma).filter((l) => l.startsWith('readBack'))).toHaveLength(1);
  });

  it('a difference stops the run with no line written; the same command reads it back before any line and stops again; fixed, every line once', async () => {
    const alma = new FakeAlma();
    const first = await run(withEarlyReadBack(alma, 0, () => [NOTE]), twoLines());
    expect(first.outcome.stopped?.reason).toBe('canary');
    expect(writes(alma)).toEqual(['createInvoice INV-1', 'readBack INV-1 lines ']);
    expect(first.outcome.stopped?.message).toMatch(/This one is in Alma with nothing added under it yet \(that is done once it reads back as sent\), not processed/);
    expect(first.outcome.results.map((r) => r.error?.code)).toEqual(['CANARY_MISMATCH', 'NOT_STARTED', 'NOT_STARTED']);

    alma.log = [];
    const again = await run(withEarlyReadBack(alma, 0, () => [NOTE]), twoLines());
    expect(again.outcome.stopped?.reason).toBe('canary');
    expect(writes(alma)).toEqual(['readBack INV-1 lines ']);

    alma.log = [];
    const fixed = await run(withEarlyReadBack(alma, 0), twoLines(), { concurrency: 1 });
    expect(fixed.outcome.results.every((r) => r.status === 'loaded')).toBe(true);
    expect(writes(alma).slice(0, 3)).toEqual(['readBack INV-1 lines ', 'addLine #1', 'addLine #2']);
    expect(alma.invoices.map((i) => [i.lines.map((l) => l.number), i.processCount])).toEqual([
      [['1', '2'], 1],
      [['1', '2'], 1],
      [['1', '2'], 1],
    ]);
  });
});

describe("the canary compared on the answers to its own writes (Target.answerDifferences)", () => {
  const threeLines = (n = 3): Invoice[] => Array.from({ length: n }, (_, i) => makeInvoice('ACME', `INV-${i + 1}`, 3));

  /**
   * A target whose create and line answers carry a body (`answer`), compared by a scripted
   * `answerDifferences` that logs what it was given; its read-back answers `readBackDiffs`.
   */
  function withAnswers(alma: FakeAlma, answerDiffs: FieldDifference[], readBackDiffs: FieldDifference[] = []): Target {
    const t = withEarlyReadBack(alma, 1, () => readBackDiffs);
    const create = t.createInvoice.bind(t);
    t.createInvoice = async (inv) => ({ ...(await create(inv)), answer: { number: inv.key.number } });
    const add = t.addChild.bind(t);
    t.addChild = async (id, key, inv) => ({ ...(await add(id, key, inv)), answer: { number: key } });
    t.answerDifferences = (inv, created, children) => {
      alma.log.push(`answers ${inv.key.number} ${JSON.stringify(created)} lines ${[...children.keys()].join(',')}`);
      return answerDiffs;
    };
    return t;
  }

  it('answers that show every field as sent are the verdict: nothing is read back, the others go after its first line', async () => {
    const alma = new FakeAlma();
    const { outcome } = await run(withAnswers(alma, [], [NOTE]), threeLines());
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
    expect(outcome.canary).toMatchObject({ key: { number: 'INV-1' }, status: 'passed', compared: 'answers' });
    const log = alma.log.filter((l) => /^(createInvoice|addLine|readBack|answers)/.test(l)).map((l) => l.replace(/ \d+#/, ' #'));
    expect(log.slice(0, 3)).toEqual(['createInvoice INV-1', 'addLine #1', 'answers INV-1 {"number":"INV-1"} lines 1']);
    expect(log.filter((l) => /^(readBack|answers)/.test(l))).toHaveLength(1);
  });

  it('an answer that does not show a field as sent is settled by the read-back: passed there, the run goes on', async () => {
    const alma = new FakeAlma();
    const { outcome } = await run(withAnswers(alma, [NOTE], []), threeLines());
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
    expect(outcome.canary).toMatchObject({ status: 'passed', compared: 'read_back', differences: [] });
    expect(writes(alma).slice(0, 3)).toEqual(['createInvoice INV-1', 'addLine #1', 'readBack INV-1 lines 1']);
  });

  it('...and differing there too, the run stops before a second invoice is created', async () => {
    const alma = new FakeAlma();
    const { outcome } = await run(withAnswers(alma, [NOTE], [NOTE]), threeLines());
    expect(outcome.stopped?.reason).toBe('canary');
    expect(outcome.canary).toMatchObject({ status: 'failed', compared: 'read_back', differences: [NOTE] });
    expect(creates(alma)).toEqual(['createInvoice INV-1']);
  });

  it('an invoice an earlier run created has no answer from this run: it is read back', async () => {
    const alma = new FakeAlma();
    await run(withEarlyReadBack(alma, 1, () => [NOTE]), threeLines());
    alma.log = [];
    const { outcome } = await run(withAnswers(alma, []), threeLines());
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
    expect(outcome.canary).toMatchObject({ key: { number: 'INV-1' }, compared: 'read_back' });
    expect(alma.log.some((l) => l.startsWith('answers'))).toBe(false);
  });
});

describe('--max-errors: refusals with the same code in a row', () => {
  const refuseAll = (alma: FakeAlma, n: number): void => {
    alma.faults = Array.from({ length: n }, (_, i) => ({ method: 'createInvoice' as const, call: i + 1, kind: 'business' as const }));
  };

  it('after N identical refusals in a row no new invoice is started, and the run says why', async () => {
    const alma = new FakeAlma();
    refuseAll(alma, 6);
    const { outcome, events } = await run(alma.target(), batch(6), { concurrency: 1, maxErrors: 3 });
    expect(outcome.results.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'not_started', 'not_started', 'not_started']);
    expect(outcome.stopped?.reason).toBe('max_errors');
    const stop = events.find((e) => e.type === 'stopping');
    expect(stop).toMatchObject({ reason: 'max_errors', message: expect.stringMatching(/refused 3 invoices in a row with 60237 .*--max-errors 3/) });
    expect(creates(alma)).toHaveLength(3);
  });

  it('failures without a definite answer in a row (a gateway answering 503 to every create) stop it too, whatever their codes', async () => {
    const alma = new FakeAlma();
    const base = alma.target();
    let n = 0;
    const target: Target = {
      ...base,
      createInvoice: async () => {
        n++;
        throw new ApiError({ httpStatus: n % 2 === 0 ? 503 : 502, code: n % 2 === 0 ? 'HTTP_503' : 'HTTP_502', message: 'Service Unavailable' });
      },
    };
    const { outcome, events } = await run(target, batch(6), { concurrency: 1, maxErrors: 3 });
    expect(outcome.results.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'not_started', 'not_started', 'not_started']);
    expect(outcome.stopped?.reason).toBe('max_errors');
    expect(events.find((e) => e.type === 'stopping')).toMatchObject({ message: expect.stringMatching(/^3 invoices in a row failed without a definite answer from Alma \(the last: HTTP_50\d, .*--max-errors 3/) });
  });

  it('0 means no limit; a success in between starts the count again', async () => {
    const none = new FakeAlma();
    refuseAll(none, 6);
    const unlimited = await run(none.target(), batch(6), { concurrency: 1, maxErrors: 0 });
    expect(unlimited.outcome.stopped).toBeUndefined();
    expect(creates(none)).toHaveLength(6);

    const alma = new FakeAlma();
    alma.faults = [1, 2, 4, 5].map((call) => ({ method: 'createInvoice' as const, call, kind: 'business' as const }));
    const mixed = await run(alma.target(), batch(6), { concurrency: 1, maxErrors: 3 });
    expect(mixed.outcome.stopped).toBeUndefined();
    expect(mixed.outcome.results.map((r) => r.status)).toEqual(['failed', 'failed', 'loaded', 'failed', 'failed', 'loaded']);
  });
});

describe('a target that cannot be reached at all', () => {
  it.each(['ECONNREFUSED', 'ENOTFOUND', 'CERT_HAS_EXPIRED'])('%s is one stop, not one failure per invoice', async (code) => {
    const alma = new FakeAlma();
    const t = alma.target();
    let calls = 0;
    t.findInvoices = async () => {
      calls++;
      throw new ApiError({ httpStatus: 0, code, message: `GET /acq/invoices/: connect ${code}` });
    };
    const { outcome, events } = await run(t, batch(20), { concurrency: 2 });
    expect(outcome.stopped?.reason).toBe('unreachable');
    const stops = events.filter((e) => e.type === 'stopping');
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatchObject({ message: expect.stringContaining(`cannot reach Alma: ${code}`) });
    expect(calls).toBeLessThanOrEqual(2);
    expect(outcome.results.filter((r) => r.status === 'not_started').length).toBeGreaterThanOrEqual(18);
  });

  it('the stop halts the transport once, with its error, whether it comes in the look-ups or mid-run', async () => {
    for (const at of ['lookup', 'create'] as const) {
      const alma = new FakeAlma();
      const t = alma.target();
      const refused = new ApiError({ httpStatus: 0, code: 'ECONNREFUSED', message: 'POST /acq/invoices: connect ECONNREFUSED' });
      if (at === 'lookup') {
        t.findInvoices = async () => {
          throw refused;
        };
      } else {
        const create = t.createInvoice.bind(t);
        t.createInvoice = async (inv) => {
          if (inv.key.number === 'INV-3') throw refused;
          return create(inv);
        };
      }
      const halts: Error[] = [];
      const { outcome } = await run(t, batch(6), { concurrency: 1, halt: (reason) => halts.push(reason) });
      expect(outcome.stopped?.reason).toBe('unreachable');
      expect(halts).toEqual([refused]);
    }
  });

  it('a stop that leaves the target usable does not halt the transport (--max-errors, Ctrl-C)', async () => {
    const alma = new FakeAlma();
    const t = alma.target();
    t.createInvoice = async () => {
      throw new ApiError({ httpStatus: 400, code: '402459', message: 'Invoice number already exists' });
    };
    const halts: Error[] = [];
    const { outcome } = await run(t, batch(6), { concurrency: 1, maxErrors: 2, halt: (reason) => halts.push(reason) });
    expect(outcome.stopped?.reason).toBe('max_errors');
    expect(halts).toEqual([]);
  });

  it('a reset on one request is not a stop: that invoice fails, the others load', async () => {
    const alma = new FakeAlma();
    const t = alma.target();
    const find = t.findInvoices.bind(t);
    let resets = 0;
    t.findInvoices = async (key, o) => {
      if (key.number === 'INV-1') {
        resets++;
        throw new ApiError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' });
      }
      return find(key, o);
    };
    const { outcome } = await run(t, batch(3), { concurrency: 1 });
    expect(outcome.stopped).toBeUndefined();
    expect(outcome.results.map((r) => r.status)).toEqual(['failed', 'loaded', 'loaded']);
    // Once before the first write, once more at its turn.
    expect(resets).toBe(2);
  });

  it('a reset on a look-up before the first write leaves that invoice to look itself up at its turn', async () => {
    const alma = new FakeAlma();
    const t = alma.target();
    const find = t.findInvoices.bind(t);
    let first = true;
    t.findInvoices = async (key, o) => {
      if (first) {
        first = false;
        throw new ApiError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' });
      }
      return find(key, o);
    };
    const { outcome } = await run(t, batch(3), { concurrency: 1 });
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
    expect(alma.log.filter((l) => l === 'findInvoices INV-1')).toHaveLength(1);
    expect(alma.invoices).toHaveLength(3);
  });
});

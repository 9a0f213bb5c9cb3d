/**
 * An invoice a create of the loader's made, its answer lost, is the loader's own wherever it is
 * found: it gets its lines (listed first, as for a create settled by a look-up) and is processed
 * once, whatever it shows. Alma's new invoice may be In Review with an alert from its creation
 * (sample 03: NOT_READY_LINES), which reads as processed; without `number_of_lines` nothing else
 * tells it from one processed by hand (docs/alma.md "Processing and workflow statuses").
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, UnknownOutcomeError } from '../../src/common/errors.js';
import { gatherElsewhere } from '../../src/engine/elsewhere.js';
import type { JournalEntry } from '../../src/engine/journal.js';
import type { Target } from '../../src/targets/target.js';
import { Crash, FakeAlma, makeInvoice } from '../helpers/fake-target.js';
import { runEngine } from '../helpers/engine-run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-own-create-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Alma as sample 03 shows a new invoice: In Review with NOT_READY_LINES, read as processed; `number_of_lines` shown or not. */
function sample03(lineCountShown: boolean): FakeAlma {
  const alma = new FakeAlma();
  alma.alertsShowEarly = true;
  alma.lineCountShown = lineCountShown;
  alma.alertsOnCreate = [{ code: 'NOT_READY_LINES', description: 'lines not ready' }];
  return alma;
}

const entries = (path: string): JournalEntry[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JournalEntry);

describe('engine: a create of ours whose answer a kill lost, found on the next run', () => {
  it.each([false, true])('is given its lines and processed once (number_of_lines shown: %s)', async (shown) => {
    const alma = sample03(shown);
    const inv = makeInvoice('ACME', 'INV-1', 2);
    const path = join(dir, 'j.jsonl');
    alma.faults = [{ method: 'createInvoice', call: 1, kind: 'crash-after' }];
    await expect(runEngine(alma.target(), [inv], path)).rejects.toBeInstanceOf(Crash);
    alma.dead = false;
    alma.faults = [];
    const { outcome } = await runEngine(alma.target(), [inv], path);
    expect(outcome.results[0]!.status).not.toBe('already_loaded');
    expect(alma.invoices).toHaveLength(1);
    expect(alma.invoices[0]!.lines.map((l) => l.number)).toEqual(['1', '2']);
    expect(alma.invoices[0]!.processCount).toBe(1);
    // Listed before any line was added: the journal does not know what the lost create made.
    expect(alma.log.findIndex((l) => l.startsWith('listLines'))).toBeLessThan(alma.log.findIndex((l) => l.startsWith('addLine')));
    // Journaled as our create settled by a look-up, not as one found: a third run processes it too.
    expect(entries(path).filter((e) => e.t === 'invoice')).toEqual([{ t: 'invoice', vendor: 'ACME', number: 'INV-1', id: alma.invoices[0]!.id, found: false, reconciled: true }]);
  });

  it('killed again as its lines are listed: the third run still adds them and processes it once', async () => {
    const alma = sample03(true);
    const inv = makeInvoice('ACME', 'INV-1', 2);
    const path = join(dir, 'j.jsonl');
    alma.faults = [{ method: 'createInvoice', call: 1, kind: 'crash-after' }];
    await expect(runEngine(alma.target(), [inv], path)).rejects.toBeInstanceOf(Crash);
    alma.dead = false;
    alma.faults = [{ method: 'listLines', call: 1, kind: 'crash-before' }];
    await expect(runEngine(alma.target(), [inv], path)).rejects.toBeInstanceOf(Crash);
    alma.dead = false;
    alma.faults = [];
    await runEngine(alma.target(), [inv], path);
    expect(alma.invoices).toHaveLength(1);
    expect(alma.invoices[0]!.lines.map((l) => l.number)).toEqual(['1', '2']);
    expect(alma.invoices[0]!.processCount).toBe(1);
  });
});

describe("engine: another journal's create of the invoice whose answer never came (the file edited since)", () => {
  const inv = makeInvoice('ACME', 'INV-1', 2);
  const old: JournalEntry[] = [
    { t: 'begin', kind: 'invoice-load-journal', v: 1, target: 'alma', endpoint: 'fake://alma', batch: 'old', at: '2026-12-05T00:00:00Z' },
    { t: 'intent', vendor: 'ACME', number: 'INV-1', step: 'create', at: 1 },
  ];

  /** The invoice that create made, hidden from the first `hiddenLookUps` look-ups (the search lagging). */
  async function made(alma: FakeAlma, hiddenLookUps: number): Promise<Target> {
    await alma.target().createInvoice(inv);
    alma.log = [];
    const base = alma.target();
    let looks = 0;
    return { ...base, findInvoices: async (key, o) => (looks++ < hiddenLookUps ? [] : base.findInvoices(key, o)) };
  }

  it.each([
    ['shown by the first look-up', 0],
    ['shown only when looked for again across the window', 1],
  ])('%s: given its lines and processed once', async (_what, hidden) => {
    const alma = sample03(false);
    const target = await made(alma, hidden);
    const elsewhere = gatherElsewhere([old], [inv.key]);
    const { outcome } = await runEngine(target, [inv], join(dir, 'new.jsonl'), { elsewhere });
    expect(outcome.results[0]!.status).not.toBe('already_loaded');
    expect(alma.invoices).toHaveLength(1);
    expect(alma.invoices[0]!.lines.map((l) => l.number)).toEqual(['1', '2']);
    expect(alma.invoices[0]!.processCount).toBe(1);
  });
});

describe('engine: a create sent again after a lost answer, refused because the number exists', () => {
  /**
   * The look-ups do not show the invoice yet; the create's first send made it (its answer lost,
   * in this run or a killed earlier one), the next is refused as a duplicate (60288), and the
   * look-up then shows it: the invoice is that first create's.
   */
  function lostThenRefused(alma: FakeAlma): Target {
    const base = alma.target();
    let hidden = true;
    let creates = 0;
    return {
      ...base,
      isDuplicateRefusal: (err: ApiError) => err.httpStatus === 400 && err.code === '60288',
      findInvoices: (key, o) => (hidden ? Promise.resolve([]) : base.findInvoices(key, o)),
      createInvoice: async (i) => {
        if (creates++ === 0) {
          await base.createInvoice(i);
          throw new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' });
        }
        hidden = false;
        throw new ApiError({ httpStatus: 400, code: '60288', message: 'Invoice number not unique', trackingId: 'E01-DUP' });
      },
    };
  }

  it('in the same run: given its lines and processed once', async () => {
    const alma = sample03(false);
    const inv = makeInvoice('ACME', 'INV-1', 2);
    const { outcome } = await runEngine(lostThenRefused(alma), [inv], join(dir, 'j.jsonl'));
    expect(outcome.results[0]!.status).not.toBe('already_loaded');
    expect(alma.invoices).toHaveLength(1);
    expect(alma.invoices[0]!.lines.map((l) => l.number)).toEqual(['1', '2']);
    expect(alma.invoices[0]!.processCount).toBe(1);
  });

  it('the first send by a killed run, not shown across the window: the re-run gives it its lines and processes it once', async () => {
    const alma = sample03(false);
    const inv = makeInvoice('ACME', 'INV-1', 2);
    const path = join(dir, 'j.jsonl');
    const target = lostThenRefused(alma);
    alma.faults = [{ method: 'createInvoice', call: 1, kind: 'crash-after' }];
    // The wrapper's first create reaches the fake, which makes the invoice and dies.
    await expect(runEngine(target, [inv], path)).rejects.toBeInstanceOf(Crash);
    alma.dead = false;
    alma.faults = [];
    const { outcome } = await runEngine(target, [inv], path);
    expect(outcome.results[0]!.status).not.toBe('already_loaded');
    expect(alma.invoices).toHaveLength(1);
    expect(alma.invoices[0]!.lines.map((l) => l.number)).toEqual(['1', '2']);
    expect(alma.invoices[0]!.processCount).toBe(1);
  });
});

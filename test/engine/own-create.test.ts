/**
 * An invoice a create of the loader's made, its answer lost to a kill, found by the next run:
 * Alma shows a new invoice In Review with an alert from its creation (sample 03:
 * NOT_READY_LINES), which reads as processed. Without `number_of_lines` (a brief search answer)
 * the lines it holds are listed, so one left without its lines gets them and is processed once
 * (docs/alma.md "Processing and workflow statuses"). An invoice found complete — finished by
 * another run of an edited file, or made and processed by a person — is left as it is.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatherElsewhere } from '../../src/engine/elsewhere.js';
import type { JournalEntry } from '../../src/engine/journal.js';
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

/** Run 1: INV-1 (2 lines) created, the answer lost to a kill. */
async function createAnswerLost(alma: FakeAlma): Promise<{ inv: ReturnType<typeof makeInvoice>; path: string }> {
  const inv = makeInvoice('ACME', 'INV-1', 2);
  const path = join(dir, 'j.jsonl');
  alma.faults = [{ method: 'createInvoice', call: 1, kind: 'crash-after' }];
  await expect(runEngine(alma.target(), [inv], path)).rejects.toBeInstanceOf(Crash);
  alma.dead = false;
  return { inv, path };
}

/** One invoice in Alma, with both lines, processed once, and not reported as found complete. */
function expectLinesAndProcessedOnce(alma: FakeAlma, status: string): void {
  expect(status).not.toBe('already_loaded');
  expect(alma.invoices).toHaveLength(1);
  expect(alma.invoices[0]!.lines.map((l) => l.number)).toEqual(['1', '2']);
  expect(alma.invoices[0]!.processCount).toBe(1);
}

describe('engine: a create of ours whose answer a kill lost, found on the next run', () => {
  it.each([false, true])('is given its lines and processed once (number_of_lines shown: %s)', async (shown) => {
    const alma = sample03(shown);
    const { inv, path } = await createAnswerLost(alma);
    alma.faults = [];
    const { outcome } = await runEngine(alma.target(), [inv], path);
    expectLinesAndProcessedOnce(alma, outcome.results[0]!.status);
    // A third run finds it complete: nothing sent again.
    const again = await runEngine(alma.target(), [inv], path);
    expect(again.outcome.results[0]!.status).toBe('already_loaded');
    expect(alma.invoices[0]!.processCount).toBe(1);
  });

  it('its lines are listed once: the listing that counts them at the look-up is the one adding them uses', async () => {
    const alma = sample03(false);
    const { inv, path } = await createAnswerLost(alma);
    alma.faults = [];
    alma.log = [];
    const { outcome } = await runEngine(alma.target(), [inv], path);
    expectLinesAndProcessedOnce(alma, outcome.results[0]!.status);
    expect(alma.log.filter((l) => l.startsWith('listLines'))).toEqual([`listLines ${alma.invoices[0]!.id}`]);
  });

  it.each([
    ['its line listing failed (a 5xx) after it was journaled found', { method: 'listLines', call: 1, kind: 'before' }],
    ['a kill came as its first line was added', { method: 'addLine', call: 1, kind: 'crash-after' }],
  ] as const)('resumed after %s: a later run still adds its lines and processes it once', async (_what, fault) => {
    const alma = sample03(false);
    const { inv, path } = await createAnswerLost(alma);
    alma.faults = [{ ...fault }];
    await runEngine(alma.target(), [inv], path).catch((e: unknown) => {
      if (!(e instanceof Crash)) throw e;
    });
    alma.dead = false;
    alma.faults = [];
    const { outcome } = await runEngine(alma.target(), [inv], path);
    expectLinesAndProcessedOnce(alma, outcome.results[0]!.status);
  });

  it('finished meanwhile by a run of an edited copy of the file (its own journal): already loaded, not processed again', async () => {
    const alma = sample03(true);
    const v1 = makeInvoice('ACME', 'INV-1', 2);
    const v2 = makeInvoice('ACME', 'INV-1', 2);
    const ja = join(dir, 'a.jsonl');
    const jb = join(dir, 'b.jsonl');
    alma.faults = [{ method: 'createInvoice', call: 1, kind: 'crash-after' }];
    await expect(runEngine(alma.target(), [v1], ja)).rejects.toBeInstanceOf(Crash);
    alma.dead = false;
    alma.faults = [];
    await runEngine(alma.target(), [v2], jb, { elsewhere: gatherElsewhere([entries(ja)], [v2.key]) });
    expect(alma.invoices[0]!.processCount).toBe(1);
    const c = await runEngine(alma.target(), [v1], ja, { elsewhere: gatherElsewhere([entries(jb)], [v1.key]) });
    expect(c.outcome.results[0]!.status).toBe('already_loaded');
    expect(alma.invoices[0]!.processCount).toBe(1);
    expect(alma.invoices[0]!.lines.map((l) => l.number)).toEqual(['1', '2']);
  });

  it('made and processed by a person while another journal holds a create intent that never left: left as it is', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 2);
    // A person: the invoice with line 1 only, processed by hand.
    const t = alma.target();
    const made = await t.createInvoice(inv);
    await t.addChild(made.id, '1', inv);
    await t.finalize!(made.id, inv);
    await t.getInvoice(made.id, inv);
    await t.getInvoice(made.id, inv);
    const processed = alma.invoices[0]!.processCount;
    const old: JournalEntry[] = [
      { t: 'begin', kind: 'invoice-load-journal', v: 1, target: 'alma', endpoint: 'fake://alma', batch: 'old', at: '2026-12-05T00:00:00Z' },
      { t: 'intent', vendor: 'ACME', number: 'INV-1', step: 'create', at: 1 },
    ];
    const { outcome } = await runEngine(alma.target(), [inv], join(dir, 'n.jsonl'), { elsewhere: gatherElsewhere([old], [inv.key]) });
    expect(outcome.results[0]!.status).toBe('already_loaded');
    expect(alma.invoices[0]!.lines.map((l) => l.number)).toEqual(['1']);
    expect(alma.invoices[0]!.processCount).toBe(processed);
  });
});

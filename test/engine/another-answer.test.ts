/**
 * Answers that cannot be used, and a refusal that is no refusal:
 * - a write answered with another request's answer (a proxy that mixes answers up on a reused
 *   connection): an id the batch holds for another invoice or line is never written to — the
 *   outcome is unknown, and the invoice or line is looked up by its number;
 * - a create refused because its number exists, after a create of ours of that number went
 *   unanswered, while the target's search still does not show it: OUTCOME_UNKNOWN (the same
 *   command finishes it), not a refusal whose advice is to renumber the row.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Invoice } from '../../src/domain/model.js';
import type { RemoteInvoice, RemoteLine, Target } from '../../src/targets/target.js';
import { ApiError } from '../../src/common/errors.js';
import { refusalKind } from '../../src/engine/result.js';
import { Crash, FakeAlma, makeInvoice } from '../helpers/fake-target.js';
import { journalAt, runEngine } from '../helpers/engine-run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'another-answer-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Each invoice once, each of its lines once, processed once. */
function expectExactlyOnce(alma: FakeAlma, invoices: Invoice[]): void {
  for (const inv of invoices) {
    const stored = alma.invoices.filter((s) => s.vendor === inv.key.vendor && s.number === inv.key.number);
    expect(stored, `${inv.key.number} stored once`).toHaveLength(1);
    expect(stored[0]!.lines.map((l) => l.number).sort(), `${inv.key.number} lines`).toEqual(inv.lines.map((l) => l.number).sort());
    expect(stored[0]!.processCount, `${inv.key.number} processed once`).toBe(1);
  }
}

describe('engine: a create answered with another invoice\'s answer', () => {
  /** G-24131's create is made in Alma, but its answer is the one G-24118's create got (replayed by a proxy). */
  function replaying(alma: FakeAlma, shape: (a: RemoteInvoice) => RemoteInvoice): Target {
    const base = alma.target();
    let first: RemoteInvoice | undefined;
    return {
      ...base,
      async createInvoice(inv) {
        const made = await base.createInvoice(inv);
        first ??= made;
        return inv.key.number === 'G-24131' ? shape(first) : made;
      },
    };
  }

  it.each([
    ['as it was', (a: RemoteInvoice) => a],
    ['without number and vendor', (a: RemoteInvoice) => ({ ...a, number: '', vendor: '' })],
  ] as const)('(%s): G-24131 is looked up by number, its line goes to its own invoice, each is processed once', async (_what, shape) => {
    const alma = new FakeAlma();
    const invoices = [makeInvoice('ACME', 'G-24118', 1), makeInvoice('ACME', 'G-24131', 1)];
    const { outcome, events } = await runEngine(replaying(alma, shape), invoices, join(dir, 'j.jsonl'));
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    expect(outcome.results.map((r) => r.id)).toEqual(alma.invoices.map((s) => s.id));
    expectExactlyOnce(alma, invoices);
    expect(events.filter((e) => e.type === 'reconcile').map((e) => e.key.number)).toEqual(['G-24131']);
  });
});

describe("engine: a line answered with another line's answer", () => {
  /** The answer to `number` of `invoice` is the one an earlier line got (the line itself is added). */
  function replayingLine(alma: FakeAlma, invoice: string, number: string, from: (answers: Map<string, RemoteLine>) => RemoteLine): Target {
    const base = alma.target();
    const answers = new Map<string, RemoteLine>();
    return {
      ...base,
      async addChild(id, key, inv) {
        const made = await base.addChild(id, key, inv);
        const replayed = inv.key.number === invoice && key === number ? from(answers) : made;
        answers.set(`${inv.key.number}#${key}`, made);
        return replayed;
      },
    };
  }

  it.each([
    ["its own invoice's line 1", (a: Map<string, RemoteLine>) => a.get('G-24131#1')!],
    ["another invoice's line 1", (a: Map<string, RemoteLine>) => a.get('G-24118#1')!],
  ] as const)('(%s): the line is found by its number and journaled under its own id, nothing added twice', async (_what, from) => {
    const alma = new FakeAlma();
    const invoices = [makeInvoice('ACME', 'G-24118', 1), makeInvoice('ACME', 'G-24131', 2)];
    const path = join(dir, 'j.jsonl');
    const { outcome } = await runEngine(replayingLine(alma, 'G-24131', '2', from), invoices, path);
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    expectExactlyOnce(alma, invoices);
    const stored = alma.invoices[1]!.lines.map((l) => ({ number: l.number, id: l.id }));
    expect(outcome.results[1]!.lines).toEqual(stored);
  });
});

describe('engine: the number refused as existing after a create of ours went unanswered, while the search lags', () => {
  /** Alma refuses a second create of a number it holds (60288); its search shows nothing while `hidden`. */
  function lagging(alma: FakeAlma, hidden: () => boolean): Target {
    const base = alma.target();
    return {
      ...base,
      isDuplicateRefusal: (err: ApiError) => err.code === '60288',
      findInvoices: async (key, o) => (hidden() ? [] : base.findInvoices(key, o)),
      async createInvoice(inv) {
        if (alma.invoices.some((s) => s.vendor === inv.key.vendor && s.number === inv.key.number)) {
          throw new ApiError({ httpStatus: 400, code: '60288', message: 'Invoice number not unique', trackingId: 'E01-DUP' });
        }
        return base.createInvoice(inv);
      },
    };
  }

  it('in the same run: OUTCOME_UNKNOWN (a re-run finishes it, no row to correct), the create kept pending; the re-run completes it once', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'G-24131', 2);
    const path = join(dir, 'j.jsonl');
    let hidden = true;
    alma.faults = [{ method: 'createInvoice', call: 1, kind: 'lost' }];
    const { outcome } = await runEngine(lagging(alma, () => hidden), [inv], path);
    const r = outcome.results[0]!;
    expect(r).toMatchObject({ status: 'failed', error: { step: 'create', code: 'OUTCOME_UNKNOWN', http_status: 0, tracking_id: 'E01-DUP' } });
    expect(r.error!.message).toContain('does not show it yet');
    expect(r.error!.message).toContain('Run the same command again later');
    // Transient: not a business refusal, so not a --rejects row, and "run it again" is the advice.
    expect(refusalKind(r.error!)).toBe('transient');
    const journal = journalAt(path);
    expect(journal.state(inv.key).createPending).toBe(true);
    journal.close();
    expect(alma.invoices).toHaveLength(1);
    // Later, the search shows it: the same command finds it and completes it.
    hidden = false;
    alma.faults = [];
    const again = await runEngine(lagging(alma, () => hidden), [inv], path);
    expect(again.outcome.results.map((x) => x.status)).toEqual(['loaded']);
    expectExactlyOnce(alma, [inv]);
  });

  it("after an earlier run's create went unanswered (killed): OUTCOME_UNKNOWN too, not the refusal", async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'G-24131', 1);
    const path = join(dir, 'j.jsonl');
    alma.faults = [{ method: 'createInvoice', call: 1, kind: 'crash-after' }];
    await expect(runEngine(lagging(alma, () => true), [inv], path)).rejects.toBeInstanceOf(Crash);
    alma.dead = false;
    alma.faults = [];
    const { outcome } = await runEngine(lagging(alma, () => true), [inv], path);
    expect(outcome.results[0]).toMatchObject({ status: 'failed', error: { step: 'create', code: 'OUTCOME_UNKNOWN' } });
    const journal = journalAt(path);
    expect(journal.state(inv.key).createPending).toBe(true);
    journal.close();
    expect(alma.invoices).toHaveLength(1);
  });
});

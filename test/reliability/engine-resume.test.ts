/**
 * What a resumed run reports, not only what the target holds: after a kill at every call, the
 * re-run's results (and those of the run after it, answered from the journal alone) carry the
 * target's own invoice and line ids. The kill test found a line whose POST answer was lost
 * reported without its id: the line was found by listing but never journaled.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInvoices, type RunOutcome } from '../../src/engine/engine.js';
import { Journal } from '../../src/engine/journal.js';
import type { Invoice } from '../../src/domain/model.js';
import { Crash, FakeAlma, makeInvoice, type Fault } from '../helpers/fake-target.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-resume-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(alma: FakeAlma, invoices: Invoice[], path: string, concurrency: number): Promise<RunOutcome> {
  const journal = Journal.open({ path, target: 'alma', endpoint: 'fake://alma', batch: 'b1', sync: false });
  try {
    return await runInvoices(invoices, {
      target: alma.target(),
      journal,
      concurrency,
      emit: () => undefined,
      sleep: async () => undefined,
      poll: { initialMs: 1, maxIntervalMs: 1, timeoutMs: 5, unknownMs: 3 },
      maxWriteAttempts: 3,
      // One look-up settles an unknown outcome here; test/engine/settle.test.ts covers the window.
      settle: { fixedMs: 0, floorMs: 0, ceilingMs: 0 },
    });
  } finally {
    journal.close();
  }
}

function expectResultsMatch(alma: FakeAlma, invoices: Invoice[], outcome: RunOutcome, where: string): void {
  for (const inv of invoices) {
    const r = outcome.results.find((x) => x.key.number === inv.key.number)!;
    const s = alma.invoices.find((x) => x.number === inv.key.number)!;
    expect(r.id, `${where}: ${inv.key.number} id`).toBe(s.id);
    const ids = Object.fromEntries(r.lines.map((l) => [l.number, l.id]));
    expect(ids, `${where}: ${inv.key.number} line ids`).toEqual(Object.fromEntries(s.lines.map((l) => [l.number, l.id])));
  }
}

describe('a resumed run reports the ids the target holds', () => {
  const invoices = [makeInvoice('ACME', 'INV-1', 3), makeInvoice('BETA', 'B-2', 2)];

  for (const kind of ['crash-after', 'lost'] as const) {
    for (const concurrency of [1, 2]) {
      it(`${kind} at every call, concurrency ${concurrency}`, async () => {
        // Count the calls of a clean run, then hit each of them in turn.
        const clean = new FakeAlma();
        await run(clean, invoices, join(dir, 'clean.jsonl'), concurrency);
        const total = clean.log.length;
        expect(total).toBeGreaterThan(10);
        for (let call = 1; call <= total; call++) {
          const alma = new FakeAlma();
          const path = join(dir, `${kind}-${concurrency}-${call}.jsonl`);
          alma.faults = [{ call, kind } satisfies Fault];
          if (kind === 'crash-after') {
            await expect(run(alma, invoices, path, concurrency)).rejects.toBeInstanceOf(Crash);
            await new Promise((r) => setTimeout(r, 0));
            alma.dead = false;
            alma.faults = [];
          }
          let outcome = await run(alma, invoices, path, concurrency);
          if (kind === 'lost') alma.faults = [];
          // A lost answer may have failed an invoice (an unknown outcome is never guessed), or left
          // its status unread after processing (loaded, unfinished): one more run finishes it.
          if (outcome.results.some((r) => r.status === 'failed' || r.unfinished === true)) outcome = await run(alma, invoices, path, concurrency);
          expect(outcome.results.map((r) => r.status).every((s) => s !== 'failed' && s !== 'not_started'), `call ${call}`).toBe(true);
          expectResultsMatch(alma, invoices, outcome, `call ${call}`);
          const again = await run(alma, invoices, path, concurrency);
          expect(again.results.every((r) => r.status === 'already_loaded')).toBe(true);
          expectResultsMatch(alma, invoices, again, `call ${call}, from the journal`);
        }
      });
    }
  }
});

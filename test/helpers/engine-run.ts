/**
 * Runs the engine on a batch against an in-memory target, with a journal at `path`, no waiting
 * (sleep resolves at once, tiny poll intervals) and events collected: the harness the engine's
 * table tests share.
 */
import { runInvoices, type EngineOptions } from '../../src/engine/engine.js';
import { Journal, type JournalOptions } from '../../src/engine/journal.js';
import type { EngineEvent } from '../../src/engine/events.js';
import type { Invoice } from '../../src/domain/model.js';
import type { Target } from '../../src/targets/target.js';

export const journalAt = (path: string, more: Partial<JournalOptions> = {}): Journal =>
  Journal.open({ path, target: 'alma', endpoint: 'fake://alma', batch: 'b1', sync: false, ...more });

/** `journalOptions`: the journal's beyond its place (a `write` that fills the disk). */
export async function runEngine(target: Target, invoices: Invoice[], path: string, opts: Partial<EngineOptions> = {}, journalOptions: Partial<JournalOptions> = {}) {
  const journal = journalAt(path, journalOptions);
  const events: EngineEvent[] = [];
  try {
    const outcome = await runInvoices(invoices, {
      target,
      journal,
      concurrency: 1,
      emit: (e) => events.push(e),
      sleep: async () => undefined,
      poll: { initialMs: 1, maxIntervalMs: 1, timeoutMs: 5, unknownMs: 3 },
      maxWriteAttempts: 3,
      // One look-up settles an unknown outcome here; test/engine/settle.test.ts covers the window.
      settle: { fixedMs: 0, floorMs: 0, ceilingMs: 0 },
      ...opts,
    });
    return { outcome, events };
  } finally {
    journal.close();
  }
}

/**
 * The engine with a target that reads many invoices in one request: waits for processing are
 * gathered and read together, an invoice's worker moves on while it waits, and the outcome is
 * the same as polling each invoice.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInvoices } from '../../src/engine/engine.js';
import { Journal } from '../../src/engine/journal.js';
import type { RemoteInvoice, Target } from '../../src/targets/target.js';
import { ApiError } from '../../src/common/errors.js';
import { FakeAlma, makeInvoice } from '../helpers/fake-target.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-watch-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The fake target, plus a "listing" that reads any number of one vendor's invoices in one call. */
function listingTarget(alma: FakeAlma, listings: string[]): Target {
  const base = alma.target();
  return {
    ...base,
    readCost: () => 1,
    async readInvoices(wanted) {
      listings.push(wanted.map((w) => w.key.number).join(','));
      const out = new Map<string, RemoteInvoice>();
      for (const w of wanted) out.set(w.id, await base.getInvoice(w.id));
      return out;
    },
  };
}

describe('engine: waits for processing read together', () => {
  it('loads every invoice exactly once with one read for the vendor, and moves on while waiting', async () => {
    const alma = new FakeAlma();
    const listings: string[] = [];
    const invoices = [makeInvoice('ACME', 'A-1', 2), makeInvoice('ACME', 'A-2', 1), makeInvoice('ACME', 'A-3', 1)];
    const journal = Journal.open({ path: join(dir, 'j.jsonl'), target: 'alma', endpoint: 'fake://alma', batch: 'b1', sync: false });
    let clock = 0;
    const outcome = await runInvoices(invoices, {
      target: listingTarget(alma, listings),
      journal,
      concurrency: 1,
      emit: () => undefined,
      sleep: async (ms) => {
        await new Promise((resolve) => setImmediate(resolve));
        clock += ms;
      },
      now: () => clock,
      poll: { initialMs: 300, maxIntervalMs: 5_000, timeoutMs: 60_000, unknownMs: 10_000 },
      maxWriteAttempts: 3,
      // One look-up settles an unknown outcome here; test/engine/settle.test.ts covers the window.
      settle: { fixedMs: 0, floorMs: 0, ceilingMs: 0 },
    });
    journal.close();
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded']);
    for (const inv of invoices) expect(alma.invoices.filter((s) => s.number === inv.key.number && s.processCount === 1)).toHaveLength(1);
    // One worker: the next invoice was created before the first one's outcome was read.
    const log = alma.log.map((l) => l.split(' ')[0]);
    expect(log.indexOf('createInvoice', log.indexOf('processInvoice'))).toBeLessThan(log.indexOf('getInvoice'));
    expect(listings).toEqual(['A-1,A-2,A-3']);
  });

  it('a listing whose answer is cut short (BAD_RESPONSE): its invoices are loaded with not_finished saying why, not failed', async () => {
    const alma = new FakeAlma();
    const target: Target = {
      ...alma.target(),
      readCost: () => 1,
      readInvoices: () => Promise.reject(new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message: 'unreadable answer to GET /acq/invoices: Unexpected end of JSON input' })),
    };
    const invoices = [makeInvoice('ACME', 'A-1', 1), makeInvoice('ACME', 'A-2', 1)];
    const journal = Journal.open({ path: join(dir, 'j.jsonl'), target: 'alma', endpoint: 'fake://alma', batch: 'b1', sync: false });
    let clock = 0;
    const outcome = await runInvoices(invoices, {
      target,
      journal,
      concurrency: 1,
      emit: () => undefined,
      sleep: async (ms) => {
        await new Promise((resolve) => setImmediate(resolve));
        clock += ms;
      },
      now: () => clock,
      poll: { initialMs: 300, maxIntervalMs: 5_000, timeoutMs: 60_000, unknownMs: 10_000 },
      maxWriteAttempts: 3,
      settle: { fixedMs: 0, floorMs: 0, ceilingMs: 0 },
    });
    journal.close();
    expect(outcome.results.map((r) => [r.status, r.unfinished, r.warnings.map((w) => w.code)])).toEqual([
      ['loaded', true, ['not_finished']],
      ['loaded', true, ['not_finished']],
    ]);
    expect(outcome.results[0]!.warnings[0]!.message).toContain('its status could not be read afterwards (BAD_RESPONSE: unreadable answer to GET /acq/invoices');
  });
});

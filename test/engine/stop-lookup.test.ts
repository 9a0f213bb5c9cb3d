/**
 * The first Ctrl-C while an invoice's own look-up waits (engine.ts `#lookUp`): for an invoice
 * nothing was sent to, the look-up is given the stop signal and ends with it — the invoice is
 * not started, nothing of it is journaled, nothing is created. An invoice an earlier run sent a
 * create for is looked up without it (its reads are answered, as before). No clock: the target
 * answers the look-up only through its signal, and the test's stop comes while it waits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../src/common/errors.js';
import type { Target } from '../../src/targets/target.js';
import { FakeAlma, makeInvoice } from '../helpers/fake-target.js';
import { journalAt, runEngine } from '../helpers/engine-run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stop-lookup-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('engine: the first Ctrl-C during the look-up of an invoice nothing was sent to', () => {
  it('ends that look-up: not started, nothing journaled nor created; an earlier run’s invoice is looked up as before', async () => {
    const alma = new FakeAlma();
    const t = alma.target();
    const stop = new AbortController();
    const asked: { number: string; fresh: boolean; signal: AbortSignal | undefined }[] = [];
    const target: Target = {
      ...t,
      findInvoices(key, o) {
        asked.push({ number: key.number, fresh: o.fresh, signal: o.signal });
        if (key.number !== 'INV-3') return t.findInvoices(key, o);
        // The look-ups before the first write: INV-3's fails without stopping the run, so the
        // engine looks it up at its turn.
        if (asked.filter((a) => a.number === 'INV-3').length === 1) return Promise.reject(new ApiError({ httpStatus: 500, code: 'INTERNAL', message: 'read failed' }));
        // Then an Alma that took the connection and never answers: only the signal ends it.
        return new Promise((_, reject) => {
          o.signal?.addEventListener('abort', () => reject(o.signal!.reason as Error), { once: true });
          // The first Ctrl-C, while it waits.
          queueMicrotask(() => stop.abort());
        });
      },
    };
    const path = join(dir, 'j.jsonl');
    // INV-2: an earlier run sent its create, its answer lost (nothing reached the target).
    const earlier = journalAt(path);
    earlier.append({ t: 'intent', vendor: 'ACME', number: 'INV-2', step: 'create', at: 100 });
    earlier.close();
    const invoices = [makeInvoice('ACME', 'INV-1', 1), makeInvoice('ACME', 'INV-2', 1), makeInvoice('BETA', 'INV-3', 2)];

    const { outcome } = await runEngine(target, invoices, path, { stopSignal: stop.signal });

    expect(outcome.stopped?.reason).toBe('interrupted');
    expect(outcome.results.map((r) => [r.key.number, r.status])).toEqual([
      ['INV-1', 'loaded'],
      ['INV-2', 'loaded'],
      ['INV-3', 'not_started'],
    ]);
    expect(outcome.results[2]!.error).toMatchObject({ code: 'NOT_STARTED', step: 'create' });
    // Only INV-3's look-up in the engine had the signal; INV-2's, after an earlier run's create, had none.
    expect(asked.map((a) => `${a.number} ${a.fresh ? 'fresh' : 'prepared'} ${a.signal === undefined ? '-' : 'signal'}`)).toEqual([
      'INV-1 prepared -',
      'INV-3 prepared -',
      'INV-2 fresh -',
      'INV-3 prepared signal',
    ]);
    // Never read as absent: nothing created, and nothing journaled that a re-run could misread.
    expect(alma.invoices.map((i) => i.number)).toEqual(['INV-1', 'INV-2']);
    const after = journalAt(path);
    try {
      const st = after.state({ vendor: 'BETA', number: 'INV-3' });
      expect([st.id, st.createPending, st.lastError, st.settled]).toEqual([undefined, false, undefined, undefined]);
    } finally {
      after.close();
    }
  });

  it('a look-up answered "absent" just after the first Ctrl-C (an invoice an earlier run’s create was refused for): not started, nothing created', async () => {
    const alma = new FakeAlma();
    const t = alma.target();
    const stop = new AbortController();
    let looked = 0;
    const target: Target = {
      ...t,
      async findInvoices(key, o) {
        if (key.number !== 'INV-2') return t.findInvoices(key, o);
        // The look-ups before the first write: INV-2's fails without stopping the run.
        if (++looked === 1) throw new ApiError({ httpStatus: 500, code: 'INTERNAL', message: 'read failed' });
        // Its own look-up (no signal: an earlier run sent its create): the first Ctrl-C comes, then "absent".
        stop.abort();
        return [];
      },
    };
    const path = join(dir, 'j.jsonl');
    const earlier = journalAt(path);
    earlier.append({ t: 'intent', vendor: 'ACME', number: 'INV-2', step: 'create', at: 100 });
    earlier.append({ t: 'refused', vendor: 'ACME', number: 'INV-2', step: 'create' });
    earlier.close();
    const invoices = [makeInvoice('ACME', 'INV-1', 1), makeInvoice('ACME', 'INV-2', 1)];

    const { outcome } = await runEngine(target, invoices, path, { stopSignal: stop.signal });

    expect(outcome.stopped?.reason).toBe('interrupted');
    expect(outcome.results.map((r) => [r.key.number, r.status, r.error?.code, r.error?.step])).toEqual([
      ['INV-1', 'loaded', undefined, undefined],
      ['INV-2', 'not_started', 'NOT_STARTED', 'create'],
    ]);
    expect(outcome.results[1]!.error!.message).toMatch(/^not started: the run stopped first \(it was interrupted\)/);
    expect(alma.invoices.map((i) => i.number)).toEqual(['INV-1']);
  });
  it('the same, for an invoice an earlier run sent a create for whose answer was lost: failed INTERRUPTED, not "not started" — that create may be in Alma', async () => {
    const alma = new FakeAlma();
    const t = alma.target();
    const stop = new AbortController();
    const target: Target = {
      ...t,
      async findInvoices(key, o) {
        if (key.number !== 'INV-2') return t.findInvoices(key, o);
        // Its look-up: the first Ctrl-C comes, then "absent" (Alma may not list the create yet).
        stop.abort();
        return [];
      },
    };
    const path = join(dir, 'j.jsonl');
    const earlier = journalAt(path);
    earlier.append({ t: 'intent', vendor: 'ACME', number: 'INV-2', step: 'create', at: 100 });
    earlier.close();
    const invoices = [makeInvoice('ACME', 'INV-1', 1), makeInvoice('ACME', 'INV-2', 1)];

    const { outcome } = await runEngine(target, invoices, path, { stopSignal: stop.signal });

    expect(outcome.stopped?.reason).toBe('interrupted');
    const r = outcome.results.find((x) => x.key.number === 'INV-2')!;
    expect([r.status, r.error?.code]).toEqual(['failed', 'INTERRUPTED']);
    expect(r.error!.message).not.toMatch(/not started/);
    expect(alma.invoices.map((i) => i.number)).not.toContain('INV-2');
  });
});

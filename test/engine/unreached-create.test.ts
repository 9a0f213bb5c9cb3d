/**
 * An invoice the run stopped before reaching (a Ctrl-C, the daily threshold before the first
 * write) whose create an earlier run sent without an answer — in this journal or another
 * (engine/elsewhere.ts): it may be in Alma, so it is not "not started, a re-run loads it" but
 * failed with the stop's code, as one stopped after its look-up is (8b7ba14), with words saying a
 * re-run looks it up first and does not create it twice. An invoice nothing was sent to stays
 * NOT_STARTED.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resultsBeforeSending } from '../../src/engine/engine.js';
import type { Elsewhere } from '../../src/engine/elsewhere.js';
import { keyString } from '../../src/domain/model.js';
import type { Target } from '../../src/targets/target.js';
import { FakeAlma, makeInvoice, stoppingAtCreate } from '../helpers/fake-target.js';
import { journalAt, runEngine } from '../helpers/engine-run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'unreached-create-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const LOST = /^the run stopped before reaching this invoice \((.+)\); an earlier run sent its create and never got the answer, so it may already be in Alma: a re-run looks for it in Alma first and does not create it twice$/;
/** Another journal's create of INV-3 sent without an answer (an earlier run of the file before an edit). */
const elsewhere = (number: string): Map<string, Elsewhere> => new Map([[keyString({ vendor: 'ACME', number }), { ids: new Map(), createSentAt: 100 }]]);

describe('engine: a Ctrl-C before the run reaches an invoice whose earlier create went unanswered', () => {
  it('that invoice is failed INTERRUPTED at create, in words that say a re-run looks it up first; one nothing was sent to stays NOT_STARTED', async () => {
    const alma = new FakeAlma();
    const t = alma.target();
    const stop = new AbortController();
    // The first Ctrl-C while INV-1 is created: the run takes no other invoice.
    const target = stoppingAtCreate(t, stop, 'INV-1');
    const path = join(dir, 'j.jsonl');
    // INV-2: an earlier run sent its create, its answer lost. INV-3: another journal did. INV-4: nothing.
    const earlier = journalAt(path);
    earlier.append({ t: 'intent', vendor: 'ACME', number: 'INV-2', step: 'create', at: 100 });
    earlier.close();
    const invoices = ['INV-1', 'INV-2', 'INV-3', 'INV-4'].map((n) => makeInvoice('ACME', n, 1));

    const { outcome } = await runEngine(target, invoices, path, { stopSignal: stop.signal, elsewhere: elsewhere('INV-3') });

    expect(outcome.stopped?.reason).toBe('interrupted');
    expect(outcome.results.map((r) => [r.key.number, r.status, r.error?.code, r.error?.step])).toEqual([
      // Stopped after its create: its lines were not added.
      ['INV-1', 'failed', 'INTERRUPTED', 'lines'],
      ['INV-2', 'failed', 'INTERRUPTED', 'create'],
      ['INV-3', 'failed', 'INTERRUPTED', 'create'],
      ['INV-4', 'not_started', 'NOT_STARTED', 'create'],
    ]);
    for (const r of outcome.results.slice(1, 3)) expect(r.error!.message).toMatch(LOST);
    expect(outcome.results[1]!.error!.message).toContain('(it was interrupted)');
    expect(outcome.results[3]!.error!.message).toMatch(/^not started: the run stopped first \(it was interrupted\); a re-run loads it$/);
    // Nothing of them was sent by this run.
    expect(alma.invoices.map((i) => i.number)).toEqual(['INV-1']);
  });
});

describe('resultsBeforeSending: a run stopped before its first write', () => {
  it('an invoice whose earlier create went unanswered (this journal or another) gets the stop\'s code and the look-up words; the others NOT_STARTED', () => {
    const alma = new FakeAlma();
    const path = join(dir, 'b.jsonl');
    const journal = journalAt(path);
    try {
      journal.append({ t: 'intent', vendor: 'ACME', number: 'A-1', step: 'create', at: 100 });
      const invoices = ['A-1', 'A-2', 'A-3'].map((n) => makeInvoice('ACME', n, 1));
      const results = resultsBeforeSending(invoices, journal, 'daily_limit', alma.target(), undefined, elsewhere('A-2'));
      expect(results.map((r) => [r.key.number, r.status, r.error?.code, r.error?.step])).toEqual([
        ['A-1', 'failed', 'DAILY_THRESHOLD', 'create'],
        ['A-2', 'failed', 'DAILY_THRESHOLD', 'create'],
        ['A-3', 'not_started', 'NOT_STARTED', 'create'],
      ]);
      for (const r of results.slice(0, 2)) expect(r.error!.message).toMatch(LOST);
      expect(results[0]!.error!.message).toContain('(the daily API threshold was reached)');
      expect(results[2]!.error!.message).toMatch(/a re-run loads it$/);
    } finally {
      journal.close();
    }
  });
});

describe('engine: a stop meets an invoice it reached, without an id', () => {
  it('one whose earlier create went unanswered says so in the words the reports look for (CREATE_UNANSWERED); one whose create the threshold refused does not', async () => {
    const { CREATE_UNANSWERED } = await import('../../src/engine/result.js');
    const alma = new FakeAlma();
    const t = alma.target();
    const stop = new AbortController();
    const target: Target = {
      ...t,
      async findInvoices(key, opts) {
        // The first Ctrl-C while INV-2's earlier create is looked for: nothing more is sent.
        if (key.number === 'INV-2') stop.abort();
        return t.findInvoices(key, opts);
      },
    };
    const path = join(dir, 'mid.jsonl');
    const earlier = journalAt(path);
    earlier.append({ t: 'intent', vendor: 'ACME', number: 'INV-2', step: 'create', at: 100 });
    earlier.close();
    const { outcome } = await runEngine(target, [makeInvoice('ACME', 'INV-2', 1)], path, { stopSignal: stop.signal, concurrency: 1 });
    expect(outcome.results.map((r) => [r.status, r.id, r.error?.code, r.error?.step])).toEqual([['failed', undefined, 'INTERRUPTED', 'create']]);
    expect(outcome.results[0]!.error!.message).toContain(CREATE_UNANSWERED);
    expect(outcome.results[0]!.error!.message).toContain('so it may already be in Alma: a re-run looks for it in Alma first and does not create it twice');

    // The daily threshold answers B-1's create: it was not created, and nothing says it may be.
    const other = new FakeAlma();
    other.faults = [{ method: 'createInvoice', call: 1, kind: 'daily' }];
    const b = await runEngine(other.target(), [makeInvoice('ACME', 'B-1', 1)], join(dir, 'b.jsonl'), { concurrency: 1 });
    expect(b.outcome.results.map((r) => [r.status, r.id, r.error?.code, r.error?.step])).toEqual([['failed', undefined, 'DAILY_THRESHOLD', 'create']]);
    expect(b.outcome.results[0]!.error!.message).not.toContain(CREATE_UNANSWERED);
  });
});

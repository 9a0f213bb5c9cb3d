/**
 * An invoice the run stopped before reaching that an earlier run already created in Alma (the
 * journal holds its id) is not "not started … a re-run loads it": it exists in Alma, incomplete,
 * and is failed with the stop's code at the step it was left at — as one the stop meets after
 * reaching it is (engine.ts `interruptedResult`); one the journal shows processed (the process
 * request answered) is loaded with its status unknown, as then too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resultsBeforeSending } from '../../src/engine/engine.js';
import type { Target } from '../../src/targets/target.js';
import { FakeAlma, makeInvoice, stoppingAtCreate } from '../helpers/fake-target.js';
import { journalAt, runEngine } from '../helpers/engine-run.js';
import type { Elsewhere, RecordedElsewhere } from '../../src/engine/elsewhere.js';
import { keyString } from '../../src/domain/model.js';
import { stoppedSentence } from '../../src/report/stopped.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'unreached-created-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const shape = (rs: readonly { key: { number: string }; status: string; id?: string | undefined; error?: { code: string; step: string } | undefined }[]) =>
  rs.map((r) => [r.key.number, r.status, r.id, r.error?.code, r.error?.step]);

/** B-1: created, one line of two added. B-2: created, every line added. B-3: processed. B-4: nothing. */
function earlierRun(path: string): void {
  const j = journalAt(path);
  j.append({ t: 'invoice', vendor: 'ACME', number: 'B-1', id: '91', found: false });
  j.append({ t: 'line', vendor: 'ACME', number: 'B-1', line: '1', id: '91-1' });
  j.append({ t: 'invoice', vendor: 'ACME', number: 'B-2', id: '92', found: false });
  j.append({ t: 'line', vendor: 'ACME', number: 'B-2', line: '1', id: '92-1' });
  j.append({ t: 'line', vendor: 'ACME', number: 'B-2', line: '2', id: '92-2' });
  j.append({ t: 'invoice', vendor: 'ACME', number: 'B-3', id: '93', found: false });
  j.append({ t: 'line', vendor: 'ACME', number: 'B-3', line: '1', id: '93-1' });
  j.append({ t: 'line', vendor: 'ACME', number: 'B-3', line: '2', id: '93-2' });
  j.append({ t: 'processed', vendor: 'ACME', number: 'B-3', id: '93' });
  j.close();
}

describe('resultsBeforeSending: a run stopped before its first write', () => {
  it('an invoice an earlier run created is failed with the stop\'s code where it was left, one an earlier run processed is already_loaded (status unknown: this run sent nothing); one nothing was sent to stays NOT_STARTED', () => {
    const path = join(dir, 'a.jsonl');
    earlierRun(path);
    const journal = journalAt(path);
    try {
      const invoices = ['B-1', 'B-2', 'B-3', 'B-4'].map((n) => makeInvoice('ACME', n, 2));
      const results = resultsBeforeSending(invoices, journal, 'interrupted', new FakeAlma().target());
      expect(shape(results)).toEqual([
        ['B-1', 'failed', '91', 'INTERRUPTED', 'lines'],
        ['B-2', 'failed', '92', 'INTERRUPTED', 'process'],
        ['B-3', 'already_loaded', '93', undefined, undefined],
        ['B-4', 'not_started', undefined, 'NOT_STARTED', 'create'],
      ]);
      expect(results[0]!.error!.message).toBe('the run stopped before reaching this invoice (it was interrupted); an earlier run created it in Alma (id 91) without finishing it: a re-run completes it');
      expect(results[2]!.warnings.map((w) => w.code)).toEqual(['status_unknown']);
    } finally {
      journal.close();
    }
  });
});

describe('resultsBeforeSending: the words for a processed invoice the run never reached', () => {
  it('say it stopped before reading it, not while: loaded by an earlier run, or found processed with nothing sent', () => {
    const path = join(dir, 'w.jsonl');
    earlierRun(path);
    const earlier = journalAt(path);
    earlier.append({ t: 'invoice', vendor: 'ACME', number: 'B-5', id: '95', found: true });
    earlier.append({ t: 'processed', vendor: 'ACME', number: 'B-5', id: '95' });
    earlier.close();
    const journal = journalAt(path);
    try {
      const invoices = ['B-3', 'B-5'].map((n) => makeInvoice('ACME', n, 2));
      const results = resultsBeforeSending(invoices, journal, 'interrupted', new FakeAlma().target());
      expect(results.map((r) => [r.key.number, r.status, r.warnings])).toEqual([
        [
          'B-3',
          'already_loaded',
          [{ code: 'status_unknown', message: 'the run stopped before reading this invoice: an earlier run loaded it, and nothing was sent to it; its workflow status was not read (a re-run reads it)' }],
        ],
        [
          'B-5',
          'already_loaded',
          [{ code: 'status_unknown', message: 'the run stopped before reading this invoice: it was found already processed, and nothing was sent to it; its workflow status was not read (a re-run reads it)' }],
        ],
      ]);
    } finally {
      journal.close();
    }
  });
});

describe('engine: a Ctrl-C before the run reaches an invoice an earlier run created', () => {
  it('that invoice is failed INTERRUPTED where it was left, not NOT_STARTED', async () => {
    const alma = new FakeAlma();
    const t = alma.target();
    const stop = new AbortController();
    // The first Ctrl-C while B-0 is created: the run takes no other invoice.
    const target = stoppingAtCreate(t, stop, 'B-0');
    const path = join(dir, 'b.jsonl');
    earlierRun(path);
    const invoices = ['B-0', 'B-1', 'B-2', 'B-4'].map((n) => makeInvoice('ACME', n, 2));
    const { outcome } = await runEngine(target, invoices, path, { stopSignal: stop.signal, concurrency: 1 });
    expect(outcome.stopped?.reason).toBe('interrupted');
    expect(shape(outcome.results)).toEqual([
      ['B-0', 'failed', expect.any(String), 'INTERRUPTED', 'lines'],
      ['B-1', 'failed', '91', 'INTERRUPTED', 'lines'],
      ['B-2', 'failed', '92', 'INTERRUPTED', 'process'],
      ['B-4', 'not_started', undefined, 'NOT_STARTED', 'create'],
    ]);
  });
});

describe('engine: a Ctrl-C while an invoice an earlier run created waits at the canary\'s gate', () => {
  it('is failed INTERRUPTED at its lines (it exists in Alma), not NOT_STARTED — nothing was sent to it in this run', async () => {
    const alma = new FakeAlma();
    const t = alma.target();
    const stop = new AbortController();
    // The canary (C-0) is created; B-1, resumed, waits at the gate for its read-back.
    const target: Target = { ...stoppingAtCreate(t, stop), readBack: async () => [] };
    const path = join(dir, 'gate.jsonl');
    const j = journalAt(path);
    j.append({ t: 'invoice', vendor: 'ACME', number: 'B-1', id: '91', found: false });
    j.append({ t: 'line', vendor: 'ACME', number: 'B-1', line: '1', id: '91-1' });
    j.close();
    const { outcome } = await runEngine(target, [makeInvoice('ACME', 'C-0', 2), makeInvoice('ACME', 'B-1', 2)], path, { stopSignal: stop.signal, concurrency: 2 });
    expect(outcome.stopped?.reason).toBe('interrupted');
    expect(shape(outcome.results)[1]).toEqual(['B-1', 'failed', '91', 'INTERRUPTED', 'lines']);
  });
});

describe('an invoice the run never reached that only another journal records created (a run of an edited copy of the file, engine/elsewhere.ts)', () => {
  const made = (id: string, rec: Partial<RecordedElsewhere> = {}): Elsewhere => ({ ids: new Map([[id, { lines: new Map(), linesPending: new Map(), ...rec }]]) });
  const elsewhere = new Map<string, Elsewhere>([
    [keyString({ vendor: 'ACME', number: 'E-1' }), made('81')],
    [keyString({ vendor: 'ACME', number: 'E-2' }), made('82', { processPending: true })],
  ]);

  it('is failed with the stop\'s code where that journal left it, under its id — it exists in Alma — not NOT_STARTED ("nothing of it was sent", "a re-run loads it"); one no journal knows stays NOT_STARTED', () => {
    const path = join(dir, 'e.jsonl');
    const journal = journalAt(path);
    try {
      const invoices = ['E-1', 'E-2', 'E-3'].map((n) => makeInvoice('ACME', n, 2));
      const results = resultsBeforeSending(invoices, journal, 'daily_limit', new FakeAlma().target(), undefined, elsewhere);
      expect(shape(results)).toEqual([
        ['E-1', 'failed', '81', 'DAILY_THRESHOLD', 'lines'],
        ['E-2', 'failed', '82', 'DAILY_THRESHOLD', 'process'],
        ['E-3', 'not_started', undefined, 'NOT_STARTED', 'create'],
      ]);
      expect(results[0]!.error!.message).toBe(
        'the run stopped before reaching this invoice (the daily API threshold was reached); another run of it (from another file, such as an edited copy of this one) created it in Alma (id 81), ' +
          "as that run's journal records: a re-run finds it there and completes it, and does not create it twice",
      );
      // The reports' words: it exists in Alma, not "not created yet" or "not started".
      const inv = { status: 'failed', id: results[0]!.id, error: results[0]!.error };
      expect(stoppedSentence(inv, 'interrupted')).toBe("Exists in Alma, incomplete (stopped while its lines were being added) — don't edit or delete it; the re-run completes it.");
    } finally {
      journal.close();
    }
  });

  it('the same when the engine stops before it (a Ctrl-C during the first create)', async () => {
    const alma = new FakeAlma();
    const stop = new AbortController();
    const target = stoppingAtCreate(alma.target(), stop, 'E-0');
    const invoices = ['E-0', 'E-1', 'E-3'].map((n) => makeInvoice('ACME', n, 2));
    const { outcome } = await runEngine(target, invoices, join(dir, 'f.jsonl'), { stopSignal: stop.signal, concurrency: 1, elsewhere });
    expect(shape(outcome.results)).toEqual([
      ['E-0', 'failed', expect.any(String), 'INTERRUPTED', 'lines'],
      ['E-1', 'failed', '81', 'INTERRUPTED', 'lines'],
      ['E-3', 'not_started', undefined, 'NOT_STARTED', 'create'],
    ]);
  });
});

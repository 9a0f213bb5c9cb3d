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

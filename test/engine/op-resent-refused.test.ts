/**
 * An operation (export's op=mark_in_erp, payments' op=paid) whose answer was lost, sent again
 * after the watch and refused (Alma's 60267: the first request, at work, has moved the invoice
 * on), the invoice not shown done yet: as a load's process request (engine.ts, README "Exactly
 * once"), the refusal settles nothing of the first send. The invoice fails OUTCOME_UNKNOWN and the
 * journal keeps the request pending (no `refused`), so the same command reads and watches the
 * invoice before it sends anything — never a second request to an invoice the first one changed,
 * and never giving up on one the first did not reach. Virtual time: the journal's clock and the
 * reads' sleeps are the test's.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOperations, type OpSpec, type OpState } from '../../src/engine/operations.js';
import { ApiError, NotSentError, UnknownOutcomeError } from '../../src/common/errors.js';
import type { JournalEntry } from '../../src/engine/journal.js';
import { journalAt } from '../helpers/engine-run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'op-resent-refused-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Paid extends OpState {
  paid: boolean;
}

/**
 * INV-1 on an Alma whose first `paid` request's answer is lost. `reached`: that request got to
 * Alma, which works on it until the test says `apply()`, refusing a send again meanwhile (60267);
 * not reached, a send again `later(n)` says what the n-th send meets (nothing: applied at once).
 */
function world(reached: boolean, later: (n: number) => Error | undefined = () => undefined) {
  let sends = 0;
  let reads = 0;
  let paid = false;
  let atWork = false;
  const id = '9100000000000000001';
  const state = (): Paid => ({ id, paid, alerts: [], workflowStatus: paid ? 'CLOSED' : 'Waiting for Payment' });
  const spec: OpSpec<Paid> = {
    key: { vendor: 'ACME', number: 'INV-1' },
    op: 'paid',
    read: async () => {
      reads++;
      return state();
    },
    done: (s) => s.paid,
    refuse: () => undefined,
    send: async () => {
      sends++;
      if (sends === 1) {
        atWork = reached;
        throw new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' });
      }
      if (atWork) throw new ApiError({ httpStatus: 400, code: '60267', message: 'Failed to process invoice in ERP.' });
      const err = later(sends);
      if (err !== undefined) throw err;
      paid = true;
      return state();
    },
  };
  return {
    spec,
    sends: () => sends,
    reads: () => reads,
    apply: () => {
      atWork = false;
      paid = true;
    },
  };
}

function runAt(path: string, clock: { t: number }, onSleep: (sleeps: number) => void = () => undefined) {
  const journal = journalAt(path, { now: () => new Date(clock.t) });
  const slept: number[] = [];
  const opts = {
    journal,
    concurrency: 1,
    maxWriteAttempts: 3,
    confirm: {
      timeoutMs: 60_000,
      unknownMs: 10_000,
      initialMs: 300,
      sleep: async (ms: number) => {
        slept.push(ms);
        clock.t += ms;
        onSleep(slept.length);
      },
    },
  };
  return { opts, slept, close: () => journal.close() };
}

const journaled = (path: string): JournalEntry[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JournalEntry);

const settling = (path: string): JournalEntry[] => journaled(path).filter((e) => e.t === 'refused' || e.t === 'unsent');

describe('operations: a lost answer, and the send again refused', () => {
  it('fails OUTCOME_UNKNOWN with no `refused` journaled; the re-run watches first and, the first taking effect meanwhile, reports it done — sent no third time', async () => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    const w = world(true);
    const first = runAt(path, clock);
    const out = await runOperations([w.spec], first.opts);
    first.close();
    expect(w.sends()).toBe(2);
    expect(out.results[0]).toMatchObject({ status: 'failed', error: { code: 'OUTCOME_UNKNOWN', http_status: 0 } });
    expect(out.results[0]!.error!.message).toContain('HTTP 400, 60267: Failed to process invoice in ERP.');
    // The refusal settles nothing of the first send: its intent stays pending.
    expect(settling(path)).toEqual([]);

    // The same command at once: Alma finishes the first request after the re-run's second read.
    const second = runAt(path, clock, (sleeps) => {
      if (sleeps === 2) w.apply();
    });
    const readsBefore = w.reads();
    const again = await runOperations([w.spec], second.opts);
    second.close();
    expect(w.reads() - readsBefore).toBeGreaterThan(1);
    expect(again.results[0]).toMatchObject({ status: 'done' });
    expect(w.sends(), 'paid requests').toBe(2);
  });

  it('never reached Alma, and the send again refused for a while: the re-run watches, then sends it — not given up on', async () => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    // The second send meets a 429 past the retries (nothing done); the third is applied.
    const w = world(false, (n) => (n === 2 ? new ApiError({ httpStatus: 429, code: 'PER_SECOND_THRESHOLD', message: 'too many requests' }) : undefined));
    const first = runAt(path, clock);
    const out = await runOperations([w.spec], first.opts);
    first.close();
    expect(out.results[0]).toMatchObject({ status: 'failed', error: { code: 'OUTCOME_UNKNOWN' } });
    expect(settling(path)).toEqual([]);
    const second = runAt(path, clock);
    const again = await runOperations([w.spec], second.opts);
    second.close();
    // Watched for the wait of a lost answer before the send, then sent and done.
    expect(second.slept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10_000);
    expect(w.sends()).toBe(3);
    expect(again.results[0]).toMatchObject({ status: 'done' });
  });

  it('a refusal that stands is said as one once the re-run has watched: the run after sends at once and fails with the refusal', async () => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    const refusal = new ApiError({ httpStatus: 400, code: '402459', message: 'must approve invoice before paying.' });
    const w = world(false, () => refusal);
    for (const expected of ['OUTCOME_UNKNOWN', 'OUTCOME_UNKNOWN', '402459']) {
      const run = runAt(path, clock);
      const out = await runOperations([w.spec], run.opts);
      run.close();
      expect(out.results[0]).toMatchObject({ status: 'failed', error: { code: expected } });
    }
    expect(w.sends()).toBe(4);
  });

  it('a send again that never left (a Ctrl-C before its turn) settles nothing of the first: the re-run watches before sending', async () => {
    const path = join(dir, 'j.jsonl');
    const clock = { t: Date.parse('2026-12-07T10:00:00Z') };
    const stop = new AbortController();
    const w = world(false, (n) => (n === 2 ? (stop.abort(), new NotSentError('POST /acq/invoices/9100000000000000001')) : undefined));
    const first = runAt(path, clock);
    await runOperations([w.spec], { ...first.opts, stopSignal: stop.signal });
    first.close();
    expect(settling(path)).toEqual([]);
    const second = runAt(path, clock);
    const again = await runOperations([w.spec], second.opts);
    second.close();
    expect(second.slept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10_000);
    expect(again.results[0]).toMatchObject({ status: 'done' });
  });
});

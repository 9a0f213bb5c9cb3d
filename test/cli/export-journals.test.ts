/**
 * What `export` reads of the journals a loader before the output identity named by the path as
 * resolved (cli/export.ts): the last hand-over of either, and what the old export journal would
 * have carried into the next file.
 */
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/engine/journal.js';
import { finishedRuns, legacyCarried, mergeRuns, runLater } from '../../src/cli/export.js';

const begin: JournalEntry = { t: 'begin', kind: 'invoice-load-journal', v: 1, target: 'alma', endpoint: 'e', batch: 'b', at: '2026-12-01T00:00:00.000Z' };
const RUN1 = '2026-12-01T21:00:00.000Z';
const RUN2 = '2026-12-02T21:00:00.000Z';
const inFile = (id: string, batch: string | null = RUN1): JournalEntry => ({ t: 'op', vendor: 'V', number: `N${id} #${id}`, op: 'export', id, outcome: 'done', ...(batch !== null ? { batch } : {}) });
const mark = (id: string): JournalEntry => ({ t: 'op', vendor: 'V', number: `N${id} #${id}`, op: 'mark_in_erp', id, outcome: 'done' });
const done = (batch: string): JournalEntry => ({ t: 'batch_done', batch });
const file = (batch: string, ended = true): Extract<JournalEntry, { t: 'file' }> => ({ t: 'file', batch, sha256: batch, invoices: 2, status: 'Waiting to be Sent', ended });

describe('legacyCarried: the old export journal\'s invoices the next file must hold', () => {
  it.each<[string, JournalEntry[], string[], JournalEntry[]]>([
    ['none: nothing', [], [], []],
    ['every invoice of an ended run marked: nothing', [begin, inFile('1'), inFile('2'), mark('1'), mark('2'), done(RUN1)], [], []],
    ['one not marked, of an ended run: it, with its run ended', [begin, inFile('1'), inFile('2'), mark('1'), done(RUN1)], [], [inFile('2'), done(RUN1)]],
    [
      'a run cut short: every invoice of it, marked or not, its run not ended',
      [begin, inFile('1'), inFile('2'), mark('1')],
      [],
      [inFile('1'), mark('1'), inFile('2')],
    ],
    [
      'two runs, the second cut short: only the second\'s',
      [begin, inFile('1', RUN1), mark('1'), done(RUN1), inFile('2', RUN2), mark('2')],
      [],
      [inFile('2', RUN2), mark('2')],
    ],
    ['a journal from before runs were named (no batch), marked: nothing', [begin, inFile('1', null), mark('1')], [], []],
    ['read again: what the new journal holds already is not added', [begin, inFile('1'), inFile('2'), mark('1')], ['1', '2'], []],
  ])('%s', (_name, entries, journaled, carried) => {
    expect(legacyCarried(entries, new Set(journaled))).toEqual(carried);
  });
});

describe('the order of runs to one file: the journal\'s, not the clock\'s', () => {
  // A ran with the clock an hour ahead; B, after it, on the right clock: B's name sorts first.
  const A = '2026-12-02T22:00:00.000Z';
  const B = '2026-12-02T21:05:00.000Z';

  it('runLater: by the records\' order, whatever the names say', () => {
    const later = runLater([file(A, false), file(A), file(B, false)]);
    expect(later(B, A)).toBe(true);
    expect(later(A, B)).toBe(false);
    expect(later(B, B)).toBe(false);
    // A run with no record (an older loader's) is before every run with one.
    expect(later(A, RUN1)).toBe(true);
    expect(later(RUN1, A)).toBe(false);
  });

  it('finishedRuns: a run cut short after one that ended is not finished; one before a run that ended is', () => {
    expect([...finishedRuns([file(A, false), file(A), file(B, false)], [])]).toEqual([A]);
    expect([...finishedRuns([file(B, false), file(A, false), file(A)], [])].sort()).toEqual([B, A].sort());
    // Its own batch_done (killed after it, before its record's `ended`) finishes it.
    expect([...finishedRuns([file(A), file(B, false)], [done(B)])].sort()).toEqual([A, B].sort());
  });

  it('mergeRuns: each journal\'s own order kept, the two interleaved by time only where they meet', () => {
    expect(mergeRuns([], [file(A), file(B, false)])).toEqual([file(A), file(B, false)]);
    expect(mergeRuns([file(RUN1), file(RUN2)], [file(A), file(B, false)])).toEqual([file(RUN1), file(RUN2), file(A), file(B, false)]);
  });
});

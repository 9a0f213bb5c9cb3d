/**
 * What `export` reads of the journals a loader before the output identity named by the path as
 * resolved (cli/export.ts): the last hand-over of either, and what the old export journal would
 * have carried into the next file.
 */
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/engine/journal.js';
import { lastFileOf, latestFile, legacyCarried } from '../../src/cli/export.js';

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

describe('the last hand-over of the two journals', () => {
  it('lastFileOf: the last file entry, or none', () => {
    expect(lastFileOf([begin, file(RUN1), inFile('1'), file(RUN2, false)])).toEqual(file(RUN2, false));
    expect(lastFileOf([begin, inFile('1')])).toBeUndefined();
  });

  it.each([
    ['only the new', file(RUN1), undefined, file(RUN1)],
    ['only the old', undefined, file(RUN1), file(RUN1)],
    ['the old is later (an older loader ran since)', file(RUN1), file(RUN2), file(RUN2)],
    ['the new is later', file(RUN2), file(RUN1), file(RUN2)],
    ['neither', undefined, undefined, undefined],
  ])('latestFile: %s', (_name, now, before, latest) => {
    expect(latestFile(now, before)).toEqual(latest);
  });
});

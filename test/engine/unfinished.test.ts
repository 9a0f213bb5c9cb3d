/**
 * What a journal says a run began and no run finished (engine/unfinished.ts), read as the engine
 * reads "done" (`settled`), and the warning that names it (report/unfinished.ts).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endsFinished, leftUnfinished, settledIn, unfinishedIn, type UnfinishedRun } from '../../src/engine/unfinished.js';
import { Journal, type JournalEntry } from '../../src/engine/journal.js';
import { unfinishedWarning } from '../../src/report/unfinished.js';

const begin = (at = '2026-12-06T02:00:00.000Z', files?: { name: string; path?: string }[]): JournalEntry => ({
  t: 'begin',
  kind: 'invoice-load-journal',
  v: 1,
  target: 'alma',
  endpoint: 'https://x',
  batch: 'b',
  at,
  ...(files !== undefined ? { files } : {}),
});
const V = 'GOBI';
const created = (number: string): JournalEntry[] => [
  { t: 'intent', vendor: V, number, step: 'create' },
  { t: 'invoice', vendor: V, number, id: `id-${number}`, found: false },
];
const settled = (number: string): JournalEntry => ({ t: 'settled', vendor: V, number, id: `id-${number}`, status: 'loaded', alerts: [] });
const numbers = (run: UnfinishedRun | undefined): string[] => run?.keys.map((k) => k.number) ?? [];

describe('unfinishedIn', () => {
  it('lists the invoices created, or whose create or processing was sent, and not settled', () => {
    const entries: JournalEntry[] = [
      begin(),
      ...created('A'), // created, no lines
      ...created('B'),
      { t: 'intent', vendor: V, number: 'B', step: 'line', line: '1' }, // a line sent, no answer
      ...created('C'),
      { t: 'intent', vendor: V, number: 'C', step: 'process' },
      { t: 'processed', vendor: V, number: 'C', id: 'id-C' }, // processing started, outcome not read
      { t: 'intent', vendor: V, number: 'D', step: 'create' }, // create sent, no answer
      ...created('E'),
      settled('E'), // finished
      { t: 'intent', vendor: V, number: 'F', step: 'create' },
      { t: 'refused', vendor: V, number: 'F', step: 'create' }, // refused: nothing made
      { t: 'failed', vendor: V, number: 'F', error: { step: 'create', http_status: 400, code: '402459', message: 'no' } },
      // Found in the target with other values, and failed before anything was sent to it: not ours to finish.
      { t: 'invoice', vendor: V, number: 'G', id: 'id-G', found: true },
      { t: 'failed', vendor: V, number: 'G', error: { step: 'lookup', http_status: 0, code: 'EXISTS_DIFFERENT', message: 'other total' } },
      // Found, a line sent to it, then killed: half made.
      { t: 'invoice', vendor: V, number: 'H', id: 'id-H', found: true },
      { t: 'intent', vendor: V, number: 'H', step: 'line', line: '2' },
    ];
    expect(numbers(unfinishedIn(entries))).toEqual(['A', 'B', 'C', 'D', 'H']);
  });

  it('leaves out what `skip` says (the running batch finishes it), and is undefined when nothing is left', () => {
    const entries = [begin(), ...created('A'), ...created('B')];
    expect(numbers(unfinishedIn(entries, (k) => k.number === 'A'))).toEqual(['B']);
    expect(unfinishedIn(entries, () => true)).toBeUndefined();
    expect(unfinishedIn([begin(), ...created('A'), settled('A')])).toBeUndefined();
  });

  it("says when the last run began and the files it recorded; an old journal's header without files has none", () => {
    const first = [{ name: 'night.csv', path: '/in/night.csv' }];
    const second = [{ name: 'again.csv', path: '/in/again.csv' }];
    const run = unfinishedIn([begin('2026-12-01T02:00:00Z', first), { t: 'run', at: '2026-12-02T02:00:00Z', files: second }, ...created('A')]);
    expect(run).toMatchObject({ began: '2026-12-01T02:00:00Z', ran: '2026-12-02T02:00:00Z', files: second });
    const old = unfinishedIn([begin('2026-12-01T02:00:00Z'), { t: 'run', at: '2026-12-02T02:00:00Z' }, ...created('A')]);
    expect(old?.files).toBeUndefined();
    expect(old?.ran).toBe('2026-12-02T02:00:00Z');
  });
});

describe('leftUnfinished', () => {
  const run = (path: string, began: string, ...ns: string[]) => ({ path, run: { began, ran: began, keys: ns.map((number) => ({ vendor: V, number })) } });
  const BEGAN = '2026-12-06T02:00:00Z';
  const t = Date.parse(BEGAN);

  it('drops an invoice another journal written since finished (a re-run of an edited file), and a run left with none', () => {
    const later = { path: 'edited', mtimeMs: t + 60_000, settled: settledIn([begin(), ...created('A'), settled('A')]) };
    expect(leftUnfinished([run('killed', BEGAN, 'A', 'B')], [later]).map((r) => numbers(r.run))).toEqual([['B']]);
    expect(leftUnfinished([run('killed', BEGAN, 'A')], [later])).toEqual([]);
  });

  it('keeps it when the only journal that finished it was last written before the run began, or is its own', () => {
    const before = { path: 'older', mtimeMs: t - 60_000, settled: new Set([`${V}\u0000A`]) };
    const own = { path: 'killed', mtimeMs: t + 60_000, settled: new Set([`${V}\u0000A`]) };
    expect(leftUnfinished([run('killed', BEGAN, 'A')], [before, own]).map((r) => numbers(r.run))).toEqual([['A']]);
  });
});

describe('endsFinished', () => {
  const end = (unfinished: number): string => JSON.stringify({ t: 'end', at: 'x', unfinished }) + '\n';
  it('is true only for a whole last line that is the end of a run that left nothing unfinished', () => {
    expect(endsFinished(`{"t":"invoice"}\n${end(0)}`)).toBe(true);
    expect(endsFinished(end(0).slice(0, -1))).toBe(false); // torn
    expect(endsFinished(`{"t":"invoice"}\n${end(2)}`)).toBe(false);
    expect(endsFinished(`${end(0)}{"t":"run","at":"x"}\n`)).toBe(false); // run again since
    expect(endsFinished('{"t":"invoice"}\n')).toBe(false);
    expect(endsFinished('')).toBe(false);
  });
});

describe('the journal records its files and its end', () => {
  it('the header and a later run name the input files; end counts what is left unfinished', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unfinished-'));
    try {
      const path = join(dir, 'j.jsonl');
      const files = [{ name: 'night.csv', path: '/in/night.csv' }, { name: '-' }];
      const j = Journal.open({ path, target: 'alma', endpoint: 'https://x', batch: 'b', sync: false, files });
      for (const e of created('A')) j.append(e);
      for (const e of created('B')) j.append(e);
      j.append(settled('B'));
      expect(j.unfinishedCount()).toBe(1);
      j.end();
      j.close();
      const again = Journal.open({ path, target: 'alma', endpoint: 'https://x', batch: 'b', sync: false, files: [{ name: 'renamed.csv', path: '/in/renamed.csv' }] });
      again.close();
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as JournalEntry);
      expect(lines[0]).toMatchObject({ t: 'begin', files });
      expect(lines.find((e) => e.t === 'end')).toMatchObject({ unfinished: 1 });
      expect(lines.at(-1)).toMatchObject({ t: 'run', files: [{ name: 'renamed.csv', path: '/in/renamed.csv' }] });
      // The end entry is no invoice's: the journal folds as before.
      expect(numbers(unfinishedIn(lines))).toEqual(['A']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('unfinishedWarning', () => {
  const run: UnfinishedRun = { began: '2026-12-06T02:00:00.123Z', ran: '2026-12-06T02:00:00.123Z', files: [{ name: 'night.csv', path: '/in/night.csv' }], keys: ['1', '2', '3', '4', '5', '6', '7'].map((number) => ({ vendor: V, number })) };

  it('names when the run began, its file, how many invoices and the first few, and what to do', () => {
    const p = unfinishedWarning('/s/journals/alma-x-b.jsonl', run, 'Alma', ['/in/other.csv']);
    expect(p).toMatchObject({ file: 'night.csv', code: 'earlier_run_unfinished', severity: 'warning' });
    expect(p.message).toBe(
      'an earlier run (started 2026-12-06T02:00:00Z, file night.csv (/in/night.csv)) left 7 invoices in Alma created but not finished — lines or processing missing: ' +
        'GOBI 1, GOBI 2, GOBI 3, GOBI 4, GOBI 5 and 2 more. Run that file again to finish them (journal /s/journals/alma-x-b.jsonl).',
    );
  });

  it('says when the file has been replaced since by this run\'s, and when the journal does not name it', () => {
    expect(unfinishedWarning('/j', run, 'Alma', ['/in/night.csv']).message).toContain('The file night.csv has been replaced since (this run\'s content is another batch): run the file as it was then again to finish them');
    const old = unfinishedWarning('/s/alma-x-b.jsonl', { ...run, files: undefined, keys: [{ vendor: V, number: '1' }] }, 'Alma', []);
    expect(old.file).toBe('alma-x-b.jsonl');
    expect(old.message).toContain('left 1 invoice in Alma created but not finished — lines or processing missing: GOBI 1. Its journal does not name its file: run the file of that batch again to finish it');
  });
});

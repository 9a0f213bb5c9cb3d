/**
 * Which other journals a load reads (cli/journals.ts readOtherJournals): the same target name and
 * endpoint, another batch, written to lately; anything else, or anything unreadable, is passed over.
 * And the claims of the runs loading into the same place at the moment (claimInvoices).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { atAddressUnderOtherKeys, claimInvoices, journalBeforeFingerprint, journalPath, openLockedJournal, readLockedJournal, readOtherJournals, shortHash } from '../../src/cli/journals.js';
import { accountAddress } from '../../src/common/fingerprint.js';
import { JournalError } from '../../src/common/errors.js';
import { keyString } from '../../src/domain/model.js';

let state: string;
beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), 'journals-'));
  mkdirSync(join(state, 'journals'));
});
afterEach(() => rmSync(state, { recursive: true, force: true }));

const NOW = Date.parse('2026-12-05T12:00:00Z');
const ENDPOINT = 'https://api-eu.example.org';
const here = { name: 'alma', endpoint: ENDPOINT, batch: 'mine' };

/** A journal of `batch` at `endpoint` holding one created invoice, last written `ageMs` before NOW. */
function journal(name: string, endpoint: string, batch: string, ageMs: number, text?: string): void {
  const path = journalPath(state, name, endpoint, batch);
  const begin = { t: 'begin', kind: 'invoice-load-journal', v: 1, target: 'alma', endpoint, batch, at: '2026-12-05T11:00:00Z' };
  writeFileSync(path, text ?? `${JSON.stringify(begin)}\n${JSON.stringify({ t: 'invoice', vendor: 'V', number: batch, id: `id-${batch}`, found: false })}\n`);
  const at = (NOW - ageMs) / 1000;
  utimesSync(path, at, at);
}

const WANTED = ['edited-a', 'edited-b', 'mine', 'last-month', 'other-place', 'an-action', 'garbage', 'lies', 'torn', 'broken'].map((number) => ({ vendor: 'V', number }));

const numbers = (keys = WANTED): string[] =>
  readOtherJournals({ ...here, stateDir: state }, 10 * 60_000, NOW, keys)
    .map((entries) => entries.flatMap((e) => ('number' in e ? [e.number] : [])).join())
    .sort();

describe('readOtherJournals and the key fingerprint in the place (common/fingerprint.ts)', () => {
  const KEYED = accountAddress(ENDPOINT, 'the-production-key');
  const keyedNumbers = (): string[] =>
    readOtherJournals({ ...here, endpoint: KEYED, stateDir: state }, 10 * 60_000, NOW, WANTED)
      .map((entries) => entries.flatMap((e) => ('number' in e ? [e.number] : [])).join())
      .sort();

  it("another key's journals at the same address are another place: not read", () => {
    journal('alma', accountAddress(ENDPOINT, 'the-sandbox-key'), 'edited-a', 1_000);
    expect(keyedNumbers()).toEqual([]);
  });

  it('journals an earlier version kept by the address alone are read as other journals, this batch\'s own too, within the horizon', () => {
    journal('alma', ENDPOINT, 'mine', 1_000);
    journal('alma', ENDPOINT, 'edited-a', 60_000);
    journal('alma', ENDPOINT, 'last-month', 30 * 86_400_000);
    journal('alma', 'https://api-na.example.org', 'other-place', 1_000);
    expect(keyedNumbers()).toEqual(['edited-a', 'mine']);
    expect(journalBeforeFingerprint({ ...here, endpoint: KEYED, stateDir: state })).toBe(journalPath(state, 'alma', ENDPOINT, 'mine'));
    expect(journalBeforeFingerprint({ ...here, endpoint: KEYED, batch: 'none', stateDir: state })).toBeUndefined();
  });

  it("the hand-overs of this file at this address under another key or none are found for the guard; another address's and another file's are not", () => {
    const at = { stateDir: state, name: 'handover', endpoint: KEYED, batch: 'file1' };
    journal('handover', KEYED, 'file1', 1_000);
    expect(atAddressUnderOtherKeys(at)).toEqual([]);
    journal('handover', accountAddress(ENDPOINT, 'the-replaced-key'), 'file1', 1_000);
    journal('handover', ENDPOINT, 'file1', 30 * 86_400_000);
    journal('handover', accountAddress('https://api-na.example.org', 'the-production-key'), 'file1', 1_000);
    journal('handover', accountAddress(ENDPOINT, 'the-replaced-key'), 'file2', 1_000);
    const found = atAddressUnderOtherKeys(at).map((entries) => entries.find((e) => e.t === 'begin'));
    expect(found.map((b) => (b as { endpoint: string }).endpoint).sort()).toEqual([ENDPOINT, accountAddress(ENDPOINT, 'the-replaced-key')].sort());
  });
});

describe('readOtherJournals', () => {
  it('reads the other batches of this target and endpoint written to within the horizon', () => {
    journal('alma', ENDPOINT, 'edited-a', 60_000);
    journal('alma', ENDPOINT, 'edited-b', 9 * 60_000);
    expect(numbers()).toEqual(['edited-a', 'edited-b']);
  });

  it('passes over its own journal, older ones, another endpoint, another name, and what is not a journal', () => {
    journal('alma', ENDPOINT, 'mine', 1_000);
    journal('alma', ENDPOINT, 'last-month', 30 * 86_400_000);
    journal('alma', 'https://api-na.example.org', 'other-place', 1_000);
    journal('cancel', ENDPOINT, 'an-action', 1_000);
    journal('alma', ENDPOINT, 'garbage', 1_000, 'not json\n');
    journal('alma', ENDPOINT, 'lies', 1_000, `${JSON.stringify({ t: 'begin', kind: 'invoice-load-journal', v: 1, target: 'alma', endpoint: 'https://elsewhere', batch: 'lies', at: '' })}\n`);
    expect(numbers()).toEqual([]);
  });

  it('a state folder without journals yet reads nothing', () => {
    expect(readOtherJournals({ ...here, stateDir: join(state, 'none') }, 60_000, NOW, WANTED)).toEqual([]);
  });

  it('keeps only the entries about this batch\'s invoices', () => {
    journal('alma', ENDPOINT, 'edited-a', 1_000);
    expect(numbers([{ vendor: 'V', number: 'edited-a' }])).toEqual(['edited-a']);
    expect(numbers([{ vendor: 'V', number: 'another' }])).toEqual([]);
    expect(numbers([{ vendor: 'W', number: 'edited-a' }])).toEqual([]);
  });

  it('a torn last line (a kill mid-write) is dropped; a line broken before it passes the journal over', () => {
    const begin = (batch: string) => JSON.stringify({ t: 'begin', kind: 'invoice-load-journal', v: 1, target: 'alma', endpoint: ENDPOINT, batch, at: '' });
    const entry = (number: string) => JSON.stringify({ t: 'invoice', vendor: 'V', number, id: '1', found: false });
    journal('alma', ENDPOINT, 'torn', 1_000, `${begin('torn')}\n${entry('torn')}\n{"t":"line","vendor":"V","numb`);
    journal('alma', ENDPOINT, 'broken', 1_000, `${begin('broken')}\n{"t":"line",\n${entry('broken')}\n`);
    expect(numbers()).toEqual(['torn']);
  });

  it('a journal larger than one read is read whole', () => {
    const begin = JSON.stringify({ t: 'begin', kind: 'invoice-load-journal', v: 1, target: 'alma', endpoint: ENDPOINT, batch: 'big', at: '' });
    const filler = Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ t: 'invoice', vendor: 'V', number: `other-${i}`, id: String(i), found: false })).join('\n');
    journal('alma', ENDPOINT, 'big', 1_000, `${begin}\n${filler}\n${JSON.stringify({ t: 'line', vendor: 'V', number: 'edited-b', line: '1', id: 'L' })}\n`);
    expect(numbers()).toEqual(['edited-b']);
  });
});

describe('claimInvoices: two runs loading one invoice at the same time', () => {
  const key = (number: string) => ({ vendor: 'GOBI', number });
  /** Another run of `batch` here: its lock (held by `pid`, alive or not) and its claims. */
  function otherRun(batch: string, numbers: string[], opts: { pid?: number; started?: string; claimedBy?: { pid: number; started: string }; endpoint?: string } = {}): void {
    const path = journalPath(state, 'alma', opts.endpoint ?? ENDPOINT, batch);
    const lock = { pid: opts.pid ?? process.ppid, host: hostname(), started: opts.started ?? '2026-12-05T11:59:00.000Z' };
    writeFileSync(path + '.lock', JSON.stringify(lock));
    const by = opts.claimedBy ?? lock;
    writeFileSync(path + '.claims', JSON.stringify({ pid: by.pid, started: by.started, keys: numbers.map((n) => shortHash(keyString(key(n)))) }));
  }
  const me = { pid: process.pid, started: '2026-12-05T12:00:00.000Z' };
  const claim = (numbers: string[], cleanups: (() => void | Promise<void>)[] = []) => claimInvoices({ ...here, stateDir: state }, me, numbers.map(key), cleanups);

  it('an invoice another live run claimed: stopped, naming the run and the invoices (three, then a count)', () => {
    // The vitest parent process stands for a live run: alive, and not this process.
    otherRun('theirs', ['A', 'B', 'C', 'D', 'E']);
    expect(() => claim(['B', 'X', 'A', 'D', 'C'])).toThrow(JournalError);
    expect(() => claim(['B', 'X', 'A', 'D', 'C'])).toThrow(
      `another invoice-load run (pid ${process.ppid}, started 2026-12-05T11:59:00.000Z) is loading 4 invoices of this batch into the same place now ` +
        '(GOBI A, GOBI B, GOBI C and 1 more); two runs sending one invoice at once could both create it: wait for it to finish, then run again.',
    );
    expect(() => claim(['E'])).toThrow(/is loading an invoice of this batch into the same place now \(GOBI E\)/);
  });

  it('passed over: no invoice in common, a run that is gone, a claims file its lock does not name, another place', () => {
    otherRun('disjoint', ['A']);
    // A pid that is surely not running (pid_max is at most 2^22).
    otherRun('gone', ['B'], { pid: 2 ** 22 + 1 });
    otherRun('earlier', ['C'], { claimedBy: { pid: process.ppid, started: '2026-12-04T08:00:00.000Z' } });
    otherRun('elsewhere', ['D'], { endpoint: 'https://api-na.example.org' });
    const cleanups: (() => void | Promise<void>)[] = [];
    expect(() => claim(['B', 'C', 'D'], cleanups)).not.toThrow();
    // Its own claims are written whole beside its journal, and removed when the run ends.
    const own = journalPath(state, 'alma', ENDPOINT, 'mine') + '.claims';
    expect(existsSync(own)).toBe(true);
    expect(readdirSync(join(state, 'journals')).filter((n) => n.includes('.tmp'))).toEqual([]);
    for (const c of cleanups) void c();
    expect(existsSync(own)).toBe(false);
  });
});

describe('openLockedJournal: a journal another live run holds', () => {
  it.each([
    ['alma', 'this batch'],
    ['export', 'this export file'],
    ['handover', 'this export file'],
    ['payments', 'these payment confirmations'],
  ])('%s: says what that run is working on (%s)', (name, what) => {
    const at = { stateDir: state, name, endpoint: ENDPOINT, batch: 'b', target: 'alma', fsync: false };
    // A live process other than us holds it: our parent.
    writeFileSync(`${journalPath(state, name, ENDPOINT, 'b')}.lock`, JSON.stringify({ pid: process.ppid, host: hostname(), started: 'then' }));
    expect(() => openLockedJournal(at, [])).toThrow(new RegExp(`is working on ${what}; wait for it`));
  });
});

describe('readLockedJournal: a journal read, not written to', () => {
  const at = { stateDir: '', name: 'handover', endpoint: ENDPOINT, batch: 'b' };
  const begin = JSON.stringify({ t: 'begin', kind: 'invoice-load-journal', v: 1, target: 'alma', endpoint: ENDPOINT, batch: 'b', at: 'then' });
  const entry = JSON.stringify({ t: 'batch_done', batch: 'r1' });

  it.each([
    ['none', undefined, undefined],
    ['empty', '', undefined],
    ['a header torn by a kill', begin.slice(0, 20), undefined],
    ['whole', `${begin}\n${entry}\n`, 2],
    ['a torn last line left out', `${begin}\n${entry}\n{"t":"ba`, 2],
  ])('%s', (_name, text, entries) => {
    const path = journalPath(state, at.name, ENDPOINT, at.batch);
    if (text !== undefined) writeFileSync(path, text);
    expect(readLockedJournal({ ...at, stateDir: state })?.length).toBe(entries);
    // read as it was, and its lock let go
    expect(readdirSync(join(state, 'journals')).sort()).toEqual(text === undefined ? [] : [`handover-${shortHash(ENDPOINT)}-b.jsonl`]);
  });

  it('one another live run holds is not read from under it', () => {
    const path = journalPath(state, at.name, ENDPOINT, at.batch);
    writeFileSync(path, `${begin}\n`);
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.ppid, host: hostname(), started: 'then' }));
    expect(() => readLockedJournal({ ...at, stateDir: state })).toThrow(/is working on this export file; wait for it/);
  });
});

describe.skipIf(process.platform === 'win32')('the state dir and its files are for their owner alone (review: cron, item 6)', () => {
  const modeOf = (path: string): number => statSync(path).mode & 0o777;
  it('a state dir made by the run is 0700, its journal, lock and claims 0600; an existing one keeps its mode', async () => {
    const fresh = join(state, 'new-state');
    const at = { stateDir: fresh, name: 'alma', endpoint: ENDPOINT, batch: 'b', target: 'alma', fsync: false };
    const cleanups: (() => void | Promise<void>)[] = [];
    const { path, held } = openLockedJournal(at, cleanups);
    claimInvoices(at, held, [{ vendor: 'GOBI', number: 'G-1' }], cleanups);
    try {
      expect(modeOf(fresh)).toBe(0o700);
      expect(modeOf(join(fresh, 'journals'))).toBe(0o700);
      expect(modeOf(path)).toBe(0o600);
      expect(modeOf(path + '.lock')).toBe(0o600);
      expect(modeOf(path + '.claims')).toBe(0o600);
    } finally {
      for (const c of cleanups.reverse()) await c();
    }
    // One that exists keeps its mode: only what the run makes is made 0700.
    chmodSync(fresh, 0o755);
    const again: (() => void | Promise<void>)[] = [];
    openLockedJournal(at, again);
    for (const c of again.reverse()) await c();
    expect(modeOf(fresh)).toBe(0o755);
  });

});

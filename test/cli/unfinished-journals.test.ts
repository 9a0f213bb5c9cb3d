/**
 * Which of a place's other journals a load names as runs cut short (cli/journals.ts
 * `unfinishedElsewhere`): invoices started and not finished, not finished by a journal written
 * since, not this run's batch's; a journal too old, ended with nothing left, or in use by a live
 * run is passed over. And what it costs with a year of nightly journals.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { journalPath, UNFINISHED_MAX_AGE_MS, unfinishedElsewhere } from '../../src/cli/journals.js';
import type { InvoiceKey } from '../../src/domain/model.js';

let state: string;
beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), 'unfinished-journals-'));
  mkdirSync(join(state, 'journals'));
});
afterEach(() => rmSync(state, { recursive: true, force: true }));

const NOW = Date.parse('2026-12-07T12:00:00Z');
const DAY = 86_400_000;
const ENDPOINT = 'https://api-eu.example.org';
const here = { name: 'alma', endpoint: ENDPOINT, batch: 'tonight' };

type Line = Record<string, unknown>;
const created = (number: string): Line[] => [
  { t: 'intent', vendor: 'V', number, step: 'create', at: 1 },
  { t: 'invoice', vendor: 'V', number, id: `id-${number}`, found: false },
];
const settled = (number: string): Line => ({ t: 'settled', vendor: 'V', number, id: `id-${number}`, status: 'loaded', alerts: [] });
const end = (unfinished: number): Line => ({ t: 'end', at: 'x', unfinished });

/** A journal of `batch` begun `ageMs` before NOW, last written `ageMs` before NOW; its lines after the header. */
function journal(batch: string, ageMs: number, lines: Line[], opts: { torn?: string; name?: string } = {}): string {
  const path = journalPath(state, opts.name ?? 'alma', ENDPOINT, batch);
  const at = new Date(NOW - ageMs).toISOString();
  const header = { t: 'begin', kind: 'invoice-load-journal', v: 1, target: 'alma', endpoint: ENDPOINT, batch, at, files: [{ name: `${batch}.csv`, path: `/in/${batch}.csv` }] };
  writeFileSync(path, [header, ...lines].map((l) => JSON.stringify(l) + '\n').join('') + (opts.torn ?? ''));
  utimesSync(path, (NOW - ageMs) / 1000, (NOW - ageMs) / 1000);
  return path;
}

const found = (skip: (k: InvoiceKey) => boolean = () => false): Record<string, string[]> =>
  Object.fromEntries(unfinishedElsewhere({ ...here, stateDir: state }, NOW, UNFINISHED_MAX_AGE_MS, skip).map((u) => [u.batch, u.run.keys.map((k) => k.number)]));

describe('unfinishedElsewhere', () => {
  it('names a killed run’s invoices created and not finished, with its files; a torn last line is a kill’s', () => {
    journal('killed', DAY, [...created('A'), ...created('B'), settled('B'), { t: 'intent', vendor: 'V', number: 'C', step: 'create' }], { torn: '{"t":"inv' });
    const [u] = unfinishedElsewhere({ ...here, stateDir: state }, NOW, UNFINISHED_MAX_AGE_MS, () => false);
    expect(u?.batch).toBe('killed');
    expect(u?.run.keys.map((k) => k.number)).toEqual(['A', 'C']);
    expect(u?.run.files).toEqual([{ name: 'killed.csv', path: '/in/killed.csv' }]);
  });

  it('an invoice a journal written since finished (a re-run of an edited file) is not named; one finished before the run began is', () => {
    journal('killed', 2 * DAY, [...created('A'), ...created('B')]);
    journal('edited', DAY, [{ t: 'invoice', vendor: 'V', number: 'A', id: 'id-A', found: true }, settled('A'), end(0)]);
    journal('long-ago', 3 * DAY, [...created('B'), settled('B'), end(0)]);
    expect(found()).toEqual({ killed: ['B'] });
  });

  it("this run's own invoices are its to finish: not named", () => {
    journal('killed', DAY, [...created('A'), ...created('B')]);
    expect(found((k) => k.number === 'A')).toEqual({ killed: ['B'] });
    expect(found(() => true)).toEqual({});
  });

  it('passes over its own journal, one ended with nothing left, one older than 30 days, another target, and what is not a journal', () => {
    journal('tonight', DAY, created('A'));
    journal('ended', DAY, [...created('B'), settled('B'), end(0)]);
    journal('last-month', UNFINISHED_MAX_AGE_MS + DAY, created('C'));
    journal('an-action', DAY, created('D'), { name: 'alma-cancel' });
    writeFileSync(journalPath(state, 'alma', ENDPOINT, 'garbage'), 'not json\n');
    expect(found()).toEqual({});
  });

  it('an end that left invoices unfinished, or one a later run of the batch wrote past, is read', () => {
    journal('stopped', DAY, [...created('A'), end(1)]);
    journal('resumed', DAY, [...created('B'), settled('B'), end(0), { t: 'run', at: 'y' }, ...created('C')]);
    expect(found()).toEqual({ stopped: ['A'], resumed: ['C'] });
  });

  it('a journal a live run holds is that run’s, not one cut short', () => {
    const path = journal('running', 0, created('A'));
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.ppid, host: hostname(), started: 'then' }));
    expect(found()).toEqual({});
  });

  it('costs a listing, a stat and a 4 KB read per journal when 500 ended with nothing left', () => {
    // A year and more of nightly runs of 30 invoices each, all within the age read: the cost a
    // run pays each night (figure in README "A run killed and never run again").
    const lines: Line[] = [];
    for (let i = 0; i < 30; i++) lines.push(...created(`N${i}`), { t: 'line', vendor: 'V', number: `N${i}`, line: '1', id: `l${i}` }, settled(`N${i}`));
    for (let n = 0; n < 500; n++) journal(`night-${n}`, (n % 29) * DAY + 1000, [...lines, end(0)]);
    expect(found()).toEqual({});
    // One killed a month ago: the journals written since are read for its invoices, once each.
    journal('killed', 29 * DAY + 2000, [...created('X')]);
    expect(found()).toEqual({ killed: ['X'] });
  });
});

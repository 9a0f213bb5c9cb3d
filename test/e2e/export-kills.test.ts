/**
 * `export --mark-in-erp` killed at the points between writing its file and settling its run
 * (test/helpers/kill-preload.cjs: SIGKILL right after a chosen journal write or rename), against
 * the sandbox: no hand-over lost (a file of marked invoices replaced), none doubled (invoices of
 * an ended run handed over again).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonDoc, runCli, type CliResult } from '../helpers/cli.js';
import { sampleSubset, world, type World } from '../helpers/sandbox.js';
import type { LifecycleReport } from '../../src/report/lifecycle.js';
import { processStart } from '../../src/engine/lock.js';

const BATCH = 'fixtures/round-trip/batch.csv';
const KILL = fileURLToPath(new URL('../helpers/kill-preload.cjs', import.meta.url));
const SHIFT = fileURLToPath(new URL('../helpers/clock-shift.cjs', import.meta.url));
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** The CLI against the sandbox; `kill`: where the preload kills it (KILL_PAT, KILL_N, KILL_RENAME). */
async function cli(args: string[], kill?: Record<string, string>): Promise<CliResult & { doc?: LifecycleReport }> {
  const res = await runCli([...args, '--json', '--rate', '200', '--concurrency', '1'], {
    env: { ALMA_API_URL: w!.sandbox.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: w!.stateDir, ...(kill !== undefined ? { NODE_OPTIONS: `--require ${KILL}`, ...kill } : {}) },
  });
  return { ...res, doc: jsonDoc<LifecycleReport>(res.stdout) };
}

/** Loads the round-trip batch: four invoices waiting to be sent (plus the seed's one). */
async function loaded(): Promise<World> {
  w = await world();
  const res = await w.load([BATCH]);
  expect(res.code, res.stderr).toBe(0);
  return w;
}

const marks = (w: World): number[] => Object.values(w.sandbox.state().counters.erpOps).map((o) => o['mark_in_erp'] ?? 0);
/** The invoice ids a CSV export file holds. */
const idsIn = (file: string): string[] => [...new Set(readFileSync(file, 'utf8').trimEnd().split('\r\n').slice(1).map((l) => l.split(',')[0]!))].sort();

/** The journal entry of a mark seen done (the sandbox marks to Ready to be Paid, the UI's Waiting for Payment). */
const MARK_DONE = '"workflow_status":"Ready to be Paid"';

describe('export --mark-in-erp killed after its run ended, before the journal says batch_done', () => {
  it.each([
    ['of its own', false],
    ['that carried the invoices of a run cut short before it', true],
  ])('a run %s is done: its file is guarded, and once taken nothing of it is handed over again', async (_what, cutShortBefore) => {
    await loaded();
    const out = join(w!.dir, 'k4.csv');
    if (cutShortBefore) {
      const cut = await cli(['export', '--mark-in-erp', '-o', out], { KILL_PAT: MARK_DONE, KILL_N: '2' });
      expect(cut.signal, cut.stderr).toBe('SIGKILL');
    }
    const killed = await cli(['export', '--mark-in-erp', '-o', out], { KILL_PAT: '"ended":true' });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(idsIn(out)).toHaveLength(5);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
    // Its file is the hand-over: not replaced, not even by the same command.
    const again = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/k4\.csv still holds, unchanged, the 5 invoices that the export of .* marked in Alma and handed over to finance/);
    // Taken by finance: the next run hands over nothing of it again.
    renameSync(out, `${out}.taken`);
    const next = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.doc!.summary.invoices).toBe(0);
    expect(idsIn(out)).toEqual([]);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('export --mark-in-erp killed between writing its file and putting it in place, after a run cut short', () => {
  it.each([
    ['right after the rename', { KILL_RENAME: 'r5.csv' }],
    ['after recording the file, before the rename', { KILL_PAT: '"ended":false' }],
  ])('killed %s: the file in place still holds the marked invoices, and a plain export does not replace it', async (_when, kill) => {
    await loaded();
    const out = join(w!.dir, 'r5.csv');
    const first = await cli(['export', '--mark-in-erp', '-o', out], { KILL_PAT: MARK_DONE, KILL_N: '2' });
    expect(first.signal, first.stderr).toBe('SIGKILL');
    expect(marks(w!).filter((n) => n === 1)).toHaveLength(2);
    const second = await cli(['export', '--mark-in-erp', '-o', out], kill);
    expect(second.signal, second.stderr).toBe('SIGKILL');
    expect(idsIn(out)).toHaveLength(5);
    // A plain export to that path would replace a file holding two invoices marked in Alma.
    const plain = await cli(['export', '-o', out]);
    expect(plain.code, plain.stderr).toBe(2);
    expect(plain.stderr).toMatch(/r5\.csv still holds, unchanged, the 5 invoices that the export of .* was marking in Alma when it was cut short/);
    expect(idsIn(out)).toHaveLength(5);
    // The same command finishes it: all five in its file, each marked once.
    const done = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(done.code, done.stderr).toBe(0);
    expect(idsIn(out)).toHaveLength(5);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('export --mark-in-erp: the clock set back between two runs to one file', () => {
  it('a run cut short after an earlier run that ended by a clock an hour ahead still holds its invoices: another file gets none of them', async () => {
    w = await world();
    expect((await w.load([sampleSubset(w.dir, ['GOBI'], 'gobi.csv')])).code).toBe(0);
    const out = join(w.dir, 'erp.csv');
    // Run A, its clock an hour ahead: it ends, and finance takes its file.
    const a = await cli(['export', '--mark-in-erp', '-o', out], { NODE_OPTIONS: `--require ${SHIFT}`, CLOCK_SHIFT_MS: '3600000' });
    expect(a.code, a.stderr).toBe(0);
    const handedA = idsIn(out);
    expect(handedA.length).toBeGreaterThan(0);
    renameSync(out, `${out}.taken`);
    // Run B on the system's clock (an hour "before" A by its name): killed once its file is in place, before any mark.
    expect((await w.load([sampleSubset(w.dir, ['HARRAS', 'EBSCO', 'BLACKWELL'], 'rest.csv')])).code).toBe(0);
    const b = await cli(['export', '--mark-in-erp', '-o', out], { KILL_RENAME: 'erp.csv' });
    expect(b.signal, b.stderr).toBe('SIGKILL');
    const inB = idsIn(out);
    expect(inB.length).toBeGreaterThan(0);
    const before = marks(w);
    // Run C to another file: B's file holds them (B's own command finishes it), so C neither writes nor marks them.
    const other = join(w.dir, 'other.csv');
    const c = await cli(['export', '--mark-in-erp', '-o', other]);
    expect(c.code, c.stderr).toBe(0);
    expect(idsIn(other)).toEqual([]);
    expect(c.doc!.issues.map((p) => p.code)).toEqual(['held_by_other_run']);
    expect(marks(w)).toEqual(before);
    // B's own command finishes B's file: every invoice in it, each marked once.
    const done = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(done.code, done.stderr).toBe(0);
    expect(idsIn(out)).toEqual(inB);
    expect(marks(w).every((n) => n === 1)).toBe(true);
  });
});

describe('export --mark-in-erp cut short, its file taken by finance before the same command runs again', () => {
  it('hands over nothing of that file again: those it marked are left alone, the others are marked, none written', async () => {
    await loaded();
    const out = join(w!.dir, 'k.csv');
    const cut = await cli(['export', '--mark-in-erp', '-o', out], { KILL_PAT: MARK_DONE, KILL_N: '2' });
    expect(cut.signal, cut.stderr).toBe('SIGKILL');
    const first = idsIn(out);
    expect(first).toHaveLength(5);
    renameSync(out, `${out}.taken`);
    const again = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(idsIn(out)).toEqual([]);
    // The three not marked when it was cut short are marked now; nothing is marked twice.
    expect(again.doc!.invoices.map((i) => i.status)).toEqual(['marked', 'marked', 'marked']);
    expect(again.doc!.issues.map((i) => i.code)).toEqual(['handed_over_before']);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
    // And the run after has nothing left of it.
    renameSync(out, `${out}.taken2`);
    const after = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.doc!.summary.invoices).toBe(0);
  });
});

describe('export --mark-in-erp killed, its lock and claims left behind under a pid another process has now', () => {
  // A container gives every run the same pid; where the system says when a process started
  // (Linux /proc), the lock records it, and a live pid that started at another moment is not its run.
  it.skipIf(!existsSync('/proc/self/stat'))('the next day\'s export to another file takes over and hands over every invoice, none held', async () => {
    await loaded();
    const cut = await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'day1.csv')], { KILL_PAT: '"ended":false' });
    expect(cut.signal, cut.stderr).toBe('SIGKILL');
    const journals = join(w!.stateDir, 'journals');
    const left = readdirSync(journals).filter((f) => f.startsWith('export-') && (f.endsWith('.lock') || f.endsWith('.claims')));
    expect(left.filter((f) => f.endsWith('.claims'))).toHaveLength(1);
    // Its pid is a live process's now (pid 1: a container's init, or the system's).
    for (const f of left) {
      const p = join(journals, f);
      writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), pid: 1 }) + '\n');
    }
    const day2 = await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'day2.csv')]);
    expect(day2.code, day2.stderr).toBe(0);
    expect(day2.doc!.summary).toMatchObject({ invoices: 5, marked: 5 }); // all five marked: none held (the summary has no 'held' count)
    expect(idsIn(join(w!.dir, 'day2.csv'))).toHaveLength(5);
  });
});

describe('export --mark-in-erp killed after putting its file in place, before journaling its invoices; the file taken by finance', () => {
  // The record written before the rename lists the file's invoices: the next run journals them
  // when the rename happened (the run's temporary file is gone), so none is written into a second file.
  it.each([
    ['right after the rename', { KILL_RENAME: 't1.csv' }],
    ['after journaling two of its five invoices', { KILL_PAT: '"op":"export"', KILL_N: '2' }],
  ])('killed %s: the next run writes none of them again, and marks each once', async (_when, kill) => {
    await loaded();
    const out = join(w!.dir, 't1.csv');
    const cut = await cli(['export', '--mark-in-erp', '-o', out], kill);
    expect(cut.signal, cut.stderr).toBe('SIGKILL');
    expect(idsIn(out)).toHaveLength(5);
    expect(marks(w!).filter((n) => n > 0)).toEqual([]);
    renameSync(out, `${out}.taken`);
    const again = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(idsIn(out)).toEqual([]);
    expect(again.doc!.invoices.map((i) => i.status)).toEqual(['marked', 'marked', 'marked', 'marked', 'marked']);
    expect(again.doc!.issues.map((i) => i.code)).toEqual(['handed_over_before']);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('export --mark-in-erp that left out the invoices of the run cut short before it; its file taken by finance', () => {
  // Run A is cut short after two marks; run B replaces A's file, but another live run holds A's
  // five invoices (a claim), so B's file holds none and B journals them as carried out of every
  // file (CARRY) — the three listed as well as the two marked. Killed right after its rename, B
  // journaled no CARRY: the next run journals them from B's record.
  it.each([
    ['ended', undefined],
    ['killed right after its rename', { KILL_RENAME: 't3.csv' }],
  ])('B %s: every invoice marked is in the next run\'s file', async (_what, kill) => {
    await loaded();
    const out = join(w!.dir, 't3.csv');
    const a = await cli(['export', '--mark-in-erp', '-o', out], { KILL_PAT: MARK_DONE, KILL_N: '2' });
    expect(a.signal, a.stderr).toBe('SIGKILL');
    const dir = join(w!.stateDir, 'journals');
    const claims = readdirSync(dir).filter((f) => f.startsWith('export-') && f.endsWith('.jsonl.claims'));
    expect(claims).toHaveLength(1);
    // Another live export (this test's process) claims A's invoices.
    const other = join(dir, claims[0]!.replace(/-[^-]+\.jsonl\.claims$/, '-another1.jsonl'));
    const started = new Date().toISOString();
    writeFileSync(`${other}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), started, pstart: processStart(process.pid) }) + '\n');
    writeFileSync(`${other}.claims`, JSON.stringify({ pid: process.pid, started, keys: JSON.parse(readFileSync(join(dir, claims[0]!), 'utf8')).keys }) + '\n');
    const b = await cli(['export', '--mark-in-erp', '-o', out], kill);
    expect(b.signal, b.stderr).toBe(kill !== undefined ? 'SIGKILL' : null);
    if (kill === undefined) expect(b.doc!.issues.map((i) => i.code)).toContain('held_by_other_run');
    expect(idsIn(out)).toEqual([]);
    unlinkSync(`${other}.lock`);
    unlinkSync(`${other}.claims`);
    renameSync(out, `${out}.taken`);
    const c = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(c.code, c.stderr).toBe(0);
    const marked = Object.entries(w!.sandbox.state().counters.erpOps).filter(([, o]) => (o['mark_in_erp'] ?? 0) > 0).map(([id]) => id).sort();
    expect(marked).toHaveLength(5);
    expect(idsIn(out)).toEqual(marked);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('export --mark-in-erp cut short, then the next day\'s run to another file (README\'s dated names)', () => {
  // Day 1's file holds all five invoices, two of them marked; finance takes it. Day 2's run to its
  // own file would list the three unmarked, write them into its file and mark them: finance would
  // get them twice. Day 1's file holds them: day 2 leaves them out, says so and names the command
  // that finishes day 1, and hands over the new ones.
  it('leaves day 1\'s invoices out (held_by_other_run, naming the command that finishes day 1); once finished, nothing is handed over twice', async () => {
    await loaded();
    const day1 = join(w!.dir, 'to-finance-2026-12-07.csv');
    const day2 = join(w!.dir, 'to-finance-2026-12-08.csv');
    const cut = await cli(['export', '--mark-in-erp', '-o', day1], { KILL_PAT: MARK_DONE, KILL_N: '2' });
    expect(cut.signal, cut.stderr).toBe('SIGKILL');
    const handed = idsIn(day1);
    expect(handed).toHaveLength(5);
    renameSync(day1, `${day1}.taken`);
    const next = await cli(['export', '--mark-in-erp', '-o', day2]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.doc!.summary.invoices).toBe(0);
    expect(next.doc!.issues.map((i) => i.code)).toEqual(['held_by_other_run']);
    expect(next.doc!.issues[0]!.message).toContain(`3 invoices are in ${day1}, put in place by an export --mark-in-erp of `);
    expect(next.doc!.issues[0]!.message).toContain(`invoice-load export --mark-in-erp -o ${day1}`);
    expect(idsIn(day2)).toEqual([]);
    expect(marks(w!).reduce((a, b) => a + b, 0)).toBe(2);
    // The finishing run: its file was taken, so it only marks the three.
    const finish = await cli(['export', '--mark-in-erp', '-o', day1]);
    expect(finish.code, finish.stderr).toBe(0);
    expect(finish.doc!.invoices.map((i) => i.status)).toEqual(['marked', 'marked', 'marked']);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
    renameSync(day2, `${day2}.taken`);
    const again = await cli(['export', '--mark-in-erp', '-o', day2]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc!.summary.invoices).toBe(0);
    expect(again.doc!.issues).toEqual([]);
    expect(idsIn(day2)).toEqual([]);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });

  // Day 1 killed right after its rename, before its first IN_FILE entry, and finance takes the
  // file: its temporary file gone is all that says the file was put in place — as day 1's own
  // finishing run reads it, so day 2 too (review of 4a93ff4: day 2 wrote all five into its file).
  it('day 1 killed right after its rename, its file taken: day 2 leaves the five out, and finishing day 1 marks them once', async () => {
    await loaded();
    const day1 = join(w!.dir, 'to-finance-2026-12-07.csv');
    const day2 = join(w!.dir, 'to-finance-2026-12-08.csv');
    const cut = await cli(['export', '--mark-in-erp', '-o', day1], { KILL_RENAME: 'to-finance-2026-12-07.csv' });
    expect(cut.signal, cut.stderr).toBe('SIGKILL');
    expect(idsIn(day1)).toHaveLength(5);
    expect(marks(w!).reduce((a, b) => a + b, 0)).toBe(0);
    renameSync(day1, `${day1}.taken`);
    const next = await cli(['export', '--mark-in-erp', '-o', day2]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.doc!.summary.invoices).toBe(0);
    expect(next.doc!.issues.map((i) => i.code)).toEqual(['held_by_other_run']);
    expect(next.doc!.issues[0]!.message).toContain(`5 invoices are in ${day1}`);
    expect(idsIn(day2)).toEqual([]);
    const finish = await cli(['export', '--mark-in-erp', '-o', day1]);
    expect(finish.code, finish.stderr).toBe(0);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
    expect(existsSync(day1) ? idsIn(day1) : []).toEqual([]);
  });

  // Day 1's finishing run is live (it holds its journals' locks: this test's process stands in for
  // it) and has not listed nor claimed yet when day 2's run lists: day 1's file holds the three
  // unmarked all the same, so day 2 leaves them out, live run or not.
  it('day 1\'s finishing run live and not yet claiming: day 2 leaves day 1\'s invoices out; each invoice in one file, marked once', async () => {
    await loaded();
    const day1 = join(w!.dir, 'to-finance-2026-12-07.csv');
    const day2 = join(w!.dir, 'to-finance-2026-12-08.csv');
    const cut = await cli(['export', '--mark-in-erp', '-o', day1], { KILL_PAT: MARK_DONE, KILL_N: '2' });
    expect(cut.signal, cut.stderr).toBe('SIGKILL');
    expect(idsIn(day1)).toHaveLength(5);
    const dir = join(w!.stateDir, 'journals');
    const locks = readdirSync(dir).filter((f) => /^(export|handover)-.*\.jsonl$/.test(f)).map((f) => join(dir, `${f}.lock`));
    expect(locks).toHaveLength(2);
    const started = new Date().toISOString();
    for (const l of locks) writeFileSync(l, JSON.stringify({ pid: process.pid, host: hostname(), started, pstart: processStart(process.pid) }) + '\n');
    const next = await cli(['export', '--mark-in-erp', '-o', day2]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.doc!.issues.map((i) => i.code)).toEqual(['held_by_other_run']);
    expect(idsIn(day2)).toEqual([]);
    for (const l of locks) unlinkSync(l);
    const finish = await cli(['export', '--mark-in-erp', '-o', day1]);
    expect(finish.code, finish.stderr).toBe(0);
    expect(idsIn(day1)).toHaveLength(5);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });

  // Day 1 killed right after journaling its first mark's intent (sent, never seen done); that mark
  // takes effect in Alma, finance rejects the invoice (payments) and Alma approves it again: day
  // 1's round of it is over, so day 2 hands it over (in its file, marked), not held for day 1.
  it('an invoice of day 1 whose mark was only sent, rejected by payments since and approved again: day 2 hands it over, not held', async () => {
    await loaded();
    const day1 = join(w!.dir, 'to-finance-2026-12-07.csv');
    const day2 = join(w!.dir, 'to-finance-2026-12-08.csv');
    const cut = await cli(['export', '--mark-in-erp', '-o', day1], { KILL_PAT: '"step":"op","op":"mark_in_erp"' });
    expect(cut.signal, cut.stderr).toBe('SIGKILL');
    expect(idsIn(day1)).toHaveLength(5);
    const dir = join(w!.stateDir, 'journals');
    const journal = readdirSync(dir).find((f) => /^export-.*\.jsonl$/.test(f))!;
    const intent = readFileSync(join(dir, journal), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { t: string; op?: string; id?: string }).find((e) => e.t === 'intent' && e.op === 'mark_in_erp')!;
    const id = intent.id!;
    const post = (q: string): Promise<Response> =>
      fetch(`${w!.sandbox.url}/almaws/v1/acq/invoices/${id}?op=${q}`, { method: 'POST', headers: { authorization: 'apikey k', accept: 'application/json', 'content-type': 'application/json' }, body: '{}' });
    const status = (): string | undefined => w!.sandbox.state().invoices.find((i) => i.id === id)?.status;
    // The sandbox processes asynchronously: wait for the state, not for a time.
    const until = async (s: string): Promise<void> => {
      while (status() !== s) await new Promise((r) => setImmediate(r));
    };
    // The mark the kill left takes effect (Alma at work on it), finance rejects it, it is approved again.
    expect((await post('mark_in_erp')).ok).toBe(true);
    await until('Ready to be Paid');
    const reject = join(w!.dir, 'reject.csv');
    writeFileSync(reject, `invoice_id,payment_status,note\n${id},rejected,bank details missing\n`);
    const pay = await cli(['payments', reject]);
    expect(pay.code, pay.stderr).toBe(0);
    await until('InReview');
    expect((await post('process_invoice')).ok).toBe(true);
    await until('Waiting to be Sent');
    renameSync(day1, `${day1}.taken`);
    const next = await cli(['export', '--mark-in-erp', '-o', day2]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.doc!.invoices.map((i) => [i.id, i.status])).toEqual([[id, 'marked']]);
    expect(idsIn(day2)).toEqual([id]);
    // The four others are still held for day 1's command.
    expect(next.doc!.issues.map((i) => i.code)).toEqual(['held_by_other_run']);
    expect(next.doc!.issues[0]!.message).toContain(`4 invoices are in ${day1}, put in place by an export --mark-in-erp of `);
  });
});

/**
 * `export --mark-in-erp` cut short, its temporary file gone: whether its file was put in place is
 * told by the file at the path (there as written: put in place; there as it was before: never),
 * and where nothing tells it — no file there — the hand-over is undecided: its invoices are
 * neither written again nor marked (HANDOVER_UNDECIDED, exit 4) until the person settles it
 * (`--handed-over RUN`, `--not-handed-over RUN`). Against the sandbox; kills by
 * test/helpers/kill-preload.cjs (SIGKILL right after a chosen journal write or rename).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonDoc, runCli, type CliResult } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';
import type { LifecycleReport } from '../../src/report/lifecycle.js';
import { processStart } from '../../src/engine/lock.js';

const BATCH = 'fixtures/round-trip/batch.csv';
const KILL = fileURLToPath(new URL('../helpers/kill-preload.cjs', import.meta.url));
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
/** The temporary files an export to `out` left beside it (`.<file>.<pid>.<start>.tmp`). */
const tmpsOf = (out: string): string[] => readdirSync(dirname(out)).filter((f) => f.startsWith(`.${basename(out)}.`) && f.endsWith('.tmp')).map((f) => join(dirname(out), f));

const MARK_DONE = '"workflow_status":"Ready to be Paid"';

/** A --mark-in-erp run to `out` killed after recording its file and before the rename; its temporary file then deleted (a tmp cleaner). */
async function killedBeforeRenameTmpDeleted(out: string): Promise<void> {
  const cut = await cli(['export', '--mark-in-erp', '-o', out], { KILL_PAT: '"ended":false' });
  expect(cut.signal, cut.stderr).toBe('SIGKILL');
  const tmps = tmpsOf(out);
  expect(tmps).toHaveLength(1);
  unlinkSync(tmps[0]!);
}

/** The next run: every invoice of the cut-short run failed HANDOVER_UNDECIDED, none marked nor written; the run it names. */
async function undecided(out: string, n: number, where: RegExp): Promise<string> {
  const before = w!.sandbox.state().counters.erpOps;
  const markedBefore = (id: string): number => before[id]?.['mark_in_erp'] ?? 0;
  const again = await cli(['export', '--mark-in-erp', '-o', out]);
  expect(again.code, again.stderr).toBe(4);
  const doc = again.doc!;
  expect(doc.invoices.map((i) => [i.status, i.error?.code])).toEqual(Array.from({ length: n }, () => ['failed', 'HANDOVER_UNDECIDED']));
  expect(doc.summary).toMatchObject({ invoices: n, failed: n, marked: 0 });
  const message = doc.invoices[0]!.error!.message;
  expect(message).toMatch(where);
  const run = /\(run (\S+)\)/.exec(message)![1]!;
  expect(message).toContain(`run this command again with --handed-over ${run}`);
  expect(message).toContain(`if not, with --not-handed-over ${run}`);
  const ops = w!.sandbox.state().counters.erpOps;
  expect(doc.invoices.map((i) => ops[i.id!]?.['mark_in_erp'] ?? 0)).toEqual(doc.invoices.map((i) => markedBefore(i.id!)));
  expect(idsIn(out)).toEqual([]);
  return run;
}

describe('export --mark-in-erp killed before its rename, its temporary file deleted since, no file at the path', () => {
  it('is undecided: nothing marked, nothing written, exit 4 — run after run until settled', async () => {
    await loaded();
    const out = join(w!.dir, 'u.csv');
    await killedBeforeRenameTmpDeleted(out);
    expect(existsSync(out)).toBe(false);
    const run = await undecided(out, 5, /^the export of \d{4}-\d\d-\d\d \d\d:\d\d UTC \(run \S+\) wrote this invoice into its file and was cut short; its temporary file \(\.u\.csv\.\d+\.\d+\.tmp\) is gone and .*u\.csv is not there, so it cannot be told whether that file was put in place \(and finance has taken it\) or never was/);
    // The run that said so left a file (of none); the next one asks again, about the same run.
    expect(await undecided(out, 5, /holds another file than the one it wrote/)).toBe(run);
  });

  it('the runs that ask hand over the invoices newly waiting meanwhile; each names the undecided run for the next', async () => {
    // The cut-short run hands over the seed's one invoice waiting; the batch's four come after it.
    w = await world();
    const out = join(w.dir, 'n.csv');
    await killedBeforeRenameTmpDeleted(out);
    const more = await w.load([BATCH]);
    expect(more.code, more.stderr).toBe(0);
    const asked = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(asked.code, asked.stderr).toBe(4);
    const fresh = asked.doc!.invoices.filter((i) => i.status === 'marked').map((i) => i.id!).sort();
    expect(fresh).toHaveLength(4);
    expect(asked.doc!.invoices.filter((i) => i.error?.code === 'HANDOVER_UNDECIDED')).toHaveLength(1);
    expect(idsIn(out)).toEqual(fresh);
    // That file taken by finance: the next run hands over none of it again, and asks again about the one.
    renameSync(out, `${out}.taken`);
    const run = await undecided(out, 1, /n\.csv is not there/);
    const settled = await cli(['export', '--mark-in-erp', '-o', out, '--not-handed-over', run]);
    expect(settled.code, settled.stderr).toBe(0);
    expect(idsIn(out)).toHaveLength(1);
    expect(idsIn(out).filter((id) => fresh.includes(id))).toEqual([]);
    expect(marks(w)).toEqual([1, 1, 1, 1, 1]);
  });

  it.each([
    ['--not-handed-over', 5, ['marked', 'marked', 'marked', 'marked', 'marked']],
    ['--handed-over', 0, ['marked', 'marked', 'marked', 'marked', 'marked']],
  ])('settled with %s RUN: written into the new file (not handed over) or only marked (handed over); each marked once; settled for good', async (flag, inFile, statuses) => {
    await loaded();
    const out = join(w!.dir, 's.csv');
    await killedBeforeRenameTmpDeleted(out);
    const run = await undecided(out, 5, /s\.csv is not there/);
    const settled = await cli(['export', '--mark-in-erp', '-o', out, flag, run]);
    expect(settled.code, settled.stderr).toBe(0);
    expect(settled.doc!.invoices.map((i) => i.status)).toEqual(statuses);
    expect(idsIn(out)).toHaveLength(inFile);
    expect(settled.doc!.issues.map((i) => i.code)).toEqual(flag === '--handed-over' ? ['handed_over_before'] : []);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
    // The same command again, the option still given (a cron line not cleaned up): nothing to settle, nothing done twice.
    renameSync(out, `${out}.taken`);
    const stale = await cli(['export', '--mark-in-erp', '-o', out, flag, run]);
    expect(stale.code, stale.stderr).toBe(0);
    expect(stale.stderr).toContain(`${flag} ${run}: the hand-over of that export is not undecided: it was settled with ${flag} by the export of`);
    expect(stale.doc!.summary.invoices).toBe(0);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });

  it('an option naming no recorded run, or given without --mark-in-erp, or both at once, is exit 2 and settles nothing', async () => {
    await loaded();
    const out = join(w!.dir, 'x.csv');
    await killedBeforeRenameTmpDeleted(out);
    const run = await undecided(out, 5, /x\.csv is not there/);
    const wrong = await cli(['export', '--mark-in-erp', '-o', out, '--handed-over', '2020-01-01T00:00:00.000Z']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--handed-over 2020-01-01T00:00:00.000Z: no --mark-in-erp export to');
    const plain = await cli(['export', '-o', out, '--handed-over', run]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('give it with --mark-in-erp');
    const both = await cli(['export', '--mark-in-erp', '-o', out, '--handed-over', run, '--not-handed-over', run]);
    expect(both.code).toBe(2);
    await undecided(out, 5, /x\.csv holds another file/);
  });
});

describe('export --mark-in-erp killed before its rename, its temporary file deleted since, the file before it still in place', () => {
  it('never put in place (the file it would have replaced is there as it was): the next run carries that file\'s invoices, no question asked', async () => {
    await loaded();
    const out = join(w!.dir, 'b.csv');
    const first = await cli(['export', '--mark-in-erp', '-o', out], { KILL_PAT: MARK_DONE, KILL_N: '2' });
    expect(first.signal, first.stderr).toBe('SIGKILL');
    const held = readFileSync(out);
    await killedBeforeRenameTmpDeleted(out);
    expect(readFileSync(out).equals(held)).toBe(true);
    const done = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.doc!.summary.failed).toBe(0);
    expect(idsIn(out)).toHaveLength(5);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('export --mark-in-erp killed right after its rename', () => {
  it('its file still there as written: put in place, no question asked — the next run carries and marks its invoices', async () => {
    await loaded();
    const out = join(w!.dir, 'p.csv');
    const cut = await cli(['export', '--mark-in-erp', '-o', out], { KILL_RENAME: 'p.csv' });
    expect(cut.signal, cut.stderr).toBe('SIGKILL');
    expect(tmpsOf(out)).toEqual([]);
    const again = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc!.invoices.map((i) => i.status)).toEqual(['marked', 'marked', 'marked', 'marked', 'marked']);
    expect(idsIn(out)).toHaveLength(5);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });

  it('its file taken by finance: undecided (a deleted temporary file looks the same); --handed-over marks them, writes none again', async () => {
    await loaded();
    const out = join(w!.dir, 't.csv');
    const cut = await cli(['export', '--mark-in-erp', '-o', out], { KILL_RENAME: 't.csv' });
    expect(cut.signal, cut.stderr).toBe('SIGKILL');
    renameSync(out, `${out}.taken`);
    const run = await undecided(out, 5, /t\.csv is not there/);
    const settled = await cli(['export', '--mark-in-erp', '-o', out, '--handed-over', run]);
    expect(settled.code, settled.stderr).toBe(0);
    expect(settled.doc!.invoices.map((i) => i.status)).toEqual(['marked', 'marked', 'marked', 'marked', 'marked']);
    expect(idsIn(out)).toEqual([]);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });
});

/** The ids marked in Alma (once or more). */
const markedIds = (w: World): string[] =>
  Object.entries(w.sandbox.state().counters.erpOps)
    .filter(([, o]) => (o['mark_in_erp'] ?? 0) > 0)
    .map(([id]) => id)
    .sort();
/** The ids that are in two of `files` (each the ids of one file finance has). */
const inTwo = (files: string[][]): string[] => {
  const all = files.flat();
  return [...new Set(all.filter((id, i) => all.indexOf(id) !== i))].sort();
};

describe('export --mark-in-erp undecided: a file of no invoice row, or a later run\'s, tells nothing of the run', () => {
  it('a header-only file before A and after it (a run that asks writes one) does not decide A "never put in place": asked again, then --handed-over — none doubled', async () => {
    w = await world();
    const out = join(w.dir, 'h.csv');
    // Night 0: the seed's invoice handed over, its file taken; night 1: nothing waiting, a header-only file.
    expect((await cli(['export', '--mark-in-erp', '-o', out])).code).toBe(0);
    renameSync(out, `${out}.n0`);
    expect((await cli(['export', '--mark-in-erp', '-o', out])).code).toBe(0);
    const header = readFileSync(out);
    expect((await w.load([BATCH])).code).toBe(0);
    // Night 2: A killed right after its rename (its `over`: the header-only file); finance takes A's file.
    const a = await cli(['export', '--mark-in-erp', '-o', out], { KILL_RENAME: 'h.csv' });
    expect(a.signal, a.stderr).toBe('SIGKILL');
    renameSync(out, `${out}.A`);
    const inA = idsIn(`${out}.A`);
    expect(inA).toHaveLength(4);
    // Night 3: B asks, and writes a header-only file, as A's `over` was.
    const run = await undecided(out, 4, /h\.csv is not there/);
    expect(readFileSync(out).equals(header)).toBe(true);
    // Night 4: that file is B's, not the one A found: A is still undecided.
    expect(await undecided(out, 4, /h\.csv holds another file than the one it wrote/)).toBe(run);
    const settled = await cli(['export', '--mark-in-erp', '-o', out, '--handed-over', run]);
    expect(settled.code, settled.stderr).toBe(0);
    expect(idsIn(out)).toEqual([]);
    expect(inTwo([idsIn(`${out}.n0`), inA, idsIn(out)])).toEqual([]);
    expect(marks(w)).toEqual([1, 1, 1, 1, 1]);
  });

  it('K3: a --not-handed-over run killed right after its rename, its file taken: the next asks about it, and --handed-over it is honoured (none written again)', async () => {
    await loaded();
    const out = join(w!.dir, 'k3.csv');
    await killedBeforeRenameTmpDeleted(out);
    const run = await undecided(out, 5, /k3\.csv is not there/);
    const s = await cli(['export', '--mark-in-erp', '-o', out, '--not-handed-over', run], { KILL_RENAME: 'k3.csv' });
    expect(s.signal, s.stderr).toBe('SIGKILL');
    renameSync(out, `${out}.taken`);
    const inS = idsIn(`${out}.taken`);
    expect(inS).toHaveLength(5);
    const run2 = await undecided(out, 5, /k3\.csv is not there/);
    expect(run2).not.toBe(run);
    // The file there now is the asking run's header alone, as the one the settling run found was.
    const t = await cli(['export', '--mark-in-erp', '-o', out, '--handed-over', run2]);
    expect(t.code, t.stderr).toBe(0);
    expect(idsIn(out)).toEqual([]);
    expect(inTwo([inS, idsIn(out)])).toEqual([]);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });
});

/**
 * A (killed after its second mark: its file of five in place, three unmarked); B carries all five
 * out of A's file into none of its own (another live run claims them, faked), so its file is the
 * header alone, and B is killed at `kill`.
 */
async function aThenCarriesOnlyB(out: string, kill: Record<string, string>): Promise<void> {
  const a = await cli(['export', '--mark-in-erp', '-o', out], { KILL_PAT: MARK_DONE, KILL_N: '2' });
  expect(a.signal, a.stderr).toBe('SIGKILL');
  const dir = join(w!.stateDir, 'journals');
  const claims = readdirSync(dir).filter((f) => f.startsWith('export-') && f.endsWith('.jsonl.claims'));
  const other = join(dir, claims[0]!.replace(/-[^-]+\.jsonl\.claims$/, '-another1.jsonl'));
  const started = new Date().toISOString();
  writeFileSync(`${other}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), started, pstart: processStart(process.pid) }) + '\n');
  writeFileSync(`${other}.claims`, JSON.stringify({ pid: process.pid, started, keys: JSON.parse(readFileSync(join(dir, claims[0]!), 'utf8')).keys }) + '\n');
  const b = await cli(['export', '--mark-in-erp', '-o', out], kill);
  expect(b.signal, b.stderr).toBe('SIGKILL');
  unlinkSync(`${other}.lock`);
  unlinkSync(`${other}.claims`);
}

describe('export --mark-in-erp undecided: a run whose invoices were all carried out of its file (its file the header alone)', () => {
  it('C2: B never put in place, A\'s file taken; a later header-only file does not decide B "put in place": asked again; --not-handed-over B leaves them in A\'s file', async () => {
    await loaded();
    const out = join(w!.dir, 'c2.csv');
    await aThenCarriesOnlyB(out, { KILL_PAT: '"ended":false' });
    unlinkSync(tmpsOf(out)[0]!);
    renameSync(out, `${out}.A`);
    const inA = idsIn(`${out}.A`);
    expect(inA).toHaveLength(5);
    const run = await undecided(out, 5, /c2\.csv is not there/);
    expect(await undecided(out, 5, /c2\.csv holds a file with no invoice row/)).toBe(run);
    const d = await cli(['export', '--mark-in-erp', '-o', out, '--not-handed-over', run]);
    expect(d.code, d.stderr).toBe(0);
    expect(idsIn(out)).toEqual([]);
    expect(markedIds(w!).filter((id) => !inA.includes(id))).toEqual([]);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });

  it('C3: B never put in place, A\'s file taken; --not-handed-over B right after the run that asked is honoured: none of A\'s written again', async () => {
    await loaded();
    const out = join(w!.dir, 'c3.csv');
    await aThenCarriesOnlyB(out, { KILL_PAT: '"ended":false' });
    unlinkSync(tmpsOf(out)[0]!);
    renameSync(out, `${out}.A`);
    const inA = idsIn(`${out}.A`);
    const run = await undecided(out, 5, /c3\.csv is not there/);
    const d = await cli(['export', '--mark-in-erp', '-o', out, '--not-handed-over', run]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stderr).not.toContain('not undecided');
    expect(idsIn(out).filter((id) => inA.includes(id))).toEqual([]);
    expect(markedIds(w!).filter((id) => !inA.includes(id))).toEqual([]);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });

  it('C4: B put in place and taken (empty), the question is of B\'s file and tells a carried invoice is not in it; answered truly (--handed-over), every marked invoice is in a file finance has', async () => {
    await loaded();
    const out = join(w!.dir, 'c4.csv');
    await aThenCarriesOnlyB(out, { KILL_RENAME: 'c4.csv' });
    renameSync(out, `${out}.B`);
    expect(idsIn(`${out}.B`)).toEqual([]);
    const c = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(c.code, c.stderr).toBe(4);
    const message = c.doc!.invoices[0]!.error!.message;
    const run = /\(run (\S+)\)/.exec(message)![1]!;
    expect(message).toMatch(/^the export of .* \(run \S+\) carried this invoice out of the file of the export of .* \(run \S+\), leaving it out of its own file, and was cut short;/);
    expect(message).toContain('Did finance receive the file that run wrote at');
    expect(message).toContain('(0 invoices, a header alone; not this one)?');
    expect(message).toContain(`--handed-over ${run} (that file replaced the earlier one, so this invoice is in no file finance has: it is written into the new file and marked)`);
    expect(message).toContain(`--not-handed-over ${run} (that file never replaced the earlier one, so this invoice stays handed over in it: marked, not written again`);
    renameSync(out, `${out}.C`);
    const d = await cli(['export', '--mark-in-erp', '-o', out, '--handed-over', run]);
    expect(d.code, d.stderr).toBe(0);
    const files = [idsIn(`${out}.B`), idsIn(`${out}.C`), idsIn(out)];
    expect(idsIn(out)).toHaveLength(5);
    expect(markedIds(w!).filter((id) => !files.flat().includes(id))).toEqual([]);
    expect(inTwo(files)).toEqual([]);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('export --mark-in-erp: an answer that contradicts what was decided is refused', () => {
  it('--not-handed-over a run settled --handed-over is exit 2: nothing written, nothing marked', async () => {
    await loaded();
    const out = join(w!.dir, 'r.csv');
    await killedBeforeRenameTmpDeleted(out);
    const run = await undecided(out, 5, /r\.csv is not there/);
    expect((await cli(['export', '--mark-in-erp', '-o', out, '--handed-over', run])).code).toBe(0);
    const held = readFileSync(out);
    const against = await cli(['export', '--mark-in-erp', '-o', out, '--not-handed-over', run]);
    expect(against.code).toBe(2);
    expect(against.stderr).toContain(`--not-handed-over ${run}: the hand-over of that export is not undecided: it was settled with --handed-over by the export of`);
    expect(against.stderr).toContain('nothing is written nor marked');
    expect(readFileSync(out).equals(held)).toBe(true);
    expect(marks(w!)).toEqual([1, 1, 1, 1, 1]);
  });

  it('--handed-over a run whose temporary file is still there (stopped before its rename) is exit 2', async () => {
    await loaded();
    const out = join(w!.dir, 'v.csv');
    const cut = await cli(['export', '--mark-in-erp', '-o', out], { KILL_PAT: '"ended":false' });
    expect(cut.signal, cut.stderr).toBe('SIGKILL');
    const handover = readdirSync(join(w!.stateDir, 'journals')).find((f) => f.startsWith('handover-') && f.endsWith('.jsonl'))!;
    const lines = readFileSync(join(w!.stateDir, 'journals', handover), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { t: string; batch: string });
    const run = lines.find((e) => e.t === 'file')!.batch;
    const against = await cli(['export', '--mark-in-erp', '-o', out, '--handed-over', run]);
    expect(against.code).toBe(2);
    expect(against.stderr).toContain('its temporary file');
    expect(against.stderr).toContain('is still there');
    expect(existsSync(out)).toBe(false);
    expect(markedIds(w!)).toEqual([]);
  });
});

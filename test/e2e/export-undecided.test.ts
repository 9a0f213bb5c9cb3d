/**
 * `export --mark-in-erp` cut short, its temporary file gone: whether its file was put in place is
 * told by the file at the path (there as written: put in place; there as it was before: never),
 * and where nothing tells it — no file there — the hand-over is undecided: its invoices are
 * neither written again nor marked (HANDOVER_UNDECIDED, exit 4) until the person settles it
 * (`--handed-over RUN`, `--not-handed-over RUN`). Against the sandbox; kills by
 * test/helpers/kill-preload.cjs (SIGKILL right after a chosen journal write or rename).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonDoc, runCli, type CliResult } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';
import type { LifecycleReport } from '../../src/report/lifecycle.js';

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
  expect(marks(w!).filter((m) => m > 0)).toEqual([]);
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
    expect(stale.stderr).toContain(`${flag} ${run}: the hand-over of that export is not undecided`);
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

/**
 * A report file that cannot be written once the run has sent (its folder made a file, a full
 * disk): never exit 2, which says nothing was sent (README "Exit codes"). The run's own code
 * stands, a success becomes 1, and the message says the load happened and where its record is.
 * The folder is replaced while the load waits on a FIFO, after the output paths were checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnCli } from '../helpers/cli.js';
import { sampleSubset, world, type World } from '../helpers/sandbox.js';
import type { ReportDocument } from '../../src/report/report.js';

let w: World;
beforeAll(async () => {
  w = await world({ readOnlyKeys: ['read-only-key'] });
});
afterAll(async () => w?.close());

/** Resolves once `read()` holds `what` (the CLI is blocked on the FIFO, so only its output can tell). */
const until = async (read: () => string, what: string): Promise<void> => {
  const deadline = Date.now() + 20_000;
  while (!read().includes(what)) {
    if (Date.now() > deadline) throw new Error(`not seen: ${what}; stderr so far: ${JSON.stringify(read())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** A --json load of `vendor`'s rows of the sample batch through a FIFO whose report folder becomes a file once the paths were checked. */
async function loadWithReportFolderGone(name: string, vendor: string, state = `${name}-state`, key = 'e2e-test-key') {
  const file = sampleSubset(w.dir, [vendor], `${name}-rows.csv`);
  const fifo = join(w.dir, `${name}.csv`);
  execFileSync('mkfifo', [fifo]);
  const late = join(w.dir, `${name}-late`);
  mkdirSync(late);
  const report = join(late, 'r.json');
  let stderr = '';
  const run = spawnCli(['--json', '--verbose', '--rate', '200', '--poll-timeout', '5', '--report', report, fifo], {
    env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: key, INVOICE_LOAD_STATE_DIR: join(w.dir, state) },
    timeoutMs: 40_000,
  });
  run.child.stderr.on('data', (d: string) => (stderr += d));
  await until(() => stderr, `waiting for a writer on ${fifo}`);
  rmSync(late, { recursive: true });
  writeFileSync(late, 'not a folder');
  await writeFile(fifo, readFileSync(file));
  const r = await run.done;
  return { ...r, late, report, doc: JSON.parse(r.stdout) as ReportDocument };
}

describe('the report cannot be written after the load (review: cron, item 1)', () => {
  it('a load that was otherwise a success: exit 1, not 2, the folder named in words, the load said to have happened', async () => {
    const r = await loadWithReportFolderGone('ok', 'GOBI');
    expect(r.code, r.stderr).toBe(1);
    expect(r.doc.summary.failed).toBe(0);
    expect(r.doc.summary.loaded + r.doc.summary.in_review).toBe(r.doc.summary.invoices);
    expect(r.stderr).toContain(`invoice-load: cannot write the report to ${r.report}: ${r.late} is not a folder`);
    expect(r.stderr).toContain('what it sent is in the journal, and the JSON document on standard output is its record');
    expect(r.stderr).not.toMatch(/ENOTDIR|EEXIST/);
  });

  it('a re-run that writes nothing says so: look-ups only, the run\'s code (0 becomes 1); its journal finished, no request at all: the usage error, exit 2', async () => {
    const first = await w.load([sampleSubset(w.dir, ['BLACKWELL'], 'first-rows.csv')], { stateDir: join(w.dir, 'first-state') });
    expect(first.code, first.stderr).toBe(0);
    // Another journal: the look-ups find every invoice loaded, and nothing is written.
    const looked = await loadWithReportFolderGone('looked', 'BLACKWELL');
    expect(looked.code, looked.stderr).toBe(1);
    expect(looked.doc.summary).toMatchObject({ already_loaded: looked.doc.summary.invoices });
    expect(looked.doc.summary.requests).toBeGreaterThan(0);
    expect(looked.stderr).toContain(`invoice-load: cannot write the report to ${looked.report}: ${looked.late} is not a folder`);
    expect(looked.stderr).toContain('The run wrote nothing to Alma (only look-ups were sent): its invoices were done already or held back, and the JSON document on standard output is its record');
    expect(looked.stderr).not.toContain('what it sent is in the journal');
    // The first run's journal: every invoice finished there, so not even a look-up is sent.
    const finished = await loadWithReportFolderGone('finished', 'BLACKWELL', 'first-state');
    expect(finished.doc.summary).toMatchObject({ already_loaded: finished.doc.summary.invoices, requests: 0 });
    expect(finished.code, finished.stderr).toBe(2);
    expect(finished.stderr).toContain(`cannot write the report to ${finished.report}: ${finished.late} is not a folder`);
    expect(finished.stderr).not.toContain('what it sent is in the journal');
  });

  it('a load whose every create is refused: exit 4 as without the report, not 2', async () => {
    w.sandbox.setFaults({ faults: [{ step: 'create', kind: 'business', times: 1000 }] });
    try {
      const r = await loadWithReportFolderGone('refused', 'EBSCO');
      expect(r.code, r.stderr).toBe(4);
      expect(r.doc.summary.failed).toBe(r.doc.summary.invoices);
      expect(r.stderr).toContain(`cannot write the report to ${r.report}: ${r.late} is not a folder`);
      // Each create was answered 4xx: nothing was written, and the line says so.
      expect(r.stderr).toContain('The run wrote nothing to Alma (it refused the writes sent, besides the look-ups): what it did not refuse was done already or held back');
      expect(r.stderr).not.toContain('what it sent is in the journal');
    } finally {
      w.sandbox.setFaults({ faults: [] });
    }
  });

  it('a read-only key, its first create refused: exit 5, the run stopped before writing anything (README "Exit codes", row 5)', async () => {
    const before = w.sandbox.state().invoices.length;
    const r = await loadWithReportFolderGone('read-only', 'HARRAS', 'read-only-state', 'read-only-key');
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(`invoice-load: cannot write the report to ${r.report}: ${r.late} is not a folder`);
    expect(r.stderr).toContain('The run stopped before writing anything: nothing was written to Alma (it refused the writes sent, besides the look-ups), and the JSON document on standard output is its record');
    expect(r.stderr).not.toContain('what it sent is in the journal');
    expect(w.sandbox.state().invoices.length).toBe(before);
  });
});

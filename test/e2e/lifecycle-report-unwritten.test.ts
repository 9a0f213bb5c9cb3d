/**
 * `export` and `payments` whose report file cannot be written once Alma was asked (README "Exit
 * codes"): the run's own code stands, and the line after it says what the run wrote — marks or
 * payments sent ("what it sent is in the journal"), or nothing written to Alma (every invoice
 * marked or paid already, only read, or each write refused) — not that the journal holds what it
 * sent. The report's folder is made a file while the command waits on its API key file, a FIFO:
 * after the output paths were checked, before the first request. Payments held back by their
 * own rows read no key: there the rows are the FIFO, and the line says nothing was sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, spawnCli } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';
import type { LifecycleReport } from '../../src/report/lifecycle.js';

const BATCH = 'fixtures/round-trip/batch.csv';
const PAYMENTS = 'fixtures/round-trip/payments.csv';
const KEY = 'e2e-test-key';
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** The round-trip batch loaded: four invoices waiting to be sent (and the seed's one). */
async function loaded(opts: Parameters<typeof world>[0] = {}): Promise<World> {
  w = await world(opts);
  const res = await w.load([BATCH]);
  expect(res.code, res.stderr).toBe(0);
  return w;
}

/** Runs `args` against the sandbox, its report written as usual. */
const cli = (args: string[]) =>
  runCli([...args, '--json', '--rate', '200'], { env: { ALMA_API_URL: w!.sandbox.url, ALMA_API_KEY: KEY, INVOICE_LOAD_STATE_DIR: w!.stateDir } });

let runs = 0;
/** Runs `args` (--json) with the report's folder made a file while the key is read from a FIFO. */
async function reportGone(args: string[], key = KEY) {
  const n = ++runs;
  const fifo = join(w!.dir, `key-${n}`);
  execFileSync('mkfifo', ['-m', '600', fifo]);
  const late = join(w!.dir, `late-${n}`);
  mkdirSync(late);
  const report = join(late, 'r.json');
  const run = spawnCli([...args, '--json', '--rate', '200', '--poll-timeout', '5', '--api-key-file', fifo, '--report', report], {
    env: { ALMA_API_URL: w!.sandbox.url, INVOICE_LOAD_STATE_DIR: w!.stateDir },
    timeoutMs: 40_000,
  });
  // Opened for writing once the command opened it to read the key: its paths were checked.
  const writer = await open(fifo, 'w');
  rmSync(late, { recursive: true });
  writeFileSync(late, 'not a folder');
  await writer.writeFile(key);
  await writer.close();
  const r = await run.done;
  return { ...r, doc: JSON.parse(r.stdout) as LifecycleReport, unwritten: `cannot write the report to ${report}: ${late} is not a folder` };
}

const wentAhead = 'The run itself went ahead: what it sent is in the journal, and the JSON document on standard output is its record';

describe('export: the report cannot be written after the run', () => {
  it('marks sent: exit 1, the run went ahead; every invoice marked already (a second export): exit 1, nothing written to Alma', async () => {
    await loaded();
    const marked = await reportGone(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')]);
    expect(marked.code, marked.stderr).toBe(1);
    expect(marked.doc.summary).toMatchObject({ marked: 5, failed: 0 });
    expect(marked.stderr).toContain(marked.unwritten);
    expect(marked.stderr).toContain(wentAhead);

    const again = await reportGone(['export', '--mark-in-erp', '-o', join(w!.dir, 'e2.csv')]);
    expect(again.code, again.stderr).toBe(1);
    expect(again.doc.summary).toMatchObject({ marked: 0, failed: 0 });
    expect(again.stderr).toContain(again.unwritten);
    expect(again.stderr).toContain('The run wrote nothing to Alma (only look-ups were sent): its invoices were done already or held back, and the JSON document on standard output is its record');
    expect(again.stderr).not.toContain('what it sent is in the journal');
  });

  it('without --mark-in-erp: exit 1, Alma only read', async () => {
    await loaded();
    const r = await reportGone(['export', '-o', join(w!.dir, 'e.csv')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.doc.summary).toMatchObject({ exported: 5 });
    expect(r.stderr).toContain(r.unwritten);
    expect(r.stderr).toContain('The run wrote nothing to Alma (only look-ups were sent): without --mark-in-erp an export marks none');
    expect(r.stderr).not.toContain('what it sent is in the journal');
  });
});

describe('payments: the report cannot be written after the run', () => {
  it('every invoice paid or rejected already (the same file again): exit 1, nothing written to Alma', async () => {
    await loaded();
    const exported = await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')]);
    expect(exported.code, exported.stderr).toBe(0);
    const first = await cli(['payments', PAYMENTS]);
    expect(first.code, first.stderr).toBe(0);
    // The same file again: its journal holds every answer, and the reads find them in Alma.
    const again = await reportGone(['payments', PAYMENTS]);
    expect(again.code, again.stderr).toBe(1);
    expect(again.doc.summary).toMatchObject({ already_done: 3, failed: 0 });
    expect(again.stderr).toContain(again.unwritten);
    expect(again.stderr).toContain('The run wrote nothing to Alma (only look-ups were sent): its invoices were done already or held back');
    expect(again.stderr).not.toContain('what it sent is in the journal');
  });

  it('a read-only key, its first payment refused: exit 5, the run stopped before writing anything', async () => {
    await loaded({ readOnlyKeys: ['read-only-key'] });
    const exported = await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')]);
    expect(exported.code, exported.stderr).toBe(0);
    const r = await reportGone(['payments', PAYMENTS], 'read-only-key');
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(r.unwritten);
    expect(r.stderr).toContain('The run stopped before writing anything: nothing was written to Alma (it refused the writes sent, besides the look-ups)');
    expect(r.stderr).not.toContain('what it sent is in the journal');
    expect(w!.sandbox.state().invoices.filter((i) => i.payment.voucher_number !== '')).toEqual([]);
  });
});

describe('payments held back by what the look-ups found, the report unwritable', () => {
  it('an invoice Alma does not hold: exit 2 (nothing written), the line why nothing was written said, and true: look-ups were sent', async () => {
    await loaded();
    const file = join(w!.dir, 'unknown.csv');
    writeFileSync(file, readFileSync(PAYMENTS, 'utf8').trimEnd() + '\nHARRAS,NO-SUCH-INVOICE,paid,V-2025-0499,2025-04-20,10.00,EUR,\n');
    const r = await reportGone(['payments', file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.doc).toMatchObject({ command: 'payments', dry_run: false });
    expect(r.stderr).toContain(r.unwritten);
    expect(r.stderr).toContain("Nothing was written to Alma (only look-ups were sent): fix the problems listed in the report's issues, or pass --skip-invalid to send the valid rows only.");
    expect(r.stderr).not.toContain('Nothing was sent');
    expect(w!.sandbox.state().invoices.filter((i) => i.payment.voucher_number !== '')).toEqual([]);
  });
});

describe('payments held back by their own rows, the report unwritable', () => {
  it('a paid row without its voucher: exit 2, the line why nothing was sent said, and true: no request reached Alma', async () => {
    w = await world();
    // The rows come through a FIFO, so the report's folder is made a file after the output paths
    // were checked and before the rows are: the key is never read on this path (nothing is sent).
    const input = join(w.dir, 'rows.csv');
    execFileSync('mkfifo', ['-m', '600', input]);
    const late = join(w.dir, 'late-rows');
    mkdirSync(late);
    const report = join(late, 'r.json');
    const before = w.sandbox.state().counters.requestsTotal;
    const run = spawnCli(['payments', '--json', '--report', report, input], {
      env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: KEY, INVOICE_LOAD_STATE_DIR: w.stateDir },
      timeoutMs: 40_000,
    });
    // Opened for writing once the command opened the rows to read them: its paths were checked.
    const writer = await open(input, 'w');
    rmSync(late, { recursive: true });
    writeFileSync(late, 'not a folder');
    const rows = readFileSync(PAYMENTS, 'utf8').split('\n');
    await writer.writeFile([...rows.slice(0, 2), 'EBSCO,EBS-9107-25,paid,,2025-04-20,340.00,USD,', ''].join('\n'));
    await writer.close();
    const r = await run.done;
    expect(r.code, r.stderr).toBe(2);
    const doc = JSON.parse(r.stdout) as LifecycleReport;
    expect(doc).toMatchObject({ command: 'payments', dry_run: false, summary: { invalid: 1, planned: 1, requests: 0 } });
    expect(r.stderr).toContain("Nothing was sent: fix the problems listed in the report's issues, or pass --skip-invalid to send the valid rows only.");
    expect(r.stderr).toContain(`invoice-load: cannot write the report to ${report}: ${late} is not a folder`);
    expect(r.stderr).not.toContain('look-ups were sent');
    expect(w.sandbox.state().counters.requestsTotal).toBe(before);
  });
});

describe('a dry run whose report cannot be written after its reads', () => {
  it('export --dry-run and payments --dry-run --online: exit 2 (nothing sent), the --json document on standard output as usual', async () => {
    await loaded();
    const exp = await reportGone(['export', '--mark-in-erp', '--dry-run', '-o', join(w!.dir, 'e.csv')]);
    expect(exp.code, exp.stderr).toBe(2);
    expect(exp.doc).toMatchObject({ command: 'export', dry_run: true, summary: { planned: 5 } });
    expect(exp.stderr).toContain(exp.unwritten);
    const pay = await reportGone(['payments', '--dry-run', '--online', PAYMENTS]);
    expect(pay.code, pay.stderr).toBe(2);
    expect(pay.doc).toMatchObject({ command: 'payments', dry_run: true });
    expect(pay.stderr).toContain(pay.unwritten);
    for (const r of [exp, pay]) expect(r.stderr).not.toContain('went ahead');
  });
});

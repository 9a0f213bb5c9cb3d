/**
 * `verify` of a batch with a problem of a file, not of one invoice (a header with a column twice):
 * a load refuses such a batch whole, so no load sent it as it reads now. Verify read every
 * invoice back all the same, and one that differed made it exit 4 beside the file's error; it
 * now stops as the load does — nothing looked up, the file's problem said, exit 3 (README
 * "invoice-load verify").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import type { VerifyReport } from '../../src/report/verify.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('invoice-load verify of a batch with a file-level error', () => {
  it('says the problem, looks nothing up and exits 3, even where an invoice would differ', async () => {
    dir = mkdtempSync(join(tmpdir(), 'verify-file-error-'));
    const env = { INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const sample = join(ROOT, 'fixtures/sample-batch.csv');
    expect((await runCli(['--sandbox', sample], { env })).code).toBe(0);
    // A column twice in the header (an error of the file), and one invoice's date changed.
    const lines = readFileSync(sample, 'utf8').trimEnd().split('\n');
    const text = lines.map((l, i) => `${l},${i === 0 ? 'Line_Note' : 'x'}`).join('\n').replace(/^G-24118,2025-03-03/m, 'G-24118,2025-03-04') + '\n';
    const file = join(dir, 'twice.csv');
    writeFileSync(file, text);
    const res = await runCli(['verify', '--sandbox', '--json', file], { env });
    expect(res.code, res.stderr).toBe(3);
    const report = JSON.parse(res.stdout) as VerifyReport;
    expect(report.issues.map((p) => [p.code, p.row, p.column])).toEqual([['duplicate_column', 1, 'line_note']]);
    expect(report.summary.requests).toBe(0);
    expect(new Set(report.invoices.map((i) => i.status))).toEqual(new Set(['invalid']));
    expect(res.stderr).toContain('Nothing was looked up');
    expect(res.stderr).toContain('[duplicate_column]');
    // The whole file still verifies: exit 0.
    expect((await runCli(['verify', '--sandbox', sample], { env })).code).toBe(0);
  }, 60_000);

  it("a clean file's invoices, held back by another file's error, say so: not \"0 errors\"", async () => {
    dir = mkdtempSync(join(tmpdir(), 'verify-file-error-'));
    const env = { INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const sample = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'));
    const cut = join(dir, 'cut.csv');
    writeFileSync(cut, sample.subarray(0, sample.length - 45));
    const good = join(dir, 'good.csv');
    writeFileSync(good, readFileSync(join(ROOT, 'fixtures/valid-small.csv')));
    const res = await runCli(['verify', '--sandbox', cut, good], { env });
    expect(res.code, res.stderr).toBe(3);
    const said = res.stdout + res.stderr;
    for (const number of ['A-1001', 'EB-5', 'NB-77']) expect(said).toMatch(new RegExp(`^invalid +\\S+ +${number} +not looked up: the batch's error, see below$`, 'm'));
    expect(said).toMatch(/^invalid +GOBI +G-24118 +its file's error, see below$/m);
    expect(said).not.toContain('0 errors');
    // Counted as held back, not as invalid: nothing of theirs is wrong.
    expect(said).toContain("10 invoices: 0 match, 7 invalid (not looked up), 3 held back by the batch's error (not looked up); 1 error, 0 warnings in the file.");
  }, 60_000);
});

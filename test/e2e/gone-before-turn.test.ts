/**
 * The built CLI with a file deleted between the check of every input and its turn to be read
 * (test/helpers/gone-preload.cjs): the file's file_changed error, the other file read, nothing
 * sent, the report written, exit 3 — not `cannot read` with exit 2 after the first file was read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, runCli } from '../helpers/cli.js';
import type { ReportDocument } from '../../src/report/report.js';

const PRELOAD = fileURLToPath(new URL('../helpers/gone-preload.cjs', import.meta.url));

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('a file deleted before its turn to be read', () => {
  it('is file_changed for that file: nothing sent, the report written, exit 3', async () => {
    dir = mkdtempSync(join(tmpdir(), 'invoice-load-gone-'));
    const text = readFileSync(join(ROOT, 'fixtures/valid-small.csv'), 'utf8');
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    writeFileSync(a, text);
    writeFileSync(b, text.replace(/A-1001/g, 'Z-1001').replace(/EB-5/g, 'ZB-5').replace(/NB-77/g, 'ZN-77'));
    const report = join(dir, 'r.json');
    const env = { INVOICE_LOAD_STATE_DIR: join(dir, 'state'), NODE_OPTIONS: `--require ${PRELOAD}`, GONE_AT: 'b.csv' };
    const res = await runCli(['--sandbox', '--report', report, a, b], { env });
    expect(res.code, res.stderr).toBe(3);
    expect(res.stdout).toContain('file: error the file changed before it was read (no such file or folder): it could be read when the run began, and was moved, deleted or replaced since; nothing of it was read. Run again once it is in place [file_changed]');
    expect(res.stderr).toContain('Nothing was sent');
    expect(res.stderr).not.toContain('cannot read');
    expect(existsSync(report)).toBe(true);
    const doc = JSON.parse(readFileSync(report, 'utf8')) as ReportDocument;
    expect(doc.summary.requests).toBe(0);
    expect(doc.issues.map((p) => [p.file, p.code])).toEqual([[b, 'file_changed']]);
    expect(doc.invoices.map((i) => [i.number, i.status])).toEqual([
      ['A-1001', 'planned'],
      ['EB-5', 'planned'],
      ['NB-77', 'planned'],
    ]);
  }, 60_000);

  // A JSON input is read again for the rejects file (cli/rejects.ts writeCanonical): only the
  // files a rejected row comes from, and one that cannot be opened then is not the run's failure.
  const line = (number: string, total: string): Record<string, string> => ({
    vendor: 'GOBI', invoice_number: number, invoice_date: '2026-01-15', total_amount: total, currency: 'USD', line_number: '1', price: '10.00', quantity: '1', fund_code: 'BOOKS',
  });
  const jsonInputs = (): { a: string; b: string; env: Record<string, string> } => {
    dir = mkdtempSync(join(tmpdir(), 'invoice-load-gone-'));
    const a = join(dir, 'ga.json');
    const b = join(dir, 'gb.json');
    writeFileSync(a, JSON.stringify([line('M-1', '10.00'), line('M-2', '99.00')], null, 1));
    writeFileSync(b, JSON.stringify([line('M-3', '10.00')], null, 1));
    return { a, b, env: { HOME: dir, INVOICE_LOAD_STATE_DIR: join(dir, 'state'), NODE_OPTIONS: `--require ${PRELOAD}`, GONE_AT: 'gb.json' } };
  };
  const rejectedNumbers = (path: string): string[] =>
    readFileSync(path, 'utf8').replace(/^\uFEFF/, '').trim().split('\n').slice(1).map((l) => l.split(',')[0]!);

  it('JSON, with --rejects: the rejects file is written without the gone file, exit 3 — not "cannot read", exit 2', async () => {
    const { a, b, env } = jsonInputs();
    const rejects = join(dir!, 'rej.csv');
    const report = join(dir!, 'r.json');
    const res = await runCli(['--sandbox', '--rejects', rejects, '--report', report, a, b], { env });
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).not.toContain('cannot read');
    expect(rejectedNumbers(rejects)).toEqual(['M-2']);
    const doc = JSON.parse(readFileSync(report, 'utf8')) as ReportDocument;
    expect(doc.issues.map((p) => [p.file, p.code])).toEqual([[b, 'file_changed']]);
  }, 60_000);

  it('JSON, --dry-run --json --rejects: the document and the rejects file, exit 3', async () => {
    const { a, b, env } = jsonInputs();
    const rejects = join(dir!, 'rej.csv');
    const res = await runCli(['--sandbox', '--dry-run', '--json', '--rejects', rejects, a, b], { env });
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).not.toContain('cannot read');
    expect((JSON.parse(res.stdout) as ReportDocument).issues.map((p) => p.code)).toEqual(['file_changed']);
    expect(rejectedNumbers(rejects)).toEqual(['M-2']);
  }, 60_000);

  it('JSON read in its turn and gone before the rejects file reads it again: not the run\'s failure, exit 3', async () => {
    const { a, b, env } = jsonInputs();
    const rejects = join(dir!, 'rej.csv');
    const res = await runCli(['--sandbox', '--dry-run', '--rejects', rejects, a, b], { env: { ...env, GONE_AT: 'ga.json', GONE_OPEN: '3' } });
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).not.toContain('cannot read');
    expect(res.stdout + res.stderr).toContain('ga.json, which could not be opened again (moved or deleted since it was read)');
    expect(res.stdout + res.stderr).not.toContain('could not be read as a row');
    expect(existsSync(rejects)).toBe(true);
  }, 60_000);
});

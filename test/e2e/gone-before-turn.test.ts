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
});

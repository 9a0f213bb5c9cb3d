/**
 * A drop folder of hundreds of files under a low open-file limit (`ulimit -n`, 1,024 under cron
 * and systemd): the files are read one at a time, each opened in its turn and closed once read,
 * so the run does not depend on how many there are (README "Exit codes (for cron)").
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, type CliResult } from '../helpers/cli.js';
import type { ReportDocument } from '../../src/report/report.js';

const HEADER = 'invoice_number,invoice_date,vendor,vendor_account,currency,total_amount,line_number,po_line,price,quantity,fund_code,fund_percent\n';
const FILES = 300;
// Enough for Node to start and load the CLI, and far fewer than the files.
const LIMIT = 128;

const dir = mkdtempSync(join(tmpdir(), 'il-many-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (invoice: string, total: string, line: number): string => `${invoice},2025-03-03,GOBI,GOBI,USD,${total},${line},POL-1001,45.00,1,GENMON,100\n`;

/**
 * `FILES` one-invoice files in a new folder. `resumed`: the last one's rows come back to its
 * first invoice after another one, so every file is read a second time (src/cli/batch.ts `scanBatch`).
 */
function dropFolder(name: string, resumed = false): string[] {
  const folder = join(dir, name);
  mkdirSync(folder);
  const files: string[] = [];
  for (let i = 0; i < FILES; i++) {
    const f = join(folder, `f${String(i).padStart(3, '0')}.csv`);
    const last = resumed && i === FILES - 1;
    writeFileSync(f, HEADER + (last ? row(`M-${i}`, '90.00', 1) + row('Z-1', '45.00', 1) + row(`M-${i}`, '90.00', 2) : row(`M-${i}`, '45.00', 1)));
    files.push(f);
  }
  return files;
}

/** The built CLI under `ulimit -n LIMIT`, as cron would run it on a folder. */
function runLimited(args: string[]): Promise<CliResult> {
  const home = mkdtempSync(join(dir, 'home-'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, INVOICE_LOAD_STATE_DIR: join(home, 'state'), NO_COLOR: '1' };
  const child = spawn('sh', ['-c', `ulimit -n ${LIMIT} && exec "$@"`, 'sh', process.execPath, BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe(`a dry run of ${FILES} files under ulimit -n ${LIMIT}`, () => {
  it('reads every file, one open at a time: exit 0, every invoice planned', async () => {
    const res = await runLimited(['--dry-run', '--json', ...dropFolder('plain')]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.summary.planned).toBe(FILES);
  });

  it('rows that come back to an invoice in the last file: all read again, still one open at a time', async () => {
    const res = await runLimited(['--dry-run', '--json', ...dropFolder('resumed', true)]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.summary.planned).toBe(FILES + 1);
    expect(report.invoices.find((i) => i.number === `M-${FILES - 1}`)?.lines).toHaveLength(2);
  });
});

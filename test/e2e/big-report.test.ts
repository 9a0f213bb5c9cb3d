/**
 * Report writers on a batch larger than any one call can take as spread arguments: a dry run
 * of 150,000 one-line invoices prints its human summary (it used to die with "Maximum call
 * stack size exceeded" at renderHuman from 130,000 on) and writes the JSON, CSV and HTML
 * reports whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const INVOICES = 150_000;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-big-report-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report writers scale', () => {
  it(`a dry run of ${INVOICES.toLocaleString('en-US')} invoices: human summary, JSON, CSV and HTML reports`, async () => {
    const file = join(dir, 'big.csv');
    const fd = openSync(file, 'w');
    writeSync(fd, 'invoice_number,invoice_date,vendor,currency,total_amount,price,fund_code,fund_percent\n');
    let chunk = '';
    for (let i = 1; i <= INVOICES; i++) {
      chunk += `B-${i},2025-03-03,GOBI,USD,1.00,1.00,BIO,100\n`;
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
    closeSync(fd);
    const json = join(dir, 'r.json');
    const csv = join(dir, 'r.csv');
    const html = join(dir, 'r.html');
    const r = await runCli(['--dry-run', '--report', json, '--report-csv', csv, '--report-html', html, file], {
      env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state') },
      timeoutMs: 170_000,
    });
    expect(r.stderr).not.toMatch(/internal error|Maximum call stack/);
    expect(r.code, r.stderr.slice(0, 500)).toBe(0);
    expect(r.stdout).toMatch(/^150,?000 invoices, 150,?000 lines: 150,?000 planned/m);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('planned')).length).toBe(INVOICES);
    expect((JSON.parse(readFileSync(json, 'utf8')) as { invoices: unknown[] }).invoices).toHaveLength(INVOICES);
    expect(readFileSync(csv, 'utf8').trimEnd().split('\n')).toHaveLength(INVOICES + 1);
    expect(statSync(html).size).toBeGreaterThan(INVOICES * 50);
  }, 180_000);
});

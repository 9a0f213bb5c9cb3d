/**
 * Values that used to pass the dry run and then half-load (or load as look-alikes): the built
 * CLI's dry run now refuses each, with row, column, the code point or the limit named, exit 3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportDocument } from '../../src/report/report.js';
import { runCli } from '../helpers/cli.js';

const HEADER = 'invoice_number,invoice_date,vendor,vendor_account,currency,total_amount,line_number,po_line,price,quantity,fund_code,fund_percent';
const row = (o: { number?: string; vendor?: string; total?: string; line?: string; price?: string; account?: string; fund?: string }): string =>
  [o.number ?? 'V-1', '2025-03-03', o.vendor ?? 'GOBI', o.account ?? 'GOBI', 'USD', o.total ?? '10.00', o.line ?? '1', 'POL-1002', o.price ?? '10.00', '1', o.fund ?? 'BIO', '100']
    .map((c) => (/[",\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c))
    .join(',');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-values-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function dryRun(name: string, rows: string[]): Promise<{ code: number | null; report: ReportDocument; found: string[] }> {
  const file = join(dir, name);
  writeFileSync(file, [HEADER, ...rows].join('\n') + '\n');
  const res = await runCli(['--dry-run', '--json', file], { env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state') } });
  const report = JSON.parse(res.stdout) as ReportDocument;
  const found = [...report.issues, ...report.invoices.flatMap((i) => i.issues)].map((p) => `${p.row}:${p.column}:${p.code}`);
  return { code: res.code, report, found };
}

describe('dry run: every value checked against what Alma accepts and can store', () => {
  it('line numbers that are not plain positive whole numbers (item 5)', async () => {
    const bad = ['1.0', '01', '-1', '1e3', '99999999999999999999999', 'x/../../y'];
    const r = await dryRun('lines.csv', bad.map((line, i) => row({ number: `L-${i}`, line })));
    expect(r.code).toBe(3);
    expect(r.report.invoices.map((i) => i.status)).toEqual(bad.map(() => 'invalid'));
    expect(r.found.filter((f) => f.endsWith('invalid_line_number'))).toEqual(bad.map((_, i) => `${i + 2}:line_number:invalid_line_number`));
    const ok = await dryRun('lines-ok.csv', [row({ line: '1' }), row({ number: 'V-2', line: '12' })]);
    expect(ok.code).toBe(0);
  });

  it('key fields with invisible or control characters, or too long (item 6)', async () => {
    const r = await dryRun('keys.csv', [
      row({ number: 'INV-\u200b3' }),
      row({ number: 'INV-3\u202e' }),
      row({ number: 'INV\ufeff-4' }),
      row({ number: 'INV-5', vendor: 'GO\u0000BI' }),
      row({ number: 'INV-6\ufffd' }),
      row({ number: 'N'.repeat(10_000) }),
      row({ number: 'INV-7', account: 'GO\u00a0BI' }),
      row({ number: 'INV-8', fund: 'B\u2060IO' }),
      row({ number: 'INV-3' }),
    ]);
    expect(r.code).toBe(3);
    expect(r.found).toEqual([
      '2:invoice_number:invalid_character',
      '3:invoice_number:invalid_character',
      '4:invoice_number:invalid_character',
      '5:vendor:invalid_character',
      '6:invoice_number:invalid_character',
      '7:invoice_number:too_long',
      '8:vendor_account:invalid_character',
      '9:fund_code:invalid_character',
    ]);
    const messages = r.report.invoices.flatMap((i) => i.issues.map((p) => p.message)).join('\n');
    expect(messages).toContain('U+200B ZERO WIDTH SPACE');
    expect(messages).toContain('U+202E RIGHT-TO-LEFT OVERRIDE');
    expect(messages).toContain('U+0000 NUL');
    // The plain INV-3 is still planned: only the look-alike is refused.
    expect(r.report.invoices.find((i) => i.number === 'INV-3')?.status).toBe('planned');

    // A lone surrogate can only arrive escaped in JSON (a UTF-8 or UTF-16 file cannot hold one).
    const json = join(dir, 'surrogate.json');
    writeFileSync(json, '[{"invoice_number": "INV-9\\ud800", "vendor": "GOBI", "invoice_date": "2025-03-03", "total_amount": "1", "currency": "USD", "price": "1", "fund_code": "BIO", "fund_percent": "100"}]');
    const res = await runCli(['--dry-run', json], { env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state') } });
    expect(res.code).toBe(3);
    expect(res.stdout).toContain('U+D800 half of a surrogate pair');
  });

  it('amounts beyond what a double keeps exactly (item 7)', async () => {
    const r = await dryRun('amounts.csv', [
      row({ number: 'A-1', total: '12345678901234567.89', price: '12345678901234567.89' }),
      row({ number: 'A-2', total: '1234567890.1234567', price: '1234567890.1234567' }),
      row({ number: 'A-3', total: '999999999999.99', price: '999999999999.99' }),
    ]);
    expect(r.code).toBe(3);
    expect(r.found).toEqual(['2:total_amount:amount_out_of_range', '2:price:amount_out_of_range', '3:total_amount:amount_out_of_range', '3:price:amount_out_of_range']);
    expect(r.report.invoices.map((i) => i.status)).toEqual(['invalid', 'invalid', 'planned']);
  });
});

describe('dry run: a JSON value that is not a single value belongs to its invoice', () => {
  it('the invoice is invalid on its own (not the whole batch), and no rule also calls the price missing', async () => {
    const file = join(dir, 'not-single.json');
    const line = (number: string, price: unknown): Record<string, unknown> => ({
      invoice_number: number, invoice_date: '2025-03-03', vendor: 'GOBI', currency: 'USD', total_amount: '10.00',
      line_number: 1, po_line: 'POL-1002', price, quantity: 1, fund_code: 'BIO', fund_percent: 100,
    });
    // Alma's nested shape: the refused total is the invoice's, given on another line than its line's record.
    const nested = { number: 'N-1', invoice_date: '2025-03-03', vendor: 'GOBI', currency: 'USD', total_amount: { sum: '10.00' }, invoice_lines: [{ number: '1', po_line: 'POL-1002', price: '10.00', quantity: 1, fund_distribution: [{ fund_code: 'BIO', percent: 100 }] }] };
    writeFileSync(file, JSON.stringify([line('J-1', {}), line('J-2', '10.00'), nested], null, 1));
    const res = await runCli(['--dry-run', '--json', file], { env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state') } });
    expect(res.code, res.stderr).toBe(3);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.issues).toEqual([]);
    expect(report.invoices.map((i) => [i.number, i.status])).toEqual([['J-1', 'invalid'], ['J-2', 'planned'], ['N-1', 'invalid']]);
    const codesOf = (n: string): string[] => report.invoices.find((i) => i.number === n)!.issues.map((p) => `${p.column}:${p.code}`);
    expect(codesOf('J-1')).toEqual(['price:invalid_value']);
    expect(codesOf('N-1')).toEqual(['total_amount:invalid_value']);
  });
});

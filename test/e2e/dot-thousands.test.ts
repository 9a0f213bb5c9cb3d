/**
 * `1.200` EUR, a German file's 1,200 with a dot between thousands, was loaded as 1.20 with exit
 * 0: the decimals check did not count its zeros, and total and line agreed. The built CLI now
 * refuses it before anything is sent (exit 3), saying both readings; `12.5000` USD and 1.200 KWD
 * still load. (README "What is checked before anything is sent".)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportDocument } from '../../src/report/report.js';
import { runCli } from '../helpers/cli.js';

const HEADER = 'invoice_number;invoice_date;vendor;vendor_account;currency;payment_method;total_amount;line_number;line_type;price;quantity;fund_code;fund_percent';
const row = (number: string, currency: string, amount: string): string =>
  `${number};2025-02-20;HARRAS;HARRAS-EUR;${currency};BANKTRANSFER;${amount};1;OTHER;${amount};1;CHEM;100`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-dots-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, rows: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, [HEADER, ...rows].join('\n') + '\n');
  return path;
}

describe('an amount written 1.200 (1,200 or 1.2?) in a currency of two decimals or none', () => {
  it('is refused before anything is sent, exit 3, with both readings said (the fuzz repro)', async () => {
    const de = file('de.csv', [row('HA-9', 'EUR', '1.200')]);
    const res = await runCli(['--sandbox', '--show-payloads', de], { env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state-1') } });
    expect(res.code, res.stderr).toBe(3);
    const out = res.stdout + res.stderr;
    expect(out).toContain(
      'total_amount "1.200" could be 1,200 (a dot between thousands) or 1.2 (a decimal point and three decimals); EUR has 2: write 1200 or 1.20',
    );
    expect(out).toContain('[ambiguous_number]');
    expect(out).toContain('[mapping_needed]');
    // Nothing was sent: no payload shown.
    expect(out).not.toMatch(/"total_amount"\s*:/);
  });

  it('10.000 USD and 1.000 JPY too; 12.5000 USD and 1.200 KWD load', async () => {
    const mixed = file('mixed.csv', [row('U-1', 'USD', '10.000'), row('J-1', 'JPY', '1.000'), row('U-2', 'USD', '12.5000'), row('K-1', 'KWD', '1.200')]);
    const res = await runCli(['--dry-run', '--json', mixed], { env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state-2') } });
    expect(res.code, res.stderr).toBe(3);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.invoices.map((i) => [i.number, i.status, i.issues.map((p) => `${p.column}:${p.code}`)])).toEqual([
      ['U-1', 'invalid', ['total_amount:ambiguous_number', 'price:ambiguous_number']],
      ['J-1', 'invalid', ['total_amount:ambiguous_number', 'price:ambiguous_number']],
      ['U-2', 'planned', []],
      ['K-1', 'planned', []],
    ]);
  });
});

// A JSON number has no thousands separator (RFC 8259 §6): `1.200` written as a number is 1.2,
// loaded as such; the same amount in quotes is a text, and refused as in CSV.
describe('an amount written 1.200 as a JSON number', () => {
  const invoice = (number: string, amount: string): string =>
    `{"invoice_number": "${number}", "invoice_date": "2025-02-20", "vendor": "HARRAS", "vendor_account": "HARRAS-EUR", "currency": "EUR", "payment_method": "BANKTRANSFER", ` +
    `"total_amount": ${amount}, "line_number": "1", "line_type": "OTHER", "price": ${amount}, "quantity": 1, "fund_code": "CHEM", "fund_percent": 100}`;

  it('is 1.2 EUR: a dry run plans it (exit 0), its total 1.20 in the --json report; in quotes it is refused', async () => {
    const path = join(dir, 'numbers.json');
    writeFileSync(path, `[\n${invoice('N-1', '1.200')}\n]\n`);
    const res = await runCli(['--dry-run', '--json', path], { env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state-3') } });
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.invoices.map((i) => [i.number, i.status, i.total, i.currency, i.issues])).toEqual([['N-1', 'planned', '1.20', 'EUR', []]]);
    expect(report.issues).toEqual([]);

    const quoted = join(dir, 'texts.jsonl');
    writeFileSync(quoted, `${invoice('T-1', '"1.200"')}\n`);
    const text = await runCli(['--dry-run', '--json', quoted], { env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state-4') } });
    expect(text.code, text.stderr).toBe(3);
    const refused = JSON.parse(text.stdout) as ReportDocument;
    expect(refused.invoices.map((i) => [i.number, i.status, i.issues.map((p) => `${p.column}:${p.code}`)])).toEqual([['T-1', 'invalid', ['total_amount:ambiguous_number', 'price:ambiguous_number']]]);
  });
});

/**
 * `payments` reads its files as a load does: a voucher_amount written as the JSON number 1.200
 * is 1.2 (a JSON number has no thousands separator, RFC 8259 §6), the text "1.200" is
 * ambiguous_number as in CSV (README "What is checked before anything is sent").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPayments } from '../../src/cli/payments.js';
import type { Config } from '../../src/cli/config.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-pay-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (number: string, amount: string): string =>
  `{"vendor": "V", "invoice_number": "${number}", "payment_status": "paid", "voucher_number": "X", "voucher_date": "2025-01-02", "voucher_amount": ${amount}, "voucher_currency": "EUR"}`;

describe('payments from a JSON file', () => {
  it('a voucher_amount 1.200 written as a number is 1.2; in quotes it is ambiguous_number', async () => {
    const path = join(dir, 'p.jsonl');
    writeFileSync(path, `${row('N1', '1.200')}\n${row('N2', '"1.200"')}\n`);
    const { entries, issues } = await readPayments({ files: [path], encoding: 'utf-8' } as Config);
    expect(issues).toEqual([]);
    expect(entries.map((e) => [e.key.number, e.request?.voucherAmount?.toFixed(), e.problems.map((p) => `${p.column}:${p.code}`)])).toEqual([
      ['N1', '1.2', []],
      ['N2', undefined, ['voucher_amount:ambiguous_number']],
    ]);
  });
});

describe('payments from a file not read whole', () => {
  const head = 'vendor,invoice_number,payment_status,voucher_number,voucher_date,voucher_amount,voucher_currency\n';
  const csvRow = (n: string, voucher: string): string => `V,${n},paid,${voucher},2025-01-02,10.00,EUR\n`;

  it.each<[string, string, string]>([
    ['a CSV cut inside its last row', 'cut.csv', `${head}${csvRow('N1', 'X1')}${csvRow('N2', 'X2')}V,N3,paid,V-2025-04`],
    ['a CSV cut inside a quoted value', 'quote.csv', `${head}${csvRow('N1', 'X1')}${csvRow('N2', 'X2')}V,N3,paid,"V-2025-04`],
    ['JSON that stops inside a value', 'cut.json', `[${row('N1', '1.00')},\n${row('N2', '2.00')},\n{"vendor": "V", "invoice_number": "N3", "voucher_number": "V-2025-04`],
  ])('%s: its rows are invalid beside the file\'s error, not planned; a whole file beside it is read as before', async (_, name, text) => {
    const cut = join(dir, name);
    writeFileSync(cut, text);
    const whole = join(dir, 'whole.csv');
    writeFileSync(whole, `${head}${csvRow('W1', 'Y1')}`);
    const { entries, issues } = await readPayments({ files: [cut, whole], encoding: 'utf-8' } as Config);
    expect(issues.filter((p) => p.severity === 'error').map((p) => p.file)).toEqual([cut]);
    const read = entries.filter((e) => e.source.file === cut);
    // The cut row itself may be read, its last value cut (a CSV row cut short): held back too.
    expect(read.map((e) => e.key.number).slice(0, 2)).toEqual(['N1', 'N2']);
    expect(read.filter((e) => e.request !== undefined)).toEqual([]);
    // N1 and N2 are held back by the file's error, with none of their own (as a load's invoices of such a file).
    expect(read.slice(0, 2).map((e) => e.problems)).toEqual([[], []]);
    expect(entries.filter((e) => e.source.file === whole).map((e) => e.request?.voucherNumber)).toEqual(['Y1']);
  });
});

describe("payments: a JSON record's own problems from the reader", () => {
  const pay = (keys: string): string =>
    `{${keys}"payment_status": "paid", "voucher_number": "X", "voucher_date": "2025-01-02", "voucher_amount": "45.00", "voucher_currency": "USD"}`;

  it('a column under two keys is duplicate_column on its row, invalid, naming both keys — not planned on the first value', async () => {
    const path = join(dir, 'two-keys.json');
    writeFileSync(path, `[${pay('"vendor": "GOBI", "invoice_number": "K-3", "Invoice Number": "P-1", ')},\n${pay('"vendor": "GOBI", "invoice_number": "P-2", ')}]`);
    const { entries, issues } = await readPayments({ files: [path], encoding: 'utf-8' } as Config);
    expect(issues.filter((p) => p.severity === 'error')).toEqual([]);
    expect(entries.map((e) => [e.key.number, e.request !== undefined, e.problems.map((p) => `${p.column}:${p.code}`)])).toEqual([
      ['K-3', false, ['invoice_number:duplicate_column']],
      ['P-2', true, []],
    ]);
    expect(entries[0]!.problems[0]!.message).toContain('keys "invoice_number" ("K-3") and "Invoice Number" ("P-1")');
  });

  it('a refused cell ("vendor": true) says why, not "vendor is required"', async () => {
    const path = join(dir, 'refused.json');
    writeFileSync(path, `[${pay('"vendor": true, "invoice_number": "K-4", ')}]`);
    const { entries } = await readPayments({ files: [path], encoding: 'utf-8' } as Config);
    expect(entries.map((e) => [e.request !== undefined, e.problems.map((p) => `${p.column}:${p.code}`)])).toEqual([[false, ['vendor:boolean_cell']]]);
    expect(entries[0]!.problems[0]!.message).toContain('JSON value true');
  });
});

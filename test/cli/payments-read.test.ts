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

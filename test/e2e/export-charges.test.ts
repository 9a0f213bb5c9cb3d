/**
 * `export` against the sandbox: an invoice loaded with charges and VAT is handed over with them
 * (README, `export`), in CSV and JSON alike, and every invoice of the file reconciles with its
 * total_amount from the rows alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Money, sum } from '../../src/domain/money.js';
import { read } from '../input/helpers.js';
import { world, type World } from '../helpers/sandbox.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

// 189.95 + 18.00 + 10.00 shipment − 5.00 discount = 212.95; Inclusive VAT is inside the lines.
const BATCH = [
  'invoice_number,invoice_date,vendor,vendor_account,currency,payment_method,total_amount,shipment,discount,vat_type,vat_amount,vat_per_invoice_line,expended_from_fund,use_pro_rata,invoice_note,line_number,po_line,price,quantity,price_note,additional_info,line_vat_amount,line_vat_percentage,line_vat_note,fund_code,fund_percent',
  'G-VAT-1,2025-04-02,GOBI,GOBI,USD,ACCOUNTINGDEPARTMENT,212.95,10.00,5.00,INCLUSIVE,13.95,true,true,false,"boxes 1, 2",1,POL-1002,189.95,1,list,vol. 3,12.43,,reduced,BIO,100',
  'G-VAT-1,,GOBI,,,,,,,,,,,,,2,POL-1005,18.00,1,,,,7,,GENMON,100',
].join('\n') + '\n';

const m = (t: string | undefined) => new Money(t === undefined || t === '' ? '0' : t);

/** Σ fund_amount + shipment + overhead + insurance − discount (+ the VAT of a Line Exclusive invoice) per invoice, and its total_amount. */
function reconcile(rows: readonly Record<string, string>[]): [string, string, string][] {
  const byInvoice = new Map<string, Record<string, string>[]>();
  for (const r of rows) byInvoice.set(r['invoice_id']!, [...(byInvoice.get(r['invoice_id']!) ?? []), r]);
  return [...byInvoice.values()].map((rs) => {
    const f = rs[0]!;
    const lines = [...new Map(rs.map((r) => [r['line_id'], r])).values()];
    const vat = f['vat_type'] !== 'LINEEXCLUSIVE' ? m('0') : f['vat_per_invoice_line'] === 'true' ? sum(lines.map((l) => m(l['line_vat_amount']))) : m(f['vat_amount']);
    const got = sum(rs.map((r) => m(r['fund_amount']))).plus(m(f['shipment'])).plus(m(f['overhead'])).plus(m(f['insurance'])).minus(m(f['discount'])).plus(vat);
    return [f['invoice_number']!, got.toFixed(2), m(f['total_amount']).toFixed(2)];
  });
}

describe('export of invoices with charges and VAT, from the sandbox', () => {
  it('writes the charges, VAT and line fields as the sandbox answers them; the rows of each invoice add up to its total', async () => {
    w = await world();
    const batch = join(w.dir, 'vat.csv');
    writeFileSync(batch, BATCH);
    const load = await w.load([batch, 'fixtures/round-trip/batch.csv']);
    expect(load.code, load.stderr).toBe(0);
    const csvOut = join(w.dir, 'to-finance.csv');
    const jsonOut = join(w.dir, 'to-finance.json');
    for (const out of [csvOut, jsonOut]) expect((await w.load(['export', '-o', out])).code).toBe(0);

    const csv = (await read('to-finance.csv', readFileSync(csvOut, 'utf8'))).records.map((r) => r.fields as Record<string, string>);
    const json = JSON.parse(readFileSync(jsonOut, 'utf8')) as Record<string, string>[];
    expect(csv.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? ''])))).toEqual(json);

    const mine = json.filter((r) => r['invoice_number'] === 'G-VAT-1');
    expect(mine.map((r) => [r['line_number'], r['price'], r['line_total_price'], r['fund_code'], r['fund_amount']])).toEqual([
      ['1', '189.95', '189.95', 'BIO', '189.95'],
      ['2', '18', '18', 'GENMON', '18'],
    ]);
    for (const r of mine) {
      expect(r).toMatchObject({
        total_amount: '212.95',
        shipment: '10',
        overhead: '0',
        insurance: '0',
        discount: '5',
        vat_type: 'INCLUSIVE',
        vat_amount: '13.95',
        vat_percentage: '0',
        vat_code: '',
        vat_per_invoice_line: 'true',
        expended_from_fund: 'true',
        use_pro_rata: 'false',
        report_tax: 'false',
        prepaid: 'false',
        internal_copy: 'false',
        export_to_erp: 'false',
        invoice_note: 'boxes 1, 2',
      });
    }
    expect(mine.map((r) => [r['price_note'], r['additional_info'], r['line_vat_amount'], r['line_vat_percentage'], r['line_vat_note'], r['line_vat_code']])).toEqual([
      ['list', 'vol. 3', '12.43', '0', 'reduced', ''],
      ['', '', '0', '7', '', ''],
    ]);

    const sums = reconcile(json);
    expect(sums.length).toBeGreaterThanOrEqual(6);
    for (const [number, got, total] of sums) expect(got, number).toBe(total);
  });
});

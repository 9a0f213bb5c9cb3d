import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { CANONICAL_COLUMNS } from '../../src/domain/columns.js';
import { loadSeed } from '../../src/sandbox/index.js';
import { call, start } from './helpers.js';

const BATCH = fileURLToPath(new URL('../../fixtures/sample-batch.csv', import.meta.url));
type Row = Record<string, string>;

/** Rows grouped into invoices by (vendor, number), lines by line_number: the canonical layout's rules. */
function readBatch(): Map<string, { header: Row; lines: Map<string, Row[]> }> {
  const rows = parse(readFileSync(BATCH, 'utf8'), { columns: true, skip_empty_lines: true }) as Row[];
  const invoices = new Map<string, { header: Row; lines: Map<string, Row[]> }>();
  for (const r of rows) {
    const key = `${r['vendor']}|${r['invoice_number']}`;
    const inv = invoices.get(key) ?? { header: r, lines: new Map<string, Row[]>() };
    if ((r['total_amount'] ?? '') !== '') inv.header = r;
    const line = inv.lines.get(r['line_number'] ?? '') ?? [];
    line.push(r);
    inv.lines.set(r['line_number'] ?? '', line);
    invoices.set(key, inv);
  }
  return invoices;
}

const dec = (s: string | undefined): Decimal => new Decimal(s === undefined || s === '' ? '0' : s);

describe('fixtures/sandbox-seed.json', () => {
  it('is a small, valid institution with the cases tests need', () => {
    const seed = loadSeed();
    expect(seed.institution.currency).toBe('USD');
    expect(seed.vendors.filter((v) => !v.material_supplier)).toHaveLength(1);
    expect(seed.funds.filter((f) => f.status === 'INACTIVE')).toHaveLength(1);
    expect(seed.po_lines.some((p) => p.type.endsWith('_CO'))).toBe(true);
    expect(seed.po_lines.some((p) => p.type.endsWith('_OT'))).toBe(true);
    expect(seed.invoices.length).toBeGreaterThanOrEqual(1);
  });

  it('has pre-existing invoices a preflight can find', async () => {
    const s = await start();
    const r = await call(s, 'GET', '/acq/invoices?q=invoice_number~G-23987 AND vendor_code~GOBI'.replace(/ /g, '%20'));
    expect(r.json.total_record_count).toBe(1);
    expect(r.json.invoice[0].invoice_workflow_status.value).toBe('Waiting to be Sent');
  });
});

describe('fixtures/sample-batch.csv', () => {
  it('uses canonical columns, 6-8 invoices of 1-4 lines, one split line, exact totals', () => {
    const header = readFileSync(BATCH, 'utf8').split('\n')[0]?.split(',') ?? [];
    for (const c of header) expect(CANONICAL_COLUMNS).toContain(c);
    const invoices = readBatch();
    expect(invoices.size).toBeGreaterThanOrEqual(6);
    expect(invoices.size).toBeLessThanOrEqual(8);
    let splits = 0;
    for (const { header: h, lines } of invoices.values()) {
      expect(lines.size).toBeGreaterThanOrEqual(1);
      expect(lines.size).toBeLessThanOrEqual(4);
      let sum = new Decimal(0);
      for (const rows of lines.values()) {
        const first = rows[0] as Row;
        const total = dec(first['price']).times(first['quantity'] ?? '1');
        sum = sum.plus(total);
        if (rows.length > 1) splits++;
        const shares = rows.reduce((s, r) => s.plus(r['fund_amount'] ? dec(r['fund_amount']) : total.times(dec(r['fund_percent'])).div(100)), new Decimal(0));
        expect(shares.eq(total)).toBe(true);
      }
      const expected = sum.plus(dec(h['shipment'])).plus(dec(h['overhead'])).plus(dec(h['insurance'])).minus(dec(h['discount']));
      expect(expected.toFixed(2)).toBe(h['total_amount']);
    }
    expect(splits).toBe(1);
  });

  it('loads into the sandbox: exactly one invoice goes to review (NOT_LINKED_LINES), the rest are Waiting to be Sent', async () => {
    const s = await start();
    for (const { header: h, lines } of readBatch().values()) {
      const inv = await call(s, 'POST', '/acq/invoices', {
        body: {
          number: h['invoice_number'],
          invoice_date: `${h['invoice_date'] ?? ''}Z`,
          vendor: { value: h['vendor'] },
          vendor_account: h['vendor_account'],
          total_amount: h['total_amount'],
          currency: { value: h['currency'] },
          payment_method: { value: h['payment_method'] },
          additional_charges: { shipment: h['shipment'], overhead: h['overhead'], insurance: h['insurance'], discount: h['discount'] },
        },
      });
      expect(inv.status, inv.text).toBe(200);
      for (const [number, rows] of lines) {
        const f = rows[0] as Row;
        const body: Record<string, unknown> = {
          number,
          type: { value: f['line_type'] },
          po_line: f['po_line'],
          price: f['price'],
          quantity: f['quantity'],
          fund_distribution: rows.map((r) =>
            r['fund_amount'] ? { fund_code: { value: r['fund_code'] }, amount: r['fund_amount'] } : { fund_code: { value: r['fund_code'] }, percent: r['fund_percent'] },
          ),
        };
        if (f['subscription_from_date']) body['subscription_from_date'] = f['subscription_from_date'];
        if (f['subscription_to_date']) body['subscription_to_date'] = f['subscription_to_date'];
        const l = await call(s, 'POST', `/acq/invoices/${inv.json.id as string}/lines`, { body });
        expect(l.status, l.text).toBe(200);
      }
      expect((await call(s, 'POST', `/acq/invoices/${inv.json.id as string}?op=process_invoice`, { body: {} })).status).toBe(200);
    }
    const loaded = s.state().invoices.filter((i) => i.origin === 'api');
    expect(loaded.length).toBe(readBatch().size);
    const review = loaded.filter((i) => i.status === 'InReview');
    expect(review.map((i) => [i.number, i.alerts])).toEqual([['G-24140', ['NOT_LINKED_LINES']]]);
    expect(loaded.filter((i) => i.status === 'Waiting to be Sent')).toHaveLength(loaded.length - 1);
  });
});

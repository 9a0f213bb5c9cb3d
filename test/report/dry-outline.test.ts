/**
 * A plain dry run builds only an outline of each valid invoice (`outlineInvoice`: key, header,
 * line numbers), not the full `Invoice`. Its report lines must be exactly those the full
 * invoice gives, for every target's report keys: random batches (seeded) and every fixture.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvoiceGrouper } from '../../src/domain/group.js';
import { outlineInvoice } from '../../src/domain/rules.js';
import type { SourceRecord } from '../../src/input/record.js';
import { scanBatch } from '../../src/cli/batch.js';
import { reportInvoice } from '../../src/report/report.js';
import { TARGETS } from '../../src/targets/registry.js';
import { BASE, type Row } from '../domain/helpers.js';

const PROFILES = TARGETS.map((t) => t.profile());

/** Rows that make valid and invalid invoices, with notes, attachments, assigned line numbers, several funds. */
const ROWS: Row[] = [
  { ...BASE, line_number: '1' },
  { ...BASE, line_number: '2', price: '0', fund_code: 'F2' },
  { vendor: 'ACME', invoice_number: 'INV-1', line_number: '1', fund_code: 'F2', fund_percent: '50' },
  { vendor: 'ACME', invoice_number: 'INV-1', invoice_note: 'see the PDF', attachment: 'inv-1.pdf' },
  { ...BASE, invoice_number: 'INV-2', total_amount: '12.5', price: '12.50', line_number: undefined },
  { ...BASE, invoice_number: 'INV-2', total_amount: '12.5', price: '0', line_number: undefined, fund_code: 'F3' },
  { ...BASE, invoice_number: 'INV-2', price: 'abc' },
  { vendor: 'BOOKCO', invoice_number: 'INV-1', invoice_date: '2026-01-30', total_amount: '5', price: '5', currency: 'JPY', fund_code: 'F1' },
  { vendor: 'BOOKCO', invoice_number: 'INV-3', invoice_date: '2026-01-30', total_amount: '7.000', price: '7', fund_code: 'F1', line_number: '3' },
  { vendor: 'BOOKCO', invoice_number: 'INV-3', line_number: '7', price: '0', po_line: 'POL-1' },
  { vendor: 'BOOKCO', invoice_number: 'INV-4', invoice_date: '2026-01-30', total_amount: '1', price: '1', fund_code: 'F1', currency: '', invoice_note: 'n' },
];

/** Every invoice's report line under every target, grouped with the given builder. */
function reportLines(records: SourceRecord[], outline: boolean): unknown[] {
  const g = outline ? new InvoiceGrouper({ build: outlineInvoice }) : new InvoiceGrouper();
  for (const r of records) g.add(r);
  const invoices = [...g.invoices()];
  return PROFILES.map((p) => invoices.map((inv) => reportInvoice(inv, undefined, true, p.lineKeys, p.invalidLines)));
}

describe('a dry run that outlines valid invoices', () => {
  it('reports what the full invoices report, for every target (random batches)', () => {
    let valid = 0;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: ROWS.length - 1 }), { maxLength: 12 }), (picks) => {
        const records: SourceRecord[] = picks.map((i, n) => ({ source: { file: 'b.csv', row: n + 2 }, fields: { ...ROWS[i] } }));
        const full = reportLines(records, false);
        expect(reportLines(records, true)).toEqual(full);
        valid += (full[0] as { status: string }[]).filter((l) => l.status === 'planned').length;
      }),
      { seed: 1311, numRuns: 400 },
    );
    // Valid invoices (the outlined ones) were exercised, not only invalid ones.
    expect(valid).toBeGreaterThan(200);
  });

  it('reports every fixture as the full invoices do, for every target', async () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (/\.(csv|jsonl?)$/.test(e.name) && !e.name.includes('seed') && !dir.includes('mappings')) files.push(join(dir, e.name));
      }
    };
    walk('fixtures');
    expect(files.length).toBeGreaterThan(10);
    let planned = 0;
    for (const file of files) {
      for (const p of PROFILES) {
        const opts = { encoding: 'utf-8' as const, stdin: process.stdin, rules: p.rules(process.cwd()) };
        const each = (g: Parameters<typeof reportInvoice>[0]) => reportInvoice(g, undefined, true, p.lineKeys, p.invalidLines);
        const full = await scanBatch([file], opts, each);
        const outlined = await scanBatch([file], { ...opts, build: outlineInvoice }, each);
        expect(outlined, `${file} (${p.name})`).toEqual(full);
        planned += full.entries.filter((l) => l.status === 'planned').length;
      }
    }
    expect(planned).toBeGreaterThan(20);
  });
});

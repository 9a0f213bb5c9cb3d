/**
 * The streaming grouper (`onInvoice`): each invoice handed on when the next one starts gives the
 * same invoices, in the same order, with the same problems, as holding them all to the end;
 * rows that return to an invoice already handed on throw `InvoiceResumed`, and `scanBatch` then
 * reads the files again the holding way (same result).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvoiceGrouper, InvoiceResumed, type GroupResult } from '../../src/domain/group.js';
import type { GroupedInvoice } from '../../src/domain/model.js';
import type { SourceRecord } from '../../src/input/record.js';
import { scanBatch } from '../../src/cli/batch.js';
import { BASE, type Row } from './helpers.js';

const held = (records: SourceRecord[]): GroupResult => {
  const g = new InvoiceGrouper();
  for (const r of records) g.add(r);
  return g.finish();
};

/** The streaming grouper's result, or 'resumed'. */
function streamed(records: SourceRecord[]): GroupResult | 'resumed' {
  const handed: GroupedInvoice[] = [];
  const g = new InvoiceGrouper({ onInvoice: (inv) => handed.push(inv) });
  try {
    for (const r of records) g.add(r);
  } catch (err) {
    if (err instanceof InvoiceResumed) return 'resumed';
    throw err;
  }
  const rest = [...g.invoices()];
  return { invoices: [...handed, ...rest], issues: g.issues() };
}

/** Rows with every kind of trouble the grouper reports: conflicts, duplicates, bad cells, ungroupable rows. */
const ROWS: Row[] = [
  { ...BASE, line_number: '1' },
  { vendor: 'ACME', invoice_number: 'INV-1', line_number: '1', fund_code: 'F2', fund_percent: '50' },
  { vendor: 'ACME', invoice_number: 'INV-1', line_number: '1', fund_code: 'F2', fund_percent: '50' },
  { vendor: 'ACME', invoice_number: 'INV-1', currency: 'EUR' },
  { vendor: 'ACME', invoice_number: 'INV-1', line_number: '01', price: '3' },
  { ...BASE, invoice_number: 'INV-2', total_amount: '12.5', price: '12.50' },
  { ...BASE, invoice_number: 'INV-2', price: 'abc' },
  { vendor: 'BOOKCO', invoice_number: 'INV-1', invoice_date: '2026-02-30', total_amount: '5', price: '5' },
  { vendor: '', invoice_number: 'INV-9', price: '1' },
  { vendor: 'BOOKCO', invoice_number: 'INV-3', total_amount: '7', price: '7', fund_code: 'F1', line_number: 'x' },
  { vendor: 'BOOKCO', invoice_number: 'INV-3', line_number: 'x', quantity: '2' },
  {},
];

const recordsOf = (picks: { row: number; file: number }[]): SourceRecord[] => {
  const next = [2, 2];
  return picks.map(({ row, file }) => ({ source: { file: `f${file}.csv`, row: next[file]!++ }, fields: { ...ROWS[row] } }));
};

describe('the streaming grouper', () => {
  it('gives what holding every invoice gives, or says an invoice resumed (random batches)', () => {
    const pick = fc.record({ row: fc.integer({ min: 0, max: ROWS.length - 1 }), file: fc.integer({ min: 0, max: 1 }) });
    let resumed = 0;
    let same = 0;
    fc.assert(
      fc.property(fc.array(pick, { maxLength: 14 }), fc.boolean(), (picks, sorted) => {
        // Sorted batches (each invoice's rows together, one file after the other) must stream.
        const ordered = sorted ? [...picks].sort((a, b) => a.file - b.file || a.row - b.row) : picks;
        const records = recordsOf(ordered);
        const s = streamed(records);
        if (s === 'resumed') {
          resumed++;
          expect(sorted && new Set(ordered.map((p) => p.file)).size === 1).toBe(false);
          return;
        }
        same++;
        expect(s).toEqual(held(records));
      }),
      { seed: 1313, numRuns: 400 },
    );
    // Both outcomes were exercised.
    expect(resumed).toBeGreaterThan(20);
    expect(same).toBeGreaterThan(20);
  });

  it('hands each invoice on when the next starts, and throws when one returns', () => {
    const handed: string[] = [];
    const g = new InvoiceGrouper({ onInvoice: (inv) => handed.push(inv.key.number) });
    const [a1, a2, b, a3] = recordsOf([{ row: 0, file: 0 }, { row: 1, file: 0 }, { row: 5, file: 0 }, { row: 3, file: 0 }]);
    g.add(a1!);
    g.add(a2!);
    expect(handed).toEqual([]);
    g.add(b!);
    expect(handed).toEqual(['INV-1']);
    expect(() => g.add(a3!)).toThrow(InvoiceResumed);
  });
});

describe('scanBatch', () => {
  it('reads a file whose invoices resume again, holding them: the same entries as in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-stream-'));
    const head = 'vendor,invoice_number,invoice_date,total_amount,currency,line_number,price,fund_code\n';
    const lines = [
      'ACME,INV-1,2026-01-15,150,USD,1,100,F1',
      'ACME,INV-2,2026-01-15,9,USD,1,9,F1',
      'ACME,INV-1,,,,2,50,F2',
      'ACME,INV-3,2026-01-15,1,USD,1,2,F1',
    ];
    const interleaved = join(dir, 'interleaved.csv');
    writeFileSync(interleaved, head + lines.join('\n') + '\n');
    const opts = { encoding: 'utf-8' as const, stdin: process.stdin };
    const summary = (g: GroupedInvoice) => [g.key.number, g.rows.map((r) => r.row), g.invoice?.lines.length, g.problems.map((p) => `${p.row}:${p.code}`)];
    const { entries, issues } = await scanBatch([interleaved], opts, summary);
    expect(entries).toEqual([
      ['INV-1', [2, 4], 2, []],
      ['INV-2', [3], 1, []],
      ['INV-3', [5], undefined, ['5:total_mismatch']],
    ]);
    expect(issues).toEqual([]);
  });
});

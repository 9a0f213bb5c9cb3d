/**
 * Which file-level errors stop the whole batch with `--skip-invalid` too (`batchStoppers`), and
 * which it may leave behind, loading the other invoices (`Plan.skippable`): only those of a row
 * with an invoice_number and no vendor, whose invoices are held back (test/domain/held-back.test.ts).
 * A row that cannot be tied to any invoice, and a file's own problems, still stop everything
 * (README "What is checked before anything is sent").
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBatch } from '../../src/cli/batch.js';
import { InvoiceGrouper } from '../../src/domain/group.js';
import { problem } from '../../src/domain/problem.js';
import type { SourceRecord } from '../../src/input/record.js';
import { batchStoppers, buildPlan, type Plan } from '../../src/plan/plan.js';
import { records, withBase, type Row } from './helpers.js';

const planOf = (input: SourceRecord[]): Plan => {
  const g = new InvoiceGrouper();
  for (const r of input) g.add(r);
  const invoices = [...g.invoices()];
  const issues = g.issues();
  return buildPlan(invoices, issues, g.skippable(issues));
};
const at = (p: { file: string; row?: number | undefined; column?: string | undefined; code: string }): string => `${p.file}:${p.row ?? '-'}:${p.column ?? '-'}:${p.code}`;
/** The batch's verdict: what stops it, what --skip-invalid leaves behind, and each invoice. */
const verdict = (plan: Plan) => ({
  stoppers: batchStoppers(plan).map(at),
  skippable: (plan.skippable ?? []).map(at),
  invoices: plan.entries.map((e) => `${e.key.number}: ${e.invoice !== undefined ? 'valid' : 'invalid'}`),
});

const G1: Row[] = withBase(
  { vendor: 'GOBI', invoice_number: 'G-1', total_amount: '50.00', line_number: '1', price: '50.00' },
  { vendor: undefined, invoice_number: 'G-1', line_number: '2', price: '0.00' },
);
const G2: Row = withBase({ vendor: 'GOBI', invoice_number: 'G-2', total_amount: '20.00', price: '20.00' })[0]!;

describe('what --skip-invalid may leave behind', () => {
  it('a row with an invoice number and no vendor: its invoice is held back, the batch is not stopped', () => {
    expect(verdict(planOf(records([...G1, G2])))).toEqual({ stoppers: [], skippable: ['b.csv:3:vendor:missing_value'], invoices: ['G-1: invalid', 'G-2: valid'] });
  });

  it("the row's other cells' errors go with it", () => {
    const input = records([...G1, G2]);
    input[1]!.fields.price = undefined;
    input[1]!.problems = [problem(input[1]!.source, 'invalid_number', 'price "1,50" is not a number', { column: 'price' })];
    expect(verdict(planOf(input))).toEqual({ stoppers: [], skippable: ['b.csv:3:price:invalid_number', 'b.csv:3:vendor:missing_value'], invoices: ['G-1: invalid', 'G-2: valid'] });
  });

  it('a vendor cell the input refused is no vendor', () => {
    const input = records([...G1, G2]);
    input[1]!.fields.vendor = undefined;
    input[1]!.problems = [problem(input[1]!.source, 'too_long', 'vendor is 100,001 characters long', { column: 'vendor' })];
    expect(verdict(planOf(input))).toEqual({ stoppers: [], skippable: ['b.csv:3:vendor:too_long'], invoices: ['G-1: invalid', 'G-2: valid'] });
  });

  it('a number no invoice has: the row alone is left behind (with a vendor, it would be an invoice of its own)', () => {
    expect(verdict(planOf(records([G1[0]!, { ...G1[1]!, invoice_number: 'G-9' }, G2])))).toEqual({
      stoppers: [],
      skippable: ['b.csv:3:vendor:missing_value'],
      invoices: ['G-1: valid', 'G-2: valid'],
    });
  });

  it('every such row, past the ten named on the invoice', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ ...G1[1]!, line_number: String(i + 2) }));
    const v = verdict(planOf(records([G1[0]!, ...many, G2])));
    expect(v.stoppers).toEqual([]);
    expect(v.skippable).toHaveLength(12);
  });
});

describe('what still stops the whole batch', () => {
  it('a row with neither vendor nor invoice number: it cannot be tied to any invoice', () => {
    expect(verdict(planOf(records([G1[0]!, { ...G1[1]!, invoice_number: undefined }, G2])))).toEqual({
      stoppers: ['b.csv:3:vendor:missing_value'],
      skippable: [],
      invoices: ['G-1: valid', 'G-2: valid'],
    });
  });

  it('a row with a vendor and no invoice number', () => {
    expect(verdict(planOf(records([G1[0]!, { ...G1[1]!, vendor: 'GOBI', invoice_number: undefined }, G2]))).stoppers).toEqual(['b.csv:3:invoice_number:missing_value']);
  });

  it('a file without a vendor column, though its rows have invoice numbers', () => {
    const rows = [G1[0]!, G2].map(({ vendor: _, ...r }) => r);
    expect(verdict(planOf(records(rows)))).toEqual({ stoppers: ['b.csv:-:vendor:missing_column'], skippable: [], invoices: [] });
  });

  it('both at once: the row without a vendor is left behind, the other stops the batch', () => {
    const v = verdict(planOf(records([...G1, { ...G2, invoice_number: undefined }])));
    expect(v).toEqual({ stoppers: ['b.csv:4:invoice_number:missing_value'], skippable: ['b.csv:3:vendor:missing_value'], invoices: ['G-1: invalid'] });
  });

  it("a reader's problem on the row (its cells run past the header: a row shifted by a stray comma) is not the row's vendor: it stops the batch", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skippable-'));
    try {
      const file = join(dir, 'b.csv');
      writeFileSync(
        file,
        [
          'vendor,invoice_number,invoice_date,currency,total_amount,line_number,price,fund_code',
          'GOBI,G-1,2025-03-01,USD,50.00,1,50.00,HIST',
          ',G-1,2025-03-01,USD,50.00,2,0.00,HIST,x',
          'GOBI,G-2,2025-03-01,USD,20.00,1,20.00,HIST',
        ].join('\n') + '\n',
      );
      const v = verdict(await readBatch([file], { encoding: 'utf-8', stdin: process.stdin }));
      expect(v.stoppers).toEqual([`${file}:3:-:extra_cells`]);
      expect(v.skippable).toEqual([`${file}:3:vendor:missing_value`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('one-line JSON: a record with neither vendor nor invoice number on row 1 beside one with a number and no vendor still stops the batch, as pretty-printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skippable-'));
    try {
      const valid = { vendor: 'GOBI', invoice_number: 'R-1', invoice_date: '2025-03-01', currency: 'USD', total_amount: '50.00', line_number: '1', price: '50.00', fund_code: 'HIST' };
      const objects = [valid, { invoice_number: 'R-2', price: '10' }, { price: '99' }];
      const verdicts = [];
      for (const [name, text] of [['one.json', JSON.stringify(objects)], ['pretty.json', JSON.stringify(objects, null, 2)]] as const) {
        const file = join(dir, name);
        writeFileSync(file, text);
        const v = verdict(await readBatch([file], { encoding: 'utf-8', stdin: process.stdin }));
        verdicts.push({ stoppers: v.stoppers.map((k) => k.replace(/^[^:]*:\d+:/, '')), skippable: v.skippable.map((k) => k.replace(/^[^:]*:\d+:/, '')) });
      }
      expect(verdicts[0]).toEqual({ stoppers: ['vendor:missing_value'], skippable: ['vendor:missing_value'] });
      expect(verdicts[1]).toEqual(verdicts[0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

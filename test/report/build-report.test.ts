/**
 * buildReport's status mapping and summary counts from engine results (src/engine/result.ts:
 * "`not_started` … the report shows it as failed"; README "The report").
 */
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/plan.js';
import { buildReport } from '../../src/report/report.js';
import type { InvoiceResult } from '../../src/engine/result.js';
import type { GroupedInvoice } from '../../src/domain/model.js';
import { invoice, line } from '../targets/alma/fixtures.js';

const grouped = (number: string, lines: string[]): GroupedInvoice => {
  const inv = invoice(number, 'ACME', {}, lines.map((n) => line(n)));
  return { key: inv.key, rows: [{ file: 'b.csv', row: 2 }], problems: [], invoice: inv };
};
const invalid: GroupedInvoice = {
  key: { vendor: 'ACME', number: 'BAD' },
  rows: [{ file: 'b.csv', row: 9 }],
  problems: [{ file: 'b.csv', row: 9, column: 'total_amount', code: 'total_mismatch', message: 'x', severity: 'error' }],
  written: { lines: ['1', '2', '3'], total: '10', currency: 'USD' },
};
const result = (number: string, status: InvoiceResult['status']): InvoiceResult => ({
  key: { vendor: 'ACME', number },
  status,
  ...(status === 'loaded' || status === 'in_review' ? { id: `id-${number}`, workflowStatus: 'Waiting to be Sent' } : {}),
  alerts: [],
  lines: [],
  warnings: [],
});

describe('buildReport', () => {
  const plan = buildPlan([grouped('A', ['1']), grouped('B', ['1', '2']), grouped('C', ['1']), grouped('D', ['1']), grouped('E', ['1']), invalid], []);

  it('a run: each invoice by its result, one the run never reached (not_started) as failed, and the lines counted', () => {
    const doc = buildReport({
      target: 'alma',
      dryRun: false,
      plan,
      requests: 12,
      stopped: 'interrupted',
      results: [result('A', 'loaded'), result('B', 'in_review'), result('C', 'already_loaded'), result('D', 'failed'), result('E', 'not_started')],
    });
    expect(doc.invoices.map((i) => [i.number, i.status])).toEqual([
      ['A', 'loaded'],
      ['B', 'in_review'],
      ['C', 'already_loaded'],
      ['D', 'failed'],
      ['E', 'failed'],
      ['BAD', 'invalid'],
    ]);
    // lines: 1 + 2 + 1 + 1 + 1 of the valid ones, and the 3 the file gives the invalid one
    expect(doc.summary).toEqual({ invoices: 6, loaded: 1, in_review: 1, failed: 2, invalid: 1, already_loaded: 1, planned: 0, lines: 9, requests: 12 });
    expect(doc.stopped).toBe('interrupted');
    expect(doc.dry_run).toBe(false);
  });

  it('a dry run: every valid invoice planned, whatever results are passed along', () => {
    const doc = buildReport({ target: 'alma', dryRun: true, plan, requests: 0, results: [result('A', 'loaded')] });
    expect(doc.invoices.map((i) => i.status)).toEqual(['planned', 'planned', 'planned', 'planned', 'planned', 'invalid']);
    expect(doc.invoices[0]!.id).toBeUndefined();
    expect(doc.summary).toMatchObject({ planned: 5, loaded: 0, invalid: 1, lines: 9 });
  });
});

/**
 * Standard input has no name: its rows are placed as `standard input, row 2`, not `-:2`, and its
 * problems are headed `standard input` — on the terminal, in the CSV and HTML reports. The
 * report document keeps `"file": "-"` (the contract).
 */
import { describe, expect, it } from 'vitest';
import { plainStyle, refusedLineText, renderHuman } from '../../src/report/human.js';
import { formatRows } from '../../src/report/csv.js';
import { renderHtml } from '../../src/report/html.js';
import { placeOf } from '../../src/input/record.js';
import type { ReportDocument } from '../../src/report/report.js';
import { invoice } from './fixtures.js';

const stdin = (row: number) => ({ file: '-', row });

describe('standard input in a problem\'s or a row\'s place', () => {
  it('a row, rows, and a file beside it', () => {
    expect(placeOf('-', 2)).toBe('standard input, row 2');
    expect(formatRows([stdin(2), stdin(3), stdin(4), stdin(7)])).toBe('standard input, rows 2-4,7');
    expect(formatRows([stdin(2), { file: 'b.csv', row: 5 }])).toBe('standard input, row 2; b.csv:5');
    // A named file as before.
    expect(placeOf('b.csv', 2)).toBe('b.csv:2');
  });

  it('the dry run\'s table, the problems\' heading and a refused line name standard input in words', () => {
    const report: ReportDocument = {
      target: 'alma',
      dry_run: true,
      summary: { invoices: 1, loaded: 0, in_review: 0, failed: 0, invalid: 1, already_loaded: 0, planned: 0, lines: 1, requests: 0 },
      issues: [],
      invoices: [
        invoice({
          status: 'invalid',
          id: undefined,
          rows: [stdin(2), stdin(3)],
          issues: [{ file: '-', row: 2, column: 'invoice_date', code: 'invalid_date', message: 'invoice_date "2026-02-30" is not a real date', severity: 'error' }],
        }),
      ],
    };
    const lines = renderHuman(report, plainStyle, {}).split('\n');
    expect(lines[1]).toMatch(/ standard input, row 2$/);
    expect(lines).toContain('standard input');
    expect(lines.join('\n')).not.toMatch(/(?:^|\s)-:\d/m);
    const html = renderHtml(report, { files: ['-'] });
    expect(html).toContain('<h3><code>standard input</code></h3>');
    expect(html).toContain('files: <code>standard input</code>');
    const refused = { vendor: 'GOBI', number: 'G-1', error: { step: 'lines' as const, http_status: 400, code: '60248', message: 'x', line: { number: '2', po_line: 'POL-1', funds: ['BIO'], rows: [stdin(3)] } } };
    expect(refusedLineText(refused)).toBe('line 2 of GOBI G-1 (standard input, row 3, PO line POL-1, fund BIO)');
    expect(refusedLineText({ ...refused, error: { ...refused.error, line: { ...refused.error.line, rows: [{ file: 'b.csv', row: 3 }] } } })).toBe('line 2 of GOBI G-1 (row b.csv:3, PO line POL-1, fund BIO)');
  });
});

/**
 * The payments/export report as a terminal shows it, on more invoices and problems than one
 * call can take as spread arguments (it used Math.max(...rows) and push(...lines)).
 */
import { describe, expect, it } from 'vitest';
import { lifecycleSummary, renderLifecycle, type LifecycleInvoice, type LifecycleReport } from '../../src/report/lifecycle.js';
import { plainStyle } from '../../src/report/human.js';

const report = (invoices: LifecycleInvoice[]): LifecycleReport => ({
  target: 'alma',
  command: 'payments',
  dry_run: false,
  summary: lifecycleSummary(invoices, invoices.length),
  issues: [],
  invoices,
});

describe('renderLifecycle', () => {
  it('lays out columns by their longest cell', () => {
    const text = renderLifecycle(
      report([
        { vendor: 'GOBI', number: 'A-1', status: 'paid', id: '12345678901234567890', workflow_status: 'CLOSED', alerts: [], issues: [], rows: [] },
        { vendor: 'HARRASSOWITZ', number: 'B', status: 'failed', alerts: [], issues: [], rows: [], error: { step: 'erp', http_status: 400, code: '402459', message: 'must approve first' } },
      ]),
      plainStyle,
    );
    expect(text.split('\n').slice(0, 3)).toEqual([
      'status  vendor        number  alma id               outcome',
      'paid    GOBI          A-1     12345678901234567890  CLOSED',
      'FAILED  HARRASSOWITZ  B                             402459 must approve first',
    ]);
  });

  it('renders 300,000 invoices, each with a problem, without overflowing the stack', () => {
    const N = 300_000;
    const invoices: LifecycleInvoice[] = [];
    for (let i = 0; i < N; i++) {
      invoices.push({
        vendor: 'GOBI',
        number: `P-${i}`,
        status: 'invalid',
        alerts: [],
        issues: [{ severity: 'error', code: 'invalid_date', message: 'voucher_date "x" is not a date', file: 'p.csv', row: i + 2 }],
        rows: [{ file: 'p.csv', row: i + 2 }],
      });
    }
    const text = renderLifecycle(report(invoices), plainStyle);
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('INVALID')).length).toBe(N);
    expect(lines.filter((l) => l.includes('[invalid_date]')).length).toBe(N);
    expect(lines.at(-2)).toBe(`${N} invoices: ${N} invalid. ${N} requests to alma.`);
  }, 60_000);
});

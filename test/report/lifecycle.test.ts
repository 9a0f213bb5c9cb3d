/**
 * The payments/export report as a terminal shows it, on more invoices and problems than one
 * call can take as spread arguments (it used Math.max(...rows) and push(...lines)).
 */
import { describe, expect, it } from 'vitest';
import { lifecycleSummary, renderLifecycle, type LifecycleInvoice, type LifecycleReport } from '../../src/report/lifecycle.js';
import { plainStyle } from '../../src/report/human.js';
import { otherStatusWarning } from '../../src/cli/export.js';
import { paymentRefusal } from '../../src/cli/payments.js';
import type { InvoiceState } from '../../src/targets/alma/erp.js';

const report = (invoices: LifecycleInvoice[]): LifecycleReport => ({
  target: 'alma',
  command: 'payments',
  dry_run: false,
  summary: lifecycleSummary(invoices, invoices.length),
  issues: [],
  invoices,
});

describe('renderLifecycle', () => {
  it('one request is said in the singular', () => {
    const paid: LifecycleInvoice = { vendor: 'GOBI', number: 'P-1', status: 'paid', alerts: [], issues: [], rows: [] };
    expect(renderLifecycle(report([paid]), plainStyle).trimEnd().split('\n').pop()).toBe('1 invoice: 1 paid. 1 request to Alma.');
  });

  it("a row held back by its file's error (a file not read whole), with none of its own, says so; one with its own keeps 'see below'", () => {
    const cut = { file: 'p.csv', row: 4, code: 'cut_short', message: 'the file ends inside this row', severity: 'error' as const };
    const held: LifecycleInvoice = { vendor: 'V', number: 'N1', status: 'invalid', alerts: [], issues: [], rows: [{ file: 'p.csv', row: 2 }] };
    const own: LifecycleInvoice = { ...held, number: 'N2', issues: [{ ...cut, row: 3, code: 'missing_value', column: 'voucher_number', message: 'voucher_number is empty' }], rows: [{ file: 'p.csv', row: 3 }] };
    const text = renderLifecycle({ ...report([held, own]), dry_run: true, issues: [cut] }, plainStyle);
    expect(text).toMatch(/^INVALID +V +N1 +its file's error, see below$/m);
    expect(text).toMatch(/^INVALID +V +N2 +see below$/m);
  });

  it('after a stop says when running again can help, as the load\'s advice does', () => {
    const stopped = (why: string): string => renderLifecycle({ ...report([]), stopped: why }, plainStyle).trimEnd().split('\n').pop()!;
    expect(stopped('unreachable')).toBe('stopped: unreachable; once the address or the network is put right (above), re-run the same command to finish');
    expect(stopped('daily_limit')).toBe("stopped: daily_limit; after the institution's midnight, re-run the same command to finish");
    expect(stopped('interrupted')).toBe('stopped: interrupted; re-run the same command to finish');
  });

  it('after a stop, the rows never reached are one line under the table; with none listed, no empty table', () => {
    const notStarted = (n: string): LifecycleInvoice => ({
      vendor: 'GOBI', number: n, status: 'failed', alerts: [], issues: [], rows: [],
      error: { step: 'erp', http_status: 0, code: 'NOT_STARTED', message: 'not started: the run stopped first (unreachable); a re-run does it' },
    });
    const inFlight: LifecycleInvoice = { vendor: 'GOBI', number: 'P-1', status: 'failed', alerts: [], issues: [], rows: [], error: { step: 'erp', http_status: 0, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } };
    const lines = renderLifecycle({ ...report([inFlight, notStarted('P-2'), notStarted('P-3')]), stopped: 'unreachable' }, plainStyle).split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'status  vendor  number  alma id  outcome',
      'FAILED  GOBI    P-1              ECONNREFUSED connect ECONNREFUSED',
      '… and 2 invoices not started: the run stopped before reaching them (--json and --report list them)',
    ]);
    const none = renderLifecycle({ ...report([notStarted('P-2')]), stopped: 'unreachable' }, plainStyle).split('\n');
    // No table above: the line stands alone, not as the rest of one ("… and").
    expect(none[0]).toBe('The invoice was not started: the run stopped before reaching it (--json and --report list it)');
    const allThree = renderLifecycle({ ...report(['P-1', 'P-2', 'P-3'].map(notStarted)), stopped: 'unreachable' }, plainStyle).split('\n');
    expect(allThree[0]).toBe('None of the 3 invoices was started: the run stopped before reaching them (--json and --report list them)');
  });

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

  it('fits an 80-column terminal: ids left out where that shows the outcomes, the rest cut and printed whole below, the summary broken between words', () => {
    const failed = (vendor: string, number: string, message: string): LifecycleInvoice => ({
      vendor,
      number,
      status: 'failed',
      alerts: [],
      issues: [],
      rows: [],
      error: { step: 'erp', http_status: 404, code: 'NOT_FOUND', message },
    });
    const paid = (number: string): LifecycleInvoice => ({ vendor: 'HARRAS', number, status: 'paid', id: '53100000090004146', workflow_status: 'Closed', alerts: [], issues: [], rows: [] });
    const r = {
      ...report([
        paid('HA-2025-00412'),
        failed('HARRAS', 'HA-2025-00520', 'no invoice HA-2025-00520'),
        failed('BLACKWELL', 'BW/77305', 'Alma holds no invoice BW/77305 from BLACKWELL (tracking id E01-0412)'),
      ]),
      output: '/srv/acquisitions/outgoing/2026-12/payments-confirmed.csv',
    };
    const lines = renderLifecycle(r, plainStyle, { width: 80 }).split('\n');
    for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(80);
    // With the ids, 27 characters are left for the outcome: neither refusal shows whole; without, one does.
    expect(lines[0]).toMatch(/^status +vendor +number +outcome$/);
    expect(lines[1]).toMatch(/^paid +HARRAS +HA-2025-00412 +Closed$/);
    expect(lines[2]).toMatch(/^FAILED +HARRAS +HA-2025-00520 +NOT_FOUND no invoice HA-2025-00520$/);
    expect(lines[3]).toMatch(/^FAILED +BLACKWELL +BW\/77305 +NOT_FOUND Alma holds no invoice BW\/77305 from…$/);
    expect(lines[4]).toBe('(alma ids left out to fit this window: --json and --report show them)');
    expect(lines).toContain('BW/77305 (BLACKWELL): NOT_FOUND Alma holds no invoice BW/77305 from BLACKWELL');
    expect(lines).toContain('(tracking id E01-0412)');
    expect(lines.join(' ')).toContain('3 invoices: 1 paid, 2 failed. Written to /srv/acquisitions/outgoing/2026-12/payments-confirmed.csv. 3 requests to Alma.');
    // In a pipe: every cell, one line each.
    expect(renderLifecycle(r, plainStyle)).toMatch(/^paid +HARRAS +HA-2025-00412 +53100000090004146 +Closed$/m);
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
    expect(lines.at(-2)).toBe(`${N} invoices: ${N} invalid. ${N} requests to Alma.`);
  }, 60_000);
});

describe("export's and payments' words for Alma's workflow status", () => {
  it("say InReview as In Review (report/alerts.ts workflowLabel); the report's workflow_status keeps Alma's code", () => {
    const back: LifecycleInvoice = {
      vendor: 'ACME', number: 'R-1', status: 'rejected', id: '7', workflow_status: 'InReview', issues: [], rows: [],
      alerts: [{ code: 'INVOICE_WAS_REJECTED_BY_ERP', description: 'Invoice was rejected by external finance system' }],
    };
    const doc = report([back]);
    expect(renderLifecycle(doc, plainStyle).split('\n')[1]).toBe('rejected  ACME    R-1     7        In Review: INVOICE_WAS_REJECTED_BY_ERP');
    expect(doc.invoices[0]!.workflow_status).toBe('InReview');
  });

  it('the warning of invoices listed in another status, and the refusal of a payment, name the status as a person reads it', () => {
    const state = (workflowStatus: string): InvoiceState => ({ id: '7', number: 'R-7', vendor: 'ACME', workflowStatus, alerts: [], payment: {}, raw: {} });
    expect(otherStatusWarning([state('InReview'), state('InApproval')], 'Waiting to be Sent', 'out.csv')!.message).toBe(
      'Alma listed 2 invoices not in Waiting to be Sent when asked for Waiting to be Sent only; not exported: ACME R-7 (id 7) is In Review, ACME R-7 (id 7) is In Approval',
    );
    expect(otherStatusWarning([state('CLOSED')], 'InReview', 'out.csv')!.message).toBe('Alma listed 1 invoice not in In Review when asked for In Review only; not exported: ACME R-7 (id 7) is CLOSED');
    expect(paymentRefusal({ invoiceId: '7', status: 'rejected', note: 'no bank details' }, state('InApproval'))?.message).toBe(
      'invoice R-7 is In Approval; only an invoice waiting for payment (code Ready to be Paid) can be rejected',
    );
  });
});

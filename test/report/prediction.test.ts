import { describe, expect, it } from 'vitest';
import { predictionHeld, reportInvoice } from '../../src/report/report.js';
import { ALMA_PROFILE } from '../../src/targets/alma/profile.js';
import type { InvoiceResult } from '../../src/engine/result.js';
import type { Problem } from '../../src/domain/problem.js';
import { invoice, line } from '../targets/alma/fixtures.js';

const p = ALMA_PROFILE.alertPrediction!;
const linked = invoice('A-1', 'ACME', {}, [line('1', { poLine: 'POL-1' })]);
const unlinked = invoice('A-2', 'ACME', {}, [line('1', { poLine: 'POL-1' }), line('2')]);
const priceWarning: Problem = { file: 'b.csv', row: 2, column: 'price', code: 'po_line_price', message: 'will go to review: DIFF_PRICE_THAN_POLINE', severity: 'warning' };
const result = (status: InvoiceResult['status'], alerts: string[]): InvoiceResult => ({
  key: { vendor: 'ACME', number: 'x' },
  status,
  workflowStatus: status === 'in_review' ? 'InReview' : 'Waiting to be Sent',
  alerts: alerts.map((code) => ({ code, description: '' })),
  lines: [],
  warnings: [],
});

describe('whether the alerts foreseen before the load held', () => {
  it.each([
    ['nothing foreseen, nothing raised', linked, [], result('loaded', []), { alerts: [], held: true }],
    ['an unlinked line foresees NOT_LINKED_LINES, raised', unlinked, [], result('in_review', ['NOT_LINKED_LINES']), { alerts: ['NOT_LINKED_LINES'], held: true }],
    ['foreseen and not raised', unlinked, [], result('loaded', []), { alerts: ['NOT_LINKED_LINES'], held: false, missed: ['NOT_LINKED_LINES'] }],
    ['raised and not foreseen', linked, [], result('in_review', ['DIFF_PRICE_THAN_POLINE']), { alerts: [], held: false, unexpected: ['DIFF_PRICE_THAN_POLINE'] }],
    ['a warning foresees its alert', linked, [priceWarning], result('in_review', ['DIFF_PRICE_THAN_POLINE']), { alerts: ['DIFF_PRICE_THAN_POLINE'], held: true }],
    ['an alert no rule can foresee is neither', linked, [], result('in_review', ['EDI_INVOICE_OF_EXTERNAL_SYSTEM']), { alerts: [], held: true }],
  ] as const)('%s', (_name, inv, problems, r, expected) => {
    expect(predictionHeld(p, inv, problems, r)).toEqual(expected);
  });

  it('says nothing for an invoice not processed in this run', () => {
    expect(predictionHeld(p, unlinked, [], result('failed', []))).toBeUndefined();
    expect(predictionHeld(p, unlinked, [], result('already_loaded', ['NOT_LINKED_LINES']))).toBeUndefined();
  });

  it('says nothing for an invoice whose status was never read (the run stopped while Alma processed it)', () => {
    // Loaded, processing accepted, but no read after it: its alerts are not known, not "none".
    expect(predictionHeld(p, unlinked, [], { ...result('loaded', []), workflowStatus: undefined })).toBeUndefined();
  });

  it('says nothing for an invoice read before its processing had shown (--poll-timeout)', () => {
    // Read while Alma still processed it: no alert raised yet is not "none raised".
    expect(predictionHeld(p, unlinked, [], { ...result('in_review', []), unfinished: true })).toBeUndefined();
  });
});

describe("the report's error step", () => {
  it('a look-up before the create is the create step (the contract names create, lines, process, poll)', () => {
    const entry = { key: { vendor: 'ACME', number: 'A-1' }, rows: [{ file: 'b.csv', row: 2 }], problems: [], invoice: linked };
    const failed = (step: 'lookup' | 'lines'): InvoiceResult => ({
      ...result('failed', []),
      key: entry.key,
      error: { step, http_status: 0, code: 'ETIMEDOUT', message: 'GET /acq/vendors/ACME/invoices: no answer in 30 s' },
    });
    expect(reportInvoice(entry, failed('lookup'), false).error).toMatchObject({ step: 'create', code: 'ETIMEDOUT' });
    expect(reportInvoice(entry, failed('lines'), false).error).toMatchObject({ step: 'lines' });
  });
});

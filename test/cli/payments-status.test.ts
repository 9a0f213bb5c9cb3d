/**
 * Which invoices take the finance system's answer, and when it already shows (cli/payments.ts):
 * the rules of Ex Libris' payment import (docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments).
 */
import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { dryRunVerdict, PAYMENT_DIFFERS, paymentDiffers, paymentDone, paymentRefusal } from '../../src/cli/payments.js';
import { NOT_CONFIRMED } from '../../src/engine/operations.js';
import type { PaymentRequest } from '../../src/domain/payments.js';
import type { InvoiceState } from '../../src/targets/alma/erp.js';

const PAID: PaymentRequest = { invoiceId: '1', status: 'paid', voucherNumber: 'V-1', voucherDate: '2025-05-01', voucherAmount: new Decimal('10') };
const REJECTED: PaymentRequest = { invoiceId: '1', status: 'rejected', note: 'no bank details' };
const REJECTED_ALERT = { code: 'INVOICE_WAS_REJECTED_BY_ERP', description: 'Invoice was rejected by external finance system' };

const inv = (workflowStatus: string, more: Partial<InvoiceState> = {}): InvoiceState => ({
  id: '1',
  number: 'N-1',
  vendor: 'ACME',
  workflowStatus,
  alerts: [],
  payment: {},
  raw: {},
  ...more,
});

/** `done`, `send`, or the refusal's code and message. */
const verdict = (req: PaymentRequest, s: InvoiceState): string => {
  if (paymentDone(req, s)) return 'done';
  const why = paymentRefusal(req, s);
  return why === undefined ? 'send' : `${why.code}: ${why.message}`;
};

describe('the statuses that take paid and rejected', () => {
  it.each([
    ['paid, waiting for payment', PAID, inv('Ready to be Paid'), 'send'],
    ['rejected, waiting for payment', REJECTED, inv('Ready to be Paid'), 'send'],
    [
      'paid, not handed over yet',
      PAID,
      inv('Waiting to be Sent'),
      "WRONG_STATUS: invoice N-1 is Waiting to be Sent (the UI's Ready to be Paid), not yet handed over to finance; hand it over first: invoice-load export --mark-in-erp",
    ],
    [
      'rejected, not handed over yet',
      REJECTED,
      inv('Waiting to be Sent'),
      "WRONG_STATUS: invoice N-1 is Waiting to be Sent (the UI's Ready to be Paid), not yet handed over to finance; hand it over first: invoice-load export --mark-in-erp",
    ],
    ['paid, in review', PAID, inv('InReview'), 'WRONG_STATUS: invoice N-1 is In Review; only an invoice waiting for payment (code Ready to be Paid) can be paid'],
    ['paid, closed and paid with this voucher', PAID, inv('CLOSED', { payment: { status: 'PAID', voucherNumber: 'V-1' } }), 'done'],
    // Closed by the hand-over (handle_invoice_payment off) and given the voucher by hand: not paid.
    [
      'paid, closed with this voucher but not paid',
      PAID,
      inv('CLOSED', { payment: { status: 'NOT_PAID', voucherNumber: 'V-1' } }),
      'WRONG_STATUS: invoice N-1 is closed with voucher V-1 but not paid (payment status NOT_PAID); left unchanged',
    ],
    ['paid, closed with another voucher', PAID, inv('CLOSED', { payment: { status: 'PAID', voucherNumber: 'V-0' } }), 'CLOSED_OTHER_VOUCHER: invoice N-1 is already closed with voucher V-0, not V-1; left unchanged'],
    ['rejected, back in review with the alert', REJECTED, inv('InReview', { alerts: [REJECTED_ALERT] }), 'done'],
    // The import only adds the alert to a Closed invoice (KB-ERPREJ): that is the rejection done.
    ['rejected, closed with the alert', REJECTED, inv('CLOSED', { alerts: [REJECTED_ALERT], payment: { voucherNumber: 'V-0' } }), 'done'],
    [
      'rejected, closed without the alert',
      REJECTED,
      inv('CLOSED', { payment: { voucherNumber: 'V-0' } }),
      'WRONG_STATUS: invoice N-1 is already closed (voucher V-0); a rejection would not reopen it, only add an alert; left unchanged',
    ],
    // A stale alert on an invoice handed over again is not this rejection.
    ['rejected, waiting for payment with an old alert', REJECTED, inv('Ready to be Paid', { alerts: [REJECTED_ALERT] }), 'send'],
    ['rejected, in review without the alert', REJECTED, inv('InReview'), 'WRONG_STATUS: invoice N-1 is In Review; only an invoice waiting for payment (code Ready to be Paid) can be rejected'],
  ] as const)('%s', (_name, req, state, want) => {
    expect(verdict(req, state)).toBe(want);
  });
});

describe('an invoice already paid with the row\'s voucher, its payment compared with the row\'s', () => {
  const CORRECTED: PaymentRequest = { ...PAID, voucherNumber: 'V-2', voucherDate: '2025-05-03', voucherAmount: new Decimal('876.40'), voucherCurrency: 'EUR' };
  const paid = (payment: InvoiceState['payment']): InvoiceState => inv('CLOSED', { currency: 'EUR', payment: { status: 'PAID', voucherNumber: 'V-2', ...payment } });
  const said = (req: PaymentRequest, s: InvoiceState): string | undefined => {
    const d = paymentDiffers(req, s);
    return d === undefined ? undefined : `${d.code}: ${d.message}`;
  };
  it('another amount and date (a corrected file): a failure naming both values, with the currency\'s decimals', () => {
    expect(said(CORRECTED, paid({ voucherAmount: '1', voucherCurrency: 'EUR', voucherDate: '2025-05-01' }))).toBe(
      'PAYMENT_DIFFERS: invoice N-1 is already closed and paid with voucher V-2, but Alma shows voucher_amount 1.00 EUR where the row has 876.40 EUR, ' +
        'voucher_date 2025-05-01 where the row has 2025-05-03; left unchanged: correct the payment in Alma, or the row',
    );
  });
  it('another currency', () => {
    expect(said(CORRECTED, paid({ voucherAmount: '876.4', voucherCurrency: 'USD', voucherDate: '2025-05-03' }))).toBe(
      'PAYMENT_DIFFERS: invoice N-1 is already closed and paid with voucher V-2, but Alma shows voucher_currency USD where the row has EUR; left unchanged: correct the payment in Alma, or the row',
    );
  });
  it.each([
    ['the same payment, the amount as Alma\'s JSON number gives it', { voucherAmount: '876.4', voucherCurrency: 'EUR', voucherDate: '2025-05-03' }, CORRECTED],
    ['fields Alma does not show are not compared', {}, CORRECTED],
    ['a row with no currency is the invoice\'s (what was sent)', { voucherAmount: '876.40', voucherCurrency: 'EUR' }, { ...CORRECTED, voucherCurrency: undefined }],
  ] as const)('%s: nothing to say', (_name, payment, req) => {
    expect(said(req, paid(payment))).toBeUndefined();
  });
});

describe('--dry-run --online says what the real run would do (engine/operations.ts runOne): the journal first, then the invoice', () => {
  type Journaled = Parameters<typeof dryRunVerdict>[2];
  const none: NonNullable<Journaled> = { ops: new Map(), opsAccepted: new Set<string>(), opsPending: new Set<string>(), opsLost: new Set<string>() };
  const recorded = (op: string): Journaled => ({ ...none, ops: new Map([[op, { t: 'op', vendor: 'ACME', number: 'N-1', op, id: '1', outcome: 'done' }]]) });
  const accepted = (op: string): Journaled => ({ ...none, opsAccepted: new Set([op]) });
  const pending = (op: string): Journaled => ({ ...none, opsPending: new Set([op]) });
  const lost = (op: string): Journaled => ({ ...none, opsLost: new Set([op]) });
  const paidHere = inv('CLOSED', { payment: { status: 'PAID', voucherNumber: 'V-1' } });
  const paidOther = inv('CLOSED', { currency: 'EUR', payment: { status: 'PAID', voucherNumber: 'V-1', voucherAmount: '1', voucherCurrency: 'EUR' } });
  const waiting = inv('Ready to be Paid');
  const said = (v: ReturnType<typeof dryRunVerdict>): string => (v.error === undefined ? v.status : `${v.status} ${v.error.code}`);
  it.each([
    // Recorded by this file's journal: already_done, nothing read, whatever Alma shows now.
    ['journal done, Alma paid', PAID, paidHere, recorded('paid'), 'already_done'],
    ['journal done, Alma shows another amount', PAID, paidOther, recorded('paid'), 'already_done'],
    ['journal done, invoice handed over again', PAID, waiting, recorded('paid'), 'already_done'],
    ['journal rejected done, invoice handed over again with its old alert', REJECTED, inv('Ready to be Paid', { alerts: [REJECTED_ALERT] }), recorded('rejected'), 'already_done'],
    // Not in the journal: as the invoice is.
    ['no journal, Alma paid', PAID, paidHere, undefined, 'already_done'],
    ['journal without it, Alma paid', PAID, paidHere, none, 'already_done'],
    ['no journal, Alma paid with another amount', PAID, paidOther, undefined, `failed ${PAYMENT_DIFFERS}`],
    ['no journal, waiting for payment', PAID, waiting, undefined, 'planned'],
    ['no journal, not handed over', PAID, inv('Waiting to be Sent'), undefined, 'failed WRONG_STATUS'],
    // Sent by this loader before (accepted, or its answer lost) and shown done: the real run's own `paid`.
    ['sent, answer lost, Alma paid', PAID, paidHere, pending('paid'), 'planned'],
    ['sent again after a lost answer, Alma paid', PAID, paidOther, lost('paid'), 'planned'],
    ['accepted, Alma paid', PAID, paidHere, accepted('paid'), 'planned'],
    ['accepted, rejection shown', REJECTED, inv('InReview', { alerts: [REJECTED_ALERT] }), accepted('rejected'), 'planned'],
    // Sent before and not shown: a lost answer is sent again (planned), an accepted one never.
    ['sent, answer lost, still waiting', PAID, waiting, pending('paid'), 'planned'],
    ['accepted, still waiting', PAID, waiting, accepted('paid'), `failed ${NOT_CONFIRMED}`],
    // Another op's record is not this one's.
    ['journal has rejected done, row says paid', PAID, waiting, recorded('rejected'), 'planned'],
  ] as const)('%s: %s', (_name, req, state, journaled, want) => {
    expect(said(dryRunVerdict(req, state, journaled))).toBe(want);
  });
});

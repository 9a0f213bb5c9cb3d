/**
 * A rejection a payments file's journal records as done, given again in the same file (identical
 * content: the same journal) once the invoice was handed over again (cli/payments.ts
 * rejectionAgain, roundKey): sent again, under a round of its own.
 */
import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { rejectionAgain, roundKey, roundUnsentAndMovedOn } from '../../src/cli/payments.js';
import { foldJournal, type JournalEntry } from '../../src/engine/journal.js';
import { keyString } from '../../src/domain/model.js';
import type { PaymentRequest } from '../../src/domain/payments.js';
import type { InvoiceState } from '../../src/targets/alma/erp.js';

const REJECTED: PaymentRequest = { vendor: 'ACME', invoiceNumber: 'N-1', status: 'rejected', note: 'no bank details' };
const PAID: PaymentRequest = { vendor: 'ACME', invoiceNumber: 'N-1', status: 'paid', voucherNumber: 'V-1', voucherDate: '2025-05-01', voucherAmount: new Decimal('10') };
const inv = (workflowStatus: string): InvoiceState => ({ id: '1', number: 'N-1', vendor: 'ACME', workflowStatus, alerts: [], payment: {}, raw: {} });
const key = { vendor: 'ACME', number: 'N-1' };
const rejectedOp = (number: string, op = 'rejected'): JournalEntry => ({ t: 'op', vendor: 'ACME', number, op, id: '1', outcome: 'done', workflow_status: 'InReview' });

describe('payments: a rejection given again', () => {
  it('is new only when this file rejected the invoice and Alma shows it waiting for payment again', () => {
    const done = foldJournal([rejectedOp('N-1')]).get(keyString(key));
    expect(rejectionAgain(REJECTED, inv('Ready to be Paid'), done, undefined)).toBe(true);
    // Not handed over again: the recorded rejection stands.
    for (const status of ['InReview', 'Waiting to be Sent', 'CLOSED']) expect(rejectionAgain(REJECTED, inv(status), done, undefined)).toBe(false);
    // Not rejected by this file yet (its first run), or a payment: the runner's rules alone.
    expect(rejectionAgain(REJECTED, inv('Ready to be Paid'), undefined, undefined)).toBe(false);
    expect(rejectionAgain(PAID, inv('Ready to be Paid'), foldJournal([rejectedOp('N-1', 'paid')]).get(keyString(key)), undefined)).toBe(false);
  });

  it('is new only in a file modified after the recorded rejection was first sent (an old file given again is already done)', () => {
    const sentAt = Date.parse('2026-12-07T10:00:00Z');
    const done = foldJournal([
      { t: 'intent', vendor: 'ACME', number: 'N-1', step: 'op', op: 'rejected', id: '1', at: sentAt },
      rejectedOp('N-1'),
    ]).get(keyString(key));
    // The file was there before the rejection it holds was sent (dated the day before), or at that very moment.
    expect(rejectionAgain(REJECTED, inv('Ready to be Paid'), done, Date.parse('2026-12-06T18:00:00Z'))).toBe(false);
    expect(rejectionAgain(REJECTED, inv('Ready to be Paid'), done, sentAt)).toBe(false);
    // Written after it: finance's answer to the new hand-over.
    expect(rejectionAgain(REJECTED, inv('Ready to be Paid'), done, sentAt + 1)).toBe(true);
    // No modification time (stdin): cannot be told apart, sent again (with a warning).
    expect(rejectionAgain(REJECTED, inv('Ready to be Paid'), done, undefined)).toBe(true);
  });

  it("each round's key follows the one before it, so a re-run resumes the round it was in", () => {
    const states = foldJournal([
      rejectedOp('N-1'),
      { t: 'op', vendor: 'ACME', number: 'N-1', op: 'rejected_again', id: '1', outcome: 'done', batch: '2026-12-02T00:00:00.000Z' },
      rejectedOp('N-1 @2026-12-02T00:00:00.000Z'),
      { t: 'op', vendor: 'ACME', number: 'N-1 @2026-12-02T00:00:00.000Z', op: 'rejected_again', id: '1', outcome: 'done', batch: '2026-12-05T00:00:00.000Z' },
    ]);
    expect(roundKey((k) => states.get(keyString(k)), key)).toEqual({ vendor: 'ACME', number: 'N-1 @2026-12-05T00:00:00.000Z' });
    expect(roundKey(() => undefined, key)).toEqual(key);
  });

  it('a later round not sent yet (a kill after rejected_again) whose invoice moved on falls back to the previous round: already done', () => {
    const fresh = foldJournal([]).get(keyString(key));
    for (const status of ['CLOSED', 'InReview', 'Waiting to be Sent']) expect(roundUnsentAndMovedOn(REJECTED, inv(status), fresh, true)).toBe(true);
    // Still waiting for payment: the round's rejection is to be sent.
    expect(roundUnsentAndMovedOn(REJECTED, inv('Ready to be Paid'), fresh, true)).toBe(false);
    // The first round (no rejection recorded before), a payment, or a round whose send left: the runner's rules.
    expect(roundUnsentAndMovedOn(REJECTED, inv('CLOSED'), fresh, false)).toBe(false);
    expect(roundUnsentAndMovedOn(PAID, inv('CLOSED'), fresh, true)).toBe(false);
    const sent = foldJournal([{ t: 'intent', vendor: 'ACME', number: 'N-1', step: 'op', op: 'rejected', id: '1', at: 1 }]).get(keyString(key));
    expect(roundUnsentAndMovedOn(REJECTED, inv('CLOSED'), sent, true)).toBe(false);
  });
});

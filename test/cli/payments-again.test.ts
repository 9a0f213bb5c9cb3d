/**
 * A rejection a payments file's journal records as done, given again in the same file (identical
 * content: the same journal) once the invoice was handed over again (cli/payments.ts
 * rejectionAgain, roundKey): sent again, under a round of its own.
 */
import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { rejectionAgain, roundKey } from '../../src/cli/payments.js';
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
    expect(rejectionAgain(REJECTED, inv('Ready to be Paid'), done)).toBe(true);
    // Not handed over again: the recorded rejection stands.
    for (const status of ['InReview', 'Waiting to be Sent', 'CLOSED']) expect(rejectionAgain(REJECTED, inv(status), done)).toBe(false);
    // Not rejected by this file yet (its first run), or a payment: the runner's rules alone.
    expect(rejectionAgain(REJECTED, inv('Ready to be Paid'), undefined)).toBe(false);
    expect(rejectionAgain(PAID, inv('Ready to be Paid'), foldJournal([rejectedOp('N-1', 'paid')]).get(keyString(key)))).toBe(false);
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
});

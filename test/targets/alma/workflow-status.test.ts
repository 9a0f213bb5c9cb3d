import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/common/errors.js';
import { workflowStatusCode } from '../../../src/targets/alma/erp.js';

describe('export --status: Alma workflow status codes', () => {
  it.each([
    ['Waiting to be Sent', 'Waiting to be Sent'],
    ['waiting to be sent', 'Waiting to be Sent'],
    ['  Waiting  to be SENT ', 'Waiting to be Sent'],
    ['InReview', 'InReview'],
    // A UI label that is no code is its code.
    ['In Review', 'InReview'],
    ['in approval', 'InApproval'],
    ['Waiting for Payment', 'Ready to be Paid'],
    ['closed', 'CLOSED'],
    // "Ready to be Paid" is a code (the UI's Waiting for Payment), so it stays that code.
    ['Ready to be Paid', 'Ready to be Paid'],
  ])('%j → %j', (text, code) => {
    expect(workflowStatusCode(text)).toBe(code);
  });

  it('anything else is a usage error that lists the codes and their UI labels', () => {
    expect(() => workflowStatusCode('Bogus')).toThrow(UsageError);
    expect(() => workflowStatusCode('Paid')).toThrow(
      '--status "Paid" is not one of Alma\'s invoice workflow status codes: "InReview" (the UI\'s In Review), "InApproval" (the UI\'s In Approval), ' +
        '"Waiting to be Sent" (the UI\'s Ready to be Paid), "Ready to be Paid" (the UI\'s Waiting for Payment), "CLOSED"',
    );
  });
});

/** exitCodeForReport (README "Exit codes"): a load that sent, and left a row of the file behind. */
import { describe, expect, it } from 'vitest';
import { exitCodeForReport } from '../../src/cli/exit.js';

const summary = { failed: 0, invalid: 0 };
// A row with an invoice number no invoice has, and no vendor: --skip-invalid loads every invoice without it (Plan.skippable).
const rowLeft = { file: 'b.csv', row: 3, column: 'vendor', code: 'missing_value', message: 'vendor is empty, so the row cannot be grouped into an invoice', severity: 'error' as const };

describe('exit code of a report', () => {
  it('a load that sent every invoice but left a row of the file behind is 4, not 0: the batch was not all loaded', () => {
    expect(exitCodeForReport({ issues: [rowLeft], summary }, { sent: true })).toBe(4);
  });

  it('a warning of the file does not count, and nothing sent is still 3', () => {
    expect(exitCodeForReport({ issues: [{ ...rowLeft, severity: 'warning' }], summary }, { sent: true })).toBe(0);
    expect(exitCodeForReport({ issues: [rowLeft], summary }, { sent: false })).toBe(3);
  });
});

/** The verify command's summary as a person reads it, pure: the table, the counts, and a stop. */
import { describe, expect, it } from 'vitest';
import { buildVerifyReport, readBackStatus, renderVerify, verifyExitCode, type VerifyInvoice } from '../../src/report/verify.js';
import { plainStyle } from '../../src/report/human.js';

const inv = (number: string, status: VerifyInvoice['status'], extra: Partial<VerifyInvoice> = {}): VerifyInvoice => ({
  vendor: 'GOBI', number, status, id: status === 'not_found' ? undefined : `531${number.length}`, differences: [], issues: [], rows: [], ...extra,
});

describe('renderVerify', () => {
  it('a table of what was read, the counts, and what to do about a difference', () => {
    const report = buildVerifyReport('alma', [inv('G-1', 'matches'), inv('G-2', 'differs', { differences: [{ field: 'note', sent: '"spring"', stored: 'nothing' }] })], [], 4);
    const lines = renderVerify(report, plainStyle).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^status\s+vendor\s+number\s+alma id\s+what differs$/);
    expect(lines[2]).toMatch(/note: sent "spring", stored nothing$/);
    expect(lines).toContain('2 invoices: 1 matches, 1 differs. 4 read-only requests to Alma.');
    expect(lines.at(-1)).toMatch(/^Next: check the invoices named above in Alma/);
    expect(verifyExitCode(report)).toBe(4);
  });

  it("a difference only where Alma writes its own text (a line vat_note, tolerated) matches: listed, exit 0; any other difference differs", () => {
    const vat = { field: 'line 1 vat_note', sent: '"VAT included"', stored: '"Approximately 0.00 included in line Total Price."', tolerated: true as const };
    const note = { field: 'note', sent: '"spring"', stored: 'nothing' };
    expect(readBackStatus([])).toBe('matches');
    expect(readBackStatus([vat])).toBe('matches');
    expect(readBackStatus([vat, note])).toBe('differs');
    expect(readBackStatus([note])).toBe('differs');
    const report = buildVerifyReport('alma', [inv('G-1', readBackStatus([vat]), { differences: [vat] })], [], 1);
    const lines = renderVerify(report, plainStyle).trimEnd().split('\n');
    expect(lines[1]).toMatch(/^matches .*line 1 vat_note: sent "VAT included", stored "Approximately 0\.00 included in line Total Price\." \(Alma's own words\)$/);
    expect(verifyExitCode(report)).toBe(0);
  });

  it('stopped before any invoice was read: no empty table, and the stop with when to run it again', () => {
    const report = buildVerifyReport('alma', [], [], 0, 'unreachable');
    expect(renderVerify(report, plainStyle).trimEnd().split('\n')).toEqual([
      '0 invoices: 0 match. 0 read-only requests to Alma.',
      'stopped: unreachable; no invoice was read; once the address or the network is put right (above), run the same command again to verify the others',
    ]);
    expect(verifyExitCode(report)).toBe(4);
    // Some read before the stop: those are the table.
    const some = renderVerify(buildVerifyReport('alma', [inv('G-1', 'matches')], [], 1, 'unreachable'), plainStyle);
    expect(some).toMatch(/^status .*\nmatches .*G-1.*\n\n1 invoice: 1 matches\. 1 read-only request to Alma\.\nstopped: unreachable; only the invoices above were read; /);
  });

  it("names the target as the load's summary does: the Alma sandbox, FOLIO", () => {
    const sandbox = { ...buildVerifyReport('alma', [inv('G-1', 'not_found')], [], 2), sandbox: true };
    const lines = renderVerify(sandbox, plainStyle).trimEnd().split('\n');
    expect(lines).toContain('1 invoice: 0 match, 1 not found. 2 read-only requests to the Alma sandbox.');
    expect(lines[1]).toMatch(/Alma holds no invoice G-1 from GOBI$/);
    expect(lines.at(-1)).toBe('Next: check the invoices named above in Alma; what differs is what Alma stored against what the batch says.');
    expect(renderVerify(buildVerifyReport('folio', [], [], 1), plainStyle)).toBe('0 invoices: 0 match. 1 read-only request to FOLIO.\n');
  });

  it("after a stop, carries the stop's detail (stop_detail, as the load's report does) into when to run it again", () => {
    const down = buildVerifyReport('alma', [inv('G-1', 'matches')], [], 3, 'unreachable', { code: 'GATEWAY_DOWN' });
    expect(down.stop_detail).toEqual({ code: 'GATEWAY_DOWN' });
    expect(renderVerify(down, plainStyle).trimEnd().split('\n').at(-1)).toBe(
      'stopped: unreachable; only the invoices above were read; later, once Alma is up again, run the same command again to verify the others',
    );
    // The target's own name in the advice; no stop, no detail kept.
    expect(renderVerify(buildVerifyReport('folio', [], [], 1, 'unreachable', { code: 'NO_ANSWER' }), plainStyle)).toContain(
      'once the address and the network are checked (or with a longer --timeout, if FOLIO is only slow), run the same command again',
    );
    expect(buildVerifyReport('alma', [], [], 1, undefined, { code: 'GATEWAY_DOWN' })).not.toHaveProperty('stop_detail');
  });
});

describe("renderVerify: the file's own problems", () => {
  const problem = (row: number, code: string, message: string, severity: 'error' | 'warning' = 'error') => ({ file: 'b.csv', row, column: 'vendor', code, message, severity });

  it('an invalid invoice says why: its errors below the table, each once, and counted once', () => {
    // Row 3 has an invoice number and no vendor: its missing_value (the file's) and the held
    // invoice's row_without_vendor are one piece of news (human.ts saidOnce).
    const orphan = problem(3, 'missing_value', 'vendor is empty; fill in GOBI?');
    const held = problem(3, 'row_without_vendor', 'invoice number "G-1" with no vendor: held back');
    const warning = { ...problem(2, 'unknown_columns', 'columns not in the canonical layout are ignored: x', 'warning'), row: undefined, column: undefined };
    const report = buildVerifyReport('alma', [inv('G-1', 'invalid', { id: undefined, issues: [held] }), inv('G-2', 'matches')], [orphan, warning], 1);
    const lines = renderVerify(report, plainStyle).trimEnd().split('\n');
    expect(lines[1]).toMatch(/^invalid +GOBI +G-1 +1 error, see below$/);
    expect(lines).toContain('  row 3 vendor: error invoice number "G-1" with no vendor: held back [row_without_vendor]');
    expect(lines).toContain('  file: warning columns not in the canonical layout are ignored: x [unknown_columns]');
    expect(lines.join('\n')).not.toContain('fill in GOBI?');
    expect(lines).toContain('2 invoices: 1 matches, 1 invalid (not looked up); 1 error, 1 warning in the file. 1 read-only request to Alma.');
    expect(verifyExitCode(report)).toBe(3);
  });

  it("a clean file's invoices held back by another file's error are counted as held back, not as invalid; the statuses stay invalid", () => {
    const cut = { file: 'cut.csv', row: 16, code: 'cut_short', message: 'the file ends inside this row', severity: 'error' as const };
    const invoices = [
      inv('G-1', 'invalid', { id: undefined, rows: [{ file: 'cut.csv', row: 2 }] }),
      inv('A-1', 'invalid', { id: undefined, rows: [{ file: 'good.csv', row: 2 }] }),
      inv('A-2', 'invalid', { id: undefined, rows: [{ file: 'good.csv', row: 3 }] }),
      inv('A-3', 'invalid', { id: undefined, rows: [{ file: 'good.csv', row: 4 }], issues: [{ ...cut, file: 'good.csv', row: 4, code: 'invalid_date', message: 'not a date' }] }),
    ];
    const report = buildVerifyReport('alma', invoices, [cut], 0);
    expect(report.summary.invalid).toBe(4);
    expect(renderVerify(report, plainStyle)).toContain('4 invoices: 0 match, 2 invalid (not looked up), 2 held back by the batch\'s error (not looked up); 2 errors, 0 warnings in the file.');
  });

  it('a file of rows in no invoice says which, not only "0 invoices"', () => {
    const report = buildVerifyReport('alma', [], [problem(2, 'missing_value', 'vendor and invoice_number are both empty')], 0);
    expect(renderVerify(report, plainStyle).trimEnd().split('\n')).toEqual([
      'b.csv',
      '  row 2 vendor: error vendor and invoice_number are both empty [missing_value]',
      '',
      '0 invoices: 0 match; 1 error, 0 warnings in the file. 0 read-only requests to Alma.',
    ]);
    expect(verifyExitCode(report)).toBe(3);
  });

  it("exit 3 for a row in no invoice even when every invoice looked up matches (that row was not verified); a warning is no reason", () => {
    const row = problem(9, 'missing_value', 'invoice_number is empty, so the row cannot be grouped into an invoice');
    expect(verifyExitCode(buildVerifyReport('alma', [inv('G-1', 'matches')], [row], 1))).toBe(3);
    expect(verifyExitCode(buildVerifyReport('alma', [inv('G-1', 'matches')], [{ ...row, severity: 'warning' }], 1))).toBe(0);
    // Something differs: 4 says more than 3.
    expect(verifyExitCode(buildVerifyReport('alma', [inv('G-1', 'differs')], [row], 1))).toBe(4);
  });

  it('a stop is exit 4 even when every invoice read before it was invalid and the file has an error of its own: the others were not verified', () => {
    const row = problem(9, 'missing_value', 'invoice_number is empty, so the row cannot be grouped into an invoice');
    const held = problem(3, 'row_without_vendor', 'invoice number "G-1" with no vendor: held back');
    expect(verifyExitCode(buildVerifyReport('alma', [inv('G-1', 'invalid', { id: undefined, issues: [held] })], [row], 1, 'unreachable'))).toBe(4);
    // Stopped before any invoice was read at all.
    expect(verifyExitCode(buildVerifyReport('alma', [], [row], 1, 'daily_limit'))).toBe(4);
    // Without a stop the same file is 3.
    expect(verifyExitCode(buildVerifyReport('alma', [inv('G-1', 'invalid', { id: undefined, issues: [held] })], [row], 0))).toBe(3);
  });

  it('interrupted (Ctrl-C) is exit 130, as every command\'s, whatever was read before it', () => {
    expect(verifyExitCode(buildVerifyReport('alma', [inv('G-1', 'matches')], [], 1, 'interrupted'))).toBe(130);
    expect(verifyExitCode(buildVerifyReport('alma', [inv('G-1', 'differs')], [], 1, 'interrupted'))).toBe(130);
  });
});

describe('unreadInvoice (cli/verify.ts): what a failed read by id says', () => {
  it("412400 under a 400 is not found; in Alma's error document under a 200 it is no proof of absence: the read failed", async () => {
    const { unreadInvoice } = await import('../../src/cli/verify.js');
    const { ApiError } = await import('../../src/common/errors.js');
    const real = new ApiError({ httpStatus: 400, code: '412400', message: 'Invoice 77 not found.' });
    expect(unreadInvoice(real, 'alma', 'Alma', undefined, '77').status).toBe('not_found');
    expect(unreadInvoice(real, 'alma', 'Alma', '77', '77').status).toBe('missing');
    const inSuccess = new ApiError({ httpStatus: 200, inSuccess: true, code: '412400', message: 'an error answered with HTTP 200: Invoice 77 not found.' });
    expect(unreadInvoice(inSuccess, 'alma', 'Alma', undefined, '77')).toMatchObject({ status: 'failed', id: '77', error: { code: '412400' } });
    expect(unreadInvoice(inSuccess, 'alma', 'Alma', '77', '77').status).toBe('failed');
  });
});

describe("renderVerify: an invalid invoice of a file without a column every invoice needs", () => {
  it('says the file has no such column, not "0 errors" (the file\'s one missing_column is no error of the invoice\'s)', () => {
    const lacking = { file: 'b.csv', column: 'total_amount', code: 'missing_column', message: 'the file has no total_amount column, so its one invoice is not loaded; Alma requires it', severity: 'error' as const };
    const report = buildVerifyReport('alma', [inv('G-1', 'invalid', { id: undefined, rows: [{ file: 'b.csv', row: 2 }] })], [lacking], 0);
    const lines = renderVerify(report, plainStyle).trimEnd().split('\n');
    expect(lines[1]).toMatch(/^invalid +GOBI +G-1 +its file has no total_amount column, see below$/);
  });
});

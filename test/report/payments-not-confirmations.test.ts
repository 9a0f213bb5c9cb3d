/**
 * An invoice batch given to `invoice-load payments`: on a 24-line terminal the one line that says
 * what the file is (`invoice_batch_file`) is seen — its rows and their errors (payment_status
 * missing on each, confirmations "twice") are folded into one line, as a load folds a file's rows
 * under its missing column — the rows are not counted as invoices, and the last line does not offer
 * --skip-invalid, which the file's error stops too. --json and --report keep every row.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import { readRecords } from '../../src/input/read.js';
import { checkPayments, type PaymentRecord } from '../../src/domain/payments.js';
import { lifecycleSummary, renderLifecycle, type LifecycleInvoice, type LifecycleReport } from '../../src/report/lifecycle.js';
import { plainStyle } from '../../src/report/human.js';
import { notSentText } from '../../src/cli/payments.js';
import { problem } from '../../src/domain/problem.js';
import { ROOT } from '../helpers/cli.js';

const BATCH = 'sample-batch.csv';

/** The sample invoice batch read and checked as payments, reported as the payments command does. */
async function asPayments(): Promise<LifecycleReport> {
  const records: PaymentRecord[] = [];
  for await (const ev of readRecords({ name: BATCH, bytes: createReadStream(join(ROOT, 'fixtures/sample-batch.csv')) }, { encoding: 'utf-8' })) {
    if (ev.kind === 'record') records.push({ source: ev.record.source, fields: ev.record.fields });
  }
  const { entries, issues } = checkPayments(records);
  const invoices: LifecycleInvoice[] = entries.map((e) => ({ vendor: e.key.vendor, number: e.key.number, status: e.request === undefined ? 'invalid' : 'planned', alerts: [], issues: e.problems, rows: [e.source] }));
  return { target: 'alma', command: 'payments', dry_run: false, summary: lifecycleSummary(invoices, 0), issues, invoices };
}

describe('an invoice batch given to payments', () => {
  it("fits a terminal: the file's error, one line for its rows, the rows not counted as invoices", async () => {
    const report = await asPayments();
    expect(report.invoices).toHaveLength(15);
    expect(report.invoices.flatMap((i) => i.issues).length).toBeGreaterThan(15);
    const lines = renderLifecycle(report, plainStyle).trimEnd().split('\n');
    expect(lines).toEqual([
      BATCH,
      expect.stringMatching(/^ {2}file: error this is an invoice batch, not payment confirmations: .* \[invoice_batch_file\]$/),
      `  … the 15 rows of ${BATCH} and their errors are not listed: it is not payment confirmations (--json and --report list each)`,
      '',
      '15 rows of an invoice batch, not payment confirmations. 0 requests to Alma.',
    ]);
  });

  it('payments files beside it are listed and counted as before', async () => {
    const batch = await asPayments();
    const paid: LifecycleInvoice = { vendor: 'GOBI', number: 'P-1', status: 'planned', alerts: [], issues: [], rows: [{ file: 'pay.csv', row: 2 }] };
    const invoices = [...batch.invoices, paid];
    const lines = renderLifecycle({ ...batch, invoices, summary: lifecycleSummary(invoices, 0) }, plainStyle).trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('planned') || l.startsWith('INVALID'))).toEqual([expect.stringMatching(/^planned +GOBI +P-1/)]);
    expect(lines.at(-1)).toBe('15 rows of an invoice batch, not payment confirmations; 1 invoice: 1 planned. 0 requests to Alma.');
  });

  it("the line for the batch's rows goes under the batch's own heading, not under the payments file's after it", async () => {
    const batch = await asPayments();
    const wrong = problem({ file: 'pay.csv', row: 5 }, 'invalid_payment_status', 'payment_status "maybe" is not paid or rejected', { column: 'payment_status' });
    const bad: LifecycleInvoice = { vendor: 'GOBI', number: 'P-2', status: 'invalid', alerts: [], issues: [wrong], rows: [{ file: 'pay.csv', row: 5 }] };
    const invoices = [...batch.invoices, bad];
    const lines = renderLifecycle({ ...batch, invoices, summary: lifecycleSummary(invoices, 0) }, plainStyle).trimEnd().split('\n');
    const from = lines.indexOf(BATCH);
    expect(lines.slice(from, from + 5)).toEqual([
      BATCH,
      expect.stringMatching(/^ {2}file: error this is an invoice batch, not payment confirmations: .* \[invoice_batch_file\]$/),
      `  … the 15 rows of ${BATCH} and their errors are not listed: it is not payment confirmations (--json and --report list each)`,
      'pay.csv',
      '  row 5 payment_status: error payment_status "maybe" is not paid or rejected [invalid_payment_status]',
    ]);
  });

  it('the last line: the file stops the run with --skip-invalid too; --skip-invalid offered only when a row is valid', async () => {
    const { issues } = await asPayments();
    expect(notSentText('Nothing was sent', { json: false, files: 1, issues, valid: 0 })).toBe(
      `Nothing was sent: fix the problems above (one problem — ${BATCH} [invoice_batch_file] — is the file's, not one row's, and stops the whole run, even with --skip-invalid).`,
    );
    expect(notSentText('Nothing was sent', { json: true, files: 2, issues: [], valid: 0 })).toBe("Nothing was sent: no row of the files is valid; fix the problems listed in the report's issues.");
    const rowError = [problem({ file: 'p.csv', row: 3 }, 'missing_value', 'voucher_number is required', { severity: 'warning' })];
    expect(notSentText('Nothing was sent', { json: false, files: 1, issues: rowError, valid: 2 })).toBe('Nothing was sent: fix the problems above, or pass --skip-invalid to send the valid rows only.');
  });

  it("a row's invalid_encoding (the reader's, in the run's issues) is said as in reading the file, with its row, not as the file's and 'not one row's'", async () => {
    const byte = problem({ file: 'p.csv', row: 5 }, 'invalid_encoding', 'byte 0xE9 on line 5 is not valid UTF-8');
    expect(notSentText('Nothing was sent', { json: false, files: 1, issues: [byte], valid: 4 })).toBe(
      'Nothing was sent: fix the problems above (one problem — p.csv row 5 [invalid_encoding] — is in reading the file, not in what one row says, and stops the whole run, even with --skip-invalid).',
    );
    const { issues } = await asPayments();
    expect(notSentText('Nothing was sent', { json: false, files: 2, issues: [...issues, byte], valid: 0 })).toBe(
      `Nothing was sent: fix the problems above (2 problems — ${BATCH} [invoice_batch_file], p.csv row 5 [invalid_encoding] — are the files' or in reading them, not in what one row says, and stop the whole run, even with --skip-invalid).`,
    );
  });
});

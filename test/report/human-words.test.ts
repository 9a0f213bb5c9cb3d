/** The terminal's words a librarian reads: what a dry run did not check, alerts explained, no jargon. */
import { describe, expect, it } from 'vitest';
import { renderHuman } from '../../src/report/human.js';
import { renderHtml } from '../../src/report/html.js';
import type { ReportDocument } from '../../src/report/report.js';
import { invoice, mixedReport } from './fixtures.js';

const dryReport = (): ReportDocument => ({
  target: 'alma',
  dry_run: true,
  summary: { invoices: 1, loaded: 0, in_review: 0, failed: 0, invalid: 0, already_loaded: 0, planned: 1, lines: 1, requests: 0 },
  issues: [],
  invoices: [invoice({ status: 'planned', id: undefined, workflow_status: undefined, approval_status: undefined })],
});

describe('a dry run on the terminal', () => {
  it('says it checked the file only when the target could have looked the batch up online', () => {
    const text = renderHuman(dryReport(), undefined, { label: 'Alma', online: true });
    expect(text.trimEnd().split('\n').at(-1)).toBe('Checked the file only; vendors, funds and PO lines were not looked up in Alma — add --online to check them.');
    // A target without --online (Exsited, Alguna) has nothing to offer.
    expect(renderHuman(dryReport(), undefined, { label: 'Exsited' })).not.toContain('--online');
  });

  it('does not tell a run cut short by Ctrl-C to add --online: it may have given it (the look-ups were what was interrupted)', () => {
    const text = renderHuman({ ...dryReport(), stopped: 'interrupted' }, undefined, { label: 'Alma', online: true });
    expect(text).not.toContain('add --online');
  });
});

describe('invoices in review on the terminal', () => {
  const alert = { code: 'NOT_LINKED_LINES', description: 'Lines not linked' };
  const inReview = (number: string): ReturnType<typeof invoice> =>
    invoice({ number, status: 'in_review', workflow_status: 'InReview', approval_status: 'PENDING', alerts: [alert] });

  it('explains each kind of alert once under the table, with what to do, as the HTML report does', () => {
    const r = mixedReport();
    r.invoices.push(inReview('G-7'), inReview('G-8'));
    const text = renderHuman(r);
    expect(text).toMatch(/^in review +GOBI +G-2 +\d+ +1 +In Review: NOT_LINKED_LINES \(Lines not linked\)$/m);
    expect(text).not.toContain('InReview');
    expect(text).toContain('In review in Alma — 3 invoices (GOBI G-2, GOBI G-7, GOBI G-8): Lines not linked [NOT_LINKED_LINES]\n  Some invoice lines are not linked to a PO line');
    expect(text).toContain('  What to do: In Alma, check the unlinked lines: link each to its PO line');
    expect(text.match(/What to do:/g)).toHaveLength(1);
    // --quiet keeps errors only
    expect(renderHuman(r, undefined, { quiet: true })).not.toContain('What to do');
  });

  it('says nothing of the alerts foreseen before sending when they held, and plainly when they did not', () => {
    const r = mixedReport();
    r.invoices[1]!.prediction = { alerts: ['NOT_LINKED_LINES'], held: true };
    r.invoices[0]!.prediction = { alerts: [], held: true };
    expect(renderHuman(r)).not.toMatch(/foreseen|expected before sending/);
    r.invoices[0]!.prediction = { alerts: [], held: false, unexpected: ['DIFF_PRICE_THAN_POLINE'] };
    expect(renderHuman(r)).toContain("Alma's alerts were not the ones expected before sending for 1 invoice: GOBI G-1 (expected no alert, Alma raised DIFF_PRICE_THAN_POLINE). Each invoice is as Alma shows it above.");
  });

  it("shows Alma's InReview as In Review in the HTML report too", () => {
    const html = renderHtml(mixedReport());
    expect(html).toContain('<td>In Review</td>');
    expect(html).not.toContain('<td>InReview</td>');
  });
});

describe('a stopped run and a refused load, in plain words', () => {
  it('names where each invoice the run stopped on was, without the step and the stop code', () => {
    const msg = "the run stopped before this invoice was finished; the run's record (kept so a re-run never sends twice) lets a re-run complete it";
    const halfBuilt = invoice({ number: 'G-24118', status: 'failed', workflow_status: undefined, error: { step: 'lines', http_status: 0, code: 'INTERRUPTED', message: msg } });
    const r: ReportDocument = {
      target: 'alma',
      dry_run: false,
      stopped: 'interrupted',
      summary: { invoices: 1, loaded: 0, in_review: 0, failed: 1, invalid: 0, already_loaded: 0, planned: 0, lines: 1, requests: 3 },
      issues: [],
      invoices: [halfBuilt],
    };
    const text = renderHuman(r, undefined, { label: 'Alma' });
    expect(text).toContain("  GOBI G-24118: exists in Alma, incomplete (stopped while its lines were being added) — don't edit or delete it; the re-run completes it.");
    expect(text).not.toMatch(/INTERRUPTED|lines: /);
  });

  it("keeps a refused load's request estimate and code tables for --verbose", () => {
    const r = mixedReport();
    r.preflight = {
      target: 'alma',
      requests: 21,
      checked: { vendors: 4, funds: 7, po_lines: 13, code_tables: 3, invoices: 7 },
      unchecked: [],
      estimate: { invoices: 4, lines: 8, requests: { lookups: 0, create: 4, lines: 8, process: 4, polls: 4, total: 20 }, requests_if_slow: 79, rate: 10, seconds: 2 },
    };
    const text = renderHuman(r, undefined, { label: 'Alma' });
    expect(text).toContain('Looked up in Alma: 4 vendors, 7 funds, 13 PO lines, 7 invoices.');
    expect(text).not.toMatch(/Estimated load|code table/);
    expect(renderHuman(r, undefined, { label: 'Alma', verbose: true })).toMatch(/Online checks against Alma: .*3 code tables.*\nEstimated load of the 4 invoices that passed: 20 requests/);
    // A dry run --online asked for the estimate.
    expect(renderHuman({ ...r, dry_run: true }, undefined, { label: 'Alma' })).toContain('Estimated load of the 4 invoices');
  });
});

describe('the summary line', () => {
  it('names the target as people do, and leaves the request count out when nothing was sent', () => {
    const r = mixedReport();
    r.sandbox = true;
    r.duration_s = 1.23;
    expect(renderHuman(r).trimEnd().split('\n').at(-1)).toMatch(/\. 17 requests to the Alma sandbox in 1\.2 s\.$/);
    r.target = 'folio';
    expect(renderHuman(r)).toContain('17 requests to the FOLIO sandbox');
    r.summary.requests = 0;
    expect(renderHuman(r).trimEnd().split('\n').at(-1)).toBe('5 invoices, 4 lines: 1 loaded, 1 in review, 1 already loaded, 1 failed, 1 invalid (1 error, 2 warnings).');
  });
});

describe('the end-of-run line of a load that left rows behind (--skip-invalid)', () => {
  // Row 3 has an invoice number and no vendor: its G-1 is held back, G-2 was loaded (Plan.skippable).
  const orphan = { file: 'b.csv', row: 3, column: 'vendor', code: 'missing_value', message: 'vendor is empty, so the row cannot be grouped into an invoice', severity: 'error' as const };
  const report = (over: Partial<ReportDocument> = {}): ReportDocument => ({
    target: 'alma',
    dry_run: false,
    summary: { invoices: 2, loaded: 1, in_review: 0, failed: 0, invalid: 1, already_loaded: 0, planned: 0, lines: 2, requests: 9 },
    issues: [orphan],
    invoices: [
      invoice({ number: 'G-1', status: 'invalid', id: undefined, workflow_status: undefined, approval_status: undefined, issues: [{ ...orphan, code: 'row_without_vendor', message: 'held back' }] }),
      invoice({ number: 'G-2', rows: [{ file: 'b.csv', row: 4 }] }),
    ],
    ...over,
  });
  const last = (r: ReportDocument): string => renderHuman(r).trimEnd().split('\n').at(-1)!;

  it('counts the rows in no invoice, which no invoice of the table counts', () => {
    // One error: the row's missing_value is said by its row_without_vendor (saidOnce).
    expect(last(report())).toBe('2 invoices, 2 lines: 1 loaded, 1 invalid, 1 row in no invoice, not loaded (1 error, 0 warnings). 9 requests to Alma.');
  });

  it('a file error said at a row of an invoice (a byte the encoding does not hold) is no row in no invoice', () => {
    // G-2's own row 4; and the file's invalid_encoding said at row 9, a line of no row of the table.
    const encoding = { file: 'b.csv', row: 4, code: 'invalid_encoding', message: 'the file is read as windows-1252, but it is UTF-8', severity: 'error' as const };
    const r = report({ issues: [encoding, { ...encoding, row: 9 }] });
    expect(last(r)).toBe('2 invoices, 2 lines: 1 loaded, 1 invalid (3 errors, 0 warnings). 9 requests to Alma.');
    // A row's own error still counts it, beside them.
    expect(last(report({ issues: [encoding, orphan] }))).toContain('1 invalid, 1 row in no invoice, not loaded');
  });

  it('a row without a vendor on a line an invoice also holds (one-line JSON: every object on row 1) is still a row in no invoice', () => {
    const oneLine = { ...orphan, file: 'b.json', row: 1 };
    const r = report({
      issues: [oneLine],
      invoices: [
        invoice({ number: 'G-1', status: 'invalid', id: undefined, workflow_status: undefined, approval_status: undefined, issues: [{ ...oneLine, code: 'row_without_vendor', message: 'held back' }] }),
        invoice({ number: 'G-2', rows: [{ file: 'b.json', row: 1 }] }),
      ],
    });
    expect(last(r)).toContain('1 loaded, 1 invalid, 1 row in no invoice, not loaded');
  });

  it('one-line JSON: the records in no invoice on its one row are counted each, not as one row', () => {
    // Three records kept out of every invoice, all on row 1, each with its one missing_value (domain/group.ts).
    const at = { file: 'b.json', row: 1, code: 'missing_value', severity: 'error' as const };
    const issues = [
      { ...at, column: 'vendor', message: 'vendor is empty, so the row cannot be grouped into an invoice; no other row of the file has its invoice number "X-9" — fill in the vendor' },
      { ...at, column: 'invoice_number', message: 'invoice_number is empty, so the row cannot be grouped into an invoice' },
      { ...at, column: 'vendor', message: 'vendor and invoice_number are both empty, so the row belongs to no invoice (a totals or notes line?); delete it, or fill them in' },
    ];
    const r = report({ issues, summary: { ...report().summary, invoices: 1, invalid: 0, lines: 1 }, invoices: [invoice({ number: 'G-2', rows: [{ file: 'b.json', row: 1 }] })] });
    expect(last(r)).toBe('1 invoice, 1 line: 1 loaded, 3 rows in no invoice, not loaded (3 errors, 0 warnings). 9 requests to Alma.');
  });

  it("one-line JSON: records whose key cell was refused, or given under two keys, are counted each too", () => {
    // A valid G-2 on row 1 beside three records kept out of it: "vendor": true, "vendor": ["x"], and "vendor": null with "VENDOR": "X".
    const at = { file: 'b.json', row: 1, severity: 'error' as const };
    const issues = [
      { ...at, column: 'vendor', code: 'boolean_cell', message: 'vendor is the JSON value true, not a text' },
      { ...at, column: 'vendor', code: 'invalid_value', message: 'column vendor must be a single value, not a list' },
      { ...at, column: 'vendor', code: 'duplicate_column', message: 'keys "vendor" (null) and "VENDOR" ("X") are the same column vendor; keep one' },
    ];
    const inputs = [{ file: 'b.json', format: 'json' }];
    const r = report({ issues, inputs, summary: { ...report().summary, invoices: 1, invalid: 0, lines: 1 }, invoices: [invoice({ number: 'G-2', rows: [{ file: 'b.json', row: 1 }] })] });
    expect(last(r)).toBe('1 invoice, 1 line: 1 loaded, 3 rows in no invoice, not loaded (3 errors, 0 warnings). 9 requests to Alma.');
  });

  it("a file error said at the header's row (a column twice, a profile that does not fit) is no row in no invoice", () => {
    const twice = { file: 'b.csv', row: 1, column: 'line_note', code: 'duplicate_column', message: "column 'line_note' appears twice in the header", severity: 'error' as const };
    const mismatch = { file: 'c.json', row: 1, code: 'mapping_mismatch', message: 'is it the right profile?', severity: 'error' as const };
    expect(last(report({ issues: [twice, mismatch] }))).not.toContain('in no invoice');
  });

  it("says the row once, by its row_without_vendor, on the terminal and in the HTML report; another row's missing_value stays", () => {
    const other = { ...orphan, row: 7, message: 'vendor is empty, another row' };
    const r = report({ issues: [orphan, other] });
    const text = renderHuman(r);
    expect(text.split('\n').filter((l) => l.startsWith('  row 3'))).toEqual(['  row 3 vendor: error held back [row_without_vendor]']);
    expect(text).toContain('  row 7 vendor: error vendor is empty, another row [missing_value]');
    expect(last(r)).toContain('(2 errors, 0 warnings)');
    const html = renderHtml(r);
    expect(html).not.toContain('vendor is empty, so the row cannot be grouped');
    expect(html).toContain('held back');
    expect(html).toContain('vendor is empty, another row');
    // The document keeps both, with their codes.
    expect(r.issues.map((p) => p.code)).toEqual(['missing_value', 'missing_value']);
  });

  it('in a dry run and when nothing was sent (the batch refused) too: no invoice of the table counts the row there either', () => {
    expect(last(report({ dry_run: true, summary: { ...report().summary, loaded: 0, planned: 1, requests: 0 } }))).toBe(
      '2 invoices, 2 lines: 1 planned, 1 invalid, 1 row in no invoice (1 error, 0 warnings). Dry run: nothing was sent.',
    );
    expect(last(report({ summary: { ...report().summary, loaded: 0, planned: 1, requests: 0 } }))).toBe(
      '2 invoices, 2 lines: 1 not sent, as the batch was refused, 1 invalid, 1 row in no invoice, not loaded (1 error, 0 warnings).',
    );
  });
});

describe("an invalid invoice of a file without a column every invoice needs (the file's missing_column)", () => {
  const lacking = { file: 'b.csv', column: 'total_amount', code: 'missing_column', message: 'the file has no total_amount column, so none of its 2 invoices is loaded; Alma requires it', severity: 'error' as const };
  const invalid = (number: string, issues: ReportDocument['issues'] = []): ReturnType<typeof invoice> =>
    invoice({ number, status: 'invalid', id: undefined, workflow_status: undefined, approval_status: undefined, total: undefined, issues, rows: [{ file: 'b.csv', row: number === 'G-1' ? 2 : 3 }] });

  it('says in its outcome that the file has no such column, not "0 errors"', () => {
    const own = { file: 'b.csv', row: 3, column: 'currency', code: 'invalid_currency', message: 'currency "XYZ" is not an ISO 4217 currency code', severity: 'error' as const };
    const r: ReportDocument = {
      target: 'alma',
      dry_run: false,
      summary: { invoices: 2, loaded: 0, in_review: 0, failed: 0, invalid: 2, already_loaded: 0, planned: 0, lines: 2, requests: 0 },
      issues: [lacking],
      invoices: [invalid('G-1'), invalid('G-2', [own])],
    };
    const text = renderHuman(r, undefined, { label: 'Alma' });
    expect(text).toMatch(/^INVALID +GOBI +G-1 +1 +its file has no total_amount column, see below$/m);
    // Its own error too: both are said.
    expect(text).toMatch(/^INVALID +GOBI +G-2 +1 +1 error, and its file has no total_amount column, see below$/m);
    expect(text).not.toContain('0 errors');
  });
});

describe("an invoice held back by its file's error (a file not read whole)", () => {
  it("says its file's error, not \"0 errors\"", async () => {
    const { errorsSeeBelow } = await import('../../src/report/human.js');
    const { problem } = await import('../../src/domain/problem.js');
    const cut = problem({ file: 'a.csv', row: 16 }, 'cut_short', 'the file ends inside this row');
    expect(errorsSeeBelow({ issues: [], rows: [{ file: 'a.csv', row: 2 }] }, [cut])).toBe("its file's error, see below");
    // Another file's error is not its own file's.
    expect(errorsSeeBelow({ issues: [], rows: [{ file: 'b.csv', row: 2 }] }, [cut])).not.toBe("its file's error, see below");
  });
  it("in a batch another file's error stopped, says what was not done for it and why, not \"0 errors\"", async () => {
    const { errorsSeeBelow } = await import('../../src/report/human.js');
    const { problem } = await import('../../src/domain/problem.js');
    const cut = problem({ file: 'a.csv', row: 16 }, 'cut_short', 'the file ends inside this row');
    const clean = { issues: [], rows: [{ file: 'b.csv', row: 2 }] };
    expect(errorsSeeBelow(clean, [cut])).toBe("not sent: the batch's error, see below");
    expect(errorsSeeBelow(clean, [cut], 'not looked up')).toBe("not looked up: the batch's error, see below");
    // A warning of another file stops nothing; an invoice with errors of its own counts them.
    expect(errorsSeeBelow(clean, [{ ...cut, severity: 'warning' }])).toBe('0 errors, see below');
    expect(errorsSeeBelow({ issues: [problem({ file: 'b.csv', row: 2 }, 'invalid_date', 'bad')], rows: clean.rows }, [cut])).toBe('1 error, see below');
  });
});

/** What a person sees on a terminal: the table fitted to the window, and --quiet keeping only errors. */
import { describe, expect, it } from 'vitest';
import { plainStyle, renderHuman, renderProblems, rowRanges } from '../../src/report/human.js';
import type { Problem } from '../../src/domain/problem.js';
import { mixedReport } from './fixtures.js';

describe('renderHuman on a terminal', () => {
  it('cuts the outcome column to the window and prints what was cut in full below', () => {
    const text = renderHuman(mixedReport(), undefined, { width: 80 });
    const lines = text.split('\n');
    const table = lines.slice(0, 6);
    for (const l of table) expect([...l].length, l).toBeLessThanOrEqual(80);
    expect(table.find((l) => l.startsWith('FAILED'))).toMatch(/create: 60237 Invo…$/);
    // What was cut follows whole, broken between words to the window: the tracking id unbroken.
    expect(lines.join(' ')).toContain('E-3 (EBSCO): create: 60237 Invoice vendor account not valid (tracking id E01-2106115205-AKV2X-AWAE1)');
    expect(lines).toContain('E01-2106115205-AKV2X-AWAE1)');
    // Every line of the page fits: the problems and the advice are broken at words, each
    // problem's rest under its start.
    for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(80);
    expect(text).toContain('  row 8 total_amount: error total_amount 250.00 does not match the lines: 220.00\n      [total_mismatch]');
    expect(text).toContain('    fix: use the account code shown on the vendor\'s record in Alma (Acquisitions\n        > Vendors > Accounts)');
  });

  it('leaves the id column out of an 80-column window when that shows more outcomes whole', () => {
    const r = mixedReport();
    // Numbers as long as the sample batch's (HA-2025-00412): with the ids, 12 characters are
    // left for the outcome, so no outcome shows whole and none can be cut usefully.
    r.invoices.forEach((inv, i) => (inv.number = `HA-2025-0041${i}`));
    const narrow = renderHuman(r, undefined, { width: 80 });
    const lines = narrow.split('\n');
    expect(lines[0]).toMatch(/^status +vendor +number +lines +outcome$/);
    for (const l of lines.slice(0, 6)) expect([...l].length, l).toBeLessThanOrEqual(80);
    expect(narrow).toMatch(/^loaded +GOBI +HA-2025-00410 +1 +Waiting to be Sent$/m);
    expect(narrow).toMatch(/^INVALID +HARRAS +HA-2025-00413 +0 +1 error, see below$/m);
    expect(lines[6]).toBe('(Alma ids left out to fit this window: --json and --report show them)');
    expect(narrow).not.toContain('53100000050004146');
    // what is still cut follows whole, unless a section below says it: the alert is explained there
    expect(narrow).not.toContain('HA-2025-00411 (GOBI): In Review: NOT_LINKED_LINES (Lines not linked)');
    expect(narrow).toContain('In review in Alma — GOBI HA-2025-00411: Lines not linked [NOT_LINKED_LINES]');
    // With room, the ids stay.
    const wide = renderHuman(r, undefined, { width: 120 });
    expect(wide.split('\n')[0]).toMatch(/^status +vendor +number +alma id +lines +outcome$/);
    expect(wide).toContain('53100000050004146');
    expect(wide).not.toContain('ids left out');
  });

  it('a window too narrow for any outcome beside its row (a 50-column split pane): ids and outcomes leave the table, each outcome whole below', () => {
    const r = mixedReport();
    r.invoices.forEach((inv, i) => (inv.number = `HA-2025-0041${i}`));
    const text = renderHuman(r, undefined, { width: 50 });
    const lines = text.split('\n');
    // Every row of the table on one line: none wraps and breaks the columns under it.
    expect(lines[0]).toMatch(/^status +vendor +number +lines$/);
    for (const l of lines.slice(0, 6)) expect([...l].length, l).toBeLessThanOrEqual(50);
    expect(lines.slice(1, 6).every((l) => /^\S+( \S+)? +\S+ +HA-2025-0041\d +\d+$/.test(l)), lines.slice(1, 6).join('\n')).toBe(true);
    expect(text).not.toContain('53100000050004146');
    // The outcomes follow, one an invoice, broken between words to the window.
    const joined = lines.join(' ');
    expect(joined).toContain('(Alma ids left out and outcomes listed below, to fit this window: --json and --report show the ids)');
    expect(joined).toContain('HA-2025-00410 (GOBI): Waiting to be Sent');
    expect(joined).toContain('HA-2025-00411 (GOBI): In Review: NOT_LINKED_LINES (Lines not linked)');
    for (const l of lines) if (!/\S{50}/.test(l)) expect([...l].length, l).toBeLessThanOrEqual(50);
    // At 80 columns the outcomes stay in the table (the test above).
    expect(renderHuman(r, undefined, { width: 80 }).split('\n')[0]).toMatch(/outcome$/);
  });

  it("a dry run's place column keeps its end (the row) when cut, and is not repeated below", () => {
    const r = mixedReport();
    r.dry_run = true;
    r.invoices.forEach((inv) => {
      inv.rows = inv.rows.map((p) => ({ ...p, file: '/srv/acquisitions/incoming/2026-12/harrassowitz-invoices.csv' }));
    });
    const text = renderHuman(r, undefined, { width: 80 });
    const lines = text.split('\n');
    const table = lines.slice(0, 6);
    for (const l of table) expect([...l].length, l).toBeLessThanOrEqual(80);
    expect(table[1]).toMatch(/…[\w-]*\.csv:\d+$/);
    expect(text).not.toContain('(GOBI): /srv');
    // Whole in a file or a pipe.
    expect(renderHuman(r)).toContain('/srv/acquisitions/incoming/2026-12/harrassowitz-invoices.csv:');
  });

  it.each([
    [50, ['status', 'vendor', 'number', 'total'], '(the line counts and where each invoice starts are left out to fit this window: --json and --report show them)'],
    [56, ['status', 'vendor', 'number', 'lines', 'total'], '(where each invoice starts is left out to fit this window: --json and --report show it)'],
  ])("a dry run on a window too narrow for the place (%i columns): it goes, then the line counts, so no row wraps", (width, header, note) => {
    const r = mixedReport();
    r.dry_run = true;
    r.invoices.forEach((inv) => {
      inv.rows = inv.rows.map((p) => ({ ...p, file: 'fixtures/sample-batch.csv' }));
    });
    const lines = renderHuman(r, undefined, { width }).split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual(header);
    const table = lines.slice(0, r.invoices.length + 1);
    for (const l of table) expect([...l].length, l).toBeLessThanOrEqual(width);
    expect(lines.slice(r.invoices.length + 1).join(' ')).toContain(note);
  });

  it('prints the control and bidirectional-override characters a file or Alma sent as ?, whatever the width', () => {
    const report = mixedReport();
    const failed = report.invoices.find((i) => i.status === 'failed')!;
    failed.vendor = 'EB\u202eSCO';
    failed.error = { ...failed.error!, message: 'account \u2066not\u2069 valid\u001b[2J\r\u009b' };
    for (const width of [undefined, 200]) {
      const text = renderHuman(report, undefined, { width });
      expect(text).toContain('EB?SCO');
      expect(text).toContain('account ?not? valid?[2J??');
      expect(text).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u001b\r\u009b]/);
    }
  });

  it('counts one failed invoice in the singular', () => {
    expect(renderHuman(mixedReport())).toContain('Failures (1 invoice):');
  });

  it('writes every cell whole for a file or a pipe (no width)', () => {
    const text = renderHuman(mixedReport());
    expect(text).toMatch(/^FAILED .*create: 60237 Invoice vendor account not valid \(tracking id E01-2106115205-AKV2X-AWAE1\)$/m);
    expect(text).not.toContain('…');
    // One problem a line, however long, for grep.
    expect(text).toMatch(/^  row 8 total_amount: error total_amount 250\.00 does not match the lines: 220\.00 \[total_mismatch\]$/m);
  });

  it('--quiet keeps only the failed and invalid invoices, the errors, and the summary line', () => {
    const text = renderHuman(mixedReport(), undefined, { quiet: true });
    expect(text.split('\n')[0]).toMatch(/^status\s+vendor\s+number/);
    expect(text).toMatch(/^FAILED\s+EBSCO\s+E-3/m);
    expect(text).toMatch(/^INVALID\s+HARRAS\s+H-4/m);
    expect(text).not.toMatch(/^(loaded|in review|already loaded) /m);
    expect(text).toContain('row 8 total_amount: error total_amount 250.00 does not match');
    expect(text).not.toContain('[unknown_column]');
    expect(text).not.toContain('[long_note]');
    // the summary still counts everything
    expect(text.trimEnd().split('\n').pop()).toBe('5 invoices, 4 lines: 1 loaded, 1 in review, 1 already loaded, 1 failed, 1 invalid (1 error, 2 warnings). 17 requests to Alma.');
  });

  it('--quiet after a clean run is the summary line alone', () => {
    const r = mixedReport();
    r.invoices = r.invoices.filter((i) => i.status === 'loaded');
    r.issues = [];
    // No blank line first: nothing is above it (review: cron, item 3).
    expect(renderHuman(r, undefined, { quiet: true })).toBe('5 invoices, 4 lines: 1 loaded, 1 in review, 1 already loaded, 1 failed, 1 invalid. 17 requests to Alma.\n');
  });
});

describe('renderProblems: a warning in the same words on many rows is said once', () => {
  const warn = (row: number, message = 'the run stopped while this invoice was being processed: it is loaded; its workflow status was not known yet (a re-run reads it)', code = 'status_unknown'): Problem =>
    ({ file: 'b.csv', row, code, message, severity: 'warning' });
  const err = (row: number): Problem => ({ file: 'b.csv', row, column: 'vendor', code: 'vendor_unknown', message: 'vendor "X" is not in Alma', severity: 'error' });

  it('three or more: one line with their rows as runs; fewer, and errors, one line each', () => {
    const lines = renderProblems([...[46, 47, 48, 49, 50, 60, 72, 73].map((r) => warn(r)), warn(5, 'other', 'x'), warn(9, 'other', 'x'), err(3), err(4), err(5)], plainStyle);
    expect(lines).toEqual([
      'b.csv',
      '  row 3 vendor: error vendor "X" is not in Alma [vendor_unknown]',
      '  row 4 vendor: error vendor "X" is not in Alma [vendor_unknown]',
      '  row 5: warning other [x]',
      '  row 5 vendor: error vendor "X" is not in Alma [vendor_unknown]',
      '  row 9: warning other [x]',
      '  rows 46–50, 60, 72–73 (8 in all): warning the run stopped while this invoice was being processed: it is loaded; its workflow status was not known yet (a re-run reads it) [status_unknown]',
    ]);
  });

  it("a file's mapping_needed warning comes after its rows, where a person who scrolled past them reads it; other file-level problems stay first", () => {
    const file = (code: string, message: string): Problem => ({ file: 'b.csv', code, message, severity: 'warning' });
    expect(renderProblems([err(3), file('mapping_needed', 'use a profile'), err(2), file('unknown_columns', 'x ignored')], plainStyle)).toEqual([
      'b.csv',
      '  file: warning x ignored [unknown_columns]',
      '  row 2 vendor: error vendor "X" is not in Alma [vendor_unknown]',
      '  row 3 vendor: error vendor "X" is not in Alma [vendor_unknown]',
      '  file: warning use a profile [mapping_needed]',
    ]);
  });

  it('rowRanges: runs, and past eight runs an ellipsis before the count', () => {
    expect(rowRanges([2, 3, 4])).toBe('rows 2–4 (3 in all)');
    expect(rowRanges([7, 7, 8])).toBe('rows 7–8 (3 in all)');
    expect(rowRanges([2, 4, 6, 8, 10, 12, 14, 16, 18, 20])).toBe('rows 2, 4, 6, 8, 10, 12, 14, 16, … (10 in all)');
  });
});

describe('a file name or value from outside, printed', () => {
  const evil = 'esc\u001b[31mRED\u001b[0m\nrow 9 fake.csv';

  it('shows a file name on one line, its escape codes and line break as \\u001b and \\n', () => {
    const r = mixedReport();
    r.dry_run = true;
    r.invoices.forEach((inv) => (inv.rows = [{ file: evil, row: 2 }]));
    const problems: Problem[] = [{ file: evil, row: 2, column: 'price', code: 'invalid_number', message: 'bad', severity: 'error' }];
    const text = [renderHuman(r), ...renderProblems(problems, plainStyle)].join('\n');
    expect(text).not.toMatch(/[\u001b]|\nrow 9/);
    expect(text).toContain('esc\\u001b[31mRED\\u001b[0m\\nrow 9 fake.csv:2');
    expect(renderProblems(problems, plainStyle)[0]).toBe('esc\\u001b[31mRED\\u001b[0m\\nrow 9 fake.csv');
  });

  it('cuts a value too long for a table cell, saying its length (a 5,000,000-digit number was printed whole)', () => {
    const r = mixedReport();
    r.invoices[0]!.number = '9'.repeat(5_000_000);
    const text = renderHuman(r);
    expect(text.length).toBeLessThan(20_000);
    expect(text).toContain(`${'9'.repeat(200)}… (5,000,000 characters)`);
  });
});

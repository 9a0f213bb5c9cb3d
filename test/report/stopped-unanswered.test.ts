/**
 * An invoice the run stopped on (its stop's code, at create, no id) whose create went out without
 * an answer — an earlier run's (engine.ts `unreached`) or perhaps this run's (`stoppedResult`) —
 * may already be in Alma: the terminal's table and group, the HTML and the CSV say its create was
 * sent without an answer and the re-run looks for it first, not "not created yet: the run stopped
 * first". One nothing of which was sent keeps "not created yet". Pure: a report document in, text out.
 */
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { renderCsv } from '../../src/report/csv.js';
import { plainStyle, renderHuman } from '../../src/report/human.js';
import type { ReportDocument, ReportInvoice } from '../../src/report/report.js';
import { invoice } from './fixtures.js';

const EARLIER =
  'the run stopped before reaching this invoice (it was interrupted); an earlier run sent its create and never got the answer, so it may already be in Alma: a re-run looks for it in Alma first and does not create it twice';
const THIS_RUN = 'the run stopped before this invoice was finished; this run or an earlier one sent its create and never got the answer, so it may already be in Alma: a re-run looks for it in Alma first and does not create it twice';
const PLAIN = "the run stopped before this invoice was finished; the run's record (kept so a re-run never sends twice) lets a re-run complete it";

function report(messages: readonly string[]): ReportDocument {
  const invoices: ReportInvoice[] = messages.map((message, i) =>
    invoice({ vendor: 'GOBI', number: `K-${i}`, status: 'failed', id: undefined, workflow_status: undefined, approval_status: undefined, lines: [{ number: '1' }], rows: [{ file: 'b.csv', row: i + 2 }], error: { step: 'create', http_status: 0, code: 'INTERRUPTED', message } }),
  );
  return {
    target: 'alma',
    dry_run: false,
    sandbox: true,
    stopped: 'interrupted',
    issues: [],
    invoices,
    summary: { invoices: invoices.length, loaded: 0, in_review: 0, failed: invoices.length, invalid: 0, already_loaded: 0, planned: 0, lines: 0, requests: 3 },
  };
}

const rowOf = (html: string, number: string): string => html.split('\n').find((l) => l.startsWith('<tr') && l.includes(`<b>${number}</b>`)) ?? '';

describe('a stopped invoice whose create went out without an answer', () => {
  it('the terminal table, the terminal group, the HTML and the CSV say so, and that the re-run looks for it first', () => {
    const r = report([EARLIER, THIS_RUN, PLAIN]);
    const terminal = renderHuman(r, plainStyle, {});
    expect(terminal).toMatch(/^stopped +GOBI +K-0 .* its create sent by an earlier run without an answer; a re-run looks for it in Alma first$/m);
    expect(terminal).toMatch(/^stopped +GOBI +K-1 .* its create sent without an answer; a re-run looks for it in Alma first$/m);
    expect(terminal).toMatch(/^stopped +GOBI +K-2 .* not created yet; a re-run finishes it$/m);
    expect(terminal).toContain('  GOBI K-0: its create was sent by an earlier run without an answer; the re-run looks for it in Alma first.');
    expect(terminal).toContain('  GOBI K-1: its create was sent without an answer; the re-run looks for it in Alma first.');
    expect(terminal).toContain('  GOBI K-2: not created yet: the run stopped first; the re-run loads it.');
    const html = renderHtml(r);
    expect(rowOf(html, 'K-0')).toContain('<td>Its create was sent by an earlier run without an answer; the re-run looks for it in Alma first. <code>INTERRUPTED</code></td>');
    expect(rowOf(html, 'K-2')).toContain('<td>Not created yet: the run stopped first; the re-run loads it. <code>INTERRUPTED</code></td>');
    const csv = renderCsv(r);
    expect(csv).toContain('Its create was sent by an earlier run without an answer; the re-run looks for it in Alma first.');
    expect(csv).toContain('Its create was sent without an answer; the re-run looks for it in Alma first.');
    expect(csv).toContain('Not created yet: the run stopped first; the re-run loads it.');
  });

  it('several alike: one group, in the plural; apart from those not created yet', () => {
    const terminal = renderHuman(report([EARLIER, EARLIER, EARLIER, PLAIN, PLAIN]), plainStyle, {});
    expect(terminal).toContain('  3 invoices: their creates were sent by an earlier run without an answer; the re-run looks for them in Alma first.');
    expect(terminal).toContain('  2 invoices: not created yet: the run stopped first; the re-run loads them.');
  });
});

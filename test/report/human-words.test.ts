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

/** The terminal's words a librarian reads: what a dry run did not check, alerts explained, no jargon. */
import { describe, expect, it } from 'vitest';
import { renderHuman } from '../../src/report/human.js';
import type { ReportDocument } from '../../src/report/report.js';
import { invoice } from './fixtures.js';

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

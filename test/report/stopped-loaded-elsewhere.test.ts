/**
 * An invoice the run stopped before reaching (--max-errors) that another journal records as loaded
 * — an edited copy of the file loaded it fully (engine.ts `unreached`): its report entry is
 * `failed` with the stop's code, step `poll` and the id. The terminal, HTML and CSV say another run
 * loaded it, never "incomplete — don't edit or delete it" nor "stopped while its processing was
 * awaited" (report/stopped.ts). Pure: a report document in, text out.
 */
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { renderCsv } from '../../src/report/csv.js';
import { plainStyle, renderHuman } from '../../src/report/human.js';
import type { ReportDocument, ReportInvoice } from '../../src/report/report.js';
import { invoice } from './fixtures.js';

// engine.ts `unreached`'s words for it, as the reviewer's run wrote them.
const ELSEWHERE =
  'the run stopped before reaching this invoice (too many refusals in a row (--max-errors)); another run of it (from another file, such as an edited copy of this one) ' +
  "loaded it into Alma (id 53100000050004146, its processing requested), as that run's journal records: a re-run reads it there and sends only what this file has more of, and does not create it twice";

function report(): ReportDocument {
  const refused: ReportInvoice = invoice({
    vendor: 'HARRAS',
    number: 'HA-2025-00412',
    status: 'failed',
    id: undefined,
    workflow_status: undefined,
    approval_status: undefined,
    rows: [{ file: 'b.csv', row: 2 }],
    error: { step: 'create', http_status: 400, code: '60237', message: 'Invoice vendor account not valid.' },
  });
  const other: ReportInvoice = invoice({
    vendor: 'GOBI',
    number: 'G-24131',
    status: 'failed',
    id: '53100000050004146',
    workflow_status: undefined,
    approval_status: undefined,
    rows: [{ file: 'b.csv', row: 4 }],
    error: { step: 'poll', http_status: 0, code: 'INTERRUPTED', message: ELSEWHERE },
  });
  return {
    target: 'alma',
    dry_run: false,
    sandbox: true,
    stopped: 'max_errors',
    issues: [],
    invoices: [refused, other],
    summary: { invoices: 2, loaded: 0, in_review: 0, failed: 2, invalid: 0, already_loaded: 0, planned: 0, lines: 3, requests: 12 },
  };
}

describe('an unreached invoice another run loaded', () => {
  it('the terminal says another run loaded it, not incomplete nor awaited', () => {
    const text = renderHuman(report(), plainStyle, {});
    const mine = text.split('\n').filter((l) => l.includes('G-24131'));
    expect(mine.length).toBeGreaterThan(0);
    for (const l of mine) {
      expect(l).toContain('loaded into Alma by another run');
      expect(l).not.toMatch(/incomplete|don't edit or delete|processing was awaited/);
    }
  });

  it('the HTML and CSV say so too, and the HTML names it among no half-built invoices', () => {
    const html = renderHtml(report());
    expect(html).toContain('Was loaded into Alma by another run');
    expect(html).not.toMatch(/incomplete|don&#39;t edit or delete|processing was awaited/);
    const csv = renderCsv(report());
    const row = csv.split('\r\n').find((l) => l.includes('G-24131'))!;
    expect(row).toContain('Was loaded into Alma by another run');
    expect(row).not.toMatch(/incomplete|don't edit or delete/);
  });
});

import { describe, expect, it } from 'vitest';
import { esc, renderHtml, STATUS_TEXT } from '../../src/report/html.js';
import { ALERT_EXPLANATIONS } from '../../src/report/alerts.js';
import { plainStyle, renderHuman } from '../../src/report/human.js';
import { HOSTILE, hostileReport, invoice, mixedReport } from './fixtures.js';
import type { ReportDocument } from '../../src/report/report.js';

/** The tags a report page may contain; anything else came from the data. */
const ALLOWED_TAGS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'h3', 'p', 'div', 'b', 'span', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'code', 'a', 'footer']);
const tagsOf = (html: string): string[] => [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase());
const body = (html: string): string => html.slice(html.indexOf('<body>'));
const rowsOf = (html: string): string[] => [...html.matchAll(/<tr class="([a-z_]+)" data-status="\1">/g)].map((m) => m[1]!);

describe('esc', () => {
  it.each([
    ['<script>', '&lt;script&gt;'],
    ['a & b', 'a &amp; b'],
    [`"quoted" 'single'`, '&quot;quoted&quot; &#39;single&#39;'],
    ['bell\u0007', 'bell\uFFFD'],
    ['tab\tand\nline', 'tab\tand\nline'],
    [undefined, ''],
    [42, '42'],
  ])('%j → %j', (value, expected) => {
    expect(esc(value)).toBe(expected);
  });
});

describe('renderHtml', () => {
  it('is one self-contained page: inline CSS, no scripts, nothing to fetch', () => {
    const html = renderHtml(mixedReport());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|src=|https?:\/\//i);
    for (const t of tagsOf(html)) expect(ALLOWED_TAGS, t).toContain(t);
  });

  it('has the summary, one table row per invoice in input order, with status colours', () => {
    const html = renderHtml(mixedReport());
    expect(html).toContain('5 invoices, 4 lines: 1 loaded, 1 in review, 1 already loaded, 1 failed, 1 invalid');
    expect(rowsOf(html)).toEqual(['loaded', 'in_review', 'failed', 'invalid', 'already_loaded']);
    for (const status of ['loaded', 'in_review', 'failed', 'invalid', 'already_loaded'] as const) {
      expect(html).toContain(`<span class="status ${status}">${esc(STATUS_TEXT[status])}</span>`);
      expect(html).toMatch(new RegExp(`\\.status\\.[a-z_,.]*${status}[^{]*\\{[^}]*color:`));
    }
    expect(html).toContain('<td class="rows">b.csv:5-6,9</td>');
    expect(html).toContain('<td class="id">53100000070004146</td>');
    expect(html).toContain('<div class="card loaded" data-count="loaded"><b>1</b>');
  });

  it('explains alerts in plain language, names Alma errors with their tracking id, lists input problems by file and row', () => {
    const html = body(renderHtml(mixedReport()));
    expect(html).toContain('data-alert="NOT_LINKED_LINES"');
    expect(html).toContain(esc(ALERT_EXPLANATIONS.NOT_LINKED_LINES!.meaning));
    expect(html).toContain('Alma: “Lines not linked”');
    expect(html).toMatch(/data-error="60237".*Failed while creating the invoice: <code>60237<\/code> \(HTTP 400\) Invoice vendor account not valid/);
    expect(html).toContain('<code>E01-2106115205-AKV2X-AWAE1</code>');
    expect(html).toContain('<h3><code>b.csv</code></h3>');
    expect(html).toMatch(/<td class="num">8<\/td><td><code>total_amount<\/code><\/td><td class="sev-error">error<\/td><td>total_amount 250\.00 does not match/);
    expect(html).toMatch(/<td class="num">file<\/td>.*column &quot;colour&quot; is not known/);
  });

  it.each(Object.entries(ALERT_EXPLANATIONS))('explains %s', (code, ex) => {
    const r = mixedReport();
    r.invoices[1] = { ...r.invoices[1]!, alerts: [{ code, description: 'Alma says so' }] };
    const html = renderHtml(r);
    expect(html).toContain(`data-alert="${code}"`);
    expect(html).toContain(esc(ex.meaning));
    expect(html).toContain(esc(ex.action));
  });

  it('says so for an alert code it cannot explain, and still shows Alma’s words', () => {
    const r = mixedReport();
    r.invoices[1] = { ...r.invoices[1]!, alerts: [{ code: 'SOMETHING_NEW', description: 'A new alert' }] };
    const html = renderHtml(r);
    expect(html).toContain('data-alert="SOMETHING_NEW"');
    expect(html).toContain('Alma: “A new alert”');
    expect(html).toContain('AssertionCodes');
  });

  it('escapes every value: hostile invoice numbers, vendors, alerts, errors, files and problems stay text', () => {
    const html = renderHtml(hostileReport(), { files: ['<x>.csv'] });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>x</b>');
    for (const t of tagsOf(html)) expect(ALLOWED_TAGS, t).toContain(t);
    expect(html).toContain(esc(HOSTILE));
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;.csv:2');
    expect(html).toContain('data-alert="&lt;i&gt;X&lt;/i&gt;"');
    expect(html).toContain('<code>&lt;t&gt;</code>');
    expect(html).toContain('<h3><code>&lt;f&gt;.csv</code></h3>');
    expect(html).toContain('files: <code>&lt;x&gt;.csv</code>');
  });

  it.each([
    ['interrupted', 'run the same command again to finish'],
    ['daily_limit', 'after midnight'],
    ['auth', 'Acquisitions read/write permission'],
  ])('says why a run stopped early (%s)', (stopped, words) => {
    const html = renderHtml({ ...mixedReport(), stopped });
    expect(html).toContain('id="stopped"');
    expect(html).toContain(words);
  });

  it('a clean run says nothing needs attention', () => {
    const r: ReportDocument = {
      target: 'alma',
      dry_run: false,
      summary: { invoices: 1, loaded: 1, in_review: 0, failed: 0, invalid: 0, already_loaded: 0, planned: 0, lines: 1, requests: 5 },
      issues: [],
      invoices: [invoice({})],
    };
    const html = renderHtml(r, { generatedAt: new Date(Date.UTC(2025, 2, 14, 9, 5)) });
    expect(html).toContain('Every invoice is in Alma; nothing needs attention.');
    expect(html).toContain('2025-03-14 09:05 UTC');
    expect(html).not.toContain('id="alerts"');
    expect(html).not.toContain('id="errors"');
    expect(html).not.toContain('id="problems"');
  });

  it('a dry run has no Alma id columns and says nothing was sent', () => {
    const r: ReportDocument = {
      target: 'alma',
      dry_run: true,
      summary: { invoices: 1, loaded: 0, in_review: 0, failed: 0, invalid: 0, already_loaded: 0, planned: 1, lines: 1, requests: 0 },
      issues: [],
      invoices: [invoice({ status: 'planned', id: undefined, workflow_status: undefined })],
    };
    const html = renderHtml(r);
    expect(html).toContain('<h1>Invoice check (dry run)</h1>');
    expect(html).toContain('Dry run: nothing was sent.');
    expect(html).not.toContain('<th>Alma id</th>');
    expect(rowsOf(html)).toEqual(['planned']);
  });
});

describe('renderHtml: a load refused before its first write', () => {
  it('calls its valid invoices not sent, not a dry run\'s plan, and counts them among what needs attention', () => {
    const r: ReportDocument = {
      target: 'alma',
      dry_run: false,
      summary: { invoices: 2, loaded: 0, in_review: 0, failed: 0, invalid: 1, already_loaded: 0, planned: 1, lines: 2, requests: 0 },
      issues: [{ file: 'b.csv', row: 4, column: 'vendor', code: 'missing_value', message: 'vendor is empty', severity: 'error' }],
      invoices: [invoice({ status: 'planned', id: undefined, workflow_status: undefined }), invoice({ number: 'B', status: 'invalid', id: undefined, workflow_status: undefined })],
    };
    const html = renderHtml(r);
    expect(html).not.toContain('dry run');
    expect(html).toContain('<span class="status planned">Not sent (the batch was refused)</span>');
    expect(html).toContain('<b>1</b><span>Not sent (the batch was refused)</span>');
    expect(html).toContain('<b>Needs attention:</b> 1 invoice not sent because of <a href="#problems">input problems</a>; 1 invoice valid but not sent: the batch was refused for the <a href="#problems">input problems</a>.');
    expect(html).toContain('2 invoices, 2 lines: 1 not sent, as the batch was refused, 1 invalid, 1 row in no invoice, not loaded (1 error, 0 warnings).');
    // The terminal says the same.
    const text = renderHuman(r, plainStyle, {});
    expect(text.split('\n')[1]).toMatch(/^not sent {2}/);
    expect(renderHuman({ ...r, dry_run: true }, plainStyle, {}).split('\n')[1]).toMatch(/^planned {2}/);
  });
});

describe('renderHuman: an invalid total', () => {
  it('is an empty cell, not its currency alone', () => {
    const r: ReportDocument = {
      target: 'alma',
      dry_run: true,
      summary: { invoices: 1, loaded: 0, in_review: 0, failed: 0, invalid: 1, already_loaded: 0, planned: 0, lines: 1, requests: 0 },
      issues: [],
      invoices: [invoice({ status: 'invalid', total: '', currency: 'USD', id: undefined, workflow_status: undefined })],
    };
    expect(renderHuman(r, plainStyle, {}).split('\n')[1]).not.toContain('USD');
  });
});

describe('renderHtml: what needs attention comes first', () => {
  it('names failed, invalid and in-review invoices in a banner that links to the sections', () => {
    const html = renderHtml(mixedReport());
    expect(html).toContain(
      '<div class="banner bad" id="attention"><b>Needs attention:</b> 1 invoice failed — <a href="#errors">errors</a>; 1 invoice not sent because of <a href="#problems">input problems</a>; 1 invoice waiting in review in Alma — <a href="#alerts">alerts</a>.</div>',
    );
  });
});

describe('renderHtml: identical failures are one group', () => {
  it('150 invoices refused with 60249 are one block with the count, the fix and every row; a different failure is its own block', () => {
    const refusal = { step: 'lines' as const, http_status: 400, code: '60249', message: 'Invoice line subscription from/to dates not found.', tracking_id: 'E01-0' };
    const invoices = Array.from({ length: 150 }, (_, i) =>
      invoice({ number: `S-${i + 1}`, status: 'failed', id: undefined, workflow_status: undefined, error: { ...refusal, tracking_id: `E01-${i}` }, rows: [{ file: 'b.csv', row: 2 + 2 * i }, { file: 'b.csv', row: 3 + 2 * i }] }),
    );
    // A different failure in the middle of the file: rows 100-101 are the 60249 group's too, so use another file
    invoices.splice(40, 0, invoice({ vendor: 'EBSCO', number: 'E-9', status: 'failed', id: undefined, error: { step: 'create', http_status: 0, code: 'timeout', message: 'no answer within 30 s' }, rows: [{ file: 'c.csv', row: 5 }] }));
    const r: ReportDocument = {
      target: 'alma',
      dry_run: false,
      summary: { invoices: 151, loaded: 0, in_review: 0, failed: 151, invalid: 0, already_loaded: 0, planned: 0, lines: 151, requests: 600 },
      issues: [],
      invoices,
    };
    const html = body(renderHtml(r));
    const errors = html.slice(html.indexOf('id="errors"'));
    const blocks = [...errors.matchAll(/<div class="alert error" data-error="([^"]+)" data-count="(\d+)">(.*?)<\/div>/g)];
    expect(blocks.map((b) => [b[1], Number(b[2])])).toEqual([
      ['60249', 150],
      ['timeout', 1],
    ]);
    const [group, other] = [blocks[0]![3]!, blocks[1]![3]!];
    expect(group).toContain('<h3>150 invoices: <code>60249</code> the line is for a subscription (a continuous PO line) and Alma needs its period</h3>');
    expect(group).toContain('Failed while adding an invoice line: <code>60249</code> (HTTP 400) Invoice line subscription from/to dates not found.');
    expect(group).toContain('<b>Fix:</b> fill subscription_from_date and subscription_to_date on those lines.');
    expect(group).toContain('<b>Rows:</b> <span class="rows">b.csv:2-301</span>');
    expect(group).toContain('GOBI <b class="number">S-20</b> <span class="muted">and 130 more</span></p>');
    expect(group).toContain('<code>E01-0</code>, <code>E01-1</code>, <code>E01-2</code> <span class="muted">and 147 more');
    expect(other).toContain('<h3>EBSCO <b class="number">E-9</b>: <code>timeout</code> no answer within 30 s</h3>');
    expect(other).toContain('(no answer) no answer within 30 s <span class="muted">(transient');
    expect(other).toContain('<b>Rows:</b> <span class="rows">c.csv:5</span>');
    // One block per group, not one card per invoice
    expect((html.match(/class="alert error"/g) ?? []).length).toBe(2);
    expect(errors).toMatch(/<p>These invoices did not finish; identical failures are one group\. Next: fix the file .*; run the same command again to finish the others/);
  });
});

describe('renderHtml: in the words of the target', () => {
  it('a FOLIO report names FOLIO, not Alma; Alma\'s numbered codes are not explained there, the loader\'s own codes are, naming FOLIO', () => {
    const r: ReportDocument = {
      target: 'folio',
      dry_run: false,
      stopped: 'max_errors',
      summary: { invoices: 3, loaded: 1, in_review: 0, failed: 2, invalid: 0, already_loaded: 0, planned: 0, lines: 3, requests: 12 },
      issues: [],
      invoices: [
        invoice({ number: 'F-1', status: 'loaded', id: '0f2c5a1e-1111-4a5b-9c3d-000000000001' }),
        invoice({ number: 'F-2', status: 'failed', id: undefined, error: { step: 'lines', http_status: 422, code: '60249', message: 'a FOLIO refusal that happens to carry this number' } }),
        invoice({ number: 'F-3', status: 'failed', id: undefined, error: { step: 'lookup', http_status: 0, code: 'EXISTS_DIFFERENT', message: 'held with another total' } }),
      ],
    };
    const html = body(renderHtml(r, { label: 'FOLIO' }));
    expect(html).toContain('<th>FOLIO id</th>');
    expect(html).toContain('In review — processed, FOLIO sent it to review');
    expect(html).toContain('Too many invoices in a row were refused by FOLIO');
    expect(html).toContain('Failed while looking for the invoice in FOLIO');
    expect(html).toContain('FOLIO already holds an invoice with this vendor and number but another total');
    expect(html).toContain('or the setting in FOLIO');
    expect(html).not.toMatch(/Alma/);
    // the same failures in an Alma report keep Alma's explanation of 60249
    expect(body(renderHtml({ ...r, target: 'alma' }))).toContain('Alma needs its period');
  });
});

describe('renderHtml: green only when nothing at all is to be looked at', () => {
  const notFinished = (row: number) => ({ file: 'b.csv', row, code: 'not_finished', message: 'Alma had not finished processing the invoice after 1 s (--poll-timeout): its status and alerts may still change', severity: 'warning' as const });
  const run = (invoices: ReturnType<typeof invoice>[], issues: ReportDocument['issues'] = []): ReportDocument => ({
    target: 'alma',
    dry_run: false,
    summary: { invoices: invoices.length, loaded: invoices.filter((i) => i.status === 'loaded').length, in_review: 0, failed: 0, invalid: 0, already_loaded: invoices.filter((i) => i.status === 'already_loaded').length, planned: 0, lines: invoices.length, requests: 20 },
    issues,
    invoices,
  });
  const sectionTitles = (html: string): string[] => [...html.matchAll(/<h2[^>]*>([^<]*)<\/h2>/g)].map((m) => m[1]!);

  it('every invoice not_finished (processing not confirmed): an amber "check these" banner, the warnings under "To check in Alma", not "Input problems"', () => {
    const html = body(renderHtml(run([invoice({ number: 'A', issues: [notFinished(2)] }), invoice({ number: 'B', issues: [notFinished(3)] })])));
    expect(html).not.toContain('nothing needs attention');
    expect(html).not.toContain('class="banner ok"');
    expect(html).toContain('<div class="banner warn" id="check"><b>Check these:</b> 2 invoices in Alma with something to look at there — <a href="#warnings">to check in Alma</a>.</div>');
    expect(sectionTitles(html)).toEqual(['Invoices', 'To check in Alma']);
    const section = html.slice(html.indexOf('id="warnings"'));
    expect(section).toContain('<td class="number"><b>A</b></td>');
    expect(section).toContain('<code>not_finished</code>');
    expect(html).toContain('<code>not_finished</code> — see <a href="#warnings">to check in Alma</a>');
  });

  it('an invoice held with other values (held_different): amber, and its own words say what to change in Alma', () => {
    const held = { file: 'b.csv', row: 2, code: 'held_different', message: 'Alma already held invoice A (id 531), with other values than the file: note. A load does not change what Alma holds; if the file is right, change it in Alma', severity: 'warning' as const };
    const html = body(renderHtml(run([invoice({ number: 'A', status: 'already_loaded', issues: [held] })])));
    expect(html).not.toContain('class="banner ok"');
    expect(html).toContain('id="check"');
    expect(html).toContain('if the file is right, change it in Alma');
    expect(sectionTitles(html)).not.toContain('Input problems');
  });

  it('warnings of the file alone: amber, under "Input warnings"; a run with none is green', () => {
    const price = { file: 'b.csv', row: 2, column: 'po_line', code: 'po_line_price', message: 'line "1" costs 10.00; its PO line costs 189.95', severity: 'warning' as const };
    const html = body(renderHtml(run([invoice({ issues: [price] })])));
    expect(html).not.toContain('class="banner ok"');
    expect(html).toContain('<b>Check these:</b> 1 warning about the file — <a href="#problems">input warnings</a>.');
    expect(sectionTitles(html)).toEqual(['Invoices', 'Input warnings']);
    expect(renderHtml(run([invoice({})]))).toContain('<div class="banner ok">');
  });

  it('a file refused for its own error (no vendor column): a red "Nothing was sent: the file was refused" banner naming it', () => {
    const missing = { file: 'b.csv', column: 'vendor', code: 'missing_column', message: 'the header has no vendor column', severity: 'error' as const };
    const r: ReportDocument = { ...run([]), issues: [missing] };
    const html = body(renderHtml(r));
    expect(html).toContain(`<div class="banner bad" id="refused"><b>Nothing was sent: the file was refused.</b> One problem is the file's, not one invoice's:`);
    expect(html).toContain('<code>b.csv</code> <code>vendor</code> [missing_column]');
    expect(html).not.toContain('class="banner ok"');
    // A dry run says what a load would do.
    expect(body(renderHtml({ ...r, dry_run: true }))).toContain('<b>A load would send nothing: the file would be refused.</b>');
  });

  it("an invalid invoice of a file without a column every invoice needs: its note names the column, not nothing", () => {
    const lacking = { file: 'b.csv', column: 'total_amount', code: 'missing_column', message: 'the file has no total_amount column', severity: 'error' as const };
    const own = { file: 'b.csv', row: 3, column: 'currency', code: 'invalid_currency', message: 'currency "XYZ" is not an ISO 4217 currency code', severity: 'error' as const };
    const bare = { status: 'invalid' as const, id: undefined, workflow_status: undefined, approval_status: undefined };
    const r = run([invoice({ ...bare, number: 'A', rows: [{ file: 'b.csv', row: 2 }] }), invoice({ ...bare, number: 'B', rows: [{ file: 'b.csv', row: 3 }], issues: [own] })], [lacking]);
    const html = body(renderHtml(r));
    expect(html).toContain('<td>its file has no total_amount column — see <a href="#problems">input problems</a></td></tr>');
    expect(html).toContain('<td>1 error, its file has no total_amount column — see <a href="#problems">input problems</a></td></tr>');
  });

  it('a dry run with a row in no invoice and valid invoices: no red banner, as --skip-invalid would load them (the document does not say it was given)', () => {
    const noVendor = { file: 'nv.csv', row: 17, column: 'vendor', code: 'missing_value', message: 'vendor is empty, so the row cannot be grouped into an invoice', severity: 'error' as const };
    const planned = [invoice({ number: 'A', status: 'planned', id: undefined, workflow_status: undefined }), invoice({ number: 'B', status: 'planned', id: undefined, workflow_status: undefined })];
    const dry: ReportDocument = { ...run(planned), dry_run: true, issues: [noVendor], summary: { ...run(planned).summary, loaded: 0, planned: 2, requests: 0 } };
    expect(body(renderHtml(dry))).not.toContain('id="refused"');
    // The same load sent with --skip-invalid: loaded, no banner either.
    expect(body(renderHtml({ ...run([invoice({ number: 'A' }), invoice({ number: 'B' })]), issues: [noVendor] }))).not.toContain('id="refused"');
    // Refused for real (no --skip-invalid): the valid invoices are `planned` outside a dry run.
    expect(body(renderHtml({ ...dry, dry_run: false }))).toContain('<b>Nothing was sent: the file was refused.</b> One problem is the file\'s, not one invoice\'s: <code>nv.csv</code> row 17 <code>vendor</code> [missing_value]');
    // No valid invoice: a dry run's load would send nothing, with or without --skip-invalid.
    const none = planned.map((i) => ({ ...i, status: 'invalid' as const }));
    expect(body(renderHtml({ ...dry, invoices: none }))).toContain('<b>A load would send nothing: the file would be refused.</b> One problem is the file\'s, not one invoice\'s: <code>nv.csv</code> row 17');
    // A problem of the file itself (no row) stops the batch even with --skip-invalid: named alone.
    const missing = { file: 'b.csv', column: 'vendor', code: 'missing_column', message: 'the header has no vendor column', severity: 'error' as const };
    const both = body(renderHtml({ ...dry, issues: [missing, noVendor] }));
    expect(both).toContain('<b>A load would send nothing: the file would be refused.</b> One problem is the file\'s, not one invoice\'s: <code>b.csv</code> <code>vendor</code> [missing_column] — see');
  });
});

describe('renderHtml: invoice numbers', () => {
  it('are not broken at their hyphens: the number cell and names do not wrap, the rows column does', () => {
    const html = renderHtml(mixedReport());
    expect(html).toMatch(/\.number\{white-space:nowrap\}/);
    expect(html).toMatch(/td\.rows\{overflow-wrap:anywhere/);
    expect(html).toContain('<td class="number"><b>G-1</b></td>');
  });
});

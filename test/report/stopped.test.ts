/**
 * A run that stopped (a Ctrl-C, the daily threshold, a Retry-After, an unreachable target): the
 * invoices it stopped on are `failed` in the report document, with the stop's code, but nothing
 * refused them. The HTML and CSV reports say so as the terminal does — amber "Stopped", one plain
 * sentence each, the half-built one in Alma to be left alone — while a genuine refusal still
 * reads Failed. Pure: a report document in, text out.
 */
import { describe, expect, it } from 'vitest';
import { esc, renderHtml } from '../../src/report/html.js';
import { renderCsv } from '../../src/report/csv.js';
import { plainStyle, renderHuman } from '../../src/report/human.js';
import type { ReportDocument, ReportInvoice } from '../../src/report/report.js';
import { invoice } from './fixtures.js';

const STOPPED_MSG = 'the run stopped before this invoice was finished; the journal lets a re-run complete it';
const notStartedMsg = 'not started: the run stopped first (it was interrupted); a re-run loads it';

/** The reviewer's run: Ctrl-C with G-24118 created and its lines not all added, two not created, four never reached. */
function interrupted(): ReportDocument {
  const stopped = (number: string, row: number, over: Partial<ReportInvoice>): ReportInvoice =>
    invoice({ number, status: 'failed', id: undefined, workflow_status: undefined, approval_status: undefined, lines: [{ number: '1' }], rows: [{ file: 'b.csv', row }], ...over });
  const invoices = [
    stopped('G-24118', 2, { id: '53100000050004146', lines: [{ number: '1', id: '53100000060004146' }, { number: '2' }], error: { step: 'lines', http_status: 0, code: 'INTERRUPTED', message: STOPPED_MSG } }),
    stopped('G-24131', 5, { error: { step: 'create', http_status: 0, code: 'INTERRUPTED', message: STOPPED_MSG } }),
    ...[7, 9, 11].map((row, i) => stopped(`H-${i}`, row, { error: { step: 'create', http_status: 0, code: 'NOT_STARTED', message: notStartedMsg } })),
  ];
  return {
    target: 'alma',
    dry_run: false,
    sandbox: true,
    stopped: 'interrupted',
    issues: [],
    invoices,
    summary: { invoices: 5, loaded: 0, in_review: 0, failed: 5, invalid: 0, already_loaded: 0, planned: 0, lines: 6, requests: 22 },
  };
}

/** The page's prose: tags and the small code elements left out. */
const prose = (html: string): string =>
  html
    .slice(html.indexOf('<body>'))
    .replace(/<code>[^<]*<\/code>/g, '')
    .replace(/<[^>]+>/g, '');
const rowOf = (html: string, number: string): string => html.split('\n').find((l) => l.startsWith('<tr') && l.includes(`<b>${number}</b>`)) ?? '';

/** The CSV's rows as column → cell, quotes undone (the cells these tests read hold no line breaks). */
function csvRows(text: string): Record<string, string>[] {
  const split = (line: string): string[] => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => (m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!));
  const [head, ...rows] = text.replace(/^\uFEFF/, '').trimEnd().split('\r\n');
  const cols = split(head!);
  return rows.map((r) => Object.fromEntries(split(r).map((c, i) => [cols[i]!, c])));
}

describe('HTML report of a stopped run', () => {
  it('an interrupted run: amber "Stopped — re-run to finish" badges, a stopped tile and banner, no failure, no Errors section', () => {
    const html = renderHtml(interrupted());
    expect([...html.matchAll(/<span class="status stopped">Stopped — re-run to finish<\/span>/g)]).toHaveLength(5);
    expect(html).not.toContain('<span class="status failed">');
    // The document's status stays the contract's `failed`; the row is drawn as stopped.
    expect([...html.matchAll(/<tr class="stopped" data-status="failed">/g)]).toHaveLength(5);
    expect(html).toContain('<div class="card stopped" data-count="stopped"><b>5</b><span>Stopped before done</span></div>');
    expect(html).not.toContain('data-count="failed"');
    expect(html).toContain('<div class="banner warn" id="not-finished"><b>Stopped before done:</b> 5 invoices — run the same command again; nothing is doubled');
    expect(html).toContain('<div class="banner warn" id="stopped">');
    expect(html).not.toContain('Needs attention');
    expect(html).not.toContain('id="errors"');
    expect(html).not.toContain('class="banner bad"');
    expect(html).toContain('<h2 id="stopped-invoices">Stopped before done</h2>');
  });

  it('one clean sentence per invoice, the code only in a small code element; the half-built one is to be left alone', () => {
    const html = renderHtml(interrupted());
    expect(rowOf(html, 'G-24118')).toContain(
      "<td>Exists in Alma, incomplete (stopped while its lines were being added) — don&#39;t edit or delete it; the re-run completes it. <code>INTERRUPTED</code></td>",
    );
    expect(rowOf(html, 'G-24131')).toContain('<td>Not created yet: the run stopped first; the re-run loads it. <code>INTERRUPTED</code></td>');
    expect(rowOf(html, 'H-0')).toContain('<td>Not started: the run stopped before reaching it; the re-run loads it. <code>NOT_STARTED</code></td>');
    // Named again under the table, with its Alma id, as the one not to touch.
    expect(html).toMatch(/In Alma, incomplete — don&#39;t edit or delete it; the re-run completes it:<\/b> GOBI <b class="number">G-24118<\/b> <span class="muted">\(Alma id <code>53100000050004146<\/code>\)/);
    const text = prose(html);
    for (const raw of ['NOT_STARTED', 'INTERRUPTED', 'Failed while', '(no answer)', 'not started: the run stopped first (it was interrupted)']) expect(text).not.toContain(raw);
  });

  it('a genuine refusal (a 400 from Alma) still reads Failed, with its Errors section, beside the stopped ones', () => {
    const r = interrupted();
    r.invoices[1] = invoice({ number: 'E-3', status: 'failed', id: undefined, workflow_status: undefined, error: { step: 'create', http_status: 400, code: '60237', message: 'Invoice vendor account not valid', tracking_id: 'E01-1' } });
    const html = renderHtml(r);
    expect(rowOf(html, 'E-3')).toMatch(/^<tr class="failed" data-status="failed">.*<span class="status failed">Failed<\/span>.*<code>60237<\/code> Invoice vendor account not valid/);
    expect(html).toContain('<div class="card failed" data-count="failed"><b>1</b>');
    expect(html).toContain('<div class="card stopped" data-count="stopped"><b>4</b>');
    expect(html).toContain('<div class="banner bad" id="attention"><b>Needs attention:</b> 1 invoice failed — <a href="#errors">errors</a>.</div>');
    expect(html).toContain('<b>Stopped before done:</b> 4 invoices');
    expect(html).toMatch(/<h2 id="errors">Errors<\/h2>.*\n<div class="alert error" data-error="60237" data-count="1">/);
    expect(html).not.toContain('data-error="INTERRUPTED"');
    expect(html).not.toContain('data-error="NOT_STARTED"');
  });

  it.each([
    ['daily_limit', 'DAILY_THRESHOLD', "a re-run after the institution's midnight"],
    ['retry_after', 'RETRY_AFTER', 'a re-run after the wait Alma asked for'],
    ['unreachable', 'UNREACHABLE', 'a re-run once the address or the network is put right'],
    ['auth', 'UNAUTHORIZED', 'a re-run once the API key is put right'],
    // Its advice points down to the errors on the terminal; a row's sentence has no "below" either.
    ['max_errors', 'NOT_STARTED', 'a re-run once the cause of the failures in a row is fixed'],
  ])('a run stopped for another reason (%s): never attempted is "Not started — re-run later", not a failure', (stopped, code, who) => {
    const r = interrupted();
    r.stopped = stopped;
    for (const inv of r.invoices) if (inv.error?.code === 'INTERRUPTED') inv.error = { ...inv.error, code };
    const html = renderHtml(r);
    expect(html).not.toContain('<span class="status failed">');
    expect(html).not.toContain('id="errors"');
    expect(rowOf(html, 'H-0')).toContain(`<span class="status stopped">Not started — re-run later</span>`);
    expect(rowOf(html, 'H-0')).toContain(esc(`Not started: the run stopped before reaching it; ${who} loads it.`));
    expect(rowOf(html, 'G-24118')).toContain('<span class="status stopped">Stopped — re-run later</span>');
    expect(rowOf(html, 'G-24118')).toContain(esc(`Exists in Alma, incomplete (stopped while its lines were being added) — don't edit or delete it; ${who} completes it.`));
    expect(html).toContain(esc(`In Alma, incomplete — don't edit or delete it; ${who} completes it:`));
    // The banners point up to why the run stopped; a row's sentence (a CSV cell too) has no "above".
    for (const number of ['G-24118', 'G-24131', 'H-0']) expect(rowOf(html, number)).not.toMatch(/\((above|below)\)/);
    for (const line of renderCsv(r).split('\n').slice(1)) expect(line).not.toMatch(/\((above|below)\)/);
  });

  it('an invoice half built by an earlier run and not reached by this one is still the one to leave alone', () => {
    const r = interrupted();
    r.stopped = 'daily_limit';
    r.invoices[2] = { ...r.invoices[2]!, id: '53100000990004146', error: { step: 'lines', http_status: 0, code: 'NOT_STARTED', message: notStartedMsg } };
    const html = renderHtml(r);
    expect(rowOf(html, 'H-0')).toContain('<span class="status stopped">Stopped — re-run later</span>');
    expect(rowOf(html, 'H-0')).toContain('Exists in Alma, incomplete (stopped while its lines were being added)');
  });
});

describe('CSV report of a stopped run', () => {
  it('status stays `failed` (the contract), error_code the stop, and the message says it was stopped, in plain words', () => {
    const rows = csvRows(renderCsv(interrupted()));
    expect(rows.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed']);
    expect(rows.map((r) => r.error_code)).toEqual(['INTERRUPTED', 'INTERRUPTED', 'NOT_STARTED', 'NOT_STARTED', 'NOT_STARTED']);
    expect(rows[0]!.message).toBe("Exists in Alma, incomplete (stopped while its lines were being added) — don't edit or delete it; the re-run completes it.");
    expect(rows[1]!.message).toBe('Not created yet: the run stopped first; the re-run loads it.');
    expect(rows[2]!.message).toBe('Not started: the run stopped before reaching it; the re-run loads it.');
  });

  it('a genuine refusal keeps its step and Alma\'s words; a stop for the daily threshold says when to re-run', () => {
    const r = interrupted();
    r.stopped = 'daily_limit';
    r.invoices[1] = invoice({ number: 'E-3', status: 'failed', id: undefined, error: { step: 'create', http_status: 400, code: '60237', message: 'Invoice vendor account not valid' } });
    const rows = csvRows(renderCsv(r));
    expect(rows[1]).toMatchObject({ status: 'failed', error_code: '="60237"', message: 'create: Invoice vendor account not valid' });
    expect(rows[2]!.message).toBe("Not started: the run stopped before reaching it; a re-run after the institution's midnight loads it.");
  });

  it('an invoice stopped with every line added says the stop came before its processing, not while its lines were added', () => {
    const r = interrupted();
    r.stopped = 'daily_limit';
    r.invoices[0] = { ...r.invoices[0]!, error: { ...r.invoices[0]!.error!, step: 'process', code: 'DAILY_THRESHOLD' } };
    const message = csvRows(renderCsv(r))[0]!.message;
    expect(message).toMatch(/^Exists in Alma, incomplete \(every line added; stopped before its processing was confirmed\)/);
  });

  it('names the target by its label', () => {
    const r = { ...interrupted(), target: 'folio' };
    expect(csvRows(renderCsv(r, 'FOLIO'))[0]!.message).toMatch(/^Exists in FOLIO, incomplete/);
  });
});

describe('the terminal and the reports agree', () => {
  it('the terminal says where each invoice was in the words the reports use', () => {
    const r = interrupted();
    const terminal = renderHuman(r, plainStyle, {});
    const html = renderHtml(r);
    // The half-built one's row says to leave it alone, as the reports do; the section below says where it stopped.
    expect(terminal).toMatch(/^stopped +GOBI +G-24118 .* exists in Alma, incomplete — don't edit or delete it; the re-run completes it$/m);
    expect(terminal).toContain("  GOBI G-24118: exists in Alma, incomplete (stopped while its lines were being added) — don't edit or delete it; the re-run completes it.");
    expect(terminal).toMatch(/^stopped +GOBI +G-24131 .* not created yet; a re-run finishes it$/m);
    expect(html).toContain('(stopped while its lines were being added)');
    expect(terminal).toContain('5 stopped before done');
    expect(html).toContain('5 stopped before done');
  });
});

describe('the terminal\'s line for a group of invoices the run stopped on alike', () => {
  /** `n` invoices the run stopped on with this error (and id), and the failures' line for them. */
  const groupLine = (n: number, over: Partial<ReportInvoice>, stopped = 'interrupted'): string => {
    const invoices = Array.from({ length: n }, (_, i) =>
      invoice({ number: `G-${i}`, status: 'failed', id: undefined, workflow_status: undefined, approval_status: undefined, lines: [{ number: '1' }], rows: [{ file: 'b.csv', row: i + 2 }], ...over }),
    );
    const r: ReportDocument = { ...interrupted(), stopped, invoices, summary: { ...interrupted().summary, invoices: n, failed: n } };
    const lines = renderHuman(r, plainStyle, {}).split('\n');
    return lines[lines.findIndex((l) => /^Not finished \(/.test(l)) + 1]!;
  };
  const created = { error: { step: 'create' as const, http_status: 0, code: 'INTERRUPTED', message: STOPPED_MSG } };
  const lines = { id: '531', error: { step: 'lines' as const, http_status: 0, code: 'INTERRUPTED', message: STOPPED_MSG } };
  const processing = { id: '531', error: { step: 'process' as const, http_status: 0, code: 'INTERRUPTED', message: STOPPED_MSG } };
  it.each([
    ['not created', 9, created, '  GOBI G-0: not created yet: the run stopped first; the re-run loads it.', '  9 invoices: not created yet: the run stopped first; the re-run loads them.'],
    [
      'half-built',
      3,
      lines,
      "  GOBI G-0: exists in Alma, incomplete (stopped while its lines were being added) — don't edit or delete it; the re-run completes it.",
      "  3 invoices: exist in Alma, incomplete (stopped while their lines were being added) — don't edit or delete them; the re-run completes them.",
    ],
    [
      'processing',
      2,
      processing,
      "  GOBI G-0: exists in Alma, incomplete (every line added; stopped before its processing was confirmed) — don't edit or delete it; the re-run completes it.",
      "  2 invoices: exist in Alma, incomplete (every line added; stopped before their processing was confirmed) — don't edit or delete them; the re-run completes them.",
    ],
  ] as const)('%s: one in the singular, several in the plural (them, not "each … it")', (_name, n, over, one, many) => {
    expect([groupLine(1, over), groupLine(n, over)]).toEqual([one, many]);
  });
  it('a stop whose re-run waits: the clause between commas stays, the group in the plural', () => {
    expect(groupLine(4, created, 'ids_not_kept')).toBe('  4 invoices: not created yet: the run stopped first; a re-run once Alma keeps the ids it is sent (ask its administrators) loads them.');
  });
});

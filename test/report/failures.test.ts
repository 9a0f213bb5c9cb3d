import { describe, expect, it } from 'vitest';
import { failureAdvice, failureKind, groupFailures } from '../../src/report/failures.js';
import { plainStyle, renderHuman } from '../../src/report/human.js';
import type { ReportDocument, ReportInvoice } from '../../src/report/report.js';
import { renderHtml } from '../../src/report/html.js';
import { stopDetail } from '../../src/engine/events.js';
import { AuthError } from '../../src/common/errors.js';

const failed = (number: string, row: number, error: ReportInvoice['error']): ReportInvoice => ({
  vendor: 'GOBI', number, status: 'failed', alerts: [], lines: [], issues: [], rows: [{ file: 'b.csv', row }], error,
});
const refusal = { step: 'lines' as const, http_status: 400, code: '60249', message: 'Invoice line subscription from/to dates not found.', tracking_id: 'E01-1' };
const timeout = { step: 'create' as const, http_status: 0, code: 'timeout', message: 'no answer within 30 s' };
const doc = (invoices: ReportInvoice[]): ReportDocument => ({
  target: 'alma', dry_run: false, issues: [], invoices,
  summary: { invoices: invoices.length, loaded: 0, in_review: 0, failed: invoices.length, invalid: 0, already_loaded: 0, planned: 0, lines: 0, requests: 9 },
});

describe('failures grouped with what to do', () => {
  it('identical failures are one group with the plain explanation, fix and rows; a transient one is its own', () => {
    const report = doc([failed('A', 2, refusal), failed('B', 3, refusal), failed('C', 4, timeout), failed('D', 7, refusal)]);
    const groups = groupFailures(report);
    expect(groups.map((g) => [g.code, g.kind, g.invoices.length])).toEqual([
      ['60249', 'business', 3],
      ['timeout', 'transient', 1],
    ]);
    const text = renderHuman(report, plainStyle, {});
    expect(text).toContain('Failures (4 invoices):');
    expect(text).toContain('  3 invoices: lines 60249 Invoice line subscription from/to dates not found.');
    expect(text).toContain('    fix: fill subscription_from_date and subscription_to_date on those lines');
    expect(text).toContain('    rows: b.csv:2-3,7');
    expect(text).toContain('  GOBI C: create timeout no answer within 30 s (transient)');
    expect(text).toMatch(/Next: fix the file .*--rejects.*; run the same command again to finish the others/);
    // One line for the group, not one per invoice
    expect(text.split('\n').filter((l) => l.includes('60249')).length).toBeLessThanOrEqual(4);
  });

  it('a stopped run: the invoices it never reached are one line under the table, each still in the failures', () => {
    const notStarted = { step: 'create' as const, http_status: 0, code: 'NOT_STARTED', message: 'not started: the run stopped first (the target could not be reached); a re-run loads it' };
    const gone = { step: 'create' as const, http_status: 0, code: 'UNREACHABLE', message: 'the run stopped before this invoice was finished; the journal lets a re-run complete it' };
    const loaded: ReportInvoice = { vendor: 'GOBI', number: 'L', status: 'loaded', id: '531', workflow_status: 'Waiting to be Sent', alerts: [], lines: [], issues: [], rows: [{ file: 'b.csv', row: 2 }] };
    const report = { ...doc([loaded, failed('A', 3, gone), ...['B', 'C', 'D'].map((n, i) => failed(n, 4 + i, notStarted))]), stopped: 'unreachable' };
    const lines = renderHuman(report, plainStyle, {}).split('\n');
    const tableRows = lines.slice(1, lines.indexOf(''));
    // Stopped, not failed: nothing refused it, and where it was is said with what finishes it.
    expect(tableRows.map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual(['loaded GOBI L', 'stopped GOBI A', '… and 3']);
    // After an unreachable target a re-run helps only once the address is put right: see below.
    expect(tableRows[1]).toMatch(/ not created yet; see below$/);
    expect(renderHuman({ ...report, stopped: 'interrupted' }, plainStyle, {}).split('\n')[2]).toMatch(/ not created yet; a re-run finishes it$/);
    expect(lines.filter((l) => l !== '').at(-1)).toMatch(/, 4 stopped before done\. /);
    expect(tableRows[2]).toBe('… and 3 invoices not started: the run stopped before reaching them (--json and --report list them)');
    expect(lines).toContain('Not finished (4 invoices):');
    // A group of many is said in the plural, its line, what it means and the fix alike.
    expect(lines).toContain('  3 invoices: not started: the run stopped first (the target could not be reached); a re-run loads them');
    const after = lines.slice(lines.indexOf('  3 invoices: not started: the run stopped first (the target could not be reached); a re-run loads them') + 1);
    expect(after[0]).toBe('    means: the run stopped (why is said above) before it reached these invoices: nothing of them was sent');
    expect(after[1]).toBe('    fix: once the address or the network is put right (above), run the same command again: it sends them, and nothing is sent twice');
    // One invoice keeps the singular.
    const one = renderHuman({ ...report, invoices: report.invoices.slice(0, 3) }, plainStyle, {}).split('\n');
    expect(one).toContain('  GOBI B: not started: the run stopped first (the target could not be reached); a re-run loads it');
    expect(one).toContain('    means: the run stopped (why is said above) before it reached this invoice: nothing of it was sent');
    // Several the run stopped on while under way: each invoice, not "this invoice".
    const underWay = renderHuman({ ...report, invoices: ['E', 'F'].map((n, i) => failed(n, 9 + i, gone)) }, plainStyle, {}).split('\n');
    expect(underWay).toContain('    means: the run stopped (why is said above) while these invoices were under way; the journal holds how far each got');
    // --quiet: only failures, the same way.
    expect(renderHuman(report, plainStyle, { quiet: true })).toContain('… and 3 invoices not started');
    // Stopped before its first invoice: no table, and the line says none was started, not "… and".
    const none = { ...doc(['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((n, i) => failed(n, 2 + i, notStarted))), stopped: 'unreachable' };
    expect(renderHuman(none, plainStyle, {}).split('\n')[0]).toBe('None of the 7 invoices was started: the run stopped before reaching them (--json and --report list them)');
    expect(renderHuman({ ...none, invoices: none.invoices.slice(0, 1) }, plainStyle, {}).split('\n')[0]).toBe('The invoice was not started: the run stopped before reaching it (--json and --report list it)');
    // --quiet with only the loaded one left out: no table either, and not "none" (one was loaded).
    const rest = { ...report, invoices: report.invoices.filter((i) => i.number !== 'A') };
    expect(renderHuman(rest, plainStyle, { quiet: true }).split('\n')[0]).toBe('3 invoices not started: the run stopped before reaching them (--json and --report list them)');
    // A dry run lists every invoice it was given.
    expect(renderHuman({ ...report, dry_run: true }, plainStyle, {})).not.toContain('not started: the run stopped before');
  });

  it('the advice follows the kind: refusals need the file fixed, transient failures a re-run', () => {
    expect(failureAdvice(groupFailures(doc([failed('A', 2, refusal)])))).toMatch(/^Next: fix the file.*Running the same command again would be refused the same way\.$/);
    expect(failureAdvice(groupFailures(doc([failed('A', 2, timeout)])))).toBe('Next: run the same command again to finish them: the journal resumes them, nothing is sent twice.');
    // A run that stopped says when running again can help.
    const stopped = groupFailures(doc([failed('A', 2, timeout)]));
    expect(failureAdvice(stopped, 'unreachable')).toBe('Next: once the address or the network is put right (above), run the same command again to finish them: the journal resumes them, nothing is sent twice.');
    expect(failureAdvice(stopped, 'daily_limit')).toMatch(/^Next: after the institution's midnight, run the same command again/);
    expect(failureAdvice(stopped, 'auth')).toMatch(/^Next: once the API key is put right \(above\), run/);
    expect(failureAdvice(stopped, 'interrupted')).toBe('Next: run the same command again to finish them: the journal resumes them, nothing is sent twice.');
    expect(failureKind({ step: 'create', http_status: 503, code: 'x', message: '' })).toBe('transient');
    expect(failureKind({ step: 'create', http_status: 429, code: 'PER_SECOND_THRESHOLD', message: '' })).toBe('transient');
  });

  it('a refused process step: the advice and the code\'s fix agree that the same command sends the processing again', () => {
    const process = { step: 'process' as const, http_status: 400, code: '60260', message: 'Failed to start invoice process and workflow.', tracking_id: 'E01-2' };
    const groups = groupFailures(doc([failed('A', 2, process)]));
    const advice = failureAdvice(groups)!;
    expect(advice).not.toContain('refused the same way');
    expect(advice).toBe('Next: for the invoices Alma did not process (they are in Alma with their lines), put right in Alma what their group says, then run the same command again: it sends only their processing again.');
    expect(groups[0]!.explanation!.fix).toContain('run the same command again');
    // With a refusal of the file and a transient failure beside it: each its own step.
    const all = failureAdvice(groupFailures(doc([failed('A', 2, process), failed('B', 3, refusal), failed('C', 4, timeout)])))!;
    expect(all).toMatch(/^Next: fix the file .*; for the invoices Alma did not process .*; run the same command again to finish the others: .*\.$/);
    expect(all).not.toContain('refused the same way');
  });

  it.each([
    // no answer, or an answer that says try later: a re-run finishes it
    [0, 'TIMEOUT', 'transient'],
    [0, 'ECONNRESET', 'transient'],
    [0, 'INTERRUPTED', 'transient'],
    [500, '402119', 'transient'],
    [408, 'x', 'transient'],
    // the target said no
    [400, '60237', 'business'],
    // the loader said no, from what the target holds: a re-run would say the same
    [0, 'EXISTS_DIFFERENT', 'business'],
    [0, 'CANARY_MISMATCH', 'business'],
    [0, 'fund_not_found', 'business'],
    [0, 'AMBIGUOUS', 'business'],
  ] as const)('HTTP %i, %s: %s', (http_status, code, kind) => {
    expect(failureKind({ step: 'lookup', http_status, code, message: '' })).toBe(kind);
  });

  it('an invoice Alma holds with another total: fix it in Alma or the file, not a re-run', () => {
    const exists = { step: 'lookup' as const, http_status: 0, code: 'EXISTS_DIFFERENT', message: 'Alma already holds invoice A from GOBI (id 1) with total 57.5, but this batch says 45; it was left unchanged — check it in Alma' };
    const groups = groupFailures(doc([failed('A', 2, exists)]));
    expect(groups[0]!.kind).toBe('business');
    expect(failureAdvice(groups)).toMatch(/^Next: fix the file.*Running the same command again would be refused the same way\.$/);
    expect(groups[0]!.explanation!.means).toMatch(/^Alma already holds an invoice with this vendor and number but another total/);
  });

  it("a create whose number Alma holds but its search does not show yet (OUTCOME_UNKNOWN at the create step): a re-run finishes it, never a new number", () => {
    const unseen = { step: 'create' as const, http_status: 0, code: 'OUTCOME_UNKNOWN', message: 'Alma holds invoice A of vendor GOBI …', tracking_id: 'E01-DUP' };
    const groups = groupFailures(doc([failed('A', 2, unseen)]));
    expect(groups[0]!.kind).toBe('transient');
    expect(failureAdvice(groups)).not.toMatch(/refused the same way/);
    expect(groups[0]!.explanation!.means).toMatch(/^Alma refused the create because it holds an invoice with this vendor and number/);
    expect(groups[0]!.explanation!.fix).toMatch(/^run the same command again later.*do not change its number in the file/);
  });

  it('a line held otherwise than sent (EXISTS_DIFFERENT at the lines step) is explained as a line, in the target\'s name', () => {
    const line = { step: 'lines' as const, http_status: 0, code: 'EXISTS_DIFFERENT', message: 'FOLIO holds line 1 of invoice A …' };
    const groups = groupFailures({ ...doc([failed('A', 2, line)]), target: 'folio' }, 'FOLIO');
    expect(groups[0]!.explanation).toEqual({
      means: "FOLIO holds a line of the invoice that a send of it made, with other values than the file (the message above names them): FOLIO may have stored it and failed before finishing it; it was not taken as the file's line, and nothing more was sent for the invoice",
      fix: 'check that line in FOLIO: correct it there, or delete it, then run the same command again (it then takes the line, or sends it anew)',
    });
  });
});

describe('the lines of a group past the tenth', () => {
  const line = (row: number) => ({ number: '1', po_line: 'POL-1002', funds: ['BIO'], rows: [{ file: 'b.csv', row }] });
  it('are counted as "and N more": of a transient group without "refused" (a 502 refused no line), of a refusal as refused lines', () => {
    const gateway = (row: number) => ({ step: 'lines' as const, http_status: 502, code: 'HTTP_502', message: 'HTTP 502: Bad gateway (after 5 attempts)', line: line(row) });
    const transient = renderHuman(doc(Array.from({ length: 21 }, (_, i) => failed(`W-${i}`, 2 + i, gateway(2 + i)))), plainStyle, {}).split('\n');
    expect(transient).toContain('  21 invoices: lines HTTP_502 HTTP 502: Bad gateway (after 5 attempts) (transient)');
    expect(transient.filter((l) => l.startsWith('    line 1 of GOBI W-'))).toHaveLength(10);
    expect(transient).toContain('    … and 11 more');
    expect(transient.join('\n')).not.toMatch(/refused lines?\)/);
    const refused = renderHuman(doc(Array.from({ length: 11 }, (_, i) => failed(`R-${i}`, 2 + i, { ...refusal, line: line(2 + i) }))), plainStyle, {}).split('\n');
    expect(refused).toContain('    … and 1 more refused line');
  });
});

describe('a run stopped by a 403 that is not Alma\'s (a firewall\'s page, no error document)', () => {
  const bare = new AuthError({ httpStatus: 403, code: 'HTTP_403', message: 'HTTP 403: 403 Forbidden Request blocked by WAF', bare: true });
  const keyRefused = new AuthError({ httpStatus: 401, code: 'UNAUTHORIZED', message: 'API-key not defined or not configured to allow this API.' });
  const stoppedAt = (step: 'create' | 'process', number: string, row: number, id?: string): ReportInvoice => ({
    ...failed(number, row, { step, http_status: 0, code: 'UNAUTHORIZED', message: 'the run stopped before this invoice was finished' }),
    ...(id !== undefined ? { id } : {}),
  });
  const report = (err: AuthError): ReportDocument => {
    const r = doc([stoppedAt('process', 'W-4', 5, '531'), stoppedAt('create', 'W-5', 6), stoppedAt('create', 'W-6', 7)]);
    const detail = stopDetail('auth', err);
    return { ...r, stopped: 'auth', ...(detail !== undefined ? { stop_detail: detail } : {}) };
  };

  it('says "once the network or proxy is put right" on every row, the fix and the page, never "once the API key is put right"', () => {
    expect(stopDetail('auth', bare)).toEqual({ code: 'HTTP_403' });
    const r = report(bare);
    const text = renderHuman(r, plainStyle, {});
    const html = renderHtml(r);
    for (const out of [text, html]) {
      expect(out).not.toContain('API key is put right');
      expect(out).toContain('once the network or proxy is put right');
    }
    // The row of the invoice Alma holds half built, in the table.
    expect(text).toMatch(/W-4 .*a re-run once the network or proxy is put right completes it/);
    expect(html).toContain('a proxy, a firewall or a server that is not Alma&#39;s API answered');
    expect(html).not.toContain('Alma refused the API key');
  });

  it('a key Alma itself refused still says to put the key right', () => {
    expect(stopDetail('auth', keyRefused)).toBeUndefined();
    const text = renderHuman(report(keyRefused), plainStyle, {});
    expect(text).toContain('once the API key is put right');
    expect(text).not.toContain('network or proxy');
  });
});

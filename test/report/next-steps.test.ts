/**
 * Every way a run can stop and every error code the loader gives an invoice has its own words for
 * what to do next (src/report/failures.ts `STOP_NEXT`, `ERROR_TEXT`), the same on the terminal,
 * in the HTML page and in the payments/export summary. A stop reason or a loader's code added
 * without them fails here: each is walked, and each must have its expected words below.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_TEXT, groupFailures, rerunWhen, STOP_NEXT, stopText } from '../../src/report/failures.js';
import { plainStyle, renderHuman } from '../../src/report/human.js';
import { renderHtml } from '../../src/report/html.js';
import { lifecycleSummary, renderLifecycle } from '../../src/report/lifecycle.js';
import { DECIDED_CODES, NOT_STARTED, OUTCOME_UNKNOWN, STOP_CODE, STOP_CODES, ID_NOT_KEPT } from '../../src/engine/result.js';
import { NOT_CONFIRMED } from '../../src/engine/operations.js';
import { CANARY_MISMATCH } from '../../src/engine/engine.js';
import { EXISTS_NOT_OURS } from '../../src/targets/matches.js';
import { GATEWAY_DOWN, NO_ANSWER, NOT_ALMA_API } from '../../src/common/errors.js';
import type { StopReason } from '../../src/engine/events.js';
import type { ReportDocument, ReportInvoice } from '../../src/report/report.js';

/** Words each stop's banner must hold: what happened and what to do. */
const SAID: Record<StopReason, RegExp> = {
  interrupted: /interrupted\. .*run the same command again to finish/,
  daily_limit: /daily API limit .*again after midnight/,
  retry_after: /asked to wait longer .*After that wait, run the same command again/,
  auth: /refused the API key\. Check the key/,
  canary: /did not read back .*--no-canary/,
  max_errors: /--max-errors.*Fix the cause/,
  unreachable: /could not be reached at all.*Check the address/,
  journal: /journal could not be written.*Free space/,
  ids_not_kept: /did not keep the id.*Ask the administrators/,
};

/** The clause before "run the same command again" after each stop ('' : at once). */
const WHEN: Record<StopReason, string> = {
  interrupted: '',
  daily_limit: "after the institution's midnight, ",
  retry_after: 'after the wait Alma asked for (above), ',
  auth: 'once the API key is put right (above), ',
  canary: 'once the difference the first invoice showed is looked into (above), ',
  max_errors: 'once the cause of the failures in a row is fixed (below), ',
  unreachable: 'once the address or the network is put right (above), ',
  journal: 'once the journal can be written again (free space, or fix the state dir), ',
  ids_not_kept: 'once Alma keeps the ids it is sent (ask its administrators), ',
};

const failed = (number: string, code: string, step: 'create' | 'process' = 'create'): ReportInvoice => ({
  vendor: 'GOBI', number, status: 'failed', alerts: [], lines: [], issues: [], rows: [{ file: 'b.csv', row: 2 }],
  error: { step, http_status: 0, code, message: 'as the engine says' },
});
const doc = (invoices: ReportInvoice[], more: Partial<ReportDocument> = {}): ReportDocument => ({
  target: 'alma', dry_run: false, issues: [], invoices,
  summary: { invoices: invoices.length, loaded: 0, in_review: 0, failed: invoices.length, invalid: 0, already_loaded: 0, planned: 0, lines: 0, requests: 3 },
  ...more,
});

describe('the next step after every stop', () => {
  it.each(Object.keys(STOP_CODE) as StopReason[])('%s: a banner of its own and when to run again', (reason) => {
    expect(Object.keys(SAID), 'a stop reason without its expected words in this test').toContain(reason);
    expect(STOP_NEXT[reason], 'a stop reason without a next step in STOP_NEXT').toBeDefined();
    expect(stopText(reason, undefined)).toMatch(SAID[reason]);
    expect(rerunWhen(reason, undefined)).toBe(WHEN[reason]);
  });

  it('unreachable by its cause: a gateway down says later; no answer says --timeout; not the API says the address', () => {
    expect(stopText('unreachable', { code: GATEWAY_DOWN })).toBe(
      'Alma, or the way to it, is down: only a gateway or proxy answered, with 502/503/504. Nothing more was sent. Later, run the same command again to finish: what was done is in the journal, and nothing is sent twice.',
    );
    expect(rerunWhen('unreachable', { code: GATEWAY_DOWN })).toBe('later, once Alma is up again, ');
    expect(stopText('unreachable', { code: NO_ANSWER }, 'FOLIO')).toMatch(/^Nothing answered at FOLIO's address in time: .* give it a longer --timeout/);
    expect(rerunWhen('unreachable', { code: NO_ANSWER })).toBe('once the address and the network are checked (or with a longer --timeout, if Alma is only slow), ');
    expect(stopText('unreachable', { code: NOT_ALMA_API })).toMatch(/^The address answered, but not as Alma's API answers/);
    expect(stopText('unreachable', { code: 'ECONNREFUSED' })).toMatch(/could not be reached at all/);
  });

  it('retry_after on per-second refusals that went on (stop_detail code): says another application may use the threshold, not a Retry-After', () => {
    const d = { until: '21:07', code: 'PER_SECOND_THRESHOLD' };
    expect(stopText('retry_after', d)).toBe(
      "Alma kept refusing every request for its per-second threshold (PER_SECOND_THRESHOLD) though invoice-load slowed down: another application may be using the institution's threshold, so nothing more was sent. After 21:07, run the same command again to finish: what was done is in the journal, and nothing is sent twice.",
    );
    expect(rerunWhen('retry_after', d)).toBe("later (after 21:07, when Alma's per-second threshold is free), ");
  });

  it('retry_after with its end: the time to run again', () => {
    expect(stopText('retry_after', { until: '21:07' })).toMatch(/nothing more was sent\. After 21:07, run the same command again to finish/);
    expect(rerunWhen('retry_after', { until: '21:07' })).toBe('after 21:07 (the wait Alma asked for), ');
  });

  it('on every report: the terminal\'s advice, the HTML banner and advice, the payments/export line', () => {
    const report = doc([failed('A', NOT_STARTED)], { stopped: 'unreachable', stop_detail: { code: GATEWAY_DOWN } });
    const text = renderHuman(report, plainStyle, {});
    expect(text).toContain('Next: later, once Alma is up again, run the same command again to finish them: the journal resumes them, nothing is sent twice.');
    const html = renderHtml(report);
    expect(html).toContain('Alma, or the way to it, is down');
    // All its invoices were stopped, not refused: the HTML's advice is in its stopped section.
    expect(html).toContain('Later, once Alma is up again, run the same command again');
    expect(html).toContain('a re-run later, once Alma is up again loads it');
    const lifecycle = renderLifecycle({ target: 'alma', command: 'export', dry_run: false, stopped: 'unreachable', stop_detail: { code: GATEWAY_DOWN }, summary: lifecycleSummary([], 3), issues: [], invoices: [] }, plainStyle);
    expect(lifecycle.trimEnd().split('\n').pop()).toBe('stopped: unreachable; later, once Alma is up again, re-run the same command to finish');
  });
});

/** What each code the loader gives must say: a word of what it means and of the fix. */
const LOADER_CODES: Record<string, [means: RegExp, fix: RegExp]> = {
  INTERRUPTED: [/the run stopped .* under way/, /run the same command again: it finishes the invoice/],
  DAILY_THRESHOLD: [/the run stopped/, /run the same command again/],
  RETRY_AFTER: [/the run stopped/, /run the same command again/],
  UNAUTHORIZED: [/the run stopped/, /run the same command again/],
  UNREACHABLE: [/the run stopped/, /run the same command again/],
  JOURNAL_UNWRITABLE: [/the run stopped/, /run the same command again/],
  [NOT_STARTED]: [/before it reached this invoice: nothing of it was sent/, /run the same command again: it sends it/],
  [CANARY_MISMATCH]: [/stored the first invoice/, /--no-canary/],
  EXISTS_DIFFERENT: [/another total/, /correct the total/],
  [EXISTS_NOT_OURS]: [/did not create/, /take it out of the file/],
  [OUTCOME_UNKNOWN]: [/did not answer/, /run the same command again: it reads the invoice first/],
  [ID_NOT_KEPT]: [/an id of its own/, /ask the administrators/],
  WITHDRAWN: [/only as deleted or withdrawn .* neither reported loaded nor created again/, /load its rows from another file — the --rejects file, or an edited copy/],
  [NOT_CONFIRMED]: [/accepted the request/, /run the same command again later: it reads the invoice and confirms it/],
  LINES_INCOMPLETE: [/fewer lines/, /run the same command again later/],
  NOT_FOUND: [/holds no such invoice/, /check the invoice id/],
  AMBIGUOUS: [/more than one invoice/, /give the invoice_id/],
  WRONG_STATUS: [/status .* does not take this action/, /once it is in the status/],
  CLOSED_OTHER_VOUCHER: [/another voucher/, /correct the voucher number/],
  PAYMENT_DIFFERS: [/another amount, currency or date/, /correct the payment in Alma/],
  NOT_LOADED: [/never loaded/, /load the batch first/],
  vendor_not_found: [/vendor code/, /organization's code/],
  fund_not_found: [/fund code/, /active fund/],
  po_line_not_found: [/PO line/, /po_line/],
  payment_method_missing: [/payment method/, /fill payment_method/],
  batchGroupNotFound: [/batch group/, /batch group/],
  idConflict: [/another record under the id/, /administrators/],
  [GATEWAY_DOWN]: [/down/, /run the same command again later/],
  [NO_ANSWER]: [/nothing answered/, /--timeout/],
  [NOT_ALMA_API]: [/not as Alma's API answers/, /put the address right/],
};

describe('what every code the loader gives means, and its fix', () => {
  const codes = [...new Set([...STOP_CODES, ...DECIDED_CODES, CANARY_MISMATCH, EXISTS_NOT_OURS, OUTCOME_UNKNOWN, ID_NOT_KEPT, NOT_CONFIRMED, 'LINES_INCOMPLETE', GATEWAY_DOWN, NO_ANSWER, NOT_ALMA_API])];
  it.each(codes)('%s', (code) => {
    expect(Object.keys(LOADER_CODES), 'a code without its expected words in this test').toContain(code);
    expect(ERROR_TEXT[code], 'a code without a text in ERROR_TEXT').toBeDefined();
    // OUTCOME_UNKNOWN is a last step's (its create's own words: failures.test.ts).
    const [group] = groupFailures(doc([failed('A', code, code === OUTCOME_UNKNOWN ? 'process' : 'create')], { stopped: 'interrupted' }));
    const [means, fix] = LOADER_CODES[code]!;
    expect(group!.explanation?.means).toMatch(means);
    expect(group!.explanation?.fix).toMatch(fix);
  });

  it('a stop\'s own codes: the fix begins with when running again helps, by why the run stopped', () => {
    const fix = (code: string, stopped: string, stop_detail?: ReportDocument['stop_detail']): string | undefined =>
      groupFailures(doc([failed('A', code)], { stopped, ...(stop_detail !== undefined ? { stop_detail } : {}) }))[0]!.explanation?.fix;
    expect(fix(NOT_STARTED, 'unreachable', { code: GATEWAY_DOWN })).toBe('later, once Alma is up again, run the same command again: it sends it, and nothing is sent twice');
    expect(fix('RETRY_AFTER', 'retry_after', { until: '06:30' })).toBe('after 06:30 (the wait Alma asked for), run the same command again: it finishes the invoice from where it was, and nothing is sent twice');
    expect(fix('INTERRUPTED', 'interrupted')).toBe('run the same command again: it finishes the invoice from where it was, and nothing is sent twice');
    // Another target's name where the text says Alma.
    expect(groupFailures(doc([failed('A', NOT_STARTED)], { target: 'folio', stopped: 'ids_not_kept' }), 'FOLIO')[0]!.explanation?.fix).toBe(
      'once FOLIO keeps the ids it is sent (ask its administrators), run the same command again: it sends it, and nothing is sent twice',
    );
  });
});

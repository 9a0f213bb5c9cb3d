/** The verify command's summary as a person reads it, pure: the table, the counts, and a stop. */
import { describe, expect, it } from 'vitest';
import { buildVerifyReport, renderVerify, verifyExitCode, type VerifyInvoice } from '../../src/report/verify.js';
import { plainStyle } from '../../src/report/human.js';

const inv = (number: string, status: VerifyInvoice['status'], extra: Partial<VerifyInvoice> = {}): VerifyInvoice => ({
  vendor: 'GOBI', number, status, id: status === 'not_found' ? undefined : `531${number.length}`, differences: [], issues: [], rows: [], ...extra,
});

describe('renderVerify', () => {
  it('a table of what was read, the counts, and what to do about a difference', () => {
    const report = buildVerifyReport('alma', [inv('G-1', 'matches'), inv('G-2', 'differs', { differences: [{ field: 'note', sent: '"spring"', stored: 'nothing' }] })], [], 4);
    const lines = renderVerify(report, plainStyle).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^status\s+vendor\s+number\s+alma id\s+what differs$/);
    expect(lines[2]).toMatch(/note: sent "spring", stored nothing$/);
    expect(lines).toContain('2 invoices: 1 matches, 1 differs. 4 read-only requests to Alma.');
    expect(lines.at(-1)).toMatch(/^Next: check the invoices named above in Alma/);
    expect(verifyExitCode(report)).toBe(4);
  });

  it('stopped before any invoice was read: no empty table, and the stop with when to run it again', () => {
    const report = buildVerifyReport('alma', [], [], 0, 'unreachable');
    expect(renderVerify(report, plainStyle).trimEnd().split('\n')).toEqual([
      '0 invoices: 0 match. 0 read-only requests to Alma.',
      'stopped: unreachable; no invoice was read; once the address or the network is put right (above), run the same command again to verify the others',
    ]);
    expect(verifyExitCode(report)).toBe(4);
    // Some read before the stop: those are the table.
    const some = renderVerify(buildVerifyReport('alma', [inv('G-1', 'matches')], [], 1, 'unreachable'), plainStyle);
    expect(some).toMatch(/^status .*\nmatches .*G-1.*\n\n1 invoice: 1 matches\. 1 read-only request to Alma\.\nstopped: unreachable; only the invoices above were read; /);
  });

  it("names the target as the load's summary does: the Alma sandbox, FOLIO", () => {
    const sandbox = { ...buildVerifyReport('alma', [inv('G-1', 'not_found')], [], 2), sandbox: true };
    const lines = renderVerify(sandbox, plainStyle).trimEnd().split('\n');
    expect(lines).toContain('1 invoice: 0 match, 1 not found. 2 read-only requests to the Alma sandbox.');
    expect(lines[1]).toMatch(/Alma holds no invoice G-1 from GOBI$/);
    expect(lines.at(-1)).toBe('Next: check the invoices named above in Alma; what differs is what Alma stored against what the batch says.');
    expect(renderVerify(buildVerifyReport('folio', [], [], 1), plainStyle)).toBe('0 invoices: 0 match. 1 read-only request to FOLIO.\n');
  });

  it("after a stop, carries the stop's detail (stop_detail, as the load's report does) into when to run it again", () => {
    const down = buildVerifyReport('alma', [inv('G-1', 'matches')], [], 3, 'unreachable', { code: 'GATEWAY_DOWN' });
    expect(down.stop_detail).toEqual({ code: 'GATEWAY_DOWN' });
    expect(renderVerify(down, plainStyle).trimEnd().split('\n').at(-1)).toBe(
      'stopped: unreachable; only the invoices above were read; later, once Alma is up again, run the same command again to verify the others',
    );
    // The target's own name in the advice; no stop, no detail kept.
    expect(renderVerify(buildVerifyReport('folio', [], [], 1, 'unreachable', { code: 'NO_ANSWER' }), plainStyle)).toContain(
      'once the address and the network are checked (or with a longer --timeout, if FOLIO is only slow), run the same command again',
    );
    expect(buildVerifyReport('alma', [], [], 1, undefined, { code: 'GATEWAY_DOWN' })).not.toHaveProperty('stop_detail');
  });
});

describe('unreadInvoice (cli/verify.ts): what a failed read by id says', () => {
  it("412400 under a 400 is not found; in Alma's error document under a 200 it is no proof of absence: the read failed", async () => {
    const { unreadInvoice } = await import('../../src/cli/verify.js');
    const { ApiError } = await import('../../src/common/errors.js');
    const real = new ApiError({ httpStatus: 400, code: '412400', message: 'Invoice 77 not found.' });
    expect(unreadInvoice(real, 'alma', 'Alma', undefined, '77').status).toBe('not_found');
    expect(unreadInvoice(real, 'alma', 'Alma', '77', '77').status).toBe('missing');
    const inSuccess = new ApiError({ httpStatus: 200, inSuccess: true, code: '412400', message: 'an error answered with HTTP 200: Invoice 77 not found.' });
    expect(unreadInvoice(inSuccess, 'alma', 'Alma', undefined, '77')).toMatchObject({ status: 'failed', id: '77', error: { code: '412400' } });
    expect(unreadInvoice(inSuccess, 'alma', 'Alma', '77', '77').status).toBe('failed');
  });
});

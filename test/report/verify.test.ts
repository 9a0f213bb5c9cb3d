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
    expect(lines).toContain('2 invoices: 1 matches, 1 differs. 4 read-only requests to alma.');
    expect(lines.at(-1)).toMatch(/^Next: check the invoices named above in alma/);
    expect(verifyExitCode(report)).toBe(4);
  });

  it('stopped before any invoice was read: no empty table, and the stop with when to run it again', () => {
    const report = buildVerifyReport('alma', [], [], 0, 'unreachable');
    expect(renderVerify(report, plainStyle).trimEnd().split('\n')).toEqual([
      '0 invoices: 0 match. 0 read-only requests to alma.',
      'stopped: unreachable; no invoice was read; once the address or the network is put right (above), run the same command again to verify the others',
    ]);
    expect(verifyExitCode(report)).toBe(4);
    // Some read before the stop: those are the table.
    const some = renderVerify(buildVerifyReport('alma', [inv('G-1', 'matches')], [], 1, 'unreachable'), plainStyle);
    expect(some).toMatch(/^status .*\nmatches .*G-1.*\n\n1 invoice: 1 matches\. 1 read-only request to alma\.\nstopped: unreachable; only the invoices above were read; /);
  });
});

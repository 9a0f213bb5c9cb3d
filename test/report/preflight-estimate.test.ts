/**
 * The checks' estimate after the load's own look-ups held invoices back (report/preflight.ts
 * estimateWithout), against the estimate made from the invoices that remain.
 */
import { describe, expect, it } from 'vitest';
import { estimateWithout, renderPreflight, type PreflightEstimate } from '../../src/report/preflight.js';
import { plainStyle } from '../../src/report/human.js';
import { estimateLoad } from '../../src/targets/alma/preflight-rules.js';
import { DEFAULT_POLL } from '../../src/targets/target.js';
import { makeInvoice } from '../helpers/fake-target.js';

const invoices = [makeInvoice('A', '1', 3), makeInvoice('A', '2', 1), makeInvoice('B', '3', 2)];
const estimate = (list: typeof invoices, remaining?: number) => estimateLoad({ invoices: list, lookups: 0, rate: 10, poll: DEFAULT_POLL, pollTimeoutMs: 60_000, remaining });

describe('estimateWithout', () => {
  it.each([
    ['one invoice of three lines', [0]],
    ['two invoices', [0, 2]],
    ['every invoice', [0, 1, 2]],
  ])('without %s it is the estimate of the others, slow bound and share of the day included', (_what, drop) => {
    const kept = invoices.filter((_, i) => !drop.includes(i));
    const held = invoices.filter((_, i) => drop.includes(i));
    const lines = held.reduce((n, inv) => n + inv.lines.length, 0);
    expect(estimateWithout(estimate(invoices, 5_000), { invoices: held.length, lines })).toEqual(estimate(kept, 5_000));
    expect(estimateWithout(estimate(invoices), { invoices: held.length, lines })).toEqual(estimate(kept));
  });

  it('nothing held back: the same estimate', () => {
    const e = estimate(invoices);
    expect(estimateWithout(e, { invoices: 0, lines: 0 })).toBe(e);
  });

  it('files sent with the invoices (FOLIO documents) are counted, said, and go with the invoices held back', () => {
    const e: PreflightEstimate = {
      invoices: 2,
      lines: 3,
      requests: { lookups: 2, create: 2, lines: 3, attachments: 3, process: 0, polls: 0, total: 10 },
      requests_if_slow: 10,
      rate: 10,
      seconds: 1,
    };
    const without = estimateWithout(e, { invoices: 1, lines: 1, attachments: 2 });
    expect(without.requests).toEqual({ lookups: 2, create: 1, lines: 2, attachments: 1, process: 0, polls: 0, total: 6 });
    // Approving, FOLIO's process is read + PUT + read an invoice, and it has no status reads.
    const approving = estimateWithout({ ...e, requests: { ...e.requests, process: 6, total: 16 }, requests_if_slow: 16 }, { invoices: 1, lines: 1, attachments: 2 });
    expect(approving.requests).toMatchObject({ process: 3, polls: 0, total: 9 });
    const text = renderPreflight({ target: 'folio', requests: 4, checked: { vendors: 1, funds: 1, po_lines: 0, code_tables: 0, invoices: 2 }, unchecked: [], estimate: e }, plainStyle, { label: 'FOLIO' }).join('\n');
    expect(text).toContain('(2 look-ups + 2 create + 3 lines + 3 files + 0 process');
  });
});

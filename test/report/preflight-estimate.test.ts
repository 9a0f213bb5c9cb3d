/**
 * The checks' estimate after the load's own look-ups held invoices back (report/preflight.ts
 * estimateWithout), against the estimate made from the invoices that remain.
 */
import { describe, expect, it } from 'vitest';
import { estimateWithout } from '../../src/report/preflight.js';
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
});

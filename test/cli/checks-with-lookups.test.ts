/**
 * The checks' report after a load's own look-ups held invoices back (send.ts checksWithLookups):
 * each held invoice takes its create, its lines and its files out of the estimate. A target whose
 * estimate counts the file requests (FOLIO's documents, report/preflight.ts estimateWithout) must
 * not go on counting a held invoice's files. Tested here rather than through the CLI: only Alma
 * runs checks during a load, and its estimate has no file requests (targets/alma/preflight-rules.ts
 * estimateLoad), so no load's report shows the difference yet.
 */
import { describe, expect, it } from 'vitest';
import { checksWithLookups } from '../../src/cli/send.js';
import type { PreflightReport } from '../../src/report/preflight.js';
import type { Invoice } from '../../src/domain/model.js';
import { makeInvoice } from '../helpers/fake-target.js';

function withFiles(inv: Invoice, files: string[]): Invoice {
  return { ...inv, header: { ...inv.header, attachments: files.map((path, i) => ({ path, source: { file: 't.csv', row: i + 2 } })) } };
}

// Three invoices, two lines each; A-1 has two files, A-2 one, A-3 none.
const invoices = [withFiles(makeInvoice('A', '1', 2), ['a.pdf', 'b.pdf']), withFiles(makeInvoice('A', '2', 2), ['c.pdf']), makeInvoice('A', '3', 2)];

const report: PreflightReport = {
  target: 'folio',
  requests: 4,
  checked: { vendors: 1, funds: 1, po_lines: 0, code_tables: 0, invoices: 0 },
  unchecked: [],
  estimate: {
    invoices: 3,
    lines: 6,
    // FOLIO without approving: no process or status reads.
    requests: { lookups: 3, create: 3, lines: 6, attachments: 3, process: 0, polls: 0, total: 15 },
    requests_if_slow: 15,
    rate: 10,
    seconds: 1.5,
  },
};

describe('checksWithLookups', () => {
  it('an invoice held back takes its files out of the estimate with its create and lines', () => {
    const out = checksWithLookups(report, 3, [invoices[0]!], 7);
    expect(out.requests).toBe(7);
    expect(out.checked.invoices).toBe(3);
    expect(out.estimate).toMatchObject({ invoices: 2, lines: 4 });
    expect(out.estimate.requests).toEqual({ lookups: 3, create: 2, lines: 4, attachments: 1, process: 0, polls: 0, total: 10 });
  });

  it('files of every held invoice are counted: two held, three files out', () => {
    const out = checksWithLookups(report, 3, [invoices[0]!, invoices[1]!], 7);
    expect(out.estimate.requests).toEqual({ lookups: 3, create: 1, lines: 2, attachments: 0, process: 0, polls: 0, total: 6 });
  });
});

/** FOLIO test helpers: invoices built by the grouper with FOLIO's rules, and the sample's rows. */
import { readFileSync } from 'node:fs';
import { InvoiceGrouper } from '../../../src/domain/group.js';
import type { Invoice } from '../../../src/domain/model.js';
import { checkFolioInvoice } from '../../../src/targets/folio/rules.js';

export const FOLIO_SAMPLE = 'fixtures/folio-sample.csv';

export function folioInvoices(rows: Record<string, string>[], file = 'batch.csv'): Invoice[] {
  const g = new InvoiceGrouper({ rules: checkFolioInvoice });
  rows.forEach((fields, i) => g.add({ source: { file, row: i + 2 }, fields }));
  return g.finish().invoices.map((x) => {
    if (x.invoice === undefined) throw new Error(`test invoice ${x.key.number} is invalid: ${x.problems.map((p) => p.message).join('; ')}`);
    return x.invoice;
  });
}

/** The sample CSV's rows (plain: it has no quoted commas). */
export function sampleRows(): Record<string, string>[] {
  const [head, ...lines] = readFileSync(FOLIO_SAMPLE, 'utf8').trim().split('\n');
  const cols = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v] as const).filter(([, v]) => v !== '')));
}

export const CREDENTIALS = { tenant: 'diku', username: 'diku_admin', password: 'Pass-w0rd!secret' };

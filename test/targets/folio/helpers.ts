/** FOLIO test helpers: invoices built by the grouper with FOLIO's rules, the sample's rows, and an invoice keyed in by hand. */
import { readFileSync } from 'node:fs';
import { InvoiceGrouper } from '../../../src/domain/group.js';
import type { Invoice } from '../../../src/domain/model.js';
import { checkFolioInvoice } from '../../../src/targets/folio/rules.js';
import { createFolioTarget } from '../../../src/targets/folio/target.js';

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

/**
 * An invoice someone keyed in by hand in FOLIO, with the batch invoice's vendor and number (FOLIO
 * keeps no uniqueness on vendorInvoiceNo): FOLIO's own id, or `id`; with one line of its own.
 * Returns its id.
 */
export async function keyInByHand(url: string, inv: Invoice, o: { id?: string; lockTotal?: number } = {}): Promise<string> {
  const t = createFolioTarget({ baseUrl: url, credentials: CREDENTIALS, rate: 2000 });
  try {
    const org = (await t.refs.organization(inv.key.vendor))!;
    const fund = (await t.refs.fund('HIST'))!;
    const created = (await t.client.json({
      method: 'POST',
      path: '/invoice/invoices',
      body: {
        ...(o.id !== undefined ? { id: o.id } : {}),
        batchGroupId: await t.refs.batchGroupId(),
        currency: 'USD',
        invoiceDate: '2026-11-01T00:00:00.000Z',
        paymentMethod: 'EFT',
        status: 'Open',
        source: 'User',
        vendorInvoiceNo: inv.key.number,
        vendorId: org.id,
        ...(o.lockTotal !== undefined ? { lockTotal: o.lockTotal } : {}),
      },
    })) as { id: string };
    await t.client.json({
      method: 'POST',
      path: '/invoice/invoice-lines',
      body: { invoiceId: created.id, description: 'keyed in by hand', invoiceLineStatus: 'Open', subTotal: 5, quantity: 1, releaseEncumbrance: true, fundDistributions: [{ fundId: fund.id, distributionType: 'percentage', value: 100 }] },
    });
    return created.id;
  } finally {
    await t.close();
  }
}

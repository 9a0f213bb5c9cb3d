/** Canonical invoices for the Exsited and Alguna targets, built the way the CLI builds them: rows → grouper with the target's rules. */
import { InvoiceGrouper } from '../../../src/domain/group.js';
import type { Invoice } from '../../../src/domain/model.js';
import type { InvoiceRules } from '../../../src/domain/group.js';
import { checkAlgunaInvoice } from '../../../src/targets/alguna/rules.js';
import { checkAlmaInvoice } from '../../../src/targets/alma/rules.js';
import { checkExsitedInvoice } from '../../../src/targets/exsited/rules.js';
import { checkFolioInvoice } from '../../../src/targets/folio/rules.js';

/** Each target's invoice rules (its `rules.ts`), without the attachment checks its profile adds. */
export const RULES = { alma: checkAlmaInvoice, exsited: checkExsitedInvoice, alguna: checkAlgunaInvoice, folio: checkFolioInvoice } satisfies Record<string, InvoiceRules>;
export type TargetName = keyof typeof RULES;

export function invoicesFrom(target: TargetName, rows: Record<string, string>[], file = 'batch.csv'): Invoice[] {
  const g = new InvoiceGrouper({ rules: RULES[target] });
  rows.forEach((fields, i) => g.add({ source: { file, row: i + 2 }, fields }));
  const { invoices } = g.finish();
  return invoices.map((x) => {
    if (x.invoice === undefined) throw new Error(`test invoice ${x.key.number} is invalid: ${x.problems.map((p) => p.message).join('; ')}`);
    return x.invoice;
  });
}

export const exsitedRow = (over: Record<string, string> = {}): Record<string, string> => ({
  invoice_number: 'HA-1',
  invoice_date: '2025-03-03',
  invoice_due_date: '2025-04-02',
  vendor: 'HARRAS',
  total_amount: '1320.00',
  currency: 'AUD',
  purchase_order_id: 'PO-HARRAS01-0001',
  ...over,
});

export const algunaRows = (number = 'DIG-1', over: Record<string, string> = {}): Record<string, string>[] => [
  {
    invoice_number: number,
    invoice_date: '2025-03-31',
    vendor: 'DIGILAB',
    account_id: 'acc_city_library',
    billing_period_start: '2025-03-01',
    billing_period_end: '2025-03-31T23:59:59Z',
    total_amount: '1250.00',
    currency: 'USD',
    line_number: '1',
    line_description: 'Scanning (pages)',
    quantity: '2000',
    unit_price: '0.50',
    product_id: 'prod_scanning',
    ...over,
  },
  { invoice_number: number, vendor: 'DIGILAB', line_number: '2', line_description: 'Metadata records', quantity: '50', unit_price: '5.00' },
];

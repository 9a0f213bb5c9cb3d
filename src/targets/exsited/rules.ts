/**
 * Rules for Exsited purchase invoices ("Create Purchase Invoice for a Purchase Order",
 * https://developer.exsited.com/purchase-invoice-post-api-documentation). A purchase invoice is
 * made from an existing purchase order and takes its lines from it, so a batch row is an invoice:
 * which purchase order, its issue and due dates, a note for the PO, custom attributes, and a note
 * (with an optional file) for the invoice itself.
 */
import { quote } from '../../domain/cells.js';
import { valueOf, type DraftInvoice } from '../../domain/draft.js';
import type { InvoiceRules } from '../../domain/group.js';
import { keyString } from '../../domain/model.js';
import { problem, type Problem } from '../../domain/problem.js';
import { checkDecimals, checkMandatory, Findings } from '../../domain/findings.js';
import { columnUse, COMMON_COLUMNS, unusedColumns } from '../../domain/column-use.js';

/**
 * The columns Exsited sends besides the common ones. Its purchase-invoice API
 * (https://developer.exsited.com/purchase-invoice-post-api-documentation) creates the purchase
 * invoice from the purchase order, which gives it its lines.
 */
export const EXSITED_COLUMNS = columnUse(
  'Exsited',
  [...COMMON_COLUMNS, 'purchase_order_id', 'purchase_order_note', 'custom_attributes', 'attachment', 'invoice_due_date'],
  'an Exsited purchase invoice takes its lines from its purchase order, and the other columns belong to Alma or Alguna',
);

/**
 * Custom attributes the loader writes itself on every purchase invoice: Exsited has no field
 * for the vendor's invoice number and no idempotency key (none is documented), so these two
 * are how a re-run finds the invoice again. A batch may not set them.
 */
export const EXSITED_NUMBER_ATTRIBUTE = 'vendor_invoice_number';
export const EXSITED_VENDOR_ATTRIBUTE = 'vendor';
const RESERVED = new Set([EXSITED_NUMBER_ATTRIBUTE, EXSITED_VENDOR_ATTRIBUTE]);

export function checkExsitedInvoice(d: DraftInvoice): Problem[] {
  const p = new Findings(d);
  const f = d.fields;
  // invoice_date → issue_date (YYYY-MM-DD, the same page); purchase_order_id is the path parameter.
  // total_amount is not sent (the PI's total comes from the PO): it is the vendor's control
  // total, given beside Exsited's own total in the --json report; nothing compares the two.
  checkMandatory(p, ['invoice_number', 'invoice_date', 'vendor', 'total_amount', 'purchase_order_id'], 'Exsited', {
    purchase_order_id: 'an Exsited purchase invoice is created from a purchase order (POST /purchase-orders/{purchase_order_id}/purchase-invoices)',
    total_amount: "the report gives it beside Exsited's own total (the purchase order's), for you to compare",
  });
  checkDecimals(p, [['total_amount', f.total_amount]]);

  const attrs = f.custom_attributes;
  const raw = valueOf(attrs);
  if (attrs !== undefined && raw !== undefined) {
    const names = (JSON.parse(raw) as [string, string][]).map(([n]) => n);
    for (const name of names.filter((n) => RESERVED.has(n))) {
      p.add(
        attrs.row,
        'custom_attributes',
        'reserved_attribute',
        `custom_attributes names ${quote(name)}, which the loader sets itself (vendor and invoice number, to find the invoice again); use another name`,
      );
    }
  }

  // A due date before the issue date is almost certainly a typo; Exsited's rules on it are not
  // documented, so it is pointed out, not refused.
  const issue = valueOf(f.invoice_date);
  const due = valueOf(f.invoice_due_date);
  if (issue !== undefined && due !== undefined && due < issue && f.invoice_due_date !== undefined) {
    p.add(f.invoice_due_date.row, 'invoice_due_date', 'due_before_issue', `invoice_due_date ${due} is before invoice_date ${issue}`, 'warning');
  }
  return p.list.concat(unusedColumns(d, EXSITED_COLUMNS));
}

/**
 * One invoice of a batch per purchase order. An Exsited purchase invoice is created from its
 * purchase order and takes all of the order's lines and totals
 * (https://developer.exsited.com/purchase-invoice-post-api-documentation; docs/exsited.md "Money,
 * dates, statuses"): two vendor invoices on one purchase order would each become a purchase
 * invoice for the whole order, both reported loaded, the order invoiced twice. So the second
 * (and every later) invoice naming a purchase order an earlier invoice of the batch named is an
 * error before anything is sent, naming both rows. The state is the batch's: a new one for each
 * reading (`profile.rules`), and an invoice read again (a batch read twice) is the same invoice,
 * not a second one.
 */
export function onePurchaseOrderEach(rules: InvoiceRules): InvoiceRules {
  const first = new Map<string, { id: string; number: string; vendor: string; file: string; row: number }>();
  return (d: DraftInvoice): Problem[] => {
    const found = rules(d);
    const f = d.fields.purchase_order_id;
    const po = valueOf(f);
    if (f === undefined || po === undefined || po === '') return found;
    const id = keyString(d.key);
    const seen = first.get(po);
    if (seen === undefined) {
      first.set(po, { id, number: d.key.number, vendor: d.key.vendor, file: d.file, row: f.row });
      return found;
    }
    if (seen.id === id) return found;
    const where = seen.file === d.file ? `rows ${seen.row} and ${f.row}` : `${seen.file} row ${seen.row} and ${d.file} row ${f.row}`;
    return found.concat(
      problem(
        { file: d.file, row: f.row },
        'purchase_order_reused',
        `purchase order ${quote(po)} is also that of invoice ${quote(seen.number)} from ${seen.vendor} (${where}): ` +
          `an Exsited purchase invoice takes all of its purchase order's lines and totals, so each would be the whole order, invoiced twice; give each invoice its own purchase order`,
        { column: 'purchase_order_id' },
      ),
    );
  };
}

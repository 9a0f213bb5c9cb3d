/**
 * Rules for Alguna one-off invoices ("POST /invoices — Creates a one-off invoice",
 * https://docs.alguna.io/api-reference/invoices/create). One request carries the invoice and its
 * line items, so everything Alguna requires is checked here before anything is sent:
 * - `accountId`, `billingPeriodStart`, `billingPeriodEnd` are "required" (same page), and v2's
 *   create requires `currency` and `customer_id`
 *   (https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/create-an-invoice);
 * - a line item takes `description`, `quantity` and `unitPrice`
 *   (https://docs.alguna.io/api-reference/invoices/createLineItem: "legacy create-line takes
 *   description (required), quantity (…required), unitPrice (…required)"); a missing quantity is 1,
 *   as for Alma;
 * - Alguna computes the invoice's amounts from its line items (the request has no total,
 *   same page), so the vendor's `total_amount` must equal Σ quantity × unit_price: otherwise
 *   the invoice Alguna makes is not the vendor's invoice.
 */
import type { Decimal } from 'decimal.js';
import { quote } from '../../domain/cells.js';
import { isInvalid, valueOf, type DraftInvoice } from '../../domain/draft.js';
import { ZERO } from '../../domain/money.js';
import type { Problem } from '../../domain/problem.js';
import { checkDecimals, checkMandatory, Findings, leftOutNote, lineName } from '../../domain/findings.js';
import { columnUse, COMMON_COLUMNS, unusedColumns } from '../../domain/column-use.js';
import { periodEnd } from './payload.js';

/** The columns Alguna sends besides the common ones: the one-off invoice's account and period, its line items. */
export const ALGUNA_COLUMNS = columnUse(
  'Alguna',
  [...COMMON_COLUMNS, 'account_id', 'billing_period_start', 'billing_period_end', 'auto_issue', 'line_number', 'quantity', 'line_description', 'unit_price', 'product_id'],
  'they belong to the Alma or Exsited targets (Alguna line items take line_description, quantity, unit_price and product_id)',
);

export function checkAlgunaInvoice(d: DraftInvoice): Problem[] {
  const p = new Findings(d);
  const f = d.fields;
  checkMandatory(p, ['invoice_number', 'invoice_date', 'vendor', 'total_amount', 'currency', 'account_id', 'billing_period_start', 'billing_period_end'], 'Alguna', {
    // v2's create requires it (docs/alguna.md, "Fields"), and which API an account answers in is
    // learned only from its first look-up, so every Alguna invoice needs one before anything is sent.
    currency: "Alguna's v2 create requires currency (ISO 4217), and which API generation answers is known only once the run has started",
    account_id: 'Alguna invoices an account (accountId is required)',
    billing_period_start: 'Alguna requires billingPeriodStart',
    billing_period_end: 'Alguna requires billingPeriodEnd',
  });
  checkDecimals(p, [['total_amount', f.total_amount]]);

  const start = valueOf(f.billing_period_start);
  const end = valueOf(f.billing_period_end);
  if (start !== undefined && end !== undefined && f.billing_period_end !== undefined && instant(periodEnd(end)) < instant(start)) {
    p.add(f.billing_period_end.row, 'billing_period_end', 'billing_period_order', `billing_period_end ${end} is before billing_period_start ${start}`);
  }

  if (d.lines.length === 0) {
    p.add(p.firstRow, undefined, 'no_lines', `invoice ${quote(d.key.number)} has no line items (every row of it has invoice-level cells only)`);
  }
  let sum: Decimal = ZERO;
  let summable = true;
  for (const line of d.lines) {
    const lf = line.fields;
    const row = line.rows[0] ?? p.firstRow;
    if (lf.line_description === undefined) {
      p.add(row, 'line_description', 'missing_value', `${lineName(line)} has no line_description; an Alguna line item needs a description`);
    }
    if (lf.unit_price === undefined) {
      const hint = lf.price !== undefined ? ' (price is the Alma column; Alguna takes unit_price)' : '';
      p.add(row, 'unit_price', 'missing_value', `${lineName(line)} has no unit_price; an Alguna line item needs one${hint}`);
    }
    const price = valueOf(lf.unit_price);
    if (price === undefined || isInvalid(lf.quantity)) summable = false;
    else sum = sum.plus(price.times(valueOf(lf.quantity) ?? 1));
  }

  const totalF = f.total_amount;
  const total = valueOf(totalF);
  if (summable && d.lines.length > 0 && totalF !== undefined && total !== undefined && !sum.eq(total)) {
    const places = Math.max(2, total.decimalPlaces(), sum.decimalPlaces());
    p.add(
      totalF.row,
      'total_amount',
      'total_mismatch',
      `total_amount ${total.toFixed(places)} does not match the line items: ${sum.toFixed(places)} (Σ quantity × unit_price); ` +
        `difference ${total.minus(sum).toFixed(places)}${leftOutNote(d)}. Alguna computes the invoice from its line items, so it would not be the vendor's invoice`,
    );
  }
  return p.list.concat(unusedColumns(d, ALGUNA_COLUMNS));
}

/** ms since the epoch of a `timestamp` cell (a plain date is midnight UTC; an end is given to it as sent, `periodEnd`). */
export const instant = (t: string): number => Date.parse(t.length === 10 ? `${t}T00:00:00Z` : t);

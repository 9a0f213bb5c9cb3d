/**
 * Rules for FOLIO invoices (docs/folio.md; folio-org/acq-models `invoice.json`,
 * `invoice_line.json`; mod-invoice's approval checks, `InvoiceValidator.validateBeforeApproval`).
 * Everything FOLIO would refuse — at the create, at a line, or at approval after the invoice and
 * its lines exist — is checked before anything is sent:
 * - the invoice requires `currency` (invoice.json `required`) besides the identity, date, total;
 * - no amount has more decimals than the currency, a line's price and fund amounts included:
 *   mod-invoice rounds line totals to the currency before approval compares them;
 * - a line requires `subTotal` (price × quantity) and an integer `quantity` (invoice_line.json);
 * - approval needs at least one line, fund distributions on every line, totalling 100 % or the
 *   line's amount (fundDistributionsNotPresent, incorrectFundDistributionTotal) — the same fund
 *   rules as Alma's (src/domain/rules.ts `checkFunds`), except that FOLIO takes no fund from the PO line;
 * - approval needs the calculated total to equal `lockTotal`, which the loader sets to
 *   `total_amount` (lockCalculatedTotalsMismatch): Σ price × quantity + shipment + overhead +
 *   insurance − discount. FOLIO has no VAT fields, so VAT columns are not sent (a warning).
 */
import { quote } from '../../domain/cells.js';
import { isInvalid, valueOf, type DraftInvoice } from '../../domain/draft.js';
import { ZERO, formatDecimal } from '../../domain/money.js';
import type { Problem } from '../../domain/problem.js';
import { checkFunds, lineTotalOf } from '../../domain/rules.js';
import { checkDecimals, checkMandatory, Findings, leftOutNote, lineName, tooManyDecimals } from '../../domain/findings.js';
import { minorUnits } from '../../domain/currencies.js';
import { columnUse, COMMON_COLUMNS, unusedColumns } from '../../domain/column-use.js';

/** The columns FOLIO sends (payload.ts): the Alma layout's invoice, line and fund columns FOLIO has a field for, and line_description. */
export const FOLIO_COLUMNS = columnUse(
  'FOLIO',
  [
    ...COMMON_COLUMNS,
    'vendor_account', 'invoice_due_date', 'payment_method', 'shipment', 'overhead', 'insurance', 'discount',
    'line_number', 'po_line', 'price', 'quantity', 'line_description', 'line_note', 'price_note',
    'fund_code', 'fund_percent', 'fund_amount', 'subscription_from_date', 'subscription_to_date', 'release_remaining_encumbrance',
    'attachment',
  ],
  'FOLIO has no field for them (no VAT, reporting codes or ERP flags on its invoices), or they belong to the Exsited or Alguna targets',
);

export function checkFolioInvoice(d: DraftInvoice): Problem[] {
  const p = new Findings(d);
  const f = d.fields;
  checkMandatory(p, ['invoice_number', 'invoice_date', 'vendor', 'total_amount', 'currency'], 'FOLIO', {
    currency: 'FOLIO requires the invoice currency (an ISO code)',
  });
  checkDecimals(p, [
    ['total_amount', f.total_amount],
    ['shipment', f.shipment],
    ['overhead', f.overhead],
    ['insurance', f.insurance],
    ['discount', f.discount],
  ]);
  // mod-invoice rounds each line's total to the invoice's currency (HelperUtils
  // `calculateInvoiceLineTotals`, docs/folio.md "Money") and approval compares the fund amounts
  // with that rounded total: a price or fund amount finer than the currency would pass the create
  // and the lines, then fail the approval with the invoice and its lines in FOLIO. So the line
  // amounts are held to the currency's decimals too, as the invoice's are.
  const currency = valueOf(f.currency);
  const places = currency === undefined ? undefined : minorUnits(currency);
  if (currency !== undefined && places !== undefined) {
    for (const line of d.lines) {
      tooManyDecimals(p, currency, places, 'price', line.fields.price);
      for (const fund of line.funds) tooManyDecimals(p, currency, places, 'fund_amount', fund.amount);
    }
  }
  if (d.lines.length === 0) {
    p.add(p.firstRow, undefined, 'no_lines', `invoice ${quote(d.key.number)} has no lines; FOLIO approves no invoice without lines`);
  }
  let sum = ZERO;
  let summable = true;
  for (const line of d.lines) {
    const lf = line.fields;
    const row = line.rows[0] ?? p.firstRow;
    if (lf.price === undefined) {
      p.add(row, 'price', 'price_missing', `${lineName(line)} has no price; a FOLIO invoice line needs its amount (subTotal = price × quantity)`);
    }
    if (line.funds.length === 0) {
      p.add(row, 'fund_code', 'fund_missing', `${lineName(line)} has no fund; FOLIO approves an invoice only when every line has fund distributions`);
    }
    checkFunds(p, line);
    const from = valueOf(lf.subscription_from_date);
    const to = valueOf(lf.subscription_to_date);
    if (from !== undefined && to !== undefined && to < from && lf.subscription_to_date !== undefined) {
      p.add(lf.subscription_to_date.row, 'subscription_to_date', 'subscription_dates_order', `subscription_to_date ${to} is before subscription_from_date ${from}`);
    }
    const lt = isInvalid(lf.price) || isInvalid(lf.quantity) ? undefined : lineTotalOf(line);
    if (lt === undefined) summable = false;
    else sum = sum.plus(lt);
  }
  // FOLIO approves a line when its fund amounts add up to the line's total — its subTotal plus
  // its share of the invoice's prorated charges (mod-invoice InvoiceValidator,
  // `sumMixedDistributions(…, line.getTotal())`), a share FOLIO computes and the file does not
  // give. Amounts that add up to price × quantity then fail the approval after everything was
  // created (lineFundDistributionsSummaryMismatch); percentages hold whatever the share.
  const charged = (['shipment', 'overhead', 'insurance', 'discount'] as const).filter((k) => {
    const v = valueOf(f[k]);
    return v !== undefined && !v.isZero();
  });
  if (charged.length > 0) {
    for (const line of d.lines) {
      const byAmount = line.funds.find((fund) => fund.amount !== undefined && fund.percent === undefined);
      if (byAmount === undefined) continue;
      p.add(
        byAmount.row,
        'fund_amount',
        'fund_amount_with_charges',
        `${lineName(line)} gives its funds as amounts, but the invoice has ${charged.join(', ')}: FOLIO checks fund amounts against the line's total with its share of the charges, which FOLIO computes; give the funds as fund_percent instead`,
      );
    }
  }
  for (const [name, c] of [['shipment', f.shipment], ['overhead', f.overhead], ['insurance', f.insurance], ['discount', f.discount]] as const) {
    if (isInvalid(c)) summable = false;
    const v = valueOf(c);
    if (v !== undefined) sum = name === 'discount' ? sum.minus(v) : sum.plus(v);
  }
  const totalF = f.total_amount;
  const total = valueOf(totalF);
  if (summable && d.lines.length > 0 && totalF !== undefined && total !== undefined && !sum.eq(total)) {
    p.add(
      totalF.row,
      'total_amount',
      'total_mismatch',
      `total_amount ${formatDecimal(total)} does not match the lines and charges: ${formatDecimal(sum)} (Σ price × quantity + shipment + overhead + insurance − discount); ` +
        `difference ${formatDecimal(total.minus(sum))}${leftOutNote(d)}. FOLIO refuses to approve an invoice whose total differs from its lock total (lockCalculatedTotalsMismatch)`,
    );
  }
  return p.list.concat(unusedColumns(d, FOLIO_COLUMNS));
}

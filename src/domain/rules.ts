/**
 * Invoice-level rules on a grouped draft, each after a statement of Alma's data dictionaries
 * (XSD-INV, XSD-LINE in docs/alma.md#sources) or docs/alma.md#what-the-preflight-predicts.
 * Every problem names the file, the row (where the value was given, or the first row of the
 * invoice or line when a value is missing), the column, a stable code and a plain message.
 * A cell that was rejected while grouping is INVALID here: rules skip it rather than pile on.
 */
import type { Decimal } from 'decimal.js';
import type { Provenance } from '../input/record.js';
import type { InvoiceColumn } from './columns.js';
import { attributePairs, quote } from './cells.js';
import { minorUnits } from './currencies.js';
import { isInvalid, valueOf, type DraftFund, type DraftInvoice, type DraftLine, type Field } from './draft.js';
import type { FundDistribution, Invoice, InvoiceHeader, InvoiceLine, InvoiceOutline } from './model.js';
import { ExactSum, HUNDRED, ZERO, formatDecimal, roundMoney } from './money.js';
import { Findings, leftOutNote, lineName, tooManyDecimals } from './findings.js';
import type { Problem } from './problem.js';

/** Alma's default payment method ("Default is 'Accounting Department'", rest_invoice `payment_method`). */
export const DEFAULT_PAYMENT_METHOD = 'ACCOUNTINGDEPARTMENT';

/** All invoice-level problems of one draft (grouping problems are the grouper's). */
export function checkInvoice(d: DraftInvoice): Problem[] {
  const p = new Findings(d);
  checkMandatory(p);
  checkDecimals(p);
  checkInvoiceVat(p);
  checkPayment(p);
  if (d.lines.length === 0) {
    p.add(d.rows[0] ?? 0, undefined, 'no_lines', `invoice ${quote(d.key.number)} has no lines: none of its rows was read as a line (a row with a line's cells; in an Alma-shaped invoice, an entry of invoice_lines)`);
  }
  for (const line of d.lines) checkLine(p, line);
  checkTotal(p);
  return p.list;
}

// ------------------------------------------------------------------------------- header rules

/** number, invoice_date, vendor, total_amount: "Mandatory" (rest_invoice; Alma errors 60233–60235, 4028805). */
const MANDATORY: readonly InvoiceColumn[] = ['invoice_number', 'invoice_date', 'vendor', 'total_amount'];

function checkMandatory(p: Findings): void {
  for (const column of MANDATORY) {
    if (p.d.fields[column] === undefined) {
      p.add(p.d.rows[0] ?? 0, column, 'missing_value', `${column} is empty on every row of the invoice; Alma requires it`);
    }
  }
}

/**
 * Amounts may not have more decimal places than the currency's minor units (JPY 0, BHD 3…).
 * Trailing zeros do not count (`100.00` JPY is 100). Without a currency Alma uses the
 * institution's currency, which the loader does not know, so the check is skipped.
 */
function checkDecimals(p: Findings): void {
  const currency = valueOf(p.d.fields.currency);
  const places = currency === undefined ? undefined : minorUnits(currency);
  if (currency === undefined || places === undefined) return;
  const f = p.d.fields;
  tooManyDecimals(p, currency, places, 'total_amount', f.total_amount);
  tooManyDecimals(p, currency, places, 'vat_amount', f.vat_amount);
  tooManyDecimals(p, currency, places, 'shipment', f.shipment);
  tooManyDecimals(p, currency, places, 'overhead', f.overhead);
  tooManyDecimals(p, currency, places, 'insurance', f.insurance);
  tooManyDecimals(p, currency, places, 'discount', f.discount);
  for (const line of p.d.lines) {
    tooManyDecimals(p, currency, places, 'price', line.fields.price);
    tooManyDecimals(p, currency, places, 'line_vat_amount', line.fields.line_vat_amount);
    for (const fund of line.funds) tooManyDecimals(p, currency, places, 'fund_amount', fund.amount);
  }
}

/**
 * invoice_vat: "percentage or vat_amount should be supplied, but not both. If vat_code is
 * defined, percentage and vat_amount should be left empty" (Alma error 60252). The same words
 * stand in invoice_line_vat, checked per line.
 */
function checkVatPair(
  p: Findings,
  codeF: Field<string> | undefined,
  pctF: Field<Decimal> | undefined,
  amtF: Field<Decimal> | undefined,
  names: { code: string; pct: string; amt: string; prefix: string },
): void {
  if (pctF !== undefined && amtF !== undefined) {
    p.add(amtF.row, names.amt, `${names.prefix}vat_percentage_and_amount`, `${names.pct} and ${names.amt} are both given; Alma takes one or the other, not both`);
  }
  if (codeF !== undefined && (pctF !== undefined || amtF !== undefined)) {
    p.add(codeF.row, names.code, `${names.prefix}vat_code_with_value`, `${names.code} ${quote(codeF.text)} sets the VAT itself; leave ${names.pct} and ${names.amt} empty`);
  }
}

function checkInvoiceVat(p: Findings): void {
  const f = p.d.fields;
  checkVatPair(p, f.vat_code, f.vat_percentage, f.vat_amount, { code: 'vat_code', pct: 'vat_percentage', amt: 'vat_amount', prefix: '' });
}

/**
 * payment.prepaid: "True is valid only when the payment method is not Accounting department,
 * and the invoice is not an internal copy". internal_copy: "not sent to the ERP and is not
 * prepaid"; export_to_erp: "Internal copy invoices cannot be sent to ERP" (rest_invoice).
 */
function checkPayment(p: Findings): void {
  const f = p.d.fields;
  const prepaid = valueOf(f.prepaid) === true;
  const internal = valueOf(f.internal_copy) === true;
  if (prepaid && f.prepaid !== undefined) {
    const method = valueOf(f.payment_method);
    if (method === undefined || method.toUpperCase() === DEFAULT_PAYMENT_METHOD) {
      const given = method === undefined ? `no payment_method (Alma's default is ${DEFAULT_PAYMENT_METHOD})` : `payment_method ${quote(method)}`;
      p.add(f.prepaid.row, 'prepaid', 'prepaid_payment_method', `prepaid is true with ${given}; a prepaid invoice needs another payment method`);
    }
  }
  if (prepaid && internal && f.internal_copy !== undefined) {
    p.add(f.internal_copy.row, 'internal_copy', 'prepaid_internal_copy', 'prepaid and internal_copy are both true; an internal copy cannot be prepaid');
  }
  if (internal && valueOf(f.export_to_erp) === true && f.export_to_erp !== undefined) {
    p.add(f.export_to_erp.row, 'export_to_erp', 'internal_copy_export', 'export_to_erp and internal_copy are both true; an internal copy is not sent to the ERP');
  }
}

// --------------------------------------------------------------------------------- line rules

const firstRowOf = (line: DraftLine): number => line.rows[0] ?? 0;

function checkLine(p: Findings, line: DraftLine): void {
  const f = line.fields;
  checkVatPair(p, f.line_vat_code, f.line_vat_percentage, f.line_vat_amount, {
    code: 'line_vat_code',
    pct: 'line_vat_percentage',
    amt: 'line_vat_amount',
    prefix: 'line_',
  });
  // invoice_line_vat: "Relevant only if the invoice is defined as 'vat_per_invoice_line'".
  const lineVat = f.line_vat_code !== undefined ? 'line_vat_code' : f.line_vat_percentage !== undefined ? 'line_vat_percentage' : f.line_vat_amount !== undefined ? 'line_vat_amount' : undefined;
  if (lineVat !== undefined && valueOf(p.d.fields.vat_per_invoice_line) !== true) {
    const row = f[lineVat]?.row ?? firstRowOf(line);
    p.add(row, lineVat, 'line_vat_not_per_line', `${lineName(line)} has ${lineVat} but vat_per_invoice_line is not true; Alma ignores line VAT then`, 'warning');
  }
  const from = valueOf(f.subscription_from_date);
  const to = valueOf(f.subscription_to_date);
  if (from !== undefined && to !== undefined && to < from && f.subscription_to_date !== undefined) {
    p.add(f.subscription_to_date.row, 'subscription_to_date', 'subscription_dates_order', `subscription_to_date ${to} is before subscription_from_date ${from}`);
  }
  // Unlinked lines have no PO line to take a price or funds from (rest_invoice_line: price
  // "Default is the PO line price"; fund_distributions "Mandatory for processing the invoice line").
  if (f.po_line === undefined) {
    if (line.funds.length === 0) {
      p.add(firstRowOf(line), 'fund_code', 'fund_missing', `${lineName(line)} has no po_line and no fund; give fund_code (and a share) for a line not linked to a PO line`);
    }
    if (f.price === undefined) {
      p.add(firstRowOf(line), 'price', 'price_missing', `${lineName(line)} has no po_line and no price; a line not linked to a PO line needs a price`);
    }
  }
  // quantity: "Default is the PO line quantity" (rest_invoice_line; docs/alma.md#what-the-preflight-predicts):
  // a linked line without one is counted by Alma with the PO line's, which the file does not
  // show. The total and fund amounts below count 1; the online preflight reads the PO line and
  // checks them again with its quantity (po_line_quantity). Like `total_not_checked`, a warning.
  if (f.po_line !== undefined && f.quantity === undefined && f.price !== undefined && !isInvalid(f.price)) {
    p.add(
      firstRowOf(line),
      'quantity',
      'quantity_from_po_line',
      `${lineName(line)} has a po_line and no quantity, so Alma takes the PO line's quantity; total_amount and fund amounts were checked with quantity 1 ` +
        `(give the quantity invoiced, or run --dry-run --online to check them with the PO line's)`,
      'warning',
    );
  }
  checkFunds(p, line);
}

type Share = 'percent' | 'amount' | 'none' | 'both';
const shareOf = (f: DraftFund): Share =>
  f.percent !== undefined ? (f.amount !== undefined ? 'both' : 'percent') : f.amount !== undefined ? 'amount' : 'none';

/**
 * fund_distribution: "percentage or amount should be supplied, but not both" (rest_invoice_line);
 * Alma error 60257 "Fund percent or amount is required". Our reading, documented for users:
 * a line with a single fund and no share gives that fund 100 percent; with several funds each
 * needs a share, all of one kind, percents adding up to 100 and amounts to price × quantity.
 */
export function checkFunds(p: Findings, line: DraftLine): void {
  const funds = line.funds;
  let clean = true;
  for (const fund of funds) {
    const share = shareOf(fund);
    if (share === 'both') {
      clean = false;
      p.add(fund.row, 'fund_amount', 'fund_percent_and_amount', `fund_percent and fund_amount are both given; give one or the other`);
    }
    if (fund.code === undefined && share !== 'none') {
      clean = false;
      p.add(fund.row, 'fund_code', 'fund_code_missing', `a fund share is given without fund_code`);
    }
    if (share === 'none' && funds.length > 1) {
      clean = false;
      p.add(fund.row, 'fund_percent', 'fund_share_missing', `${lineName(line)} is split across ${funds.length} funds, so fund ${quote(fund.code?.text ?? '')} needs fund_percent or fund_amount`);
    }
    if (isInvalid(fund.percent) || isInvalid(fund.amount)) clean = false;
  }
  if (!clean || (funds.length < 2 && funds.every((f) => shareOf(f) === 'none'))) return; // none, or one taking 100 percent
  const first = shareOf(funds[0] as DraftFund);
  const odd = funds.find((f) => shareOf(f) !== first);
  if (odd !== undefined) {
    const column = shareOf(odd) === 'percent' ? 'fund_percent' : 'fund_amount';
    p.add(odd.row, column, 'fund_mixed_shares', `${lineName(line)} mixes fund percentages and amounts; use one kind for all its funds`);
    return;
  }
  // Built only for a message: this runs on every line of the batch.
  const rows = (): string => funds.map((f) => f.row).join(', ');
  // Shares that add up exactly need no Decimal (ExactSum); any other sum is checked and worded below.
  if (sharesAddUp(line, funds, first)) return;
  if (first === 'percent') {
    let total = ZERO;
    for (const f of funds) total = total.plus(valueOf(f.percent) as Decimal);
    if (!total.eq(HUNDRED)) {
      p.add(funds[0]?.row ?? 0, 'fund_percent', 'fund_percent_sum', `fund percentages of ${lineName(line)} add up to ${formatDecimal(total)}, not 100 (rows ${rows()})`);
    }
  } else {
    const lineTotal = lineTotalOf(line);
    if (lineTotal === undefined) return; // price not known here: Alma takes it from the PO line
    let total = ZERO;
    for (const f of funds) total = total.plus(valueOf(f.amount) as Decimal);
    if (!total.eq(lineTotal)) {
      p.add(
        funds[0]?.row ?? 0,
        'fund_amount',
        'fund_amount_sum',
        `fund amounts of ${lineName(line)} add up to ${formatDecimal(total)}, not the line total ${formatDecimal(lineTotal)} (price × quantity; rows ${rows()})`,
      );
    }
  }
}

/** True when the (valid, one-kind) shares add up exactly to 100 percent or to price × quantity. */
function sharesAddUp(line: DraftLine, funds: readonly DraftFund[], kind: Share): boolean {
  const sum = new ExactSum();
  if (kind === 'percent') {
    for (const f of funds) sum.add((f.percent as Field<Decimal>).text);
    return sum.equals('100');
  }
  const price = line.fields.price;
  const quantity = line.fields.quantity;
  if (price === undefined || isInvalid(price) || isInvalid(quantity)) return false;
  for (const f of funds) sum.add((f.amount as Field<Decimal>).text);
  sum.add(price.text, quantity === undefined ? -1 : -(quantity.value as number));
  return sum.equals('0');
}

/** price × quantity (quantity defaults to 1); undefined when the price is missing or invalid. */
export function lineTotalOf(line: DraftLine): Decimal | undefined {
  const price = valueOf(line.fields.price);
  if (price === undefined || isInvalid(line.fields.quantity)) return undefined;
  // Most lines have quantity 1: no multiplication (Decimals are immutable, the price serves).
  const quantity = valueOf(line.fields.quantity) ?? 1;
  return quantity === 1 ? price : price.times(quantity);
}

// -------------------------------------------------------------------------------- total rule

/**
 * The invoice total must equal the lines plus charges (docs/alma.md#what-the-preflight-predicts:
 * "Alma won't let you save the invoice until these totals match"; a mismatch sends a processed
 * invoice to review). VAT by invoice_vat.type (rest_invoice):
 *   "Inclusive: the invoice total amount includes VAT. Exclusive: VAT is added above the invoice
 *    total amount. Line Exclusive: the invoice's total amount includes VAT, but the VAT amount is
 *    calculated outside of the invoice lines' total value and is not factored into the individual
 *    invoice lines. … Default is 'Inclusive'."
 * So: total = Σ price × quantity + shipment + overhead + insurance − discount, plus the VAT only
 * for LINEEXCLUSIVE. That VAT is vat_amount, or vat_percentage × (lines + charges) rounded half
 * even to the currency's minor units; with vat_per_invoice_line, the sum over lines of
 * line_vat_amount or line_vat_percentage × line total (rounded likewise). Without a currency the
 * rounding uses the decimals of total_amount, at least 2.
 */
function checkTotal(p: Findings): void {
  const f = p.d.fields;
  const totalF = f.total_amount;
  const total = valueOf(totalF);
  if (totalF === undefined || total === undefined || p.d.lines.length === 0) return; // no_lines says it
  const notChecked = (why: string) =>
    p.add(totalF.row, 'total_amount', 'total_not_checked', `total_amount not checked: ${why}`, 'warning');

  const charges: [string, Field<Decimal> | undefined][] = [
    ['shipment', f.shipment],
    ['overhead', f.overhead],
    ['insurance', f.insurance],
    ['discount', f.discount],
  ];
  if (charges.some(([, c]) => isInvalid(c)) || isInvalid(f.vat_type) || isInvalid(f.currency)) return;
  const vatType = valueOf(f.vat_type) ?? 'INCLUSIVE';
  if (vatType !== 'LINEEXCLUSIVE' && addsUpExactly(p.d, charges, totalF.text)) return;
  const currency = valueOf(f.currency);
  const places = (currency === undefined ? undefined : minorUnits(currency)) ?? Math.max(2, total.decimalPlaces());

  let lines = ZERO;
  for (const line of p.d.lines) {
    if (isInvalid(line.fields.price) || isInvalid(line.fields.quantity)) return;
    const lt = lineTotalOf(line);
    if (lt === undefined) {
      if (line.fields.po_line !== undefined) notChecked(`${lineName(line)} (row ${firstRowOf(line)}) has a po_line and no price, so Alma takes the price from the PO line`);
      return; // without po_line, price_missing is already reported
    }
    lines = lines.plus(lt);
  }
  let chargeSum = ZERO;
  for (const [name, c] of charges) {
    const v = valueOf(c);
    if (v !== undefined) chargeSum = name === 'discount' ? chargeSum.minus(v) : chargeSum.plus(v);
  }

  let vat = ZERO;
  if (vatType === 'LINEEXCLUSIVE') {
    const perLine = valueOf(f.vat_per_invoice_line) === true;
    const invalid = perLine
      ? p.d.lines.some((l) => isInvalid(l.fields.line_vat_amount) || isInvalid(l.fields.line_vat_percentage))
      : isInvalid(f.vat_amount) || isInvalid(f.vat_percentage);
    if (invalid) return;
    const added = addedVat(
      {
        type: vatType,
        perLine,
        amount: valueOf(f.vat_amount),
        percentage: valueOf(f.vat_percentage),
        code: f.vat_code !== undefined,
        lines: p.d.lines.map((l) => ({
          total: lineTotalOf(l) as Decimal, // defined: a line without one returned above
          amount: valueOf(l.fields.line_vat_amount),
          percentage: valueOf(l.fields.line_vat_percentage),
          code: l.fields.line_vat_code !== undefined,
        })),
      },
      lines.plus(chargeSum),
      places,
    );
    if (added.byCode !== undefined) {
      if (added.byCode === 'invoice') {
        return notChecked(`vat_code ${quote(f.vat_code!.text)} has no amount or percentage; Alma computes that VAT from its VAT code table`);
      }
      const line = p.d.lines[added.byCode]!;
      return notChecked(`${lineName(line)} has line_vat_code ${quote(line.fields.line_vat_code!.text)} without an amount or percentage; Alma computes that VAT from its VAT code table`);
    }
    vat = added.vat;
  }

  const expected = lines.plus(chargeSum).plus(vat);
  if (expected.eq(total)) return;
  const fmt = (d: Decimal) => d.toFixed(Math.max(places, d.decimalPlaces()));
  const parts = [`lines ${fmt(lines)}`];
  for (const [name, c] of charges) {
    const v = valueOf(c);
    if (v !== undefined) parts.push(`${name === 'discount' ? '−' : '+'} ${name} ${fmt(v)}`);
  }
  if (vatType === 'LINEEXCLUSIVE') parts.push(`+ VAT ${fmt(vat)}`);
  // The VAT type only when the invoice gives one: Alma's default said of a file without VAT
  // columns read as something the file set.
  const vatTypeText = f.vat_type === undefined ? '' : `, VAT type ${vatType}`;
  p.add(
    totalF.row,
    'total_amount',
    'total_mismatch',
    `total_amount ${fmt(total)} does not match the lines and charges: ${fmt(expected)} (${parts.join(' ')}${vatTypeText}); ` +
      `difference ${fmt(total.minus(expected))}${leftOutNote(p.d)}. Alma would send the invoice to review`,
  );
}

/** What `addedVat` reads of an invoice's VAT: absent values undefined; `code` when a VAT code is given. */
export interface VatTerms {
  /** invoice_vat.type: INCLUSIVE (Alma's default), EXCLUSIVE or LINEEXCLUSIVE. */
  type: string;
  /** vat_per_invoice_line. */
  perLine: boolean;
  amount: Decimal | undefined;
  percentage: Decimal | undefined;
  code: boolean;
  /** Each line's price × quantity and its own VAT. */
  lines: readonly { total: Decimal; amount: Decimal | undefined; percentage: Decimal | undefined; code: boolean }[];
}

/**
 * The VAT an invoice's total holds beyond its lines and charges (`base`), by the total rule
 * above (`checkTotal`; README "What is checked before anything is sent", the invoice total):
 * none unless the type is LINEEXCLUSIVE; then vat_amount, or vat_percentage × base rounded half
 * even to `places`; with vat_per_invoice_line the sum over lines of line_vat_amount or
 * line_vat_percentage × the line's total, rounded likewise. `byCode` names the first VAT (the
 * invoice's, or a line's index) given by a VAT code only: Alma computes it from its VAT code
 * table, which this function does not know. The embedded sandbox checks totals with it too
 * (src/sandbox/store.ts), so the loader and its test double follow one rule.
 */
export function addedVat(t: VatTerms, base: Decimal, places: number): { vat: Decimal; byCode?: undefined } | { vat?: undefined; byCode: number | 'invoice' } {
  if (t.type !== 'LINEEXCLUSIVE') return { vat: ZERO };
  let vat = ZERO;
  if (t.perLine) {
    for (const [i, l] of t.lines.entries()) {
      if (l.amount !== undefined) vat = vat.plus(l.amount);
      else if (l.percentage !== undefined) vat = vat.plus(roundMoney(l.total.times(l.percentage).div(100), places));
      else if (l.code) return { byCode: i };
    }
    return { vat };
  }
  if (t.amount !== undefined) return { vat: t.amount };
  if (t.percentage !== undefined) return { vat: roundMoney(base.times(t.percentage).div(100), places) };
  if (t.code) return { byCode: 'invoice' };
  return { vat };
}

/**
 * The common case of `checkTotal` without a Decimal: every line has a valid price (and whole
 * quantity), no VAT is added, and Σ price × quantity + charges − discount is exactly the total,
 * summed as integers (`ExactSum`). True only then; anything else (a mismatch, a missing price,
 * amounts too long for exact integers) is left to the Decimal check, which words the problem.
 */
function addsUpExactly(d: DraftInvoice, charges: readonly [string, Field<Decimal> | undefined][], total: string): boolean {
  const sum = new ExactSum();
  for (const line of d.lines) {
    const price = line.fields.price;
    const quantity = line.fields.quantity;
    if (price === undefined || isInvalid(price) || isInvalid(quantity)) return false;
    sum.add(price.text, quantity === undefined ? 1 : (quantity.value as number));
  }
  for (const [name, c] of charges) {
    if (c === undefined) continue;
    if (name === 'discount') sum.add(c.text, -1);
    else sum.add(c.text);
  }
  return sum.equals(total);
}

// ------------------------------------------------------------------------------ build Invoice

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`internal: ${what} missing on an invoice without errors`);
  return v;
}

/** The canonical invoice of a draft that has no errors. `at` gives the shared Provenance of a row. */
export function buildInvoice(d: DraftInvoice, at: (row: number) => Provenance): Invoice {
  const lines: InvoiceLine[] = d.lines.map((line) => {
    const lf = line.fields;
    const implied100 = line.funds.length === 1 && shareOf(line.funds[0] as DraftFund) === 'none';
    const funds: FundDistribution[] = line.funds.map((fund) => ({
      fundCode: must(valueOf(fund.code), 'fund_code'),
      percent: implied100 ? HUNDRED : valueOf(fund.percent),
      amount: valueOf(fund.amount),
      source: at(fund.row),
    }));
    return {
      number: line.number,
      type: valueOf(lf.line_type),
      poLine: valueOf(lf.po_line),
      price: valueOf(lf.price),
      quantity: valueOf(lf.quantity),
      priceNote: valueOf(lf.price_note),
      note: valueOf(lf.line_note),
      funds,
      subscriptionFromDate: valueOf(lf.subscription_from_date),
      subscriptionToDate: valueOf(lf.subscription_to_date),
      additionalInfo: valueOf(lf.additional_info),
      fullyInvoiced: valueOf(lf.fully_invoiced),
      releaseRemainingEncumbrance: valueOf(lf.release_remaining_encumbrance),
      checkSubscriptionDateOverlap: valueOf(lf.check_subscription_date_overlap),
      reportingCode: valueOf(lf.reporting_code),
      secondaryReportingCode: valueOf(lf.secondary_reporting_code),
      tertiaryReportingCode: valueOf(lf.tertiary_reporting_code),
      vat: {
        code: valueOf(lf.line_vat_code),
        percentage: valueOf(lf.line_vat_percentage),
        amount: valueOf(lf.line_vat_amount),
        note: valueOf(lf.line_vat_note),
      },
      description: valueOf(lf.line_description),
      unitPrice: valueOf(lf.unit_price),
      productId: valueOf(lf.product_id),
      rows: line.rows.map(at),
    };
  });
  return { key: d.key, header: buildHeader(d, at), lines, rows: d.rows.map(at) };
}

/**
 * What a report line needs of a draft that has no errors (`buildInvoice`'s key and header, and
 * the line numbers): a plain dry run reports each invoice and drops it, so building the lines'
 * typed fields, funds and rows would be a third of a million-row dry run's garbage for nothing.
 */
export function outlineInvoice(d: DraftInvoice, at: (row: number) => Provenance): InvoiceOutline {
  // A draft's lines carry their numbers (assigned ones included), as the built lines do.
  return { key: d.key, header: buildHeader(d, at), lines: d.lines };
}

function buildHeader(d: DraftInvoice, at: (row: number) => Provenance): InvoiceHeader {
  const f = d.fields;
  return {
    number: must(valueOf(f.invoice_number), 'invoice_number'),
    date: must(valueOf(f.invoice_date), 'invoice_date'),
    vendor: must(valueOf(f.vendor), 'vendor'),
    vendorAccount: valueOf(f.vendor_account),
    totalAmount: must(valueOf(f.total_amount), 'total_amount'),
    currency: valueOf(f.currency),
    dueDate: valueOf(f.invoice_due_date),
    paymentMethod: valueOf(f.payment_method),
    referenceNumber: valueOf(f.reference_number),
    owner: valueOf(f.owner),
    vat: {
      type: valueOf(f.vat_type),
      percentage: valueOf(f.vat_percentage),
      amount: valueOf(f.vat_amount),
      code: valueOf(f.vat_code),
      perInvoiceLine: valueOf(f.vat_per_invoice_line),
      expendedFromFund: valueOf(f.expended_from_fund),
      reportTax: valueOf(f.report_tax),
    },
    charges: {
      useProRata: valueOf(f.use_pro_rata),
      shipment: valueOf(f.shipment),
      overhead: valueOf(f.overhead),
      insurance: valueOf(f.insurance),
      discount: valueOf(f.discount),
    },
    payment: {
      prepaid: valueOf(f.prepaid),
      internalCopy: valueOf(f.internal_copy),
      exportToErp: valueOf(f.export_to_erp),
    },
    note: valueOf(f.invoice_note),
    purchaseOrderId: valueOf(f.purchase_order_id),
    purchaseOrderNote: valueOf(f.purchase_order_note),
    customAttributes: f.custom_attributes === undefined ? undefined : attributePairs(valueOf(f.custom_attributes) ?? '[]'),
    attachment: valueOf(f.attachment),
    attachments: d.attachments?.map((a) => ({ path: a.text, source: at(a.row) })),
    accountId: valueOf(f.account_id),
    billingPeriodStart: valueOf(f.billing_period_start),
    billingPeriodEnd: valueOf(f.billing_period_end),
    autoIssue: valueOf(f.auto_issue),
  };
}

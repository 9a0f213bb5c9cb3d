/**
 * POST /acq/invoices/{id}/lines: validating one invoice line like Alma (OAS codes,
 * docs/alma.md#errors-error-codes-and-alerts) and building the stored line. Pure: the id comes from
 * the caller.
 */
import type { Decimal } from 'decimal.js';
import type { JsonValue } from '../common/json.js';
import { refuse } from './alma-shapes.js';
import { asObject, bool, D, date, field, integer, money, norm, sub, text, wrapped } from './body.js';
import type { Catalog } from './catalog.js';
import type { FundRec, InvoiceRec, LineRec } from './records.js';

export function buildLine(cat: Catalog, inv: InvoiceRec, body: JsonValue | undefined, nextId: () => string): LineRec {
  const b = asObject(body, 'invoice line');
  // "Default is 'Regular'" (XSD-LINE); codes from InvoiceLinesTypes.
  const type = wrapped(field(b, 'type')) ?? cat.defaultCode('InvoiceLinesTypes') ?? 'REGULAR';
  if (!cat.row('InvoiceLinesTypes', type)) throw refuse('60247', 'Invoice line type not valid.');
  const polNumber = text(field(b, 'po_line')) ?? '';
  const pol = polNumber === '' ? undefined : cat.poLines.get(polNumber);
  if (polNumber !== '' && !pol) throw refuse('60248', "Invoice line's PO Line not found.");
  // A PO line that is finished, of another vendor or in another currency cannot take the line.
  // Alma's code for these is not documented; the sandbox answers 60248 for each
  // (docs/alma.md#what-the-preflight-predicts), which is what the preflight predicts.
  if (pol && (pol.status === 'CLOSED' || pol.status === 'CANCELLED')) throw refuse('60248', `Invoice line's PO Line not found: ${pol.number} is ${pol.status.toLowerCase()}.`);
  if (pol && pol.vendor !== inv.vendor) throw refuse('60248', `Invoice line's PO Line not found: ${pol.number} belongs to vendor ${pol.vendor}.`);
  if (pol && pol.currency !== inv.currency) throw refuse('60248', `Invoice line's PO Line not found: ${pol.number} is in ${pol.currency}, the invoice in ${inv.currency}.`);
  // check_subscription_date_overlap defaults to true and then makes the dates mandatory for a
  // continuous POL (XSD-LINE).
  const checkOverlap = bool(field(b, 'check_subscription_date_overlap'), true);
  const subFrom = date(field(b, 'subscription_from_date'), 'subscription_from_date') ?? null;
  const subTo = date(field(b, 'subscription_to_date'), 'subscription_to_date') ?? null;
  const info = text(field(b, 'additional_info')) ?? '';
  if (pol && cat.isContinuous(pol) && checkOverlap && (subFrom === null || subTo === null) && info === '') {
    throw refuse('60249', 'Invoice line subscription from/to dates not found.');
  }
  const reporting = (
    [
      ['reporting_code', 'HFundsTransactionItem.reportingCode'],
      ['secondary_reporting_code', 'SecondReportingCode'],
      ['tertiary_reporting_code', 'ThirdReportingCode'],
    ] as const
  ).map(([k, table]) => {
    const v = wrapped(field(b, k)) ?? '';
    if (v !== '' && cat.table(table) && !cat.row(table, v)) throw refuse('60251', 'Invoice line reporting code not valid.');
    return v;
  }) as [string, string, string];
  const lvat = sub(b, 'invoice_line_vat');
  const lvatPct = money(field(lvat, 'percentage'), 'invoice_line_vat.percentage') ?? '0';
  const lvatAmt = money(field(lvat, 'vat_amount'), 'invoice_line_vat.vat_amount') ?? '0';
  if (!new D(lvatPct).isZero() && !new D(lvatAmt).isZero()) {
    throw refuse('60252', 'Invoice vat percentage or amount allowed but not both.');
  }
  const lvatCode = wrapped(field(lvat, 'vat_code')) ?? '';
  if (lvatCode !== '' && !cat.vatCodes.has(lvatCode)) throw refuse('60253', 'Invoice vat code not valid.');

  // Price and quantity default to the PO line's (XSD-LINE); total_price is output: price × quantity.
  const price = norm(money(field(b, 'price'), 'price') ?? pol?.price ?? '0');
  const quantity = integer(field(b, 'quantity'), 'quantity') ?? pol?.quantity ?? 1;
  const totalPrice = new D(price).times(quantity);
  const funds = fundShares(cat, field(b, 'fund_distribution'), totalPrice, pol?.fund_code);

  const given = text(field(b, 'number'));
  // 60306 "Invoice line number is not valid" (OAS): line numbers are whole numbers
  // (docs/alma.md#values-alma-can-store; the upper bound is ours, inferred).
  if (given !== undefined && !/^[1-9]\d{0,8}$/.test(given)) throw refuse('60306', 'Invoice line number is not valid.');
  return {
    id: nextId(),
    // Kept as sent; generated when absent (XSD-LINE). Duplicate numbers are ACCEPTED on
    // purpose, so tests can see a loader that doubles a line.
    number: given ?? nextLineNumber(inv),
    type,
    poLine: polNumber,
    price,
    quantity,
    totalPrice: totalPrice.toFixed(),
    priceNote: text(field(b, 'price_note')) ?? '',
    note: text(field(b, 'note')) ?? '',
    vatNote: text(field(b, 'vat_note')) ?? '',
    additionalInfo: text(field(b, 'additional_info')) ?? '',
    checkOverlap,
    fullyInvoiced: bool(field(b, 'fully_invoiced'), false),
    releaseRemaining: bool(field(b, 'release_remaining_encumbrance'), false),
    subFrom,
    subTo,
    reporting,
    vat: { code: lvatCode, percentage: norm(lvatPct), amount: norm(lvatAmt) },
    funds,
  };
}

/** Fund distribution: each needs an active fund (60254) and percent XOR amount (60257 / 60252). */
function fundShares(cat: Catalog, raw: JsonValue | undefined, total: Decimal, polFund: string | undefined): FundRec[] {
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) {
    throw refuse('402119', 'General error: fund_distribution must be an array.');
  }
  const list = raw ?? [];
  if (list.length === 0) {
    // A linked line inherits its PO line's fund; an unlinked one has none to inherit
    // (docs/alma.md#what-the-preflight-predicts).
    return polFund === undefined ? [] : [{ code: polFund, percent: '100', amount: total.toFixed() }];
  }
  return list.map((item, i) => {
    const fd = asObject(item, `fund_distribution[${i}]`);
    const code = wrapped(field(fd, 'fund_code')) ?? '';
    const fund = cat.funds.get(code);
    if (!fund || fund.status !== 'ACTIVE') throw refuse('60254', 'Fund code not valid.');
    const percent = money(field(fd, 'percent'), 'fund_distribution.percent');
    const amount = money(field(fd, 'amount'), 'fund_distribution.amount');
    if (percent === undefined && amount === undefined) throw refuse('60257', 'Fund percent or amount is required.');
    if (percent !== undefined && amount !== undefined) {
      // Send one of them (EXL-TAX: "can't have both amount and percentage"); the exact code Alma
      // uses here is not documented, 60252 is its wording for the VAT equivalent.
      throw refuse('60252', 'Fund distribution percent or amount allowed but not both.');
    }
    // GET answers carry both (sample 01, docs/alma.md#what-the-samples-show): derive the other one, 2 decimals, half-up.
    if (percent !== undefined) {
      return { code, percent: norm(percent), amount: total.times(percent).div(100).toDecimalPlaces(2).toFixed() };
    }
    const a = new D(amount ?? '0');
    const pct = total.isZero() ? new D(0) : a.div(total).times(100).toDecimalPlaces(2);
    return { code, percent: pct.toFixed(), amount: a.toFixed() };
  });
}

function nextLineNumber(inv: InvoiceRec): string {
  const max = inv.lines.reduce((m, l) => (/^\d+$/.test(l.number) ? Math.max(m, Number(l.number)) : m), 0);
  return String(max + 1);
}

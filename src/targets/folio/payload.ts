/**
 * Canonical invoice → FOLIO's invoice and invoice lines (folio-org/acq-models
 * `mod-invoice-storage/schemas/invoice.json`, `invoice_line.json`, `fund_distribution.json`,
 * `adjustment.json`; every one has `additionalProperties: false`, so nothing else is sent):
 *
 * | batch                                   | FOLIO                                                       |
 * |-----------------------------------------|-------------------------------------------------------------|
 * | invoice_number                          | `vendorInvoiceNo`                                           |
 * | vendor (organization code)              | `vendorId` (the organization's id)                          |
 * | invoice_date, invoice_due_date          | `invoiceDate`, `paymentDue` (date-time, midnight UTC, `…T00:00:00.000Z`) |
 * | total_amount                            | `lockTotal`: FOLIO refuses approval unless its total equals it |
 * | currency, payment_method, vendor_account | `currency`, `paymentMethod` (else the organization's), `accountNo` |
 * | shipment, overhead, insurance, discount | `adjustments[]`, Amount, prorated by line, in addition to the total (discount negative) |
 * | invoice_note                            | `note`                                                      |
 * | line: price × quantity, quantity        | `subTotal`, `quantity` (an integer)                         |
 * | po_line (PO line number)                | `poLineId`                                                  |
 * | fund_code + fund_percent / fund_amount  | `fundDistributions[]`: `fundId`, `code`, `distributionType` percentage / amount, `value`; `encumbrance`: the PO line's on that fund |
 * | subscription_from/to_date               | `subscriptionStart`, `subscriptionEnd`                      |
 * | line_description (else the PO line's title) | `description`; line_note → `comment`                    |
 * | release_remaining_encumbrance           | `releaseEncumbrance` (default true, as the schema's)        |
 *
 * The invoice and each line carry a client-supplied `id` (ids.ts). Money goes as exact JSON
 * numbers (Decimal through stringifyJson), never through a JS number.
 */
import type { Decimal } from 'decimal.js';
import type { Invoice, InvoiceLine } from '../../domain/model.js';
import { lineIdOf } from './ids.js';

/** What the look-ups resolved for one invoice. */
export interface Resolved {
  vendorId: string;
  /** The batch's payment method, else the organization's. */
  paymentMethod: string;
  batchGroupId: string;
  /** fund code → fund id */
  funds: ReadonlyMap<string, string>;
  /** PO line number → its id, title, and its encumbrance per fund id (lower case) */
  poLines: ReadonlyMap<string, { id: string; title?: string | undefined; encumbrances?: ReadonlyMap<string, string> | undefined }>;
}

/**
 * A `date-time` (acq-models `invoice.json`): midnight UTC in RFC 3339 (§5.6: the offset is `Z` or
 * `±hh:mm`). The samples' `+0000` has no colon: RFC 3339 does not allow it, and a strict parser
 * refuses it.
 */
export const folioDate = (d: string): string => `${d}T00:00:00.000Z`;

/** The invoice-level charges, as FOLIO adjustments. */
export const ADJUSTMENTS = [
  ['shipment', 'Shipment'],
  ['overhead', 'Overhead'],
  ['insurance', 'Insurance'],
  ['discount', 'Discount'],
] as const;

export function adjustmentsOf(inv: Invoice): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [key, description] of ADJUSTMENTS) {
    const v: Decimal | undefined = inv.header.charges[key];
    if (v === undefined || v.isZero()) continue;
    out.push({
      description,
      // Required by the current schema (acq-models adjustment.json lists it under "required",
      // with additionalProperties false: left out, the create is refused with 422). False: the
      // loader does not export invoices to accounting, so the charge is not a voucher line of
      // its own.
      exportToAccounting: false,
      // Spread over the lines, so each line's funds pay their share (a non-prorated adjustment
      // would need its own fund distributions: adjustmentFundDistributionsNotPresent).
      prorate: 'By line',
      relationToTotal: 'In addition to',
      type: 'Amount',
      // [I] a discount lowers the total as a negative amount; FOLIO documents no sign rule.
      value: key === 'discount' ? v.negated() : v,
    });
  }
  return out;
}

export function invoicePayload(inv: Invoice, id: string, r: Resolved): Record<string, unknown> {
  const h = inv.header;
  const adjustments = adjustmentsOf(inv);
  return {
    id,
    batchGroupId: r.batchGroupId,
    currency: h.currency,
    invoiceDate: folioDate(h.date),
    paymentMethod: r.paymentMethod,
    status: 'Open',
    source: 'API',
    vendorInvoiceNo: h.number,
    vendorId: r.vendorId,
    lockTotal: h.totalAmount,
    ...(h.vendorAccount !== undefined ? { accountNo: h.vendorAccount } : {}),
    ...(h.dueDate !== undefined ? { paymentDue: folioDate(h.dueDate) } : {}),
    ...(h.note !== undefined ? { note: h.note } : {}),
    ...(adjustments.length > 0 ? { adjustments } : {}),
  };
}

/**
 * The largest file FOLIO takes as a document: mod-invoice refuses a documents POST whose body
 * (the JSON with the file in base64, a third larger than the file) reaches 7 MB with 413
 * `documentIsTooLarge` (folio-org/mod-invoice `InvoicesImpl.MAX_DOCUMENT_SIZE = 7 * ONE_MB`).
 * 5 MiB of file is 6,990,508 characters of base64, which leaves room for the metadata.
 */
export const FOLIO_DOCUMENT_MAX_BYTES = 5 * 1024 * 1024;

/** price × quantity (quantity 1 when not given). */
export const subTotalOf = (l: InvoiceLine): Decimal | undefined => (l.price === undefined ? undefined : l.price.times(l.quantity ?? 1));

export function linePayload(l: InvoiceLine, invoiceId: string, r: Resolved): Record<string, unknown> {
  const po = l.poLine === undefined ? undefined : r.poLines.get(l.poLine);
  const comment = [l.note, l.priceNote].filter((x) => x !== undefined && x !== '').join(' — ');
  return {
    id: lineIdOf(invoiceId, l.number),
    invoiceId,
    description: l.description ?? po?.title ?? (l.poLine !== undefined ? `PO line ${l.poLine}` : `Line ${l.number}`),
    invoiceLineStatus: 'Open',
    subTotal: subTotalOf(l),
    quantity: l.quantity ?? 1,
    releaseEncumbrance: l.releaseRemainingEncumbrance ?? true,
    ...(po !== undefined ? { poLineId: po.id } : {}),
    fundDistributions: l.funds.map((f) => {
      const fundId = r.funds.get(f.fundCode);
      // The order's encumbrance on this fund: mod-invoice pays against an encumbrance only when
      // the invoice line's distribution names it (InvoiceWorkflowDataHolderBuilder
      // `withEncumbrances`, docs/folio.md "Invoice and lines").
      const encumbrance = fundId === undefined ? undefined : po?.encumbrances?.get(fundId.toLowerCase());
      return {
        fundId,
        code: f.fundCode,
        ...(encumbrance !== undefined ? { encumbrance } : {}),
        distributionType: f.amount !== undefined ? 'amount' : 'percentage',
        value: f.amount ?? f.percent,
      };
    }),
    ...(l.subscriptionFromDate !== undefined ? { subscriptionStart: folioDate(l.subscriptionFromDate) } : {}),
    ...(l.subscriptionToDate !== undefined ? { subscriptionEnd: folioDate(l.subscriptionToDate) } : {}),
    ...(comment !== '' ? { comment } : {}),
  };
}

/**
 * What a dry run shows without asking FOLIO: the look-ups' answers as placeholders
 * (`{organization id of GOBI}`); ids as the load will send them need the tenant, so the invoice
 * id is a placeholder too.
 */
export function previewResolved(inv: Invoice): Resolved {
  const funds = new Map<string, string>();
  const poLines = new Map<string, { id: string }>();
  for (const l of inv.lines) {
    for (const f of l.funds) funds.set(f.fundCode, `{fund id of ${f.fundCode}}`);
    if (l.poLine !== undefined) poLines.set(l.poLine, { id: `{PO line id of ${l.poLine}}` });
  }
  return {
    vendorId: `{organization id of ${inv.key.vendor}}`,
    paymentMethod: inv.header.paymentMethod ?? `{payment method of organization ${inv.key.vendor}}`,
    batchGroupId: '{batch group id}',
    funds,
    poLines,
  };
}

export function previewPayloads(inv: Invoice, invoiceId = '{invoice id}'): { invoice: Record<string, unknown>; lines: Record<string, unknown>[] } {
  const r = previewResolved(inv);
  return {
    invoice: invoicePayload(inv, invoiceId, r),
    lines: inv.lines.map((l) => ({ ...linePayload(l, invoiceId, r), id: `{line id of ${l.number}}` })),
  };
}

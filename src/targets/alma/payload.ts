/**
 * Canonical invoice → Alma JSON bodies, per the data dictionaries (rest_invoice.xsd,
 * rest_invoice_line.xsd; the XSD pages in docs/alma.md#sources) and
 * docs/alma.md#the-json-shape-list-naming-amounts-dates.
 *
 * - Only fields that are set are sent; output-only fields (id, status, total_price,
 *   creation_form, alerts …) never are. Alma applies its documented defaults to the rest.
 * - Code-table fields are wrapped `{value}`; `desc` is not needed on input
 *   (docs/alma.md#the-json-shape-list-naming-amounts-dates).
 * - Dates go out as `YYYY-MM-DDZ` (docs/alma.md#the-json-shape-list-naming-amounts-dates; AAPITK
 *   `_format_invoice_date`).
 * - Amounts are `Decimal`s, written by `stringifyJson` as bare JSON numbers with their exact
 *   value in canonical form: `0.10` is sent as `0.1` and `100.00` as `100` (decimal.js does
 *   not keep trailing zeros, and they carry no value in a JSON number); no digit is ever
 *   rounded and no exponent is used. Ids and codes stay strings.
 * - Where Alma takes "percentage or amount, not both" (VAT, fund distribution; 60252), or
 *   "leave percentage and amount empty when vat_code is given" (XSD-INV, XSD-LINE:
 *   docs/alma.md#the-json-shape-list-naming-amounts-dates), exactly one is
 *   sent: code, else percentage/percent, else amount. Validation is expected to have flagged
 *   conflicting input already; this keeps a conflicting body from ever leaving.
 */
import type { Decimal } from 'decimal.js';
import type { FundDistribution, Invoice, InvoiceHeader, InvoiceLine, LineVat } from '../../domain/model.js';

/** An Alma JSON body: plain objects whose leaves are strings, booleans, numbers or `Decimal`s. */
export type AlmaBody = { [key: string]: AlmaBodyValue };
export type AlmaBodyValue = string | number | boolean | Decimal | AlmaBody | AlmaBody[];

/** The body of `POST /acq/invoices`. */
export function invoicePayload(invoice: Invoice): AlmaBody {
  const h = invoice.header;
  return defined({
    number: h.number,
    invoice_date: almaDate(h.date),
    invoice_due_date: almaDate(h.dueDate),
    vendor: wrap(h.vendor),
    // A plain string, not wrapped (rest_invoice.xsd; sample 02, docs/alma.md#what-the-samples-show "vendor_account": "ACCOUNT1").
    vendor_account: h.vendorAccount,
    total_amount: h.totalAmount,
    currency: wrap(h.currency),
    payment_method: wrap(h.paymentMethod),
    reference_number: h.referenceNumber,
    owner: wrap(h.owner),
    invoice_vat: invoiceVat(h),
    additional_charges: compact({
      use_pro_rata: h.charges.useProRata,
      shipment: h.charges.shipment,
      overhead: h.charges.overhead,
      insurance: h.charges.insurance,
      discount: h.charges.discount,
    }),
    payment: compact({
      prepaid: h.payment.prepaid,
      internal_copy: h.payment.internalCopy,
      export_to_erp: h.payment.exportToErp,
    }),
    // `notes` is the XSD's list (XSD-INV, docs/alma.md#the-json-shape-list-naming-amounts-dates); the inner field follows the Ex Libris doc sample
    // (sample 03, docs/alma.md#what-the-samples-show: notes[].content). Sample 02 shows `note_text` instead: unverified which wins.
    notes: h.note !== undefined && h.note !== '' ? [{ content: h.note }] : undefined,
  });
}

/**
 * The body of `POST /acq/invoices/{id}/lines`. `number` is always sent: lines carry explicit
 * numbers so a partly loaded invoice can be completed by listing the lines it already has.
 */
export function linePayload(line: InvoiceLine): AlmaBody {
  return defined({
    type: wrap(line.type),
    number: line.number,
    // The PO line *number* (e.g. "POL-1234"), a plain string (rest_invoice_line.xsd).
    po_line: line.poLine,
    price: line.price,
    quantity: line.quantity,
    price_note: line.priceNote,
    note: line.note,
    fund_distribution: line.funds.length > 0 ? line.funds.map(fund) : undefined,
    subscription_from_date: almaDate(line.subscriptionFromDate),
    subscription_to_date: almaDate(line.subscriptionToDate),
    additional_info: line.additionalInfo,
    fully_invoiced: line.fullyInvoiced,
    release_remaining_encumbrance: line.releaseRemainingEncumbrance,
    check_subscription_date_overlap: line.checkSubscriptionDateOverlap,
    reporting_code: wrap(line.reportingCode),
    secondary_reporting_code: wrap(line.secondaryReportingCode),
    tertiary_reporting_code: wrap(line.tertiaryReportingCode),
    invoice_line_vat: lineVat(line.vat),
    vat_note: line.vat.note,
  });
}

function invoiceVat(h: InvoiceHeader): AlmaBody | undefined {
  const v = h.vat;
  return compact({
    report_tax: v.reportTax,
    vat_per_invoice_line: v.perInvoiceLine,
    ...vatFigures(v.code, v.percentage, v.amount),
    type: wrap(v.type),
    expended_from_fund: v.expendedFromFund,
  });
}

function lineVat(v: LineVat): AlmaBody | undefined {
  return compact(vatFigures(v.code, v.percentage, v.amount));
}

/** "If vat_code is defined, percentage and vat_amount should be left empty"; otherwise one of them (XSD-INV, XSD-LINE: docs/alma.md#the-json-shape-list-naming-amounts-dates). */
function vatFigures(code: string | undefined, percentage: Decimal | undefined, amount: Decimal | undefined): Record<string, AlmaBodyValue | undefined> {
  if (code !== undefined && code !== '') return { vat_code: { value: code } };
  if (percentage !== undefined) return { percentage };
  return { vat_amount: amount };
}

/**
 * GET answers carry both percent and amount; a write takes one (60257/60252). Ex Libris'
 * own Cloud App drops `amount` and keeps `percent` (EXL-TAX updateInvoiceLine); so do we.
 */
function fund(f: FundDistribution): AlmaBody {
  const share: AlmaBody = f.percent !== undefined ? { percent: f.percent } : f.amount !== undefined ? { amount: f.amount } : {};
  return { fund_code: { value: f.fundCode }, ...share };
}

function wrap(value: string | undefined): AlmaBody | undefined {
  return value === undefined || value === '' ? undefined : { value };
}

/** A date as Alma writes and takes it, `YYYY-MM-DDZ` (docs/alma.md#the-json-shape-list-naming-amounts-dates). */
export function almaDate(date: string | undefined): string | undefined {
  if (date === undefined || date === '') return undefined;
  return date.endsWith('Z') ? date : `${date}Z`;
}

/** Drops undefined entries. */
function defined(obj: Record<string, AlmaBodyValue | undefined>): AlmaBody {
  const out: AlmaBody = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}

/** Like `defined`, but an object left empty is itself undefined, so it is not sent at all. */
function compact(obj: Record<string, AlmaBodyValue | undefined>): AlmaBody | undefined {
  const out = defined(obj);
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The body of `POST /acq/invoices/{id}/attachments`: the file's name and its bytes in base64.
 * Inferred (docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments): the OpenAPI file points to rest_attachment.xsd
 * without its fields; Ex Libris' blog "Using the Invoice Attachments API" reads `file_name` and
 * base64 `content` (with `expand=content`) back from the same object.
 */
export function attachmentPayload(name: string, bytes: Uint8Array): AlmaBody {
  return { file_name: name, content: Buffer.from(bytes).toString('base64') };
}

/** What `--show-payloads` shows of an attachment: its name, with the file by path (not its bytes). */
export function attachmentPreview(f: { name: string; path: string }): AlmaBody {
  return { file_name: f.name, content: `<base64 of ${f.path}>` };
}

/**
 * Alma's JSON shapes: error bodies and the invoice, line, vendor, fund, PO-line and code-table
 * objects, modelled on the real bodies described in docs/alma.md#what-the-samples-show
 * (docs/alma.md#the-json-shape-list-naming-amounts-dates,
 * docs/alma.md#errors-error-codes-and-alerts). Amounts are written as exact bare JSON numbers
 * (Decimal through `stringifyJson`).
 */
import { Decimal } from 'decimal.js';
import type { Catalog, SeedFund, SeedPoLine, SeedVendor } from './catalog.js';
import type { AttachmentRec, InvoiceRec, LineRec } from './records.js';

/** A refusal the API answers with its own errorCode (400 unless said otherwise). */
export class AlmaError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AlmaError';
  }
}

/**
 * A 400 refusal with Alma's code ("not found" is a 400 too, not a 404: OAS,
 * docs/alma.md#errors-error-codes-and-alerts).
 */
export const refuse = (code: string, message: string): AlmaError => new AlmaError(400, code, message);

/** 4xx JSON body: `errorList.error` is an ARRAY (sample 07, docs/alma.md#what-the-samples-show; JW-NODE reads `error[0]`). */
export function errorBody4xx(code: string, message: string, trackingId: string): unknown {
  return {
    errorsExist: true,
    errorList: { error: [{ errorCode: code, errorMessage: message, trackingId }] },
    result: null,
  };
}

/**
 * 5xx JSON body: wrapped in `web_service_result` and `error` is ONE object (JW-RUBY `parse_error`,
 * docs/alma.md#errors-error-codes-and-alerts).
 */
export function errorBody5xx(code: string, message: string, trackingId: string): unknown {
  return { web_service_result: { errorsExist: true, errorList: { error: { errorCode: code, errorMessage: message, trackingId } } } };
}

/**
 * Code and message of the sandbox's 500s. The public sources show the 5xx wrapper but no
 * invoice 500 body, so the code is [unverified]; loaders must not depend on it.
 */
export const INTERNAL_ERROR = {
  code: 'INTERNAL_SERVER_ERROR',
  message:
    'The web server encountered an unexpected condition that prevented it from fulfilling the request. ' +
    'If the error persists, please use this unique tracking ID when reporting it.',
};

/** Sample 06 (PUL `stub_alma.rb`), sent with HTTP 429. */
export const PER_SECOND_THRESHOLD = {
  code: 'PER_SECOND_THRESHOLD',
  message: 'HTTP requests are more than allowed per second',
};

/**
 * The daily-threshold 429. Its real body and code were NOT found in public sources
 * (docs/alma.md#requests-hosts-keys-and-thresholds: "commonly called DAILY_THRESHOLD …
 * [unverified]"); this is the sandbox's guess.
 */
export const DAILY_THRESHOLD = {
  code: 'DAILY_THRESHOLD',
  message: 'Daily API Request Threshold has been reached',
};

/**
 * Auth failures come back as XML even when JSON was asked for (github.com/ugent-library/exlibris-alma-sdk `src/errors.ts`,
 * docs/alma.md#errors-error-codes-and-alerts).
 */
export const UNAUTHORIZED_XML =
  '<web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans"><errorsExist>true</errorsExist>' +
  '<errorList><error><errorCode>UNAUTHORIZED</errorCode>' +
  '<errorMessage>API-key not defined or not configured to allow this API.</errorMessage>' +
  '</error></errorList></web_service_result>';

/**
 * Fresh tracking ids shaped like Alma's (`E01-0101190932-VOBYO-AWAE1554214409`, sample 06, docs/alma.md#what-the-samples-show):
 * a timestamp, five letters from the given PRNG and the epoch seconds plus a counter.
 */
export class TrackingIds {
  private n = 0;
  constructor(private readonly rng: () => number) {}

  next(now: number): string {
    const d = new Date(now);
    const p2 = (x: number): string => String(x).padStart(2, '0');
    const stamp = `${p2(d.getUTCDate())}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}`;
    let letters = '';
    for (let i = 0; i < 5; i++) letters += String.fromCharCode(65 + Math.floor(this.rng() * 26));
    const tail = String((Math.floor(now / 1000) + this.n++) % 1e10).padStart(10, '0');
    return `E01-${stamp}-${letters}-AWAE${tail}`;
  }
}

/**
 * `{value, desc}` wrapper of a code-table field
 * (docs/alma.md#the-json-shape-list-naming-amounts-dates). A blank value has `desc: null`.
 */
export function wrap(value: string, desc: string | null): { value: string; desc: string | null } {
  return { value, desc: value === '' ? null : desc };
}

const dec = (s: string): Decimal => new Decimal(s);
/** Alma writes dates with a trailing Z (`"2021-09-27Z"`, sample 01, docs/alma.md#what-the-samples-show). */
const zDate = (d: string | null): string | undefined => (d === null ? undefined : `${d}Z`);

export interface RenderContext {
  cat: Catalog;
  /** `http://127.0.0.1:PORT/almaws/v1` — for `link` fields. */
  base: string;
}

export function renderInvoice(inv: InvoiceRec, ctx: RenderContext, withLines: boolean): Record<string, unknown> {
  const { cat } = ctx;
  const link = `${ctx.base}/acq/invoices/${inv.id}`;
  const linesTotal = inv.lines.reduce((s, l) => s.plus(l.totalPrice), new Decimal(0));
  return {
    id: inv.id,
    number: inv.number,
    vendor: wrap(inv.vendor, cat.vendors.get(inv.vendor)?.name ?? null),
    owner: wrap(inv.owner, cat.owners.get(inv.owner) ?? null),
    invoice_date: zDate(inv.invoiceDate),
    invoice_due_date: zDate(inv.dueDate),
    vendor_account: inv.vendorAccount,
    total_amount: dec(inv.totalAmount),
    currency: wrap(inv.currency, cat.desc('Currency_CT', inv.currency)),
    total_invoice_lines_amount: linesTotal,
    vendor_contact_person: {},
    payment_method: wrap(inv.paymentMethod, cat.desc('PaymentMethod', inv.paymentMethod)),
    reference_number: inv.referenceNumber,
    // "creation form is set to API" (BLOG-CREATE).
    creation_form: wrap('API', cat.desc('InvoiceCreationForm', 'API') ?? 'API'),
    invoice_status: wrap(inv.baseStatus, inv.baseStatus === 'ACTIVE' ? 'Active' : 'Closed'),
    invoice_workflow_status: wrap(inv.workflow, cat.desc('InvoiceStatus', inv.workflow)),
    invoice_approval_status: wrap(inv.approval, cat.desc('InvoiceApprovalStatus', inv.approval)),
    approved_by: inv.approvedBy === '' ? undefined : inv.approvedBy,
    approval_date: zDate(inv.approvalDate),
    additional_charges: {
      use_pro_rata: inv.charges.useProRata,
      shipment: dec(inv.charges.shipment),
      overhead: dec(inv.charges.overhead),
      insurance: dec(inv.charges.insurance),
      discount: dec(inv.charges.discount),
    },
    invoice_vat: {
      report_tax: inv.vat.reportTax,
      vat_per_invoice_line: inv.vat.perLine,
      vat_code: wrap(inv.vat.code, cat.vatCodes.get(inv.vat.code)?.description ?? null),
      percentage: dec(inv.vat.percentage),
      vat_amount: dec(inv.vat.amount),
      type: wrap(inv.vat.type, cat.desc('VATType', inv.vat.type)),
      expended_from_fund: inv.vat.expendedFromFund,
    },
    explicit_ratio: [],
    payment: {
      prepaid: inv.payment.prepaid,
      internal_copy: inv.payment.internalCopy,
      export_to_erp: inv.payment.exportToErp,
      payment_status: wrap(inv.payment.status, cat.desc('PaymentStatus', inv.payment.status)),
      voucher_date: zDate(inv.payment.voucherDate),
      voucher_number: inv.payment.voucherNumber,
      // Sample 01 has `"voucher_amount": ""` when there is none.
      voucher_amount: inv.payment.voucherAmount === '' ? '' : dec(inv.payment.voucherAmount),
      voucher_currency: wrap(inv.payment.voucherCurrency, cat.desc('Currency_CT', inv.payment.voucherCurrency)),
    },
    // No alert → no `alert` key, as in the list sample 02, docs/alma.md#what-the-samples-show (clients must tolerate its absence).
    alert: inv.alerts.length === 0 ? undefined : inv.alerts.map((a) => wrap(a, alertDesc(cat, a))),
    notes: inv.notes.map((content) => ({ content })),
    number_of_lines: { value: inv.lines.length, link: `${link}/lines` },
    invoice_lines: withLines
      ? { total_record_count: inv.lines.length, invoice_line: inv.lines.map((l) => renderLine(inv, l, ctx)) }
      : undefined,
    link,
  };
}

export function renderLine(inv: InvoiceRec, l: LineRec, ctx: RenderContext): Record<string, unknown> {
  const { cat } = ctx;
  const [rep1, rep2, rep3] = l.reporting;
  return {
    id: l.id,
    type: wrap(l.type, cat.desc('InvoiceLinesTypes', l.type)),
    number: l.number,
    status: wrap('READY', cat.desc('InvoiceLineStatus', 'READY') ?? 'Ready'),
    po_line: l.poLine,
    price: dec(l.price),
    price_note: l.priceNote,
    total_price: dec(l.totalPrice),
    quantity: l.quantity,
    vat_note: l.vatNote,
    check_subscription_date_overlap: l.checkOverlap,
    fully_invoiced: l.fullyInvoiced,
    subscription_from_date: zDate(l.subFrom),
    subscription_to_date: zDate(l.subTo),
    additional_info: l.additionalInfo,
    release_remaining_encumbrance: l.releaseRemaining,
    reporting_code: wrap(rep1, cat.desc('HFundsTransactionItem.reportingCode', rep1)),
    secondary_reporting_code: wrap(rep2, cat.desc('SecondReportingCode', rep2)),
    tertiary_reporting_code: wrap(rep3, cat.desc('ThirdReportingCode', rep3)),
    note: l.note,
    invoice_line_vat: {
      vat_code: wrap(l.vat.code, cat.vatCodes.get(l.vat.code)?.description ?? null),
      percentage: dec(l.vat.percentage),
      vat_amount: dec(l.vat.amount),
    },
    // GET answers carry BOTH percent and amount (sample 01, docs/alma.md#what-the-samples-show), whichever was sent.
    fund_distribution: l.funds.map((f) => ({
      fund_code: wrap(f.code, cat.funds.get(f.code)?.name ?? null),
      percent: dec(f.percent),
      amount: dec(f.amount),
    })),
    link: `${ctx.base}/acq/invoices/${inv.id}/lines/${l.id}`,
  };
}

/** Descriptions of the alerts the sandbox raises (sample 01, docs/alma.md#what-the-samples-show; KB-TOTAL for the total mismatch). */
export const ALERTS: Record<string, string> = {
  DIFF_PRICE_THAN_POLINE: 'Some invoice lines differ in price from their linked PO line.',
  NOT_LINKED_LINES: 'Lines not linked',
  DIFFERENT_VENDOR_ACCOUNT: 'Invoice holds vendor account different than some of the linked PO lines',
  // The real alert CODE for a total mismatch was not found in public sources
  // (docs/alma.md#errors-error-codes-and-alerts); the description is the UI's wording (KB-TOTAL
  // in docs/alma.md's Sources).
  TOTAL_AMOUNT_MISMATCH: 'The Invoice Total Amount entered is different than the calculated Total Net Invoiced',
  INVOICE_WAS_REJECTED_BY_ERP: 'Invoice was rejected by the ERP',
};

export function alertDesc(cat: Catalog, code: string): string | null {
  return cat.desc('AssertionCodes', code) ?? ALERTS[code] ?? null;
}

/** Vendor object, shaped like MIT's sandbox vendor payload (sample 05, docs/alma.md#what-the-samples-show `vendor_data`). */
export function renderVendor(v: SeedVendor, ctx: RenderContext): Record<string, unknown> {
  const { cat } = ctx;
  const inst = cat.institution;
  const library = [{ code: wrap(inst.code, inst.name), include_sub_units: true }];
  return {
    code: v.code,
    name: v.name,
    status: wrap(v.status, v.status === 'ACTIVE' ? 'Active' : 'Inactive'),
    liable_for_vat: v.liable_for_vat,
    language: wrap('en', 'English'),
    material_supplier: v.material_supplier,
    access_provider: v.access_provider,
    licensor: v.licensor,
    governmental: false,
    library,
    currency: v.currencies.map((c) => wrap(c, cat.desc('Currency_CT', c))),
    account: v.accounts.map((a) => ({
      code: a.code,
      description: a.description,
      status: wrap(a.status, a.status === 'ACTIVE' ? 'Active' : 'Inactive'),
      library,
      payment_method: a.payment_methods.map((m) => wrap(m, cat.desc('PaymentMethod', m))),
    })),
    link: `${ctx.base}/acq/vendors/${encodeURIComponent(v.code)}`,
  };
}

export function renderFund(f: SeedFund, ctx: RenderContext): Record<string, unknown> {
  const { cat } = ctx;
  const inst = cat.institution;
  return {
    id: f.id,
    code: f.code,
    name: f.name,
    type: wrap(f.type, `${f.type.charAt(0)}${f.type.slice(1).toLowerCase()} fund`),
    status: wrap(f.status, f.status === 'ACTIVE' ? 'Active' : 'Inactive'),
    fiscal_period: wrap(f.fiscal_period, f.fiscal_period),
    currency: wrap(inst.currency, cat.desc('Currency_CT', inst.currency)),
    owner: wrap(inst.code, inst.name),
    allocated_balance: f.allocated === undefined ? undefined : dec(f.allocated),
    available_balance: f.available === undefined ? undefined : dec(f.available),
    link: `${ctx.base}/acq/funds/${f.id}`,
  };
}

export function renderPoLine(p: SeedPoLine, ctx: RenderContext): Record<string, unknown> {
  const { cat } = ctx;
  const inst = cat.institution;
  const currency = wrap(p.currency, cat.desc('Currency_CT', p.currency));
  const total = dec(p.price).times(p.quantity);
  return {
    number: p.number,
    type: wrap(p.type, p.type),
    status: wrap(p.status, p.status.charAt(0) + p.status.slice(1).toLowerCase()),
    vendor: wrap(p.vendor, cat.vendors.get(p.vendor)?.name ?? null),
    vendor_account: p.vendor_account ?? cat.vendors.get(p.vendor)?.accounts[0]?.code ?? '',
    owner: wrap(p.owner ?? inst.code, cat.owners.get(p.owner ?? inst.code) ?? null),
    resource_metadata: { title: p.title },
    price: { sum: p.price, currency },
    fund_distribution: [
      { fund_code: wrap(p.fund_code, cat.funds.get(p.fund_code)?.name ?? null), percent: 100, amount: { sum: total.toFixed(), currency } },
    ],
    location: [{ quantity: p.quantity, library: wrap(inst.code, inst.name) }],
    link: `${ctx.base}/acq/po-lines/${encodeURIComponent(p.number)}`,
  };
}

/**
 * `{name, row:[{code, description, default, enabled}]}` (BLOG-CT,
 * docs/alma.md#the-json-shape-list-naming-amounts-dates).
 */
export function renderCodeTable(name: string, cat: Catalog): Record<string, unknown> | undefined {
  const t = cat.table(name);
  if (!t) return undefined;
  return {
    name,
    description: t.description,
    row: t.rows.map((r) => ({ code: r.code, description: r.description, default: r.default, enabled: r.enabled })),
  };
}

/**
 * An attachment as the sandbox answers it: `id`, `file_name`, `type`, `creation_date`, `link`,
 * and the base64 `content` only when expanded. No size: the public record shows none in a
 * listing, so a loader must not rely on one (it measures the content instead).
 */
export function renderAttachment(invoiceId: string, a: AttachmentRec, ctx: RenderContext, withContent: boolean): Record<string, unknown> {
  return {
    id: a.id,
    file_name: a.fileName,
    type: a.type === '' ? undefined : a.type,
    creation_date: `${a.creationDate}Z`,
    content: withContent ? a.content : undefined,
    link: `${ctx.base}/acq/invoices/${invoiceId}/attachments/${a.id}`,
  };
}

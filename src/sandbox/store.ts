/**
 * The sandbox's data and the operations of the invoice API, with Alma's validations (error codes
 * from the OAS, docs/alma.md#errors-error-codes-and-alerts). No I/O and no clock of its own: `now`
 * is passed in, and `dirty` tells the server when to persist.
 */
import { JsonNumber, type JsonValue } from '../common/json.js';
import type { Decimal } from 'decimal.js';
import { minorUnits } from '../domain/currencies.js';
import { addedVat } from '../domain/rules.js';
import { AlmaError, ALERTS, refuse } from './alma-shapes.js';
import { asObject, bool, D, date, field, money, norm, sub, text, wrapped, type JsonObject } from './body.js';
import type { Catalog } from './catalog.js';
import { buildLine } from './line.js';
import { seedInvoiceBodies } from './seed.js';
import type { ApiCounters, AttachmentRec, InvoiceRec, LineRec, PersistedState } from './records.js';
import { wordMatch, type Clause } from './search.js';

export const WF_IN_REVIEW = 'InReview';
export const WF_READY_TO_BE_PAID = 'Waiting to be Sent';
const WF_WAITING_FOR_PAYMENT = 'Ready to be Paid';

export interface InvoiceFilter {
  clauses: Clause[];
  vendor?: string | undefined;
  baseStatus?: string | undefined;
  workflow?: string | undefined;
  owner?: string | undefined;
  creationForm?: string | undefined;
  /** Only invoices created at or before this time (ms): the index has not caught up with later ones. */
  visibleBefore?: number | undefined;
}

export const INVOICE_SEARCH_FIELDS = [
  'invoice_number',
  'vendor_code',
  'vendor_name',
  'invoice_reference_number',
  'pol_number',
  'all',
] as const;

export class Store {
  private invoices: InvoiceRec[] = [];
  /** Indexes, so benchmark-sized runs do not scan every invoice per request. */
  private byId = new Map<string, InvoiceRec>();
  private byKey = new Map<string, number>();
  /** Invoices whose processing has not settled yet. */
  private pending = new Set<InvoiceRec>();
  private counter = 0;
  counters: ApiCounters = emptyCounters();
  /** Set by every change; the server persists and clears it. */
  dirty = false;

  constructor(private readonly cat: Catalog) {}

  // ---- ids -------------------------------------------------------------------------------

  /**
   * Deterministic ids from a counter: long numeric strings ending in the institution suffix,
   * like Alma's (`15334101100001021`, sample 03, docs/alma.md#what-the-samples-show), and larger than 2^53 on purpose.
   */
  private nextId(): string {
    this.counter++;
    return (5_310_000_000n + BigInt(this.counter)).toString() + this.cat.institution.id_suffix;
  }

  // ---- state -----------------------------------------------------------------------------

  /** Back to the seed: its invoices are created, lined and processed through the same rules. */
  reset(now: number): void {
    this.setInvoices([]);
    this.counter = 0;
    for (const s of this.cat.seed.invoices) {
      const { invoice, lines } = seedInvoiceBodies(s);
      try {
        const inv = this.createInvoice(invoice, { allowDuplicates: true });
        inv.origin = 'seed';
        for (const line of lines) this.addLine(inv.id, line);
        if (s.process) {
          this.startProcessing(inv.id, now, 0);
          this.settleDue(now);
        }
      } catch (e) {
        if (e instanceof AlmaError) throw new Error(`sandbox seed invoice ${s.vendor}/${s.number}: ${e.code} ${e.message}`);
        throw e;
      }
    }
    this.counters = emptyCounters();
    this.dirty = true;
  }

  /** The live state, for writing out at once (not copied: persisting stays cheap). */
  snapshot(): PersistedState {
    return { version: 1, counter: this.counter, invoices: this.invoices, counters: this.counters };
  }

  restore(state: PersistedState): void {
    const s = structuredClone(state);
    this.counter = s.counter;
    this.setInvoices(s.invoices);
    this.counters = { ...emptyCounters(), ...s.counters };
  }

  private setInvoices(list: InvoiceRec[]): void {
    this.invoices = list;
    this.byId = new Map(list.map((i) => [i.id, i]));
    this.byKey = new Map();
    this.pending = new Set(list.filter((i) => i.settleAt !== null));
    for (const i of list) this.byKey.set(keyOf(i.vendor, i.number), (this.byKey.get(keyOf(i.vendor, i.number)) ?? 0) + 1);
  }

  all(): readonly InvoiceRec[] {
    return this.invoices;
  }

  find(id: string): InvoiceRec | undefined {
    return this.byId.get(id);
  }

  // ---- look-ups --------------------------------------------------------------------------

  /** The invoice with this id: 60100 for a malformed id, 412400 when unknown (OAS; "not found" is a 400). */
  invoice(id: string): InvoiceRec {
    if (!/^\d+$/.test(id) || /^0+$/.test(id)) throw refuse('60100', `The parameter invoice_id must be a number greater than zero (got ${id}).`);
    const inv = this.byId.get(id);
    if (!inv) throw refuse('412400', `Invoice ${id} not found.`);
    return inv;
  }

  /** Invoices matching the filter, in creation order (stable paging). */
  search(f: InvoiceFilter): InvoiceRec[] {
    return this.invoices.filter(
      (inv) =>
        (f.vendor === undefined || inv.vendor === f.vendor) &&
        (f.baseStatus === undefined || inv.baseStatus === f.baseStatus) &&
        (f.workflow === undefined || inv.workflow === f.workflow) &&
        (f.owner === undefined || inv.owner === f.owner) &&
        (f.creationForm === undefined || f.creationForm === 'API') &&
        (f.visibleBefore === undefined || inv.createdAt === undefined || inv.createdAt <= f.visibleBefore) &&
        f.clauses.every((c) => wordMatch(c.value, this.searchField(inv, c.field))),
    );
  }

  private searchField(inv: InvoiceRec, name: string): string {
    const vendorName = this.cat.vendors.get(inv.vendor)?.name ?? '';
    const pols = inv.lines.map((l) => l.poLine).join(' ');
    switch (name) {
      case 'invoice_number':
        return inv.number;
      case 'vendor_code':
        return inv.vendor;
      case 'vendor_name':
        return vendorName;
      case 'invoice_reference_number':
        return inv.referenceNumber;
      case 'pol_number':
        return pols;
      default:
        return [inv.number, inv.vendor, vendorName, inv.referenceNumber, pols].join(' ');
    }
  }

  // ---- POST /acq/invoices ----------------------------------------------------------------

  createInvoice(body: JsonValue | undefined, opts: { allowDuplicates: boolean; now?: number | undefined }): InvoiceRec {
    const b = asObject(body, 'invoice');
    const cat = this.cat;
    const number = text(field(b, 'number'));
    if (number === undefined) throw refuse('60233', 'Invoice number not in payload.');
    const invoiceDate = date(field(b, 'invoice_date'), 'invoice_date');
    if (invoiceDate === undefined) throw refuse('60234', 'Invoice date not in payload.');
    const total = money(field(b, 'total_amount'), 'total_amount');
    if (total === undefined) throw refuse('60235', 'Invoice total amount not in payload.');
    const vendorCode = wrapped(field(b, 'vendor'));
    if (vendorCode === undefined) throw refuse('4028805', 'Invoice vendor not in payload.');
    const vendor = cat.vendors.get(vendorCode);
    if (!vendor) throw refuse('401871', `Vendor ${vendorCode} not found.`);
    if (!vendor.material_supplier) throw refuse('60242', 'Invoice vendor not material supplier.');
    // Currency defaults to the institution's (XSD-INV), and must be in Currency_CT and the vendor's list.
    const currency = wrapped(field(b, 'currency')) ?? cat.institution.currency;
    if (!cat.row('Currency_CT', currency)) throw refuse('60236', 'Invoice currency not valid.');
    if (!vendor.currencies.includes(currency)) throw refuse('60243', 'Invoice vendor currency not supported.');
    const accountCode = text(field(b, 'vendor_account'));
    const accounts = vendor.accounts.filter((a) => a.status === 'ACTIVE');
    if (accountCode !== undefined && !accounts.some((a) => a.code === accountCode)) {
      throw refuse('60237', 'Invoice vendor account not valid.');
    }
    // Checked against the PaymentMethod table. Whether Alma also checks the account's own
    // payment_method list is unverified (docs/alma.md#inferred-not-documented), so the sandbox does not.
    const paymentMethod = wrapped(field(b, 'payment_method')) ?? cat.defaultCode('PaymentMethod') ?? '';
    if (!cat.row('PaymentMethod', paymentMethod)) throw refuse('60238', 'Invoice payment method not valid.');
    const owner = wrapped(field(b, 'owner')) ?? cat.institution.code;
    if (!cat.owners.has(owner)) throw refuse('60246', 'Invoice owner not valid.');
    const vat = sub(b, 'invoice_vat');
    const vatPct = money(field(vat, 'percentage'), 'invoice_vat.percentage') ?? '0';
    const vatAmt = money(field(vat, 'vat_amount'), 'invoice_vat.vat_amount') ?? '0';
    // MIT's working payload sends percentage 0 AND vat_amount 0 (sample 05, docs/alma.md#what-the-samples-show): only two non-zero values clash.
    if (!new D(vatPct).isZero() && !new D(vatAmt).isZero()) {
      throw refuse('60252', 'Invoice vat percentage or amount allowed but not both.');
    }
    const vatCode = wrapped(field(vat, 'vat_code')) ?? '';
    if (vatCode !== '' && !cat.vatCodes.has(vatCode)) throw refuse('60253', 'Invoice vat code not valid.');
    const charges = sub(b, 'additional_charges');
    const charge = (k: string): string => norm(money(field(charges, k), `additional_charges.${k}`) ?? '0');
    const payment = sub(b, 'payment');
    const dueDate = date(field(b, 'invoice_due_date'), 'invoice_due_date') ?? null;
    const notes = [field(b, 'notes'), field(b, 'note')]
      .flatMap((n) => (Array.isArray(n) ? n : []))
      .map((n) => (typeof n === 'string' ? n : (text(field(asNote(n), 'content')) ?? text(field(asNote(n), 'note_text')) ?? '')))
      .filter((n) => n !== '');

    if (!opts.allowDuplicates && this.byKey.has(keyOf(vendorCode, number))) {
      // Invoice numbers are unique per vendor unless invoice_not_unique=true (OLH-HOWTO). The real
      // error code for a duplicate is [unverified]; 60288 "not unique" is the OAS's closest
      // (docs/alma.md#errors-error-codes-and-alerts).
      throw refuse('60288', 'Invoice number not unique in payload.');
    }

    const inv: InvoiceRec = {
      id: this.nextId(),
      seq: this.counter,
      ...(opts.now !== undefined ? { createdAt: opts.now } : {}),
      origin: 'api',
      number,
      vendor: vendorCode,
      vendorAccount: accountCode ?? accounts[0]?.code ?? '',
      invoiceDate,
      dueDate,
      totalAmount: norm(total),
      currency,
      paymentMethod,
      referenceNumber: text(field(b, 'reference_number')) ?? '',
      owner,
      charges: {
        useProRata: bool(field(charges, 'use_pro_rata'), false),
        shipment: charge('shipment'),
        overhead: charge('overhead'),
        insurance: charge('insurance'),
        discount: charge('discount'),
      },
      vat: {
        reportTax: bool(field(vat, 'report_tax'), false),
        perLine: bool(field(vat, 'vat_per_invoice_line'), false),
        code: vatCode,
        percentage: norm(vatPct),
        amount: norm(vatAmt),
        type: wrapped(field(vat, 'type')) ?? 'INCLUSIVE',
        expendedFromFund: bool(field(vat, 'expended_from_fund'), false),
      },
      payment: {
        prepaid: bool(field(payment, 'prepaid'), false),
        internalCopy: bool(field(payment, 'internal_copy'), false),
        exportToErp: bool(field(payment, 'export_to_erp'), false),
        status: 'NOT_PAID',
        voucherDate: null,
        voucherNumber: '',
        voucherAmount: '',
        voucherCurrency: '',
      },
      notes,
      // A new invoice is In Review / PENDING / ACTIVE (DUKE; docs/alma.md#processing-and-workflow-statuses).
      // The sandbox gives it no alert until it is processed; Alma may show one before (sample 03 is
      // In Review, PENDING, with NOT_READY_LINES, docs/alma.md#what-the-samples-show).
      workflow: WF_IN_REVIEW,
      approval: 'PENDING',
      baseStatus: 'ACTIVE',
      alerts: [],
      approvedBy: '',
      approvalDate: null,
      processRequested: false,
      settleAt: null,
      lines: [],
    };
    this.invoices.push(inv);
    this.byId.set(inv.id, inv);
    this.byKey.set(keyOf(vendorCode, number), (this.byKey.get(keyOf(vendorCode, number)) ?? 0) + 1);
    bump(this.counters.created, vendorCode, number);
    this.dirty = true;
    return inv;
  }

  // ---- POST /acq/invoices/{id}/lines -----------------------------------------------------

  addLine(invoiceId: string, body: JsonValue | undefined, now?: number): { invoice: InvoiceRec; line: LineRec } {
    const inv = this.invoice(invoiceId);
    // Lines go in before processing: once op=process_invoice was accepted (or the invoice left
    // In Review) the sandbox refuses them, so a loader that adds lines late is caught.
    if (inv.workflow !== WF_IN_REVIEW || inv.baseStatus !== 'ACTIVE' || inv.processRequested) {
      throw refuse('60285', 'Invoice not valid.');
    }
    const line = buildLine(this.cat, inv, body, () => this.nextId());
    if (now !== undefined) line.addedAt = now;
    inv.lines.push(line);
    bump(this.counters.linePosts, inv.id, line.number);
    this.dirty = true;
    return { invoice: inv, line };
  }

  // ---- POST /acq/invoices/{id}?op=… --------------------------------------------------------

  /**
   * op=process_invoice: accepted for an ACTIVE invoice In Review (again after it went to review),
   * answered at once; the outcome is applied when `settleDue` passes `settleAt` (processing is
   * asynchronous, XSD-INV, docs/alma.md#processing-and-workflow-statuses).
   */
  startProcessing(id: string, now: number, delayMs: number): InvoiceRec {
    const inv = this.invoice(id);
    if (inv.workflow !== WF_IN_REVIEW || inv.baseStatus !== 'ACTIVE') {
      throw refuse('60260', 'Failed to start invoice process and workflow.');
    }
    inv.processRequested = true;
    inv.alerts = [];
    inv.settleAt = now + delayMs;
    this.pending.add(inv);
    this.counters.processCount[inv.id] = (this.counters.processCount[inv.id] ?? 0) + 1;
    this.dirty = true;
    return inv;
  }

  /** Applies every processing outcome that is due. Returns whether anything changed. */
  settleDue(now: number): boolean {
    let changed = false;
    for (const inv of [...this.pending]) {
      if (inv.settleAt !== null && inv.settleAt <= now) {
        this.settle(inv, now);
        this.pending.delete(inv);
        changed = true;
      }
    }
    if (changed) this.dirty = true;
    return changed;
  }

  /** Review rules: any alert sends the invoice to review (OLH-REVIEW); none approves it. */
  private settle(inv: InvoiceRec, now: number): void {
    const alerts = new Set<string>();
    if (inv.lines.some((l) => l.poLine === '')) alerts.add('NOT_LINKED_LINES');
    const c = inv.charges;
    const base = inv.lines
      .reduce((s, l) => s.plus(l.totalPrice), new D(0))
      .plus(c.shipment)
      .plus(c.overhead)
      .plus(c.insurance)
      .minus(c.discount);
    // The total holds VAT by invoice_vat.type, by the loader's own total rule (addedVat,
    // src/domain/rules.ts; README "What is checked before anything is sent"): a Line Exclusive
    // total includes it. A VAT given by its code only is the code's percentage, as Alma computes it
    // from its VAT code table; 0 is how the store keeps an amount or percentage not sent.
    const given = (v: string): Decimal | undefined => (new D(v).isZero() ? undefined : new D(v));
    const byCode = (code: string): Decimal | undefined => {
      const pct = code === '' ? undefined : this.cat.vatCodes.get(code)?.percentage;
      return pct === undefined ? undefined : new D(pct);
    };
    const terms = (amount: string, percentage: string, code: string) => {
      const a = given(amount);
      const p = given(percentage);
      return { amount: a, percentage: a === undefined && p === undefined ? byCode(code) : p, code: false };
    };
    const vat = addedVat(
      {
        type: inv.vat.type,
        perLine: inv.vat.perLine,
        ...terms(inv.vat.amount, inv.vat.percentage, inv.vat.code),
        lines: inv.lines.map((l) => ({ total: new D(l.totalPrice), ...terms(l.vat.amount, l.vat.percentage, l.vat.code) })),
      },
      base,
      minorUnits(inv.currency) ?? 2,
    ).vat;
    if (vat === undefined || !base.plus(vat).eq(inv.totalAmount)) alerts.add('TOTAL_AMOUNT_MISMATCH');
    for (const l of inv.lines) {
      const pol = l.poLine === '' ? undefined : this.cat.poLines.get(l.poLine);
      if (pol && !new D(pol.price).eq(l.price)) alerts.add('DIFF_PRICE_THAN_POLINE');
      // DIFFERENT_VENDOR_ACCOUNT (sample 01, docs/alma.md#what-the-samples-show): the invoice's account is not the PO line's.
      const polAccount = pol === undefined ? undefined : (pol.vendor_account ?? this.cat.vendors.get(pol.vendor)?.accounts[0]?.code);
      if (pol && polAccount !== undefined && polAccount !== '' && inv.vendorAccount !== '' && polAccount !== inv.vendorAccount) alerts.add('DIFFERENT_VENDOR_ACCOUNT');
    }
    inv.alerts = [...alerts].filter((a) => a in ALERTS).sort();
    inv.settleAt = null;
    if (inv.alerts.length > 0) {
      inv.workflow = WF_IN_REVIEW;
      inv.approval = 'PENDING';
    } else {
      // "Ready to be paid" is code `Waiting to be Sent` (sample 01, docs/alma.md#what-the-samples-show, XSD-INV).
      inv.workflow = WF_READY_TO_BE_PAID;
      inv.approval = 'APPROVED';
      inv.approvedBy = 'exl_api';
      inv.approvalDate = new Date(now).toISOString().slice(0, 10);
    }
  }

  /** The ERP ops (BLOG-ERP, GIST-ERP, KB-ERPREJ): minimal, enough for a loader's tests. */
  // ---- attachments (OAS "Create Invoice Attachment"; docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments) ----------

  /** `{file_name, content}` (base64); 60322 when either is missing, not base64, or over the size limit. */
  addAttachment(invoiceId: string, body: JsonValue | undefined, now: number, maxBytes: number): AttachmentRec {
    const inv = this.invoice(invoiceId);
    const b = asObject(body, 'attachment');
    const fileName = text(field(b, 'file_name'));
    const content = text(field(b, 'content'));
    if (fileName === undefined || content === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(content.replace(/\s+/g, ''))) {
      throw refuse('60322', 'Attachment content could not be processed.');
    }
    const size = Buffer.from(content, 'base64').length;
    if (size > maxBytes) throw refuse('60322', `Attachment content could not be processed: ${size} bytes is over the sandbox's limit of ${maxBytes}.`);
    const rec: AttachmentRec = {
      id: this.nextId(),
      fileName,
      size,
      content,
      type: text(field(b, 'type')) ?? '',
      creationDate: new Date(now).toISOString().slice(0, 10),
    };
    (inv.attachments ??= []).push(rec);
    bump(this.counters.attachmentPosts, inv.id, fileName);
    this.dirty = true;
    return rec;
  }

  attachment(invoiceId: string, attachmentId: string): AttachmentRec {
    const inv = this.invoice(invoiceId);
    const a = (inv.attachments ?? []).find((x) => x.id === attachmentId);
    if (!a) throw refuse('60321', `Attachment ${attachmentId} not found.`);
    return a;
  }

  // ---- the hand-over to finance: op=mark_in_erp / paid / rejected (BLOG-ERP, KB-ERPREJ) ----

  otherOp(id: string, op: string, body: JsonValue | undefined, opts: { handleInvoicePayment: boolean } = { handleInvoicePayment: true }): InvoiceRec {
    const inv = this.invoice(id);
    switch (op) {
      case 'mark_in_erp':
        if (inv.workflow !== WF_READY_TO_BE_PAID) throw refuse('60267', 'Failed to process invoice in ERP.');
        // By handle_invoice_payment: wait for the payment, or close at once (BLOG-ERP; FIN-EXPORT).
        if (opts.handleInvoicePayment) inv.workflow = WF_WAITING_FOR_PAYMENT;
        else {
          inv.workflow = 'CLOSED';
          inv.baseStatus = 'CLOSED';
        }
        break;
      case 'paid': {
        // As Ex Libris' payment import (KB-ERPREJ): only an invoice waiting for payment is paid.
        if (inv.workflow === WF_READY_TO_BE_PAID) throw refuse('60267', 'Failed to process invoice in ERP.');
        if (inv.workflow !== WF_WAITING_FOR_PAYMENT) {
          // AAPITK's documentation: "402459 … Must approve invoice before paying", one of three
          // readings of the code (docs/alma.md#errors-error-codes-and-alerts).
          throw refuse('402459', `Error while trying to retrieve invoice ${id}: must approve invoice before paying.`);
        }
        const p = sub(body !== undefined && body !== null ? asObject(body, 'invoice') : undefined, 'payment');
        inv.workflow = 'CLOSED';
        inv.baseStatus = 'CLOSED';
        inv.payment.status = 'PAID';
        // Sample 09 sends "2019-05-02"; MIT sends "…T12:00:00Z": the day is what counts.
        inv.payment.voucherDate = date(text(field(p, 'voucher_date'))?.slice(0, 10), 'voucher_date') ?? null;
        inv.payment.voucherNumber = text(field(p, 'voucher_number')) ?? '';
        inv.payment.voucherAmount = money(field(p, 'voucher_amount'), 'voucher_amount') ?? '';
        inv.payment.voucherCurrency = wrapped(field(p, 'voucher_currency')) ?? '';
        break;
      }
      case 'rejected': {
        const b = body !== undefined && body !== null ? asObject(body, 'invoice') : {};
        const notes = [field(b, 'notes'), field(b, 'note')].flatMap((n) => (Array.isArray(n) ? n : []));
        if (notes.length === 0) throw refuse('60268', 'The invoice note is mandatory.');
        // KB-ERPREJ: waiting for payment → In Review with the alert; Closed → only the alert.
        if (inv.workflow === WF_WAITING_FOR_PAYMENT) {
          inv.workflow = WF_IN_REVIEW;
          inv.approval = 'PENDING';
          inv.alerts = ['INVOICE_WAS_REJECTED_BY_ERP'];
          inv.processRequested = false;
        } else if (inv.workflow === 'CLOSED') {
          if (!inv.alerts.includes('INVOICE_WAS_REJECTED_BY_ERP')) inv.alerts = [...inv.alerts, 'INVOICE_WAS_REJECTED_BY_ERP'].sort();
        } else {
          throw refuse('60267', 'Failed to process invoice in ERP.');
        }
        // One by one, not push(...notes): a request of ~125,000 notes spread into one call overflows the stack.
        for (const n of notes) inv.notes.push(typeof n === 'string' ? n : (text(field(asNote(n), 'content')) ?? text(field(asNote(n), 'note_text')) ?? ''));
        break;
      }
      default:
        throw refuse('40166410', `Parameter op is not valid: ${op}. Valid options are mark_in_erp, paid, process_invoice, rejected.`);
    }
    bump(this.counters.erpOps, inv.id, op);
    this.dirty = true;
    return inv;
  }
}

const keyOf = (vendor: string, number: string): string => `${vendor}\u0000${number}`;

function asNote(v: JsonValue): JsonObject | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber) ? v : undefined;
}

/** Counts under keys that come from requests; defineProperty keeps a "__proto__" key as data. */
function bump(map: Record<string, Record<string, number>>, a: string, b: string): void {
  if (!Object.hasOwn(map, a)) Object.defineProperty(map, a, { value: {}, enumerable: true, writable: true, configurable: true });
  const inner = map[a] as Record<string, number>;
  const n = (Object.hasOwn(inner, b) ? (inner[b] ?? 0) : 0) + 1;
  Object.defineProperty(inner, b, { value: n, enumerable: true, writable: true, configurable: true });
}

export function emptyCounters(): ApiCounters {
  return { created: {}, linePosts: {}, processCount: {}, attachmentPosts: {}, erpOps: {} };
}

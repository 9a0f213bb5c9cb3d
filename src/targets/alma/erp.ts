/**
 * After the load (docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments): the invoices waiting for the finance system,
 * the hand-over (`op=mark_in_erp`), and the finance system's answer (`op=paid`, `op=rejected`).
 * The same HTTP client, limiter and retries as the load; every write is a POST on the invoice.
 */
import type { Decimal } from 'decimal.js';
import type { InvoiceKey } from '../../domain/model.js';
import { ApiError, isRefusal, UnknownOutcomeError, UsageError } from '../../common/errors.js';
import { isJsonObject, jsonText, type JsonValue } from '../../common/json.js';
import { limiterFor } from '../../transport/http.js';
import type { Alert } from '../target.js';
import { accountAddress } from '../../common/fingerprint.js';
import { createAlmaHttpClient, type AlmaClientOptions } from './client.js';
import { InvoiceLookup, PAGE_SIZE, readAllPages } from './lookup.js';
import { alertsOf, codeOf, idOf } from './remote.js';
import { almaDate } from './payload.js';

/** Workflow status codes (docs/alma.md#processing-and-workflow-statuses). */
export const WAITING_TO_BE_SENT = 'Waiting to be Sent';
export const WAITING_FOR_PAYMENT = 'Ready to be Paid';
export const CLOSED = 'CLOSED';
export const IN_REVIEW = 'InReview';
export const REJECTED_ALERT = 'INVOICE_WAS_REJECTED_BY_ERP';

/**
 * The workflow status codes (docs/alma.md#processing-and-workflow-statuses), each with the UI's
 * label where it differs: a code Alma does not have would list nothing, and `export` would write
 * an empty hand-over file with exit 0.
 */
const WORKFLOW_CODES: readonly (readonly [code: string, label?: string])[] = [
  [IN_REVIEW, 'In Review'],
  ['InApproval', 'In Approval'],
  [WAITING_TO_BE_SENT, 'Ready to be Paid'],
  [WAITING_FOR_PAYMENT, 'Waiting for Payment'],
  [CLOSED],
];

/**
 * `--status` as Alma's workflow status code: a code in any case is that code, and a UI label that
 * is not also a code ("In Review", "Waiting for Payment") is its code. Anything else is a usage
 * error that lists the codes. "Ready to be Paid" is a code (the UI's Waiting for Payment) and
 * stays one, though the UI shows it for Waiting to be Sent.
 */
export function workflowStatusCode(text: string): string {
  const want = text.trim().replace(/\s+/g, ' ').toLowerCase();
  const code = WORKFLOW_CODES.find(([c]) => c.toLowerCase() === want) ?? WORKFLOW_CODES.find(([, label]) => label?.toLowerCase() === want);
  if (code !== undefined) return code[0];
  const listed = WORKFLOW_CODES.map(([c, label]) => (label !== undefined && label !== c ? `"${c}" (the UI's ${label})` : `"${c}"`)).join(', ');
  throw new UsageError(`--status ${JSON.stringify(text)} is not one of Alma's invoice workflow status codes: ${listed}`);
}

/** What the hand-over and the payments need to know of an invoice. */
export interface InvoiceState {
  id: string;
  number: string;
  vendor: string;
  workflowStatus?: string | undefined;
  baseStatus?: string | undefined;
  approvalStatus?: string | undefined;
  alerts: Alert[];
  totalAmount?: string | undefined;
  currency?: string | undefined;
  payment: {
    status?: string | undefined;
    voucherNumber?: string | undefined;
    voucherDate?: string | undefined;
    voucherAmount?: string | undefined;
    voucherCurrency?: string | undefined;
    /** The invoice's flags (`prepaid`, `internal_copy`, `export_to_erp`): undefined when the answer has none, or neither true nor false. */
    prepaid?: boolean | undefined;
    internalCopy?: boolean | undefined;
    exportToErp?: boolean | undefined;
  };
  /** The whole answer, for the export (lines, funds). */
  raw: JsonValue;
}

export type ErpOp = 'mark_in_erp' | 'paid' | 'rejected';

export interface PaymentBody {
  voucherNumber: string;
  voucherDate: string;
  voucherAmount: Decimal;
  voucherCurrency?: string | undefined;
}

export interface AlmaErp {
  readonly endpoint: string;
  /** The invoice by id; undefined when Alma says it does not exist (412400 / 402401). */
  read(id: string): Promise<InvoiceState | undefined>;
  /** The invoice by id with its lines and fund distributions (full view). */
  readFull(id: string): Promise<InvoiceState | undefined>;
  /** Invoices with exactly this vendor and number (a fresh look-up; several where numbers repeat). */
  find(key: InvoiceKey): Promise<InvoiceState[]>;
  /**
   * Every invoice in a workflow status, full view (lines and fund distributions), every page; and
   * apart, those the listing gave in another status (`others`: a server that did not apply the
   * filter), which are not to be handed over.
   */
  listByStatus(status: string): Promise<{ invoices: InvoiceState[]; others: InvoiceState[] }>;
  /** Every line of the invoice, every page (`GET /acq/invoices/{id}/lines`): for one whose answer carried fewer than it has. */
  listLines(id: string): Promise<JsonValue[]>;
  /** Each answers the invoice as Alma's answer shows it, or undefined when the answer (2xx) shows none: accepted. */
  markInErp(id: string): Promise<InvoiceState | undefined>;
  paid(id: string, payment: PaymentBody): Promise<InvoiceState | undefined>;
  rejected(id: string, note: string): Promise<InvoiceState | undefined>;
  requestCount(): number;
  close(): Promise<void>;
}

const NOT_FOUND = new Set(['412400', '402401']);
/**
 * A read by id refused as not found: the invoice is gone. Not from Alma's error document under a
 * 2xx (`inSuccess`): nothing shows Alma answering so, and no such answer is proof of absence — the
 * read fails with it instead (docs/alma.md#errors-error-codes-and-alerts).
 */
const provesGone = (err: ApiError): boolean => !err.inSuccess && NOT_FOUND.has(err.code);
/** "The invoice note is mandatory" (OAS, for op=rejected). */
const NOTE_MANDATORY = '60268';

export function createAlmaErp(opts: AlmaClientOptions): AlmaErp {
  const http = createAlmaHttpClient({ ...opts, limiter: limiterFor(opts) });
  const lookup = new InvoiceLookup(http);
  const idPath = (id: string): string => `/acq/invoices/${encodeURIComponent(id)}`;
  // As process_invoice (target.ts): these POST actions are asynchronous in Alma — "the response
  // for POST action might not include status and alerts" (the invoice XSD,
  // docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments). A 2xx answer is the
  // request accepted, with the invoice or without (empty, 204, `{}`: undefined); only an answer
  // that is not JSON, or JSON cut short, leaves unknown whether Alma took it — the transport's
  // `answer` says so (UnknownOutcomeError naming the request, host and status), never sending it again.
  const op = async (id: string, name: ErpOp, body: JsonValue | Record<string, unknown>): Promise<InvoiceState | undefined> => {
    const res = await http.answer({ method: 'POST', path: idPath(id), query: { op: name }, body }, { empty: true });
    return toInvoiceState(res.value);
  };
  /** The list key a rejection's note goes under: the one Alma took last in this run. */
  let noteKey: 'notes' | 'note' = 'notes';

  const erp: AlmaErp = {
    // As the load's (target.ts): the host and the key's fingerprint, so a sandbox institution's
    // hand-overs and payments are never taken for production's on the same host.
    endpoint: accountAddress(new URL(http.baseUrl).origin, opts.apiKey),
    async read(id) {
      try {
        return toInvoiceState(await http.json({ method: 'GET', path: idPath(id), query: { view: 'brief' } }));
      } catch (err) {
        if (err instanceof ApiError && provesGone(err)) return undefined;
        throw err;
      }
    },
    async readFull(id) {
      try {
        return toInvoiceState(await http.json({ method: 'GET', path: idPath(id) }));
      } catch (err) {
        if (err instanceof ApiError && provesGone(err)) return undefined;
        throw err;
      }
    },
    async find(key) {
      const matches = await lookup.find(key, { fresh: true });
      const out: InvoiceState[] = [];
      // The listing's copy may lag a write (docs/alma.md#look-ups-and-how-fresh-they-are): read each by id.
      for (const m of matches) {
        const s = await erp.read(m.id);
        if (s !== undefined) out.push(s);
      }
      return out;
    },
    async listByStatus(status) {
      // `invoice_workflow_status` filter of "Get Invoices" (OAS; BLOG-ERP lists "Waiting to be Sent" this way).
      const all = await readAllPages(
        (offset) => http.json({ method: 'GET', path: '/acq/invoices/', query: { invoice_workflow_status: status, limit: PAGE_SIZE, offset } }),
        'invoice',
        undefined,
        `GET /acq/invoices/?invoice_workflow_status=${status}`,
      );
      // Every entry, or none: one left out unread would not be handed to finance, and nothing would say so.
      const states = all.map((v, i) => {
        const s = toInvoiceState(v);
        if (s === undefined) {
          throw new ApiError({
            httpStatus: 200,
            code: 'BAD_RESPONSE',
            message: `GET /acq/invoices/?invoice_workflow_status=${status}: entry ${i + 1} of ${all.length} has no invoice id (neither id nor a link ending in one), so it could not be handed over`,
          });
        }
        return s;
      });
      return byWorkflowStatus(once(states), status);
    },
    listLines: (id) =>
      readAllPages(
        (offset) => http.json({ method: 'GET', path: `${idPath(id)}/lines`, query: { limit: PAGE_SIZE, offset } }),
        'invoice_line',
        undefined,
        `GET /acq/invoices/${id}/lines`,
      ),
    // "An empty invoice object" (BLOG-ERP).
    markInErp: (id) => op(id, 'mark_in_erp', {}),
    // The payment object of GIST-ERP, its voucher_date written like every other date the loader
    // sends, YYYY-MM-DDZ (docs/alma.md, Payments).
    paid: (id, p) =>
      op(id, 'paid', {
        payment: {
          voucher_number: p.voucherNumber,
          voucher_date: almaDate(p.voucherDate) as string,
          voucher_amount: p.voucherAmount as unknown as JsonValue,
          ...(p.voucherCurrency !== undefined ? { voucher_currency: { value: p.voucherCurrency } } : {}),
        },
      }),
    // The reason as the invoice's note; without one Alma answers 60268 (OAS). Which list key a
    // POST takes is documented nowhere, and Alma ignores keys it does not know: sent as `notes`
    // (the documented sample), a 60268 refusal — definite, nothing applied — is sent once more as
    // `note` (a real answer's name), or the other way round, and the key that worked is kept for
    // the run (docs/alma.md#how-a-list-is-named-note-or-notes-alert-or-alerts).
    async rejected(id, note) {
      const key = noteKey;
      try {
        return await op(id, 'rejected', { [key]: [{ content: note }] });
      } catch (err) {
        if (!(err instanceof ApiError) || err instanceof UnknownOutcomeError || !isRefusal(err) || err.code !== NOTE_MANDATORY) throw err;
        const other = key === 'notes' ? 'note' : 'notes';
        const s = await op(id, 'rejected', { [other]: [{ content: note }] });
        noteKey = other;
        return s;
      }
    },
    requestCount: () => http.requests,
    close: () => http.close().catch(() => undefined),
  };
  return erp;
}

/**
 * The invoices whose `invoice_workflow_status` code (`{value}` or a plain string) is `status`, and
 * the others. The filter is the server's: one that ignored it would hand invoices In Review,
 * Closed or paid to finance.
 */
export function byWorkflowStatus(states: readonly InvoiceState[], status: string): { invoices: InvoiceState[]; others: InvoiceState[] } {
  const invoices: InvoiceState[] = [];
  const others: InvoiceState[] = [];
  for (const s of states) (s.workflowStatus === status ? invoices : others).push(s);
  return { invoices, others };
}

/** Why Alma's finance export leaves an invoice out (notForErp). */
export type NotForErp = 'internal_copy' | 'prepaid';

/**
 * Why Alma's own finance export would leave the invoice out, or undefined when it would hand it
 * over: an internal copy, or a prepaid invoice not marked "Export to ERP" (FIN-EXPORT,
 * docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments). An `internal_copy` or
 * `prepaid` the answer does not show (or shows as neither true nor false) is false: the invoice
 * is handed over, as before this rule. A prepaid invoice's `export_to_erp` not shown is not
 * "marked Export to ERP": it is left out, since finance would pay a prepaid invoice again.
 */
export function notForErp(s: InvoiceState): NotForErp | undefined {
  if (s.payment.internalCopy === true) return 'internal_copy';
  if (s.payment.prepaid === true && s.payment.exportToErp !== true) return 'prepaid';
  return undefined;
}

/** A flag as Alma answers it: a JSON boolean, or `"true"` / `"false"` (docs/alma.md, "Booleans"); anything else unknown. */
function flagOf(v: JsonValue | undefined): boolean | undefined {
  const t = jsonText(v)?.trim().toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : undefined;
}

/**
 * Each invoice once, where it was first listed: paging by offset while invoices change (one
 * newly approved moves the rest down a place) lists the last of a page again at the top of the
 * next, and it would be written to the hand-over twice and marked twice.
 */
function once(states: readonly InvoiceState[]): InvoiceState[] {
  const seen = new Set<string>();
  return states.filter((s) => !seen.has(s.id) && seen.add(s.id));
}

export function toInvoiceState(v: JsonValue | undefined): InvoiceState | undefined {
  if (!isJsonObject(v)) return undefined;
  // Its `id`, else the id its `link` ends in (remote.ts idOf).
  const id = idOf(v);
  if (id === undefined) return undefined;
  const p = isJsonObject(v['payment']) ? v['payment'] : {};
  const blank = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s);
  const alerts = alertsOf(v);
  return {
    id,
    number: jsonText(v['number']) ?? '',
    vendor: codeOf(v['vendor']) ?? '',
    workflowStatus: codeOf(v['invoice_workflow_status']),
    baseStatus: codeOf(v['invoice_status']),
    approvalStatus: codeOf(v['invoice_approval_status']),
    alerts,
    totalAmount: blank(jsonText(v['total_amount'])),
    currency: codeOf(v['currency']),
    payment: {
      status: codeOf(p['payment_status']),
      voucherNumber: blank(jsonText(p['voucher_number'])),
      voucherDate: blank(jsonText(p['voucher_date']))?.replace(/Z$/, '').slice(0, 10),
      voucherAmount: blank(jsonText(p['voucher_amount'])),
      voucherCurrency: codeOf(p['voucher_currency']),
      prepaid: flagOf(p['prepaid']),
      internalCopy: flagOf(p['internal_copy']),
      exportToErp: flagOf(p['export_to_erp']),
    },
    raw: v,
  };
}

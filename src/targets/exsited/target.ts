/**
 * The Exsited target (https://developer.exsited.com/purchase-invoice-post-api-documentation): a
 * purchase invoice created from the batch's purchase order, then its note (with the attached file)
 * as the one child item. No finalize step: a PI is ACTIVE when created
 * (https://github.com/shuvo-webalive/exsited-docs-kb article 06).
 *
 * Exsited has no idempotency key (none is documented), so it is loaded like Alma: look up before
 * create, and after a create whose outcome is unknown, look up again before sending it again. The
 * look-up lists the purchase order's invoices (`GET /purchase-orders/{id}/purchase-invoices`,
 * limit/ offset, https://developer.exsited.com/purchase-invoice-get-api-documentation) and matches
 * the loader's own custom attributes (vendor and invoice number). That list's entries do not show
 * custom attributes (docs/exsited.md, "Looking an invoice up again"): each is read by id before
 * the look-up decides, and one whose owner cannot be read fails it. The other filter,
 * `purchase-orders/supplier_invoice_id eq '…'`
 * (https://developer.exsited.com/purchase-order-get-api-documentation), finds a purchase order by
 * the vendor's number; here the purchase order is known (it is in the batch), so its invoices are
 * read directly. A purchase order listed once answers every invoice of the batch made from it,
 * until a `fresh` look-up (after an unknown outcome) reads it again. Those custom attributes are
 * kept only when defined in Exsited, so the run's first create is the canary (engine/canary.ts):
 * it must show both as sent before any other invoice is written.
 *
 * The same target does the batch actions (`--action cancel|reactivate`, "Cancel"/"Reactivate
 * Purchase Invoice"): then the invoice must already exist, there is no child, and the action is the
 * finalize step, answered 202 with an `event_uuid` and done asynchronously — the engine reads the
 * invoice until its status shows it, exactly as it waits for Alma's processing.
 */
import { accountAddress } from '../../common/fingerprint.js';
import { keyString, type Invoice, type InvoiceKey } from '../../domain/model.js';
import { ApiError, UnknownOutcomeError } from '../../common/errors.js';
import { isJsonObject, jsonText, type JsonValue } from '../../common/json.js';
import { limiterFor, type HttpClient } from '../../transport/http.js';
import { WithdrawnInvoiceError, type RemoteInvoice, type RemoteLine, type Target } from '../target.js';
import { repeatedPageCheck } from '../pages.js';
import { ExsitedClient, type ExsitedClientOptions } from './client.js';
import { comparableNote, hasNote, NOTE_KEY, noteBody, notePreview, noteText, purchaseInvoicePayload } from './payload.js';
import { createdNoteId, hasNextPage, identityDifferences, isActive, sentDifferences, isCancelled, listItems, nextCursor, noteItems, notesIn, purchaseOrderIdOf, showsCustomAttributes, toRemoteInvoice } from './remote.js';

export type ExsitedAction = 'cancel' | 'reactivate';

export interface ExsitedTargetOptions extends ExsitedClientOptions {
  /** A batch action instead of a load ("Cancel"/"Reactivate Purchase Invoice"). */
  action?: { kind: ExsitedAction; effectiveDate: string } | undefined;
  /** Where relative attachment paths of standard input are resolved. Default the working directory. */
  cwd?: string | undefined;
}

export interface ExsitedTarget extends Target {
  readonly name: 'exsited';
  requestCount(): number;
  /** Token requests sent (each one revokes the previous token, so tests keep an eye on it). */
  tokenRequests(): number;
  close(): Promise<void>;
}

/**
 * Page size of the lists, a purchase order's invoices and an invoice's notes (v3 `limit`, default
 * 20, https://developer.exsited.com/purchase-invoice-get-api-documentation).
 */
export const PAGE_SIZE = 100;

export function createExsitedTarget(opts: ExsitedTargetOptions): ExsitedTarget {
  const client = new ExsitedClient({ ...opts, limiter: limiterFor(opts) });
  const action = opts.action;
  // A load checks a found invoice's note before calling it complete; an action is done when the status shows it.
  const done = (status: string | undefined): boolean =>
    action === undefined ? false : action.kind === 'cancel' ? isCancelled(status) : isActive(status);
  const remoteOf = (v: JsonValue, what: string): RemoteInvoice => {
    const r = toRemoteInvoice(v, done);
    if (r === undefined) throw new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message: `the answer to ${what} has no purchase invoice id` });
    return r;
  };

  /**
   * Every entry of a list, page after page: v3 pages by offset, v4 by the cursor its last page
   * gave (both are sent, each API reads its own). A listing that proves something absent must be
   * whole, so the same page again (an API that pages by neither, pages.ts) refuses it.
   */
  const readAllPages = async (path: string, itemsOf: (page: JsonValue) => JsonValue[], what: string): Promise<JsonValue[]> => {
    const out: JsonValue[] = [];
    let cursor: string | undefined;
    const repeated = repeatedPageCheck();
    for (let offset = 0; ; ) {
      const page = await client.json({ method: 'GET', path, query: { limit: PAGE_SIZE, offset, ...(cursor !== undefined ? { cursor } : {}) } });
      const items = itemsOf(page);
      if (repeated(items)) {
        throw new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message: `${what} came back the same on the next page: the list pages neither by offset nor by cursor` });
      }
      // One by one, not push(...items): a page of ~125,000 items spread into one call overflows the stack.
      for (const item of items) out.push(item);
      if (items.length === 0 || !hasNextPage(page, items.length, PAGE_SIZE)) return out;
      offset += items.length;
      cursor = nextCursor(page);
    }
  };

  /**
   * The listed invoices, each with the custom attributes that say whose it is. An entry that does
   * not show them at all — a purchase order's own list never does (`showsCustomAttributes`,
   * docs/exsited.md "Looking an invoice up again") — is read by id (`GET /purchase-invoices/{id}`,
   * https://developer.exsited.com/purchase-invoice-get-api-documentation), which shows them. One
   * that does not show them even then cannot be told from ours: the look-up fails (nothing is
   * sent) rather than call the invoice absent and create it a second time.
   */
  const remotesOf = async (items: JsonValue[], what: string): Promise<RemoteInvoice[]> => {
    const out: RemoteInvoice[] = [];
    for (const item of items) {
      const r = toRemoteInvoice(item, done);
      // An entry without an id cannot be ours to adopt, and a listing trusted to prove
      // absence must not drop one silently: refuse the listing instead.
      if (r === undefined) throw new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message: `an invoice listed ${what} has no id` });
      if (showsCustomAttributes(item)) {
        out.push(r);
        continue;
      }
      const full = await client.json({ method: 'GET', path: client.path('purchaseInvoice', { id: r.id }) });
      const read = toRemoteInvoice(full, done);
      if (read === undefined || read.id !== r.id || !showsCustomAttributes(full)) {
        throw new ApiError({
          httpStatus: 200,
          code: 'BAD_RESPONSE',
          message: `purchase invoice ${r.id}, listed ${what}, shows no custom attributes even when read by id: whether it is this invoice cannot be told, so it is not created (a second one could be)`,
        });
      }
      out.push(read);
    }
    return out;
  };
  /** purchase order id → its invoices, read once (a promise, so concurrent look-ups share one read). */
  const listed = new Map<string, Promise<RemoteInvoice[]>>();
  /** The DELETED or VOID purchase invoices the look-up found and left out, by key: an action names them. */
  const withdrawnFound = new Map<string, RemoteInvoice[]>();
  /**
   * The whole list of the fallback below: read once and shared by every purchase order's
   * look-up, and read again only by a fresh look-up (after an unknown outcome), which must see
   * an invoice created since.
   */
  let whole: Promise<JsonValue[]> | undefined;
  /**
   * Whether this instance does not serve the purchase order's own list. That list
   * (`GET /purchase-orders/{id}/purchase-invoices`) is shown only by Exsited's v4 SDKs
   * (`getPurchaseOrderPurchaseInvoices`); Exsited's API pages document the whole list,
   * `GET /purchase-invoices` with limit/offset, each entry with its `purchase_order_id`
   * (https://developer.exsited.com/purchase-invoice-get-api-documentation). So a purchase order
   * whose own list answers 404 or 405 is looked up in the documented list instead, keeping its
   * entries. A 405 (the method not allowed on that path) says the path is not served: the rest of
   * the run reads the whole list at once. A 404 may also be a purchase order that does not exist
   * (its create then fails with Exsited's own message): the run switches only when the whole list
   * names that purchase order, so it exists and the 404 was the path's; otherwise the next
   * purchase order tries its own list again.
   */
  let scopedListMissing = false;
  const listWhole = (fresh: boolean): Promise<JsonValue[]> => {
    if (fresh || whole === undefined) {
      const pending = readAllPages(client.path('purchaseInvoices'), listItems, 'the purchase invoices');
      whole = pending;
      pending.catch(() => {
        if (whole === pending) whole = undefined;
      });
    }
    return whole;
  };
  const listPurchaseOrder = async (po: string, fresh: boolean): Promise<RemoteInvoice[]> => {
    let status: number | undefined;
    if (!scopedListMissing) {
      let items: JsonValue[] | undefined;
      try {
        items = await readAllPages(client.path('purchaseOrderInvoices', { po }), listItems, `the invoices of purchase order ${po}`);
      } catch (err) {
        if (!(err instanceof ApiError) || (err.httpStatus !== 404 && err.httpStatus !== 405)) throw err;
        status = err.httpStatus;
        if (status === 405) scopedListMissing = true;
      }
      // Outside the try: a 404 reading one listed invoice by id is not the list's own 404.
      if (items !== undefined) return remotesOf(items, `for purchase order ${po}`);
    }
    const all = await listWhole(fresh);
    if (status === 404 && all.some((item) => purchaseOrderIdOf(item) === po)) scopedListMissing = true;
    // An entry that names no purchase order is kept: the custom attributes still decide.
    const items = all.filter((item) => {
      const of = purchaseOrderIdOf(item);
      return of === undefined || of === po;
    });
    return remotesOf(items, `for purchase order ${po}`);
  };
  const purchaseOrderOf = (invoice: Invoice | undefined, key: InvoiceKey): string => {
    const po = invoice?.header.purchaseOrderId;
    if (po === undefined || po === '') throw new Error(`internal: invoice ${key.number} reached the Exsited target without a purchase order`);
    return po;
  };

  const target: ExsitedTarget = {
    name: 'exsited',
    label: 'Exsited',
    // The journal's identity: the instance's address and the client id's fingerprint
    // (common/fingerprint.ts), the account's name there, as a key's is for Alma and Alguna.
    endpoint: accountAddress(new URL(client.http.baseUrl).origin + new URL(client.http.baseUrl).pathname.replace(/\/+$/, ''), opts.credentials.clientId),

    payloads: (invoice: Invoice) => ({
      invoice: purchaseInvoicePayload(invoice),
      lines: hasNote(invoice) ? [notePreview(invoice)] : [],
    }),

    // Nothing to prepare: each purchase order is read the first time one of its invoices is looked up.
    prepareLookups: async () => undefined,

    async findInvoices(key, o) {
      const po = purchaseOrderOf(o.invoice, key);
      let pending = o.fresh ? undefined : listed.get(po);
      if (pending === undefined) {
        pending = listPurchaseOrder(po, o.fresh);
        listed.set(po, pending);
        // A failed read is not kept: the next look-up tries again.
        pending.catch(() => listed.delete(po));
      }
      const all = await pending;
      // A deleted or voided purchase invoice may still be listed (the list filters by status
      // DELETED and VOID, https://developer.exsited.com/purchase-invoice-get-api-documentation),
      // but it is no longer the vendor's invoice in Exsited: left out, so a re-run creates it again.
      const matching = all.filter((r) => r.number === key.number && r.vendor === key.vendor);
      withdrawnFound.set(keyString(key), matching.filter((r) => r.withdrawn === true));
      return matching.filter((r) => r.withdrawn !== true);
    },

    async createInvoice(invoice: Invoice): Promise<RemoteInvoice> {
      if (action !== undefined) {
        // Found only as DELETED or VOID: it was loaded, and is no longer the vendor's invoice in
        // Exsited (docs/exsited.md "Statuses") — "never loaded" would send the user to load it.
        const gone = withdrawnFound.get(keyString(invoice.key)) ?? [];
        if (gone.length > 0) {
          const shown = gone.map((r) => `${r.id} ${r.workflowStatus ?? ''}`.trim()).join(', ');
          throw new ApiError({
            httpStatus: 0,
            code: 'WRONG_STATUS',
            message: `Exsited holds purchase invoice ${invoice.key.number} from ${invoice.key.vendor} on purchase order ${invoice.header.purchaseOrderId ?? ''} only as deleted or void (${shown}): there is no live invoice to ${action.kind}, and nothing was sent`,
          });
        }
        throw new ApiError({
          httpStatus: 0,
          code: 'NOT_LOADED',
          message: `Exsited holds no purchase invoice ${invoice.key.number} from ${invoice.key.vendor} on purchase order ${invoice.header.purchaseOrderId ?? ''}; nothing to ${action.kind} (load the batch first)`,
        });
      }
      const po = purchaseOrderOf(invoice, invoice.key);
      const answer = await client.json({ method: 'POST', path: client.path('purchaseOrderInvoices', { po }), body: purchaseInvoicePayload(invoice) });
      const r = toRemoteInvoice(answer, done);
      // Created (2xx) but no id to go on with: like Alma, the engine must look it up.
      if (r === undefined) throw new UnknownOutcomeError({ httpStatus: 200, code: 'BAD_RESPONSE', message: 'the answer to the purchase invoice create has no id' });
      // Number and vendor as the answer shows them, never the key's: an answer without them is
      // what the canary (answerDifferences) stops the run on.
      return { ...r, answer };
    },

    childKeys: (invoice: Invoice) => (action === undefined && hasNote(invoice) ? [NOTE_KEY] : []),

    async listChildren(invoiceId: string, invoice: Invoice): Promise<RemoteLine[]> {
      // Every page: people add notes too, and ours may be past the first page. A note missed here
      // is written again.
      const items = await readAllPages(client.path('notes', { id: invoiceId }), noteItems, `the notes of purchase invoice ${invoiceId}`);
      // The note we make has a deterministic text: that is how it is told from notes people add,
      // compared as Exsited may have stored it (comparableNote).
      const text = comparableNote(noteText(invoice));
      const ours = notesIn(items).find((n) => comparableNote(n.text) === text);
      return ours === undefined ? [] : [{ id: ours.id, number: NOTE_KEY }];
    },

    async addChild(invoiceId: string, key: string, invoice: Invoice): Promise<RemoteLine> {
      if (key !== NOTE_KEY) throw new Error(`internal: an Exsited invoice has no child ${key}`);
      const { body, contentType } = await noteBody(invoice, opts.cwd);
      const answer = await client.json({ method: 'POST', path: client.path('notes', { id: invoiceId }), body, headers: { 'content-type': contentType } });
      const id = createdNoteId(answer);
      if (id === undefined) throw new UnknownOutcomeError({ httpStatus: 200, code: 'BAD_RESPONSE', message: 'the answer to the note create has no uuid' });
      return { id, number: NOTE_KEY };
    },

    finalize:
      action === undefined
        ? undefined
        : async (invoiceId: string): Promise<RemoteInvoice> => {
            // "Cancel"/"Reactivate Purchase Invoice" as the API's own page documents them
            // (https://developer.exsited.com/purchase-invoice-post-api-documentation):
            // {"purchase-invoice": {"effective_date": "YYYY-MM-DD"}} → 202 {"event_uuid"}, with a
            // hyphen. The sources disagree — the v3 Python SDK's PurchaseInvoiceCancelDTO would
            // send `purchase_invoice`, the PHP SDK sends no body, the v4 KB an empty object
            // (https://github.com/shuvo-webalive/exsited-docs-kb article 06) — so the page that
            // documents this endpoint is followed.
            const answer = await client.json({
              method: 'POST',
              path: client.path(action.kind, { id: invoiceId }),
              body: { 'purchase-invoice': { effective_date: action.effectiveDate } },
            });
            const event = isJsonObject(answer) ? jsonText(answer['event_uuid']) : undefined;
            // Accepted, not done: the engine reads the invoice until its status shows the action.
            return { id: invoiceId, number: '', vendor: '', alerts: [], processed: false, inReview: false, workflowStatus: event !== undefined ? `event ${event}` : undefined };
          },

    async getInvoice(invoiceId: string): Promise<RemoteInvoice> {
      const answer = await client.json({ method: 'GET', path: client.path('purchaseInvoice', { id: invoiceId }) });
      return remoteOf(answer, `GET purchase invoice ${invoiceId}`);
    },

    // The canary (engine/canary.ts) of a load: the look-up finds an invoice by the loader's own
    // custom attributes only, so the run's first create must show them as sent — in its answer,
    // else in the invoice read back — before any other invoice is written. The note carries
    // nothing compared, so the verdict needs no child and comes before the note is written
    // (engine.ts #readBackBeforeChildren): a canary that stops the run leaves no note behind.
    answerDifferences: action === undefined ? (invoice: Invoice, created: JsonValue) => identityDifferences(created, invoice.key) : undefined,
    readBack:
      action === undefined
        ? async (invoiceId: string, invoice: Invoice) => {
            const answer = await client.json({ method: 'GET', path: client.path('purchaseInvoice', { id: invoiceId }) });
            const remote = remoteOf(answer, `GET purchase invoice ${invoiceId}`);
            // DELETED or VOID: no longer the vendor's invoice in Exsited (docs/exsited.md), not compared as a live one.
            if (remote.withdrawn === true) throw new WithdrawnInvoiceError(remote, remote.workflowStatus);
            return sentDifferences(answer, invoice);
          }
        : undefined,
    canaryChildren: action === undefined ? () => [] : undefined,

    requestCount: () => client.http.requests,
    tokenRequests: () => client.tokens.fetches,
    close: () => closeQuietly(client.http),
  };
  return target;
}

async function closeQuietly(http: HttpClient): Promise<void> {
  await http.close().catch(() => undefined);
}

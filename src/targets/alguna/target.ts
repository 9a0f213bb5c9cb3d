/**
 * The Alguna target (https://docs.alguna.io/api-reference/invoices/create): one `POST /invoices`
 * per invoice with its line items inline, so no child items and no finalize step (`autoIssue`
 * issues it).
 *
 * Alguna's v2 API de-duplicates writes by `Idempotency-Key`
 * (https://alguna.com/docs/api-reference/v2/idempotency), so here — unlike Alma and Exsited — a
 * create whose outcome is unknown may be sent again as it is, once an answer has echoed a key
 * (the legacy create documents none): the request is then marked idempotent, the shared client
 * retries it (same bytes, same key), and Alguna answers a replay with the invoice it already
 * made. A 409 (the same key still being processed) leaves the outcome unknown; the engine
 * then looks the invoice up and, if it is not there yet, sends the same request again. Keys last 24
 * hours, so a look-up before create still guards a re-run days later: the account's invoices are
 * listed and matched by the identity that starts the description (payload.ts).
 *
 * Auth is a static key, `Authorization: Bearer`
 * (https://alguna.com/docs/api-reference/v2/overview). `Alguna-Version` is sent when configured
 * (default `2026-04-01`, which the v2 API requires and the SDKs pin,
 * https://alguna.com/docs/api-reference/v2/overview).
 */
import { accountAddress } from '../../common/fingerprint.js';
import { keyString, type Invoice } from '../../domain/model.js';
import { createHash, randomUUID } from 'node:crypto';
import { ApiError, isRefusal, UnknownOutcomeError, UsageError } from '../../common/errors.js';
import { isJsonObject, jsonText, type JsonValue } from '../../common/json.js';
import { headerValue, HttpClient, limiterFor, type TransportOptions } from '../../transport/http.js';
import type { RemoteInvoice, RemoteLine, Target } from '../target.js';
import { repeatedPageCheck } from '../pages.js';
import { isTransientError, parseAlgunaError } from './errors.js';
import { describes, idempotencyKey, invoicePayload, type AlgunaGeneration } from './payload.js';

export const DEFAULT_ALGUNA_URL = 'https://api.alguna.io';
export const DEFAULT_ALGUNA_VERSION = '2026-04-01';

export interface AlgunaTargetOptions extends TransportOptions {
  /**
   * Scheme, host and optional path prefix (`https://api.alguna.io`, or `…/beta`:
   * https://alguna.com/docs/api-reference/v2/overview shows both).
   */
  baseUrl?: string | undefined;
  apiKey: string;
  /** `Alguna-Version` header; `''` sends none. */
  apiVersion?: string | undefined;
}

export interface AlgunaTarget extends Target {
  readonly name: 'alguna';
  /** `getInvoice`, with the batch's invoice to name the line items by line number. */
  getInvoiceFor(invoiceId: string, invoice: Invoice | undefined): Promise<RemoteInvoice>;
  requestCount(): number;
  close(): Promise<void>;
}

/**
 * Page size of the list (legacy `limit` takes 5/10/25/50/100,
 * https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/list-invoices).
 */
export const PAGE_SIZE = 100;

type JsonObject = { [key: string]: JsonValue };

export function createAlgunaTarget(opts: AlgunaTargetOptions): AlgunaTarget {
  const key = opts.apiKey.trim();
  if (key === '') throw new UsageError('no Alguna API key: set ALGUNA_API_KEY or pass --api-key-file');
  const version = opts.apiVersion ?? DEFAULT_ALGUNA_VERSION;
  const http = new HttpClient({
    ...opts,
    baseUrl: opts.baseUrl ?? DEFAULT_ALGUNA_URL,
    headers: {
      authorization: `Bearer ${key}`,
      accept: 'application/json',
      'content-type': 'application/json',
      ...(version !== '' ? { 'alguna-version': version } : {}),
    },
    secrets: [key],
    parseError: parseAlgunaError,
    // A 5xx that says it did nothing (Transient-Error) is sent again at once, same key, same bytes.
    notApplied: isTransientError,
    limiter: limiterFor(opts),
  });

  /**
   * The API generation the list answered in: v2's `{"data", "pagination"}`
   * (https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/list-invoices) or the legacy
   * `{"items"}` (https://alguna-20.mintlify.dev/docs/api-reference/invoices/list). Every create
   * comes after its account's look-up, so a create is written in the generation that answered:
   * a v2 API reads `customer_id` and `line_items`, not the legacy `accountId` and `lineItems`.
   * Unknown (nothing listed yet, or neither shape): the legacy body.
   */
  let generation: AlgunaGeneration | undefined;
  const bodyOf = (invoice: Invoice): Record<string, unknown> => invoicePayload(invoice, generation ?? 'legacy');

  /** Whether an answer has echoed a create's Idempotency-Key: then a create may be sent again as it is. */
  let keysHonoured = false;

  /** One `POST /invoices` under this Idempotency-Key: its answer. */
  const postInvoice = async (body: Record<string, unknown>, key: string): Promise<JsonValue> => {
    try {
      // Read by the transport (`answer`): an answer cut short mid-JSON is sent again under the same
      // key once keys are honoured, and is an unknown outcome before that, as a lost answer is.
      const res = await http.answer({
        method: 'POST',
        path: '/invoices',
        body,
        headers: { 'idempotency-key': key },
        // Safe to send again with the same key once Alguna is seen to honour keys (below): lost
        // answers, timeouts and 5xx are then retried. Before that, such a create is an
        // unknown outcome, looked for before it is sent again — but for a 5xx carrying
        // `Transient-Error: true`, which says itself that nothing was done (`notApplied` above).
        idempotent: keysHonoured,
      });
      // v2 echoes the key on the answers of a request that carried one
      // (https://alguna.com/docs/api-reference/v2/idempotency). The legacy create
      // (https://docs.alguna.io/api-reference/invoices/create), whose body is sent after a legacy
      // list or none, documents no key: an API that does not echo it may not honour it, and a
      // blind resend could create twice.
      if (headerValue(res.headers['idempotency-key']) === key) keysHonoured = true;
      return res.value ?? null;
    } catch (err) {
      // 409: "request currently being processed" under this key
      // (https://alguna.com/docs/api-reference/v2/idempotency). It may yet succeed: the engine
      // looks it up, then sends the same request (same key) again.
      if (err instanceof ApiError && err.httpStatus === 409) throw new UnknownOutcomeError(err.detail, { cause: err });
      throw err;
    }
  };

  /**
   * Invoice key (`keyString`) → the ids of the void or canceled invoices its last look-up left
   * out. Within the 24 hours a key lasts, the create that made such an invoice would be replayed
   * for the same key and body (V2-IDEM): the voided invoice's answer taken for a new one. So a
   * create sent after one is left out carries a key of its own, derived from those ids: the same
   * in every run that sees the same ones, so a lost answer is still replayed, not created twice.
   */
  const withdrawnFor = new Map<string, string[]>();
  /** The Idempotency-Key a create of this body carries now: the invoice's own, or one of its own after a left-out void one. */
  const createKey = (invoice: Invoice, body: Record<string, unknown>): string => keyAfter(idempotencyKey(invoice, body), withdrawnFor.get(keyString(invoice.key)) ?? []);
  /** Invoice key (`keyString`) → the last create sent for it in this run: its body, generation and key. */
  const sentFor = new Map<string, { body: Record<string, unknown>; generation: AlgunaGeneration; key: string }>();
  const shownFor = (invoice: Invoice): { body: Record<string, unknown>; generation: AlgunaGeneration; key: string; sent: boolean } => {
    const sent = sentFor.get(keyString(invoice.key));
    if (sent !== undefined) return { ...sent, sent: true };
    const body = bodyOf(invoice);
    return { body, generation: generation ?? 'legacy', key: createKey(invoice, body), sent: false };
  };
  /** account id → its invoices, read once (a promise, so concurrent look-ups share one read). */
  const listed = new Map<string, Promise<JsonObject[]>>();
  const listAccount = async (account: string): Promise<JsonObject[]> => {
    const out: JsonObject[] = [];
    // Legacy list: `?page=1&limit=25` → `{"items": […]}`; v2 pages by `limit` and `offset`, both
    // required, filters by `customer_id` and answers `{"data": […], "pagination": {per_page,
    // total_pages}}` (https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/list-invoices).
    // Both generations' names are sent, as each ignores the other's. A short page is not the end:
    // a server may hold a page to fewer than the `limit` asked, and a listing that stopped there
    // would hide the older invoices from the look-up, which then creates them again. So with
    // `total_pages` every page is read, each `per_page` on from the last; without it, until an
    // empty page. The account is checked on every item anyway.
    const repeated = repeatedPageCheck();
    for (let page = 1, offset = 0; ; page++) {
      const answer = await http.json({
        method: 'GET',
        path: '/invoices',
        query: { accountId: account, customer_id: account, page, offset, limit: PAGE_SIZE },
      });
      const items = isJsonObject(answer) ? (Array.isArray(answer['items']) ? answer['items'] : Array.isArray(answer['data']) ? answer['data'] : []) : [];
      if (isJsonObject(answer)) {
        if (Array.isArray(answer['data'])) generation = 'v2';
        else if ('items' in answer) generation = 'legacy';
      }
      // Every page answered with the first: it pages by neither name (pages.ts).
      if (repeated(items)) {
        throw new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message: `GET /invoices answered page ${page} with the invoices of page ${page - 1}: it does not page by page or offset, so the account's invoices cannot all be read` });
      }
      for (const item of items) if (isJsonObject(item) && text(item, 'accountId', 'account_id', 'customer_id') === account) out.push(item);
      const pagination = isJsonObject(answer) && isJsonObject(answer['pagination']) ? answer['pagination'] : undefined;
      const pages = count(pagination?.['total_pages']);
      if (items.length === 0 || (pages !== undefined && page >= pages)) return out;
      offset += count(pagination?.['per_page']) || items.length;
    }
  };

  const remoteOf = (v: JsonValue, inv: Invoice | undefined, what: string): RemoteInvoice => {
    const r = toRemote(v, inv);
    if (r === undefined) throw new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message: `the answer to ${what} has no invoice id` });
    return r;
  };

  /** `GET /invoices/{id}`: the invoice, with the description and the account its answer names. */
  const readInvoice = async (invoiceId: string, invoice: Invoice | undefined): Promise<{ remote: RemoteInvoice; description: string | undefined; account: string | undefined }> => {
    const answer = await http.json({ method: 'GET', path: `/invoices/${encodeURIComponent(invoiceId)}` });
    const remote = remoteOf(answer, invoice, `GET /invoices/${invoiceId}`);
    const o = isJsonObject(answer) ? (isJsonObject(answer['invoice']) ? answer['invoice'] : answer) : undefined;
    return { remote, description: o !== undefined ? text(o, 'description') : undefined, account: o !== undefined ? text(o, 'accountId', 'account_id', 'customer_id') : undefined };
  };

  const target: AlgunaTarget = {
    name: 'alguna',
    label: 'Alguna',
    // The journal's identity: the address and the key's fingerprint (common/fingerprint.ts) — the
    // key names the account, and one host serves every account.
    endpoint: accountAddress(new URL(http.baseUrl).origin + new URL(http.baseUrl).pathname.replace(/\/+$/, ''), key),

    // What `--show-payloads` shows on a real run: the body and key sent in this run, else those
    // the next create would carry, in the generation the look-up learned.
    payloads: (invoice: Invoice) => {
      const s = shownFor(invoice);
      return { invoice: s.body, lines: [], generation: s.generation, idempotency_key: s.key, sent: s.sent };
    },
    preview: (invoice: Invoice) => {
      const s = shownFor(invoice);
      const what = `${s.generation === 'v2' ? "v2's snake_case body" : 'the legacy camelCase body'}, ${s.sent ? 'as sent' : 'not sent in this run'}`;
      return [{ heading: `POST /invoices (Idempotency-Key: ${s.key}; ${what})`, body: s.body }];
    },

    prepareLookups: async () => undefined,

    async findInvoices(k, o) {
      const account = o.invoice?.header.accountId;
      if (account === undefined || account === '') throw new Error(`internal: invoice ${k.number} reached the Alguna target without an account`);
      let pending = o.fresh ? undefined : listed.get(account);
      if (pending === undefined) {
        pending = listAccount(account);
        listed.set(account, pending);
        pending.catch(() => listed.delete(account));
      }
      const all = await pending;
      const found = all
        .filter((item) => describes(text(item, 'description') ?? '', k))
        .map((item) => remoteOf(item, o.invoice, 'the invoice list'))
        .map((r) => ({ ...r, number: k.number, vendor: k.vendor }));
      // A void invoice is "issued but withdrawn", a canceled one was never issued
      // (https://docs.alguna.io/docs/invoices/invoicing-config,
      // https://docs.alguna.io/docs/invoices/recurring-invoices): neither is the vendor's invoice
      // in Alguna any more. Left out, as Exsited's DELETED, so a re-run creates it again.
      withdrawnFor.set(keyString(k), found.filter((r) => r.withdrawn === true).map((r) => r.id));
      return found.filter((r) => r.withdrawn !== true);
    },

    async createInvoice(invoice: Invoice): Promise<RemoteInvoice> {
      const body = bodyOf(invoice);
      const sentAs = generation ?? 'legacy';
      const key = createKey(invoice, body);
      sentFor.set(keyString(invoice.key), { body, generation: sentAs, key });
      let answer: JsonValue;
      try {
        answer = await postInvoice(body, key);
      } catch (err) {
        // A refusal replayed from Alguna's cache is an earlier request's (a key lasts 24 h): it
        // proves that request made nothing, and says nothing of this one — the cause may have
        // been mended in Alguna since. Sent once more under a key of its own; a lost answer to
        // that one is looked up as any other.
        const replayedRefusal = err instanceof ApiError && err.replayed && isRefusal(err) && err.httpStatus !== 409;
        if (!replayedRefusal) throw err;
        const fresh = `${key}-${randomUUID().slice(0, 8)}`;
        sentFor.set(keyString(invoice.key), { body, generation: sentAs, key: fresh });
        answer = await postInvoice(body, fresh);
      }
      const r = toRemote(answer, invoice);
      if (r === undefined) throw new UnknownOutcomeError({ httpStatus: 200, code: 'BAD_RESPONSE', message: 'the answer to POST /invoices has no invoice id' });
      return { ...r, number: invoice.key.number, vendor: invoice.key.vendor };
    },

    // Line items go inline in the create and come back in its answer (`children`).
    childKeys: () => [],
    async listChildren(invoiceId: string, invoice: Invoice): Promise<RemoteLine[]> {
      return (await readInvoice(invoiceId, invoice)).remote.children ?? [];
    },
    addChild: async (invoiceId: string, k: string) => {
      throw new Error(`internal: Alguna line items are created with the invoice (asked to add ${k} to ${invoiceId})`);
    },

    getInvoice: (invoiceId: string, invoice?: Invoice) => target.getInvoiceFor(invoiceId, invoice),
    async getInvoiceFor(invoiceId: string, invoice: Invoice | undefined): Promise<RemoteInvoice> {
      const { remote: r, description, account: named } = await readInvoice(invoiceId, invoice);
      const account = named === '' ? undefined : named;
      // The vendor and number are only in the description the loader wrote (payload.ts): read for
      // a batch's invoice, an answer that starts with its identity is that invoice, so one another
      // journal recorded is adopted (engine/elsewhere.ts), not created a second time — if it is on
      // the batch invoice's account, as the list keeps only the account's own entries. One on
      // another account (a file first loaded with the wrong account_id, then corrected) is not.
      // A void or canceled one is left out whatever it names (RemoteInvoice.withdrawn).
      if (invoice === undefined || description === undefined || !describes(description, invoice.key) || r.withdrawn === true) return r;
      const own = invoice.header.accountId;
      if (account === own) return { ...r, number: invoice.key.number, vendor: invoice.key.vendor };
      if (account !== undefined) return r;
      // No account named at all. Every invoice answer carries its account (v2 `customer_id` is a
      // required field of the invoice object, V2-GET; legacy `accountId`, L-GET; docs/alguna.md,
      // "Fields"), so this answer is not proof the invoice is on this account: adopted, one on the
      // wrong account (an earlier load with the wrong account_id) is reported loaded and the
      // vendor's invoice is never made on the right one — lost; left out, one that is on this
      // account is made a second time — doubled. Either guess breaks "exactly once", so the
      // invoice is refused, nothing sent, for a person to decide (docs/alguna.md).
      throw new ApiError({
        httpStatus: 200,
        code: 'BAD_RESPONSE',
        message:
          `Alguna's answer to GET /invoices/${invoiceId} names no account (accountId, account_id or customer_id), so invoice-load cannot tell whether that invoice, ` +
          `which an earlier run of this file recorded as ${invoice.key.number} of vendor ${invoice.key.vendor}, is on account ${own ?? ''}: ` +
          `it was not taken as this invoice and no other was created — check invoice ${invoiceId} in Alguna: if it is on account ${own ?? ''}, this invoice is loaded (take it out of the file); ` +
          `if not, void it in Alguna and run the same command again`,
      });
    },

    requestCount: () => http.requests,
    close: () => http.close().catch(() => undefined),
  };
  return target;
}


/**
 * The create's key after the look-up left out these void or canceled invoices: the key itself
 * when none, else one of its own (`<key>-w<digest of their ids>`, well under 255 characters).
 */
export function keyAfter(key: string, withdrawn: readonly string[]): string {
  if (withdrawn.length === 0) return key;
  const digest = createHash('sha256').update(JSON.stringify([...withdrawn].sort())).digest('hex');
  return `${key}-w${digest.slice(0, 16)}`;
}

/** Alguna's `void` and `canceled` (v2 status enum, https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/get-an-invoice), either spelling, any case. */
export const isWithdrawn = (status: string | undefined): boolean => /^(void|voided|cancell?ed)$/i.test(status ?? '');

/** A whole number from a pagination field (`total_pages`, `per_page`), else undefined. */
function count(v: JsonValue | undefined): number | undefined {
  const t = jsonText(v)?.trim();
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined;
}

function text(o: JsonObject, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = jsonText(o[n]);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * An Alguna invoice as the seam sees it (the create response,
 * https://docs.alguna.io/api-reference/invoices/create: `id`, `status`, `lineItems`, `subtotal`,
 * `tax`, `total`, … in camelCase; v2 in snake_case,
 * https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/get-an-invoice). It is complete as
 * found: created in one request. Line items are matched to the batch's lines by position — the
 * request sends them in line order and the answer lists them in that order (an assumption: the seed
 * does not say); an answer with another count names no children.
 */
function toRemote(v: JsonValue, inv: Invoice | undefined): RemoteInvoice | undefined {
  if (!isJsonObject(v)) return undefined;
  const o: JsonObject = isJsonObject(v['invoice']) ? v['invoice'] : v;
  const id = text(o, 'id');
  if (id === undefined || id === '') return undefined;
  const amounts: Record<string, string> = {};
  for (const [name, ...keys] of [
    ['subtotal', 'subtotal'],
    ['tax', 'tax'],
    ['total', 'total'],
    ['amount_remaining', 'amountRemaining', 'amount_remaining'],
  ] as const) {
    const a = text(o, ...keys);
    if (a !== undefined && a !== '') amounts[name] = a;
  }
  const items = Array.isArray(o['lineItems']) ? o['lineItems'] : Array.isArray(o['line_items']) ? o['line_items'] : [];
  const children: RemoteLine[] = [];
  if (inv !== undefined && items.length === inv.lines.length) {
    items.forEach((item, i) => {
      const itemId = isJsonObject(item) ? text(item, 'id') : undefined;
      const line = inv.lines[i];
      if (itemId !== undefined && line !== undefined) children.push({ id: itemId, number: line.number });
    });
  }
  return {
    id,
    number: '',
    vendor: '',
    workflowStatus: text(o, 'status'),
    alerts: [],
    // The subtotal is what the batch's total must equal (rules: Σ quantity × unit_price): an
    // invoice found with another one is not this invoice (EXISTS_DIFFERENT).
    totalAmount: amounts['subtotal'],
    processed: true,
    inReview: false,
    children: children.length > 0 ? children : undefined,
    ...(isWithdrawn(text(o, 'status')) ? { withdrawn: true as const } : {}),
    ...(Object.keys(amounts).length > 0 ? { amounts } : {}),
  };
}

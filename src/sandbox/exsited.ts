/**
 * An Exsited-compatible sandbox (purchase invoices,
 * https://developer.exsited.com/purchase-invoice-post-api-documentation):
 *
 * - `POST /api/v1/oauth2/token` (JSON: client_credentials or refresh_token,
 *   https://developer.exsited.com/exsited-api-authentication) → `{access_token, refresh_token,
 *   expires_in, token_type}`. A new token for a client REVOKES its previous ones ("a new access
 *   token for the same credentials ends the previous one", the exsited-docs-kb article 01,
 *   https://github.com/shuvo-webalive/exsited-docs-kb), and tokens expire after `tokenTtlSeconds`:
 *   a revoked or expired token gets 401.
 * - `GET|POST /api/{v}/purchase-orders/{po}/purchase-invoices`: list (limit/offset, v3
 *   `pagination`) and create from the purchase order, which must exist (seeded). The list's
 *   entries have the v4 SDK's `PurchaseOrderPurchaseInvoice` fields only, so no custom attributes
 *   (https://pub.dev/documentation/exsited/4.0.0/purchase_orders/PurchaseOrderPurchaseInvoice/PurchaseOrderPurchaseInvoice.html):
 *   whose invoice an entry is shows only when it is read by id. The create's body must
 *   be `{"purchase_invoice": {issue_date?, due_date?, purchase_order_note?, custom_attributes?}}`
 *   and nothing else; the PI copies the PO's lines and totals and is ACTIVE (the same page).
 * - `GET /api/{v}/purchase-invoices`: every purchase invoice, limit/offset, v3 `pagination`, and the
 *   simple filters `account_id` and `status` ("Retrieve Purchase Invoice List",
 *   https://developer.exsited.com/purchase-invoice-get-api-documentation).
 * - `GET /api/{v}/purchase-invoices/{id}`; `GET|POST …/{id}/notes` (multipart `note` + `file`,
 *   answered `{"purchase-invoice": {"notes": {"uuid"}}}`, "Create Purchase Invoice Note").
 * - `POST …/{id}/cancel` and `…/reactivate` with `{"purchase-invoice": {"effective_date"}}` → 202
 *   `{"event_uuid"}`; the status changes when the event has run (`eventDelayMs`) — the asynchronous
 *   flow of "Cancel Purchase Invoice". Cancelling an inactive invoice (or reactivating an active
 *   one) is refused with 400; doing it while the same event is pending accepts it again.
 * - Errors `{"errors":[{"code","message"}]}` (exsited-python `ab_rest_processor.py`). Both `-` and
 *   `_` resource spellings and any `{v}` are accepted (the v4 SDKs print `_`, v3 uses `-`: the v4
 *   wire form is unknown).
 * Where the record is silent (status codes of creates, the notes list's shape, the event delay,
 * the error codes), the sandbox's choice is marked [I] and the loader does not depend on it.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { defaultSeedPath, initialConfig, patchConfig, readSeed, SIBLING_DEFAULTS, startSibling, type SiblingAnswer, type SiblingConfig, type SiblingCounters, type SiblingHandle, type SiblingOptions, type SiblingRequest, type SiblingRoute } from './sibling.js';
import type { Step } from './types.js';

export interface ExsitedSeed {
  purchase_orders: SeedPurchaseOrder[];
}

export interface SeedPurchaseOrder {
  id: string;
  account_id: string;
  currency: string;
  lines: { item_id: string; item_name: string; quantity: string; price: string; tax_rate?: string }[];
}

export interface ExsitedSandboxConfig extends SiblingConfig {
  /** Lifetime of an access token (`expires_in`; 3600 in the auth docs). */
  tokenTtlSeconds: number;
  /** How long a cancel/reactivate event takes to run. [I] */
  eventDelayMs: number;
}

export const EXSITED_SANDBOX_DEFAULTS: ExsitedSandboxConfig = { ...SIBLING_DEFAULTS, tokenTtlSeconds: 3600, eventDelayMs: 150 };

export interface ExsitedSandboxOptions extends SiblingOptions<ExsitedSeed>, Partial<ExsitedSandboxConfig> {
  /** Accepted credentials; unset: any non-empty client id and secret. */
  clients?: { clientId: string; clientSecret: string }[] | undefined;
  /**
   * The custom attributes defined in this Exsited: a create's others are dropped without a word,
   * as an instance may drop attributes it does not define [I]. Unset: every one is kept.
   */
  customAttributes?: string[] | undefined;
}

export const DEFAULT_EXSITED_SEED_PATH = defaultSeedPath('exsited');

interface Note {
  uuid: string;
  note: string;
  file?: { name: string; type: string; size: number; sha256: string } | undefined;
  created_on: string;
}

interface PurchaseInvoice {
  id: string;
  uuid: string;
  status: 'ACTIVE' | 'INACTIVE';
  purchase_order_id: string;
  account_id: string;
  currency: string;
  issue_date: string;
  due_date: string;
  purchase_order_note: string;
  custom_attributes: { name: string; value: string }[];
  subtotal: string;
  tax: string;
  total: string;
  lines: { item_id: string; item_name: string; item_quantity: string; item_price: string; subtotal: string; tax: string; total: string; uuid: string }[];
  notes: Note[];
  created_on: string;
  /** A cancel/reactivate accepted and not yet run. */
  pending?: { uuid: string; kind: 'cancel' | 'reactivate'; effective_date: string; due: number } | undefined;
  events: { uuid: string; kind: 'cancel' | 'reactivate'; effective_date: string; accepted_on: string }[];
}

interface TokenRec {
  client: string;
  expires: number;
  revoked: boolean;
}

interface Data {
  invoices: PurchaseInvoice[];
  /** PI numbering per account (`PI-<acct>-NNNN`). */
  seq: Record<string, number>;
  created: Record<string, Record<string, number>>;
  notePosts: Record<string, number>;
  actions: Record<string, { cancel: number; reactivate: number }>;
}

export interface ExsitedSandboxState {
  invoices: (Omit<PurchaseInvoice, 'pending'> & { vendor: string; number: string; pending_event?: string | undefined })[];
  counters: {
    /** Purchase invoices created through the API, per vendor, per number (from the loader's custom attributes as sent). */
    created: Record<string, Record<string, number>>;
    /** Notes added, per purchase invoice id. */
    notePosts: Record<string, number>;
    /** Cancel/reactivate requests accepted, per purchase invoice id. */
    actions: Record<string, { cancel: number; reactivate: number }>;
    tokensIssued: number;
    /** 401 answers: no token, an unknown, expired or revoked one. */
    unauthorized: number;
    revokedTokenUse: number;
  } & SiblingCounters;
  config: ExsitedSandboxConfig;
}

export type ExsitedSandbox = SiblingHandle<ExsitedSandboxState>;

const error = (status: number, code: string | number, message: string): SiblingAnswer => ({ status, body: { errors: [{ code, message }] } });
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const realDate = (s: string): boolean => DATE.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
const money2 = (d: Decimal): string => d.toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN).toFixed(2);
const NUMBER_ATTR = 'vendor_invoice_number';
const VENDOR_ATTR = 'vendor';

export async function startExsitedSandbox(opts: ExsitedSandboxOptions = {}): Promise<ExsitedSandbox> {
  const now = opts.now ?? Date.now;
  const seed = readSeed<ExsitedSeed>(opts.seed, DEFAULT_EXSITED_SEED_PATH);
  const orders = new Map(seed.purchase_orders.map((po) => [po.id, po]));
  const clients = opts.clients === undefined ? undefined : new Map(opts.clients.map((c) => [c.clientId, c.clientSecret]));
  const defined = opts.customAttributes === undefined ? undefined : new Set(opts.customAttributes);
  const uuid = (): string => randomUUID();

  let data: Data = emptyData();
  // Tokens live in memory only: a restarted sandbox has forgotten them, like a server after a deploy.
  const tokens = new Map<string, TokenRec>();
  const refreshTokens = new Map<string, string>();
  let tokensIssued = 0;
  let unauthorized = 0;
  let revokedTokenUse = 0;
  let config: ExsitedSandboxConfig = initialConfig(EXSITED_SANDBOX_DEFAULTS, opts);

  const settle = (): void => {
    const t = now();
    for (const pi of data.invoices) {
      if (pi.pending !== undefined && pi.pending.due <= t) {
        pi.status = pi.pending.kind === 'cancel' ? 'INACTIVE' : 'ACTIVE';
        pi.pending = undefined;
      }
    }
  };

  const issue = (client: string): SiblingAnswer => {
    // "A new access token for the same credentials ends the previous one" (exsited-docs-kb article 01).
    for (const rec of tokens.values()) if (rec.client === client) rec.revoked = true;
    for (const [r, c] of refreshTokens) if (c === client) refreshTokens.delete(r);
    const access = `exs_at_${randomBytes(18).toString('hex')}`;
    const refresh = `exs_rt_${randomBytes(18).toString('hex')}`;
    tokens.set(access, { client, expires: now() + config.tokenTtlSeconds * 1000, revoked: false });
    refreshTokens.set(refresh, client);
    tokensIssued++;
    return { status: 200, body: { access_token: access, refresh_token: refresh, token_type: 'Bearer', expires_in: config.tokenTtlSeconds } };
  };

  const tokenRoute = (req: SiblingRequest): SiblingRoute => ({
    step: 'other',
    subject: () => ({}),
    run: () => {
      let b: Record<string, unknown>;
      try {
        b = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
      } catch {
        return error(400, 400, 'the token request body must be JSON');
      }
      const id = typeof b['client_id'] === 'string' ? b['client_id'] : '';
      const secret = typeof b['client_secret'] === 'string' ? b['client_secret'] : '';
      const known = id !== '' && secret !== '' && (clients === undefined || clients.get(id) === secret);
      if (!known) return error(401, 401, 'invalid client credentials');
      if (b['grant_type'] === 'client_credentials') return issue(id);
      if (b['grant_type'] === 'refresh_token') {
        const r = typeof b['refresh_token'] === 'string' ? b['refresh_token'] : '';
        if (refreshTokens.get(r) !== id) return error(400, 400, 'invalid refresh token');
        return issue(id);
      }
      return error(400, 400, `unsupported grant_type ${String(b['grant_type'])}`);
    },
  });

  const auth = (req: SiblingRequest) => (): SiblingAnswer | undefined => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const rec = m?.[1] === undefined ? undefined : tokens.get(m[1]);
    if (rec !== undefined && !rec.revoked && rec.expires > now()) return undefined;
    unauthorized++;
    if (rec?.revoked === true) revokedTokenUse++;
    return error(401, 401, rec === undefined ? 'Unauthorized' : rec.revoked ? 'token revoked' : 'token expired');
  };

  const numberOf = (pi: PurchaseInvoice): string | undefined => pi.custom_attributes.find((a) => a.name === NUMBER_ATTR)?.value;
  const vendorOf = (pi: PurchaseInvoice): string | undefined => pi.custom_attributes.find((a) => a.name === VENDOR_ATTR)?.value;
  const byId = (id: string): PurchaseInvoice | undefined => data.invoices.find((p) => p.id === id);
  const about = (id: string) => () => {
    const pi = byId(id);
    return pi ? { invoiceNumber: numberOf(pi), invoiceKey: pi.id } : {};
  };

  const render = (pi: PurchaseInvoice): Record<string, unknown> => ({
    status: pi.status,
    id: pi.id,
    origin: '',
    currency: { id: pi.currency, name: pi.currency, link: { rel: 'self', href: `/api/v3/currencies/${pi.currency}` } },
    issue_date: pi.issue_date,
    due_date: pi.due_date,
    subtotal: pi.subtotal,
    tax: pi.tax,
    total: pi.total,
    price_tax_inclusive: 'false',
    account_id: pi.account_id,
    purchase_order_id: pi.purchase_order_id,
    purchase_order_note: pi.purchase_order_note,
    created_by: 'invoice-load sandbox',
    created_on: pi.created_on,
    uuid: pi.uuid,
    version: '1',
    custom_attributes: pi.custom_attributes,
    custom_objects: [],
    lines: pi.lines.map((l) => ({
      subtotal: l.subtotal,
      total: l.total,
      tax: l.tax,
      item_id: l.item_id,
      item_name: l.item_name,
      item_purchase_order_quantity: l.item_quantity,
      item_quantity: l.item_quantity,
      item_uom: 'Each',
      uuid: l.uuid,
      version: '1',
    })),
    kpis: {
      outstanding: pi.status === 'ACTIVE' ? pi.total : '0.00',
      overdue: '0.00',
      last_cancelled_on: pi.events.filter((e) => e.kind === 'cancel').at(-1)?.accepted_on ?? '',
      last_reactivated_on: pi.events.filter((e) => e.kind === 'reactivate').at(-1)?.accepted_on ?? '',
    },
  });

  /**
   * An entry of a purchase order's own invoice list, with the fields Exsited's v4 SDK gives it
   * (`PurchaseOrderPurchaseInvoice`,
   * https://pub.dev/documentation/exsited/4.0.0/purchase_orders/PurchaseOrderPurchaseInvoice/PurchaseOrderPurchaseInvoice.html):
   * no custom attributes, no lines, no note — those are read by id.
   */
  const renderEntry = (pi: PurchaseInvoice): Record<string, unknown> => ({
    account: { href: `/api/v3/accounts/${pi.account_id}`, id: pi.account_id, object: 'account' },
    alternate_due_date: '',
    alternate_issue_date: '',
    created_by: 'invoice-load sandbox',
    created_on: pi.created_on,
    currency: { id: pi.currency, name: pi.currency },
    custom_form: null,
    due_date: pi.due_date,
    id: pi.id,
    issue_date: pi.issue_date,
    last_updated_by: 'invoice-load sandbox',
    last_updated_on: pi.created_on,
    object: 'purchase_invoice',
    origin: '',
    payment_status: 'UNPAID',
    price_tax_inclusive: false,
    purchase_order: { href: `/api/v3/purchase-orders/${pi.purchase_order_id}`, id: pi.purchase_order_id, object: 'purchase_order' },
    status: pi.status,
    subtotal: pi.subtotal,
    tax: pi.tax,
    total: pi.total,
    uuid: pi.uuid,
    version: 1,
  });

  const create = (po: SeedPurchaseOrder, raw: Buffer): SiblingAnswer => {
    let b: unknown;
    try {
      b = JSON.parse(raw.toString('utf8'));
    } catch {
      return error(400, 400, 'Validation Errors: the body is not valid JSON');
    }
    const env = typeof b === 'object' && b !== null ? (b as Record<string, unknown>)['purchase_invoice'] : undefined;
    if (typeof env !== 'object' || env === null || Array.isArray(env) || Object.keys(b as object).length !== 1) {
      return error(400, 400, 'Validation Errors: the body must be {"purchase_invoice": {…}}');
    }
    const e = env as Record<string, unknown>;
    const unknown = Object.keys(e).filter((k) => !['issue_date', 'due_date', 'purchase_order_note', 'custom_attributes'].includes(k));
    if (unknown.length > 0) return error(400, 400, `Validation Errors: unknown field ${unknown.join(', ')}`);
    for (const k of ['issue_date', 'due_date']) {
      if (e[k] !== undefined && (typeof e[k] !== 'string' || !realDate(e[k]))) return error(400, 400, `Validation Errors: ${k} must be a date YYYY-MM-DD`);
    }
    if (e['purchase_order_note'] !== undefined && typeof e['purchase_order_note'] !== 'string') return error(400, 400, 'Validation Errors: purchase_order_note must be a string');
    const attrs = e['custom_attributes'] ?? [];
    if (!Array.isArray(attrs) || !attrs.every((a) => typeof a === 'object' && a !== null && typeof a.name === 'string' && typeof a.value === 'string')) {
      return error(400, 400, 'Validation Errors: custom_attributes must be [{"name": "…", "value": "…"}]');
    }
    const t = new Date(now());
    const today = t.toISOString().slice(0, 10);
    const seq = (data.seq[po.account_id] ?? 0) + 1;
    data.seq[po.account_id] = seq;
    let subtotal = new Decimal(0);
    let tax = new Decimal(0);
    const lines = po.lines.map((l) => {
      const sub = new Decimal(l.quantity).times(l.price);
      const tx = sub.times(l.tax_rate ?? '0').div(100);
      subtotal = subtotal.plus(sub);
      tax = tax.plus(tx);
      return {
        item_id: l.item_id,
        item_name: l.item_name,
        item_quantity: new Decimal(l.quantity).toFixed(6),
        item_price: new Decimal(l.price).toFixed(6),
        subtotal: money2(sub),
        tax: money2(tx),
        total: money2(sub.plus(tx)),
        uuid: uuid(),
      };
    });
    const pi: PurchaseInvoice = {
      id: `PI-${po.account_id}-${String(seq).padStart(4, '0')}`,
      uuid: uuid(),
      status: 'ACTIVE',
      purchase_order_id: po.id,
      account_id: po.account_id,
      currency: po.currency,
      issue_date: (e['issue_date'] as string | undefined) ?? today,
      due_date: (e['due_date'] as string | undefined) ?? (e['issue_date'] as string | undefined) ?? today,
      purchase_order_note: (e['purchase_order_note'] as string | undefined) ?? '',
      custom_attributes: (attrs as { name: string; value: string }[]).filter((a) => defined === undefined || defined.has(a.name)).map((a) => ({ name: a.name, value: a.value })),
      subtotal: money2(subtotal),
      tax: money2(tax),
      total: money2(subtotal.plus(tax)),
      lines,
      notes: [],
      created_on: t.toISOString(),
      events: [],
    };
    data.invoices.push(pi);
    // Counted by the attributes sent, which a create keeps only when they are defined.
    const sent = attrs as { name: string; value: string }[];
    const v = sent.find((a) => a.name === VENDOR_ATTR)?.value ?? '';
    const n = sent.find((a) => a.name === NUMBER_ATTR)?.value ?? '';
    data.created[v] ??= {};
    data.created[v][n] = (data.created[v][n] ?? 0) + 1;
    // [I] 201 for a create; the seed only says "Upon successful creation, the API returns …".
    return { status: 201, body: { purchase_invoice: render(pi) } };
  };

  const addNote = async (pi: PurchaseInvoice, req: SiblingRequest): Promise<SiblingAnswer> => {
    const type = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(type)) return error(400, 400, 'Validation Errors: a note is sent as multipart/form-data');
    let form: FormData;
    try {
      form = await new Request('http://sandbox.invalid/', { method: 'POST', headers: { 'content-type': type }, body: req.body }).formData();
    } catch {
      return error(400, 400, 'Validation Errors: the multipart body cannot be read');
    }
    const note = form.get('note');
    if (typeof note !== 'string' || note.trim() === '') return error(400, 400, 'Validation Errors: note is required');
    const file = form.get('file');
    let fileRec: Note['file'];
    if (file !== null && typeof file !== 'string') {
      const bytes = Buffer.from(await file.arrayBuffer());
      fileRec = { name: file.name, type: file.type, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    }
    const rec: Note = { uuid: uuid(), note, ...(fileRec !== undefined ? { file: fileRec } : {}), created_on: new Date(now()).toISOString() };
    pi.notes.push(rec);
    data.notePosts[pi.id] = (data.notePosts[pi.id] ?? 0) + 1;
    return { status: 201, body: { 'purchase-invoice': { notes: { uuid: rec.uuid } } } };
  };

  const act = (pi: PurchaseInvoice, kind: 'cancel' | 'reactivate', raw: Buffer): SiblingAnswer => {
    let b: unknown;
    try {
      b = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
    } catch {
      return error(400, 400, 'Validation Errors: the body is not valid JSON');
    }
    // Exsited's API pages write the envelope with a hyphen; the v3 Python DTO with an underscore.
    const env = typeof b === 'object' && b !== null ? ((b as Record<string, unknown>)['purchase-invoice'] ?? (b as Record<string, unknown>)['purchase_invoice']) : undefined;
    const date = typeof env === 'object' && env !== null ? (env as Record<string, unknown>)['effective_date'] : undefined;
    if (date !== undefined && (typeof date !== 'string' || !realDate(date))) return error(400, 400, 'Validation Errors: effective_date must be a date YYYY-MM-DD');
    const pendingSame = pi.pending?.kind === kind;
    const already = kind === 'cancel' ? pi.status === 'INACTIVE' : pi.status === 'ACTIVE';
    if (already && !pendingSame && pi.pending === undefined) {
      return error(400, 'invalid_status', `purchase invoice ${pi.id} is already ${kind === 'cancel' ? 'inactive' : 'active'}`);
    }
    const ev = { uuid: uuid(), kind, effective_date: (date as string | undefined) ?? new Date(now()).toISOString().slice(0, 10), accepted_on: new Date(now()).toISOString() };
    pi.events.push(ev);
    pi.pending = { uuid: ev.uuid, kind, effective_date: ev.effective_date, due: now() + config.eventDelayMs };
    const counts = (data.actions[pi.id] ??= { cancel: 0, reactivate: 0 });
    counts[kind]++;
    return { status: 202, body: { event_uuid: ev.uuid } };
  };

  const list = (po: string | undefined, url: URL): SiblingAnswer => {
    const limit = Number(url.searchParams.get('limit') ?? '20');
    const offset = Number(url.searchParams.get('offset') ?? '0');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100 || !Number.isInteger(offset) || offset < 0) {
      return error(400, 400, 'Validation Errors: limit is 1 to 100 and offset at least 0');
    }
    const account = url.searchParams.get('account_id');
    const status = url.searchParams.get('status');
    const all = data.invoices.filter(
      (p) => (po === undefined || p.purchase_order_id === po) && (account === null || p.account_id === account) && (status === null || p.status.toUpperCase() === status.toUpperCase()),
    );
    const page = all.slice(offset, offset + limit);
    const base = url.pathname;
    const next = offset + limit < all.length ? `${base}?limit=${limit}&offset=${offset + limit}` : '';
    const previous = offset > 0 ? `${base}?limit=${limit}&offset=${Math.max(0, offset - limit)}` : '';
    return { status: 200, body: { purchase_invoices: page.map(po === undefined ? render : renderEntry), pagination: { records: all.length, limit, offset, previous_page: previous, next_page: next } } };
  };

  const BUSINESS: Record<Step, [number, string, string]> = {
    create: [400, 'purchase_order_not_approved', 'Validation Errors: the purchase order is not approved for invoicing'],
    line: [400, 'attachment_rejected', 'Validation Errors: the attachment type is not allowed'],
    process: [400, 'payment_applied', 'the purchase invoice has a payment applied and cannot change status'],
    // 400, not 403: a 403 means the credentials lack a right, which stops a whole run (retry.ts).
    lookup: [400, 'invalid_filter', 'Validation Errors: invalid filter'],
    poll: [404, 'not_found', 'purchase invoice not found'],
    read: [400, 'bad_request', 'Validation Errors: bad request'],
    other: [400, 'bad_request', 'Bad request'],
    // Alma's steps only: Exsited's file goes with its note (`line`).
    attachment: [400, 'bad_request', 'Bad request'],
    erp: [400, 'bad_request', 'Bad request'],
  };

  const handle = await startSibling<ExsitedSandboxConfig, ExsitedSandboxState>(
    {
      name: 'exsited',
      prefix: '',
      route(req) {
        settle();
        const s = req.segs.map((x) => x.replace(/_/g, '-'));
        const m = req.method;
        if (m === 'POST' && s.join('/') === 'api/v1/oauth2/token') return tokenRoute(req);
        if (s[0] !== 'api' || s[1] === undefined) return error(404, 404, `no such resource ${m} ${req.url.pathname}`);
        const [, , res, id, sub, extra] = s;
        const a = auth(req);
        if (res === 'purchase-orders' && id !== undefined && sub === 'purchase-invoices' && extra === undefined) {
          const po = req.segs[3] as string;
          if (m === 'GET') return { step: 'lookup', auth: a, subject: () => ({ invoiceNumber: po }), run: () => (orders.has(po) ? list(po, req.url) : error(404, 404, `purchase order ${po} not found`)) };
          if (m === 'POST') {
            return {
              step: 'create',
              auth: a,
              subject: () => {
                try {
                  const attrs = (JSON.parse(req.body.toString('utf8')) as { purchase_invoice?: { custom_attributes?: { name: string; value: string }[] } }).purchase_invoice?.custom_attributes ?? [];
                  const n = attrs.find((x) => x.name === NUMBER_ATTR)?.value;
                  const v = attrs.find((x) => x.name === VENDOR_ATTR)?.value;
                  return { invoiceNumber: n, invoiceKey: n !== undefined ? `${v ?? ''}|${n}` : undefined };
                } catch {
                  return {};
                }
              },
              run: () => {
                const order = orders.get(po);
                return order === undefined ? error(404, 404, `purchase order ${po} not found`) : create(order, req.body);
              },
            };
          }
        }
        if (res === 'purchase-invoices' && id === undefined && m === 'GET') {
          return { step: 'lookup', auth: a, subject: () => ({}), run: () => list(undefined, req.url) };
        }
        if (res === 'purchase-invoices' && id !== undefined) {
          const piId = req.segs[3] as string;
          const pi = byId(piId);
          const missing = error(404, 404, `purchase invoice ${piId} not found`);
          if (sub === undefined && extra === undefined && m === 'GET') {
            return { step: 'poll', auth: a, subject: about(piId), run: () => (pi ? { status: 200, body: { purchase_invoice: render(pi) } } : missing) };
          }
          if (sub === 'notes' && extra === undefined) {
            if (m === 'GET') {
              // [I] The notes list's shape is not documented; the create form's field names are used.
              return { step: 'read', auth: a, subject: about(piId), run: () => (pi ? { status: 200, body: { purchase_invoice: { notes: pi.notes.map((n) => ({ uuid: n.uuid, note: n.note, files: n.file ? [n.file] : [], created_on: n.created_on })) } } } : missing) };
            }
            if (m === 'POST') return { step: 'line', auth: a, subject: about(piId), run: () => (pi ? addNote(pi, req) : missing) };
          }
          if ((sub === 'cancel' || sub === 'reactivate') && extra === undefined && m === 'POST') {
            return { step: 'process', auth: a, subject: about(piId), run: () => (pi ? act(pi, sub, req.body) : missing) };
          }
        }
        return error(404, 404, `no such resource ${m} ${req.url.pathname}`);
      },
      serverError: () => error(500, 500, 'Internal Server Error'),
      throttled: () => error(429, 429, 'Too Many Requests'),
      business: (step) => {
        const [status, code, message] = BUSINESS[step];
        return error(status, code, message);
      },
      notFound: (method, path) => error(404, 404, `no such resource ${method} ${path}`),
      configure: (current, patch) => (config = patchConfig(EXSITED_SANDBOX_DEFAULTS, current, patch, { tokenTtlSeconds: 1 })),
      state(cfg, extra) {
        settle();
        return {
          invoices: data.invoices.map(({ pending, ...pi }) => ({
            ...structuredClone(pi),
            vendor: vendorOf(pi) ?? '',
            number: numberOf(pi) ?? '',
            ...(pending !== undefined ? { pending_event: pending.kind } : {}),
          })),
          counters: {
            created: structuredClone(data.created),
            notePosts: { ...data.notePosts },
            actions: structuredClone(data.actions),
            tokensIssued,
            unauthorized,
            revokedTokenUse,
            ...extra,
          },
          config: { ...cfg },
        } satisfies ExsitedSandboxState;
      },
      snapshot: () => data,
      restore: (saved) => {
        data = { ...emptyData(), ...(saved as Partial<Data>) };
      },
      reset: () => {
        data = emptyData();
        tokensIssued = 0;
        unauthorized = 0;
        revokedTokenUse = 0;
      },
    },
    config,
    opts,
  );
  return handle;
}

function emptyData(): Data {
  return { invoices: [], seq: {}, created: {}, notePosts: {}, actions: {} };
}

/**
 * An Alguna-compatible sandbox (one-off invoices,
 * https://docs.alguna.io/api-reference/invoices/create):
 *
 * - `POST /invoices` with the legacy camelCase body (`accountId`, `billingPeriodStart`/`End`
 *   RFC 3339, `description`, `lineItems[] {description, quantity, unitPrice, productId?}` as
 *   decimal strings, `issueDate`, `autoIssue`), or v2's snake_case one (`customer_id`,
 *   `currency`, `billing_period_*`, `issue_date`, `line_items[] {description, quantity,
 *   unit_price, product_id?}`, `status`), checked strictly; answers the invoice with its
 *   computed `subtotal`, `tax`, `total` as decimal strings and `status` `issued` or `draft`, in
 *   the generation it was asked in (a v2 body: v2's snake_case, `v2Invoice`).
 * - Idempotency exactly as documented (https://alguna.com/docs/api-reference/v2/idempotency): an
 *   `Idempotency-Key` binds to the request's body for `idempotencyTtlHours` (24); the same key and
 *   body again → the stored answer with `Idempotent-Replayed: true`; the same key with another body
 *   → 422; while the first request is still being processed (`createDelayMs`) → 409. Every answer
 *   echoes the key. A 5xx or 429 that was not applied carries `Transient-Error: true` and releases
 *   the key; an injected `error_after` (applied, then 500) keeps it bound, so a retry replays the
 *   invoice.
 * - `GET /invoices?page&limit[&accountId]` → `{"items": […]}` (legacy list, limit 5/10/25/50/100);
 *   with v2's `offset` (and `customer_id`), `{"data": […], "pagination": {per_page, total_pages}}`
 *   (https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/list-invoices); a page holds at
 *   most `listPageCap` whatever `limit` asks, when set (a server with its own page size [I]), its
 *   entries in snake_case. And `GET /invoices/{id}`: v2's snake_case when asked with the
 *   `Alguna-Version` header, else the legacy camelCase.
 * - `Authorization: Bearer <key>` (401 `{"status":401,"detail":…}`); errors `{"status","detail"}`
 *   (https://alguna.com/docs/api-reference/v2/overview).
 * Accounts (currency, tax rate, payment terms) and products come from the seed.
 */
import { createHash } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { defaultSeedPath, initialConfig, patchConfig, readSeed, SIBLING_DEFAULTS, startSibling, type SiblingAnswer, type SiblingConfig, type SiblingCounters, type SiblingHandle, type SiblingOptions, type SiblingRequest } from './sibling.js';
import type { Step } from './types.js';

export interface AlgunaSeed {
  accounts: { id: string; name: string; currency: string; taxRate?: string; paymentTermsDays?: number }[];
  products: { id: string; name: string }[];
}

export interface AlgunaSandboxConfig extends SiblingConfig {
  /**
   * How long a create takes, during which the same key gets 409
   * (https://alguna.com/docs/api-reference/v2/idempotency).
   */
  createDelayMs: number;
  /**
   * How long an idempotency key stays bound ("24 h",
   * https://alguna.com/docs/api-reference/v2/idempotency).
   */
  idempotencyTtlHours: number;
  /** The most invoices a list page holds, whatever `limit` asks; 0: as many as asked. [I] */
  listPageCap: number;
}

export const ALGUNA_SANDBOX_DEFAULTS: AlgunaSandboxConfig = { ...SIBLING_DEFAULTS, createDelayMs: 0, idempotencyTtlHours: 24, listPageCap: 0 };

export interface AlgunaSandboxOptions extends SiblingOptions<AlgunaSeed>, Partial<AlgunaSandboxConfig> {
  /** Accepted API keys; unset: any non-empty key. */
  apiKeys?: string[] | undefined;
}

export const DEFAULT_ALGUNA_SEED_PATH = defaultSeedPath('alguna');

interface LineItem {
  id: string;
  description: string;
  quantity: string;
  unitPrice: string;
  totalPrice: string;
  productId?: string | undefined;
}

interface AlgunaInvoice {
  id: string;
  accountId: string;
  status: string;
  dueDate: string;
  issueDate: string;
  autoIssue: boolean;
  billingPeriodStart: string;
  billingPeriodEnd: string;
  billingPeriod: string;
  currency: string;
  description: string;
  lineItems: LineItem[];
  subtotal: string;
  tax: string;
  total: string;
  amountPaid: string;
  amountRemaining: string;
  externalId: string;
  externalProvider: string;
  externalUrl: string;
  purchaseOrderNumber: string;
  createdAt: string;
  updatedAt: string;
}

interface KeyRec {
  fingerprint: string;
  at: number;
  answer?: { status: number; body: unknown } | undefined;
}

interface Data {
  invoices: AlgunaInvoice[];
  seq: number;
  keys: Record<string, KeyRec>;
  /** Creates applied, per account, per description identity (`Invoice <no> from <vendor>`). */
  created: Record<string, Record<string, number>>;
}

export interface AlgunaSandboxState {
  invoices: (AlgunaInvoice & { vendor: string; number: string })[];
  counters: {
    /** Invoices created, per vendor, per number (read from the description the loader writes). */
    created: Record<string, Record<string, number>>;
    /** Answers replayed for a known key and body. */
    replays: number;
    /** 422 for a key reused with another body, 409 for a key in flight. */
    keyMismatches: number;
    keyInFlight: number;
    /** Creates sent without an Idempotency-Key. */
    withoutKey: number;
    /** Requests without the Alguna-Version header. */
    withoutVersion: number;
    unauthorized: number;
  } & SiblingCounters;
  config: AlgunaSandboxConfig;
}

export type AlgunaSandbox = SiblingHandle<AlgunaSandboxState>;

const problem = (status: number, detail: string, headers?: Record<string, string>): SiblingAnswer => ({ status, body: { status, detail }, headers });
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const LIMITS = new Set([5, 10, 25, 50, 100]);
const money2 = (d: Decimal): string => d.toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN).toFixed(2);

/** The vendor and number of a description the loader wrote (`Invoice <number> from <vendor>[ — note]`). */
export function identityOfDescription(d: string): { vendor: string; number: string } | undefined {
  const m = /^Invoice (.+?) from (.+?)(?: — [\s\S]*)?$/.exec(d);
  return m === null ? undefined : { number: m[1] as string, vendor: m[2] as string };
}

export async function startAlgunaSandbox(opts: AlgunaSandboxOptions = {}): Promise<AlgunaSandbox> {
  const now = opts.now ?? Date.now;
  const seed = readSeed<AlgunaSeed>(opts.seed, DEFAULT_ALGUNA_SEED_PATH);
  const accounts = new Map(seed.accounts.map((a) => [a.id, a]));
  const products = new Set(seed.products.map((p) => p.id));
  const apiKeys = opts.apiKeys === undefined ? undefined : new Set(opts.apiKeys);
  let config: AlgunaSandboxConfig = initialConfig(ALGUNA_SANDBOX_DEFAULTS, opts);
  let data: Data = emptyData();
  /** Keys whose first request is being processed now (never persisted). */
  const inFlight = new Set<string>();
  let counters = { replays: 0, keyMismatches: 0, keyInFlight: 0, withoutKey: 0, withoutVersion: 0, unauthorized: 0 };

  const auth = (req: SiblingRequest) => (): SiblingAnswer | undefined => {
    if (req.headers['alguna-version'] === undefined) counters.withoutVersion++;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const key = m?.[1];
    if (key !== undefined && (apiKeys === undefined || apiKeys.has(key))) return undefined;
    counters.unauthorized++;
    return problem(401, 'Unauthorized');
  };

  /**
   * v2's create body (https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/create-an-invoice:
   * `customer_id`, `currency`, `billing_period_start`/`_end`, `description`, `issue_date`,
   * `line_items`, `purchase_order_number`, `status` draft | issued; a line item's request names are
   * [I], those of its answers) in the legacy names, checked by the same rules; `currency` and
   * `customer_id` are required (the page lists them first, as required), and a `currency` other
   * than the account's is refused [I]. Undefined: not a v2 body.
   */
  const fromV2 = (o: Record<string, unknown>): string | Record<string, unknown> | undefined => {
    if (!('customer_id' in o) && !('line_items' in o)) return undefined;
    const allowed = ['customer_id', 'currency', 'billing_period_start', 'billing_period_end', 'description', 'issue_date', 'line_items', 'purchase_order_number', 'status'];
    const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
    if (unknown.length > 0) return `Validation failed: unknown field ${unknown.join(', ')}`;
    // The page lists its required fields first: currency, customer_id.
    if (typeof o['currency'] !== 'string' || o['currency'] === '') return 'Validation failed: currency is required';
    if (typeof o['customer_id'] !== 'string' || o['customer_id'] === '') return 'Validation failed: customer_id is required';
    const account = accounts.get(o['customer_id']);
    if (o['currency'] !== undefined && account !== undefined && o['currency'] !== account.currency) return `Validation failed: currency ${String(o['currency'])} is not the customer's (${account.currency})`;
    if (o['status'] !== undefined && o['status'] !== 'draft' && o['status'] !== 'issued') return 'Validation failed: status must be draft or issued';
    const raw = o['line_items'] ?? [];
    if (!Array.isArray(raw)) return 'Validation failed: line_items must be a list';
    const lineItems: unknown[] = [];
    for (const [i, li] of raw.entries()) {
      if (typeof li !== 'object' || li === null) return `Validation failed: line_items[${i}] must be an object`;
      const l = li as Record<string, unknown>;
      const extra = Object.keys(l).filter((k) => !['description', 'quantity', 'unit_price', 'product_id'].includes(k));
      if (extra.length > 0) return `Validation failed: line_items[${i}] has unknown field ${extra.join(', ')}`;
      lineItems.push({ description: l['description'], quantity: l['quantity'], unitPrice: l['unit_price'], ...(l['product_id'] !== undefined ? { productId: l['product_id'] } : {}) });
    }
    return {
      accountId: o['customer_id'],
      billingPeriodStart: o['billing_period_start'],
      billingPeriodEnd: o['billing_period_end'],
      ...(o['description'] !== undefined ? { description: o['description'] } : {}),
      lineItems,
      ...(o['issue_date'] !== undefined ? { issueDate: o['issue_date'] } : {}),
      autoIssue: o['status'] === 'issued',
    };
  };

  const validate = (b: unknown): string | AlgunaInvoice => {
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return 'Validation failed: the body must be a JSON object';
    const v2 = fromV2(b as Record<string, unknown>);
    if (typeof v2 === 'string') return v2;
    const o = v2 ?? (b as Record<string, unknown>);
    const allowed = ['accountId', 'billingPeriodStart', 'billingPeriodEnd', 'description', 'lineItems', 'issueDate', 'autoIssue'];
    const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
    if (unknown.length > 0) return `Validation failed: unknown field ${unknown.join(', ')}`;
    for (const k of ['accountId', 'billingPeriodStart', 'billingPeriodEnd']) if (typeof o[k] !== 'string' || o[k] === '') return `Validation failed: ${k} is required`;
    for (const k of ['billingPeriodStart', 'billingPeriodEnd', 'issueDate']) {
      if (o[k] !== undefined && (typeof o[k] !== 'string' || !RFC3339.test(o[k]) || Number.isNaN(Date.parse(o[k])))) return `Validation failed: ${k} must be an RFC 3339 timestamp`;
    }
    if (Date.parse(o['billingPeriodEnd'] as string) < Date.parse(o['billingPeriodStart'] as string)) return 'Validation failed: billingPeriodEnd is before billingPeriodStart';
    if (o['description'] !== undefined && typeof o['description'] !== 'string') return 'Validation failed: description must be a string';
    if (o['autoIssue'] !== undefined && typeof o['autoIssue'] !== 'boolean') return 'Validation failed: autoIssue must be true or false';
    const account = accounts.get(o['accountId'] as string);
    if (account === undefined) return `account ${String(o['accountId'])} not found`;
    const raw = o['lineItems'] ?? [];
    if (!Array.isArray(raw)) return 'Validation failed: lineItems must be a list';
    const items: LineItem[] = [];
    let subtotal = new Decimal(0);
    for (const [i, li] of raw.entries()) {
      if (typeof li !== 'object' || li === null) return `Validation failed: lineItems[${i}] must be an object`;
      const l = li as Record<string, unknown>;
      const extra = Object.keys(l).filter((k) => !['description', 'quantity', 'unitPrice', 'productId'].includes(k));
      if (extra.length > 0) return `Validation failed: lineItems[${i}] has unknown field ${extra.join(', ')}`;
      if (typeof l['description'] !== 'string' || l['description'] === '') return `Validation failed: lineItems[${i}].description is required`;
      // Money and quantities are decimal STRINGS
      // (https://docs.alguna.io/api-reference/invoices/create): a JSON number is refused, as a
      // strict server would.
      for (const k of ['quantity', 'unitPrice']) if (typeof l[k] !== 'string' || !DECIMAL.test(l[k])) return `Validation failed: lineItems[${i}].${k} must be a decimal string`;
      if (l['productId'] !== undefined && (typeof l['productId'] !== 'string' || !products.has(l['productId']))) return `Validation failed: lineItems[${i}].productId ${String(l['productId'])} not found`;
      const total = new Decimal(l['quantity'] as string).times(l['unitPrice'] as string);
      subtotal = subtotal.plus(total);
      items.push({
        id: '',
        description: l['description'],
        quantity: l['quantity'] as string,
        unitPrice: l['unitPrice'] as string,
        totalPrice: money2(total),
        ...(l['productId'] !== undefined ? { productId: l['productId'] as string } : {}),
      });
    }
    const tax = subtotal.times(account.taxRate ?? '0').div(100);
    const t = new Date(now()).toISOString();
    const issueDate = (o['issueDate'] as string | undefined) ?? t;
    const due = new Date(Date.parse(issueDate) + (account.paymentTermsDays ?? 30) * 86_400_000).toISOString();
    const start = o['billingPeriodStart'] as string;
    const end = o['billingPeriodEnd'] as string;
    return {
      id: '',
      accountId: account.id,
      status: o['autoIssue'] === true ? 'issued' : 'draft',
      dueDate: due,
      issueDate,
      autoIssue: o['autoIssue'] === true,
      billingPeriodStart: start,
      billingPeriodEnd: end,
      billingPeriod: `${start.slice(0, 10)} – ${end.slice(0, 10)}`,
      currency: account.currency,
      description: (o['description'] as string | undefined) ?? '',
      lineItems: items,
      subtotal: money2(subtotal),
      tax: money2(tax),
      total: money2(subtotal.plus(tax)),
      amountPaid: '0.00',
      amountRemaining: money2(subtotal.plus(tax)),
      externalId: '',
      externalProvider: '',
      externalUrl: '',
      purchaseOrderNumber: '',
      createdAt: t,
      updatedAt: t,
    };
  };

  const apply = (req: SiblingRequest): SiblingAnswer => {
    let b: unknown;
    try {
      b = JSON.parse(req.body.toString('utf8'));
    } catch {
      return problem(400, 'the body is not valid JSON');
    }
    const v = validate(b);
    if (typeof v === 'string') return problem(/not found$/.test(v) && !v.startsWith('Validation') ? 404 : 422, v);
    const asV2 = isV2Body(b);
    data.seq++;
    v.id = `inv_${String(data.seq).padStart(8, '0')}`;
    v.lineItems.forEach((l, i) => (l.id = `li_${String(data.seq).padStart(8, '0')}_${i + 1}`));
    data.invoices.push(v);
    const who = identityOfDescription(v.description);
    const vendor = who?.vendor ?? '';
    const number = who?.number ?? v.description;
    data.created[vendor] ??= {};
    data.created[vendor][number] = (data.created[vendor][number] ?? 0) + 1;
    // [I] 201 for a create; the legacy page only lists the response fields. Answered in the
    // generation it was asked in: a v2 body gets v2's snake_case invoice.
    return { status: 201, body: asV2 ? v2Invoice(v) : v };
  };

  const create = async (req: SiblingRequest): Promise<SiblingAnswer> => {
    const raw = req.headers['idempotency-key'];
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (key === undefined || key === '') {
      counters.withoutKey++;
      return apply(req);
    }
    if (key.length > 255) return problem(400, 'Idempotency-Key is longer than 255 characters');
    const echo = { 'Idempotency-Key': key };
    const fingerprint = createHash('sha256').update(req.body).digest('hex');
    const known = data.keys[key];
    const live = known !== undefined && now() - known.at < config.idempotencyTtlHours * 3_600_000;
    if (inFlight.has(key)) {
      counters.keyInFlight++;
      return problem(409, 'A request with this Idempotency-Key is currently being processed', echo);
    }
    if (live && known.answer !== undefined) {
      if (known.fingerprint !== fingerprint) {
        counters.keyMismatches++;
        return problem(422, 'Idempotency-Key already used with different parameters', echo);
      }
      counters.replays++;
      return { status: known.answer.status, body: known.answer.body, headers: { ...echo, 'Idempotent-Replayed': 'true' } };
    }
    inFlight.add(key);
    try {
      if (config.createDelayMs > 0) await new Promise((r) => setTimeout(r, config.createDelayMs));
      const answer = apply(req);
      // 2xx and 4xx answers are bound to the key; a 5xx would release it (Transient-Error).
      if (answer.status < 500) data.keys[key] = { fingerprint, at: now(), answer: { status: answer.status, body: answer.body } };
      return { ...answer, headers: { ...answer.headers, ...echo } };
    } finally {
      inFlight.delete(key);
    }
  };

  const subjectOfBody = (req: SiblingRequest) => () => {
    try {
      const b = JSON.parse(req.body.toString('utf8')) as { description?: string; accountId?: string; customer_id?: string };
      const who = identityOfDescription(b.description ?? '');
      // The account as either generation names it (legacy `accountId`, v2 `customer_id`).
      return who === undefined ? {} : { invoiceNumber: who.number, invoiceKey: `${b.accountId ?? b.customer_id ?? ''}|${who.vendor}|${who.number}` };
    } catch {
      return {};
    }
  };

  const BUSINESS: Record<Step, [number, string]> = {
    create: [422, 'Validation failed: the account is not billable'],
    line: [422, 'Validation failed'],
    process: [422, 'Validation failed'],
    lookup: [400, 'Invalid filter'],
    poll: [404, 'invoice not found'],
    read: [404, 'not found'],
    other: [400, 'bad request'],
    // Alma's steps only: Alguna has no attachment or ERP request.
    attachment: [400, 'bad request'],
    erp: [400, 'bad request'],
  };

  return startSibling<AlgunaSandboxConfig, AlgunaSandboxState>(
    {
      name: 'alguna',
      prefix: '',
      route(req) {
        const m = req.method;
        const [res, id, extra] = req.segs;
        const a = auth(req);
        if (res === 'invoices' && extra === undefined) {
          if (id === undefined && m === 'POST') return { step: 'create', auth: a, subject: subjectOfBody(req), run: () => create(req) };
          if (id === undefined && m === 'GET') {
            const account = req.url.searchParams.get('accountId') ?? req.url.searchParams.get('customer_id') ?? undefined;
            return {
              step: 'lookup',
              auth: a,
              subject: () => ({ invoiceNumber: account }),
              run: () => {
                const page = Number(req.url.searchParams.get('page') ?? '1');
                const limit = Number(req.url.searchParams.get('limit') ?? '25');
                const offset = req.url.searchParams.get('offset');
                if (!Number.isInteger(page) || page < 1) return problem(400, 'page must be 1 or more');
                if (!LIMITS.has(limit)) return problem(400, 'limit must be one of 5, 10, 25, 50, 100');
                const all = data.invoices.filter((i) => account === undefined || i.accountId === account);
                const size = config.listPageCap > 0 ? Math.min(limit, config.listPageCap) : limit;
                if (offset === null) return { status: 200, body: { items: all.slice((page - 1) * size, page * size) } };
                const from = Number(offset);
                if (!Number.isInteger(from) || from < 0) return problem(400, 'offset must be 0 or more');
                return { status: 200, body: { data: all.slice(from, from + size).map(v2Invoice), pagination: { per_page: size, total_pages: Math.ceil(all.length / size) } } };
              },
            };
          }
          if (id !== undefined && m === 'GET') {
            const inv = data.invoices.find((i) => i.id === id);
            const who = inv === undefined ? undefined : identityOfDescription(inv.description);
            return {
              step: 'poll',
              auth: a,
              subject: () => (inv === undefined ? {} : { invoiceNumber: who?.number, invoiceKey: inv.id }),
              // v2 when asked with its `Alguna-Version` header (V2: required on every v2 request), else legacy.
              run: () => (inv === undefined ? problem(404, `invoice ${id} not found`) : { status: 200, body: req.headers['alguna-version'] !== undefined ? v2Invoice(inv) : inv }),
            };
          }
        }
        return problem(404, `no such resource ${m} ${req.url.pathname}`);
      },
      // Not applied: the key is released and the client may retry with it (`Transient-Error`,
      // https://alguna.com/docs/api-reference/v2/idempotency).
      serverError: (applied) => problem(500, 'Internal server error', applied ? undefined : { 'Transient-Error': 'true' }),
      throttled: () => problem(429, 'Too many requests', { 'Transient-Error': 'true' }),
      business: (step) => problem(...BUSINESS[step]),
      notFound: (method, path) => problem(404, `no such resource ${method} ${path}`),
      configure: (current, patch) => (config = patchConfig(ALGUNA_SANDBOX_DEFAULTS, current, patch)),
      state: (cfg, extra) =>
        ({
          invoices: data.invoices.map((i) => {
            const who = identityOfDescription(i.description);
            return { ...structuredClone(i), vendor: who?.vendor ?? '', number: who?.number ?? '' };
          }),
          counters: {
            created: structuredClone(data.created),
            ...counters,
            ...extra,
          },
          config: { ...cfg },
        }) satisfies AlgunaSandboxState,
      snapshot: () => data,
      restore: (saved) => {
        data = { ...emptyData(), ...(saved as Partial<Data>) };
      },
      reset: () => {
        data = emptyData();
        inFlight.clear();
        counters = { replays: 0, keyMismatches: 0, keyInFlight: 0, withoutKey: 0, withoutVersion: 0, unauthorized: 0 };
      },
    },
    config,
    opts,
  );
}

/** Whether a create body is v2's (`customer_id` or `line_items`, as `fromV2` reads it). */
function isV2Body(b: unknown): boolean {
  return typeof b === 'object' && b !== null && !Array.isArray(b) && ('customer_id' in b || 'line_items' in b);
}

/**
 * An invoice as v2 answers it, in snake_case: `amount_paid`, `amount_remaining`, `billing_period`,
 * `created_at`, `currency`, `customer_id`, `description`, `id`, `line_items[]`, `status`,
 * `subtotal`, `tax`, `total`, `updated_at`, and `billing_period_start`/`_end`, `due_date`,
 * `external_*`, `issue_date`, `purchase_order_number`
 * (https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/create-an-invoice); a line item
 * `{id, description, quantity, unit_price, total_price, product_id}`
 * (https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/update-an-invoice-line-item).
 * The legacy answer is the stored invoice itself, in camelCase.
 */
function v2Invoice(i: AlgunaInvoice): Record<string, unknown> {
  return {
    id: i.id,
    customer_id: i.accountId,
    status: i.status,
    currency: i.currency,
    description: i.description,
    billing_period: i.billingPeriod,
    billing_period_start: i.billingPeriodStart,
    billing_period_end: i.billingPeriodEnd,
    issue_date: i.issueDate,
    due_date: i.dueDate,
    line_items: i.lineItems.map((l) => ({
      id: l.id,
      description: l.description,
      quantity: l.quantity,
      unit_price: l.unitPrice,
      total_price: l.totalPrice,
      ...(l.productId !== undefined ? { product_id: l.productId } : {}),
    })),
    subtotal: i.subtotal,
    tax: i.tax,
    total: i.total,
    amount_paid: i.amountPaid,
    amount_remaining: i.amountRemaining,
    external_id: i.externalId,
    external_provider: i.externalProvider,
    external_url: i.externalUrl,
    purchase_order_number: i.purchaseOrderNumber,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
  };
}

function emptyData(): Data {
  return { invoices: [], seq: 0, keys: {}, created: {} };
}

/**
 * A FOLIO-compatible sandbox (mod-invoice through a gateway; docs/folio.md), a sibling of the
 * Alma one on the shared skeleton (../sibling.ts: faults, per-second threshold, latency, state
 * file, `/_sandbox/` admin API):
 *
 * - `POST /authn/login-with-expiry` → 201, `Set-Cookie: folioAccessToken=…; Max-Age=…` and
 *   `folioRefreshToken=…; Path=/authn`, body `{accessTokenExpiration, refreshTokenExpiration}`;
 *   `POST /authn/refresh` with the refresh cookie (each refresh token works once). Every other
 *   call needs `X-Okapi-Tenant` (the seed's tenant) and a live `X-Okapi-Token`, else a
 *   text/plain 400 or 401, as the gateway answers.
 * - `GET /organizations/organizations`, `/finance/funds`, `/orders/order-lines`, `/batch-groups`,
 *   `/invoice/invoices`, `/invoice/invoice-lines` with `query` (a CQL subset: cql.ts, `sortBy`
 *   sorting), `offset`, `limit` (default 10) → `{<collection>: […], totalRecords}`.
 * - `POST /invoice/invoices` and `/invoice/invoice-lines`: strict schemas (unknown fields 422),
 *   client-supplied ids kept (unless `serverIds`), a second record with the same id refused (422), 201 with the
 *   record and `Location`; `folioInvoiceNo` and `invoiceLineNumber` sequences; invoice totals
 *   recalculated on every line (and `_version` bumped: [I] FOLIO's invoice has no `_version`,
 *   docs/folio.md "Approval"; the sandbox keeps one only to answer a 409 the loader must retry).
 * - `PUT /invoice/invoices/{id}` → 204; `_version` checked (409 on a stale one); Open → Approved
 *   runs mod-invoice's approval checks in its order: lock total, lines present, fund
 *   distributions present and totalling 100 % or the line's amount, an active vendor. With
 *   `approvalMs`, the invoice reads Open for that long after an approval was accepted, as
 *   mod-invoice stores the new status only once its finance work (pending payments, the voucher)
 *   is done; another approval meanwhile is a second one (counted as a double approval).
 * - Lines cannot be added to an approved invoice (500 `prohibitedInvoiceLineCreation`, sic).
 * - `POST /invoice/invoices/{id}/documents` with `{documentMetadata: {id?, name, invoiceId},
 *   contents: {data}}` as `application/octet-stream` (acq-models `document.json`; strict, the id
 *   kept as for invoices; a body of 7 MB or more 413 `documentIsTooLarge`) → 201 with
 *   the document; `GET …/documents` (`query`, `offset`, `limit`, as the collections) → `{documents: [metadata…], totalRecords}`; `GET
 *   …/documents/{documentId}` → the document with its contents. [I] The refusal's codes.
 * - With `acqRestricted`, those invoices' approval is refused 403 `userHasNoPermission`: the
 *   acquisitions units' refusal of one record (mod-invoice `ProtectionHelper`).
 * - With `halfDoneLines`, those invoices' first line naming a PO line is stored without its
 *   `poLineId` and answered 500: a line half done.
 * Errors are `{"errors":[{"message","code","parameters"}],"total_records"}`.
 * Where the public record is silent the code is marked [I]: the duplicate-id code and message,
 * the inactive-vendor code, the no-lines code, the login refusal's code.
 */
import { randomBytes } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { minorUnits } from '../../domain/currencies.js';
import { defaultSeedPath, initialConfig, patchConfig, readSeed, SIBLING_DEFAULTS, startSibling, type SiblingAnswer, type SiblingConfig, type SiblingCounters, type SiblingHandle, type SiblingOptions, type SiblingRequest, type SiblingRoute } from '../sibling.js';
import type { Step } from '../types.js';
import { CqlError, matches, parseCql, sortRecords } from './cql.js';

export interface FolioSeed {
  tenant: string;
  /** Accepted logins; absent: any non-empty username and password. */
  users?: { username: string; password: string }[] | undefined;
  organizations: { id: string; code: string; name: string; status: string; isVendor: boolean; paymentMethod?: string }[];
  funds: { id: string; code: string; name: string; fundStatus: string }[];
  poLines: { id: string; poLineNumber: string; titleOrPackage?: string; paymentStatus?: string }[];
  batchGroups: { id: string; name: string }[];
}

export interface FolioSandboxConfig extends SiblingConfig {
  /** Life of an access token (mod-login's example: Max-Age=600). */
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
  /**
   * How long (by the sandbox's clock) an accepted approval's finance work takes: the invoice
   * reads Open until then. 0: at once.
   */
  approvalMs: number;
}

export const FOLIO_SANDBOX_DEFAULTS: FolioSandboxConfig = { ...SIBLING_DEFAULTS, accessTokenSeconds: 600, refreshTokenSeconds: 604_800, approvalMs: 0 };

export type FolioSandboxOptions = SiblingOptions<FolioSeed> &
  Partial<FolioSandboxConfig> & {
    /**
     * Make invoices and lines under ids of its own, whatever id a create carries: what the RAML
     * allows ("server-controlled fields like 'id'"), and what the loader must notice.
     */
    serverIds?: boolean | undefined;
    /**
     * Invoices (by `vendorInvoiceNo`) in an acquisitions unit that protects updates and that the
     * user is not a member of: their approval (any PUT) is refused 403 `userHasNoPermission`, as
     * mod-invoice's ProtectionHelper refuses it; reads and every other invoice are not affected.
     * [I] The sandbox gives the unit no other effect (lines, searches).
     */
    acqRestricted?: readonly string[] | undefined;
    /**
     * Invoices (by `vendorInvoiceNo`) whose first line naming a PO line mod-invoice half does: it
     * stores the line without its PO line link, then fails the request with a 500 (once per
     * invoice). [I] A model of a request that fails after its first write; mod-invoice documents
     * no such order.
     */
    halfDoneLines?: readonly string[] | undefined;
  };

export const DEFAULT_FOLIO_SEED_PATH = defaultSeedPath('folio');

type Rec = Record<string, unknown>;

interface Data {
  invoices: Rec[];
  lines: Rec[];
  seq: number;
  /** Records stored per vendor id, per vendorInvoiceNo (a duplicate shows as 2). */
  created: Record<string, Record<string, number>>;
  /** Line POSTs stored per invoice id, per line id. */
  linesPosted: Record<string, Record<string, number>>;
  /** Open → Approved transitions per invoice id (a second one while the first is at work counts too). */
  approvals: Record<string, number>;
  /** Approvals at work: invoice id → when its status becomes Approved (sandbox clock, ms). */
  approving: Record<string, number>;
  /** Invoice documents: the metadata (`id`, `name`, `invoiceId`) and the base64 `data`. */
  documents: Rec[];
}

export interface FolioSandboxState {
  invoices: (Rec & { vendorCode: string })[];
  lines: Rec[];
  /** Documents attached: their metadata and size in bytes. */
  documents: { id: string; name: string; invoiceId: string; size: number }[];
  counters: {
    /** Invoices stored, per vendor code, per vendor invoice number. */
    created: Record<string, Record<string, number>>;
    linesPosted: Record<string, Record<string, number>>;
    approvals: Record<string, number>;
    /** PUTs asking for Approved on an invoice that already was, or whose approval was still at work: a double approval. */
    reapprovals: number;
    duplicateIds: number;
    conflicts: number;
    logins: number;
    refreshes: number;
    unauthorized: number;
  } & SiblingCounters;
  config: FolioSandboxConfig;
}

export type FolioSandbox = SiblingHandle<FolioSandboxState>;

const errors = (status: number, message: string, code: string, parameters: { key: string; value: string }[] = [], headers?: Record<string, string>): SiblingAnswer => ({
  status,
  body: { errors: [{ message, type: '-1', code, parameters }], total_records: 1 },
  headers,
});
const text = (status: number, body: string): SiblingAnswer => ({ status, body });

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The writable fields of acq-models `invoice.json`, plus `_version`: [I] not in `invoice.json`
 * (RMB's optimistic locking needs it in the schema, docs/folio.md "Approval"); the sandbox's own,
 * to answer a stale approval 409.
 */
const INVOICE_FIELDS: Record<string, 'string' | 'number' | 'boolean' | 'uuid' | 'date' | 'array' | 'object' | 'integer'> = {
  id: 'uuid', accountingCode: 'string', adjustments: 'array', adjustmentsTotal: 'number', approvedBy: 'uuid', approvalDate: 'date',
  batchGroupId: 'uuid', billTo: 'uuid', chkSubscriptionOverlap: 'boolean', cancellationNote: 'string', currency: 'string',
  enclosureNeeded: 'boolean', exchangeRate: 'number', operationMode: 'string', exportToAccounting: 'boolean', folioInvoiceNo: 'string',
  invoiceDate: 'date', lockTotal: 'number', note: 'string', paymentDue: 'date', paymentDate: 'date', paymentTerms: 'string',
  paymentMethod: 'string', status: 'string', source: 'string', subTotal: 'number', total: 'number', vendorInvoiceNo: 'string',
  disbursementNumber: 'string', voucherNumber: 'string', paymentId: 'uuid', disbursementDate: 'date', poNumbers: 'array',
  vendorId: 'uuid', fiscalYearId: 'uuid', accountNo: 'string', manualPayment: 'boolean', acqUnitIds: 'array',
  nextInvoiceLineNumber: 'integer', metadata: 'object', tags: 'object', _version: 'integer',
};
const INVOICE_REQUIRED = ['batchGroupId', 'currency', 'invoiceDate', 'paymentMethod', 'status', 'source', 'vendorInvoiceNo', 'vendorId'];
const LINE_FIELDS: Record<string, 'string' | 'number' | 'boolean' | 'uuid' | 'date' | 'array' | 'object' | 'integer'> = {
  id: 'uuid', accountingCode: 'string', accountNumber: 'string', adjustments: 'array', adjustmentsTotal: 'number', comment: 'string',
  description: 'string', fundDistributions: 'array', invoiceId: 'uuid', invoiceLineNumber: 'string', invoiceLineStatus: 'string',
  poLineId: 'uuid', productId: 'string', productIdType: 'string', quantity: 'integer', releaseEncumbrance: 'boolean',
  subscriptionInfo: 'string', subscriptionStart: 'date', subscriptionEnd: 'date', subTotal: 'number', total: 'number',
  vendorRefNo: 'string', metadata: 'object', tags: 'object', _version: 'integer',
};
const LINE_REQUIRED = ['description', 'invoiceId', 'invoiceLineStatus', 'subTotal', 'quantity', 'releaseEncumbrance'];
const ADJUSTMENT_FIELDS = new Set(['id', 'adjustmentId', 'description', 'exportToAccounting', 'fundDistributions', 'prorate', 'relationToTotal', 'type', 'value', 'totalAmount']);
const FUND_FIELDS = new Set(['code', 'encumbrance', 'fundId', 'invoiceLineId', 'distributionType', 'expenseClassId', 'value']);

/** RMB's per-field 422 for a body that does not fit the schema. */
function schemaErrors(body: Rec, fields: typeof INVOICE_FIELDS, required: string[]): SiblingAnswer | undefined {
  for (const k of Object.keys(body)) {
    const kind = fields[k];
    if (kind === undefined) return errors(422, `Unrecognized field "${k}"`, 'jakarta.validation.constraints.Null.message', [{ key: k, value: String(body[k]) }]);
    const v = body[k];
    const ok =
      kind === 'string' ? typeof v === 'string'
      : kind === 'number' ? typeof v === 'number'
      : kind === 'integer' ? typeof v === 'number' && Number.isInteger(v)
      : kind === 'boolean' ? typeof v === 'boolean'
      : kind === 'uuid' ? typeof v === 'string' && UUID.test(v)
      : kind === 'date' ? typeof v === 'string' && DATE_TIME.test(v)
      : kind === 'array' ? Array.isArray(v)
      : typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!ok) return errors(422, `must match the ${kind} format`, 'jakarta.validation.constraints.Pattern.message', [{ key: k, value: JSON.stringify(v) ?? '' }]);
  }
  for (const k of required) if (body[k] === undefined) return errors(422, 'must not be null', 'jakarta.validation.constraints.NotNull.message', [{ key: k, value: 'null' }]);
  return undefined;
}

const dec = (v: unknown): Decimal => new Decimal(typeof v === 'number' || typeof v === 'string' ? v : 0);
/**
 * An amount rounded to its currency's decimals (2 when the currency is not known), half to even:
 * mod-invoice computes a line's total and an invoice's totals as money in the invoice's currency
 * and rounds them to it (`HelperUtils.calculateInvoiceLineTotals`, `convertToDoubleWithRounding`,
 * folio-org/mod-invoice; docs/folio.md "Money").
 */
const inCurrency = (d: Decimal, currency: unknown): number => {
  const places = (typeof currency === 'string' ? minorUnits(currency) : undefined) ?? 2;
  return Number(d.toDecimalPlaces(places, Decimal.ROUND_HALF_EVEN).toFixed(places));
};

export async function startFolioSandbox(opts: FolioSandboxOptions = {}): Promise<FolioSandbox> {
  const now = opts.now ?? Date.now;
  const seed = readSeed<FolioSeed>(opts.seed, DEFAULT_FOLIO_SEED_PATH);
  const orgById = new Map(seed.organizations.map((o) => [o.id, o]));
  const fundById = new Map(seed.funds.map((f) => [f.id, f]));
  const poLineById = new Map(seed.poLines.map((p) => [p.id, p]));
  const batchGroupIds = new Set(seed.batchGroups.map((b) => b.id));
  let config: FolioSandboxConfig = initialConfig(FOLIO_SANDBOX_DEFAULTS, opts);
  let data: Data = emptyData();
  /** Live tokens (never persisted: a new process logs in again). */
  const access = new Map<string, number>();
  const refresh = new Map<string, number>();
  let counters = { reapprovals: 0, duplicateIds: 0, conflicts: 0, logins: 0, refreshes: 0, unauthorized: 0 };
  /** Invoices (ids) whose line `halfDoneLines` half did already. */
  const halfDone = new Set<string>();

  const issue = (): SiblingAnswer => {
    const a = randomBytes(18).toString('base64url');
    const r = randomBytes(18).toString('base64url');
    const t = now();
    access.set(a, t + config.accessTokenSeconds * 1000);
    refresh.set(r, t + config.refreshTokenSeconds * 1000);
    return {
      status: 201,
      body: { accessTokenExpiration: new Date(t + config.accessTokenSeconds * 1000).toISOString(), refreshTokenExpiration: new Date(t + config.refreshTokenSeconds * 1000).toISOString() },
      // Two Set-Cookie headers (node:http writes an array as repeated headers).
      headers: {
        'Set-Cookie': [
          `folioAccessToken=${a}; Max-Age=${config.accessTokenSeconds}; Path=/; Secure; HTTPOnly; SameSite=Lax`,
          `folioRefreshToken=${r}; Max-Age=${config.refreshTokenSeconds}; Path=/authn; Secure; HTTPOnly; SameSite=Lax`,
        ],
      } as unknown as Record<string, string>,
    };
  };

  const tenantOf = (req: SiblingRequest): string | undefined => {
    const t = req.headers['x-okapi-tenant'];
    return Array.isArray(t) ? t[0] : t;
  };
  const auth = (req: SiblingRequest) => (): SiblingAnswer | undefined => {
    const tenant = tenantOf(req);
    if (tenant === undefined || tenant === '') return text(400, 'Missing Tenant');
    if (tenant !== seed.tenant) return text(400, `No such Tenant ${tenant}`);
    const raw = req.headers['x-okapi-token'];
    const token = Array.isArray(raw) ? raw[0] : raw;
    const until = token === undefined ? undefined : access.get(token);
    if (until !== undefined && now() < until) return undefined;
    counters.unauthorized++;
    // [I] mod-authtoken's words for a missing and an expired token.
    return text(401, token === undefined ? 'Token missing, access requires permission: invoice.invoices.collection.get' : 'Invalid token: access token has expired');
  };

  /** The request's JSON object, or the refusal to answer with (400, or RMB's 422 when `fields` are given and not met). */
  const bodyOf = (req: SiblingRequest, fields?: typeof INVOICE_FIELDS, required: string[] = []): { body: Rec } | { refused: SiblingAnswer } => {
    let b: unknown;
    try {
      b = JSON.parse(req.body.toString('utf8')) as unknown;
    } catch {
      return { refused: errors(400, 'Json content error', 'badRequest') };
    }
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return { refused: errors(400, 'the body must be a JSON object', 'badRequest') };
    const body = b as Rec;
    const bad = fields === undefined ? undefined : (schemaErrors(body, fields, required) ?? checkAdjustments(body.adjustments));
    return bad === undefined ? { body } : { refused: bad };
  };

  /** `?query&offset&limit` over a list → the collection answer. */
  const search = (req: SiblingRequest, list: Rec[], key: string): SiblingAnswer => {
    const q = req.url.searchParams.get('query');
    const offset = Number(req.url.searchParams.get('offset') ?? '0');
    const limit = Number(req.url.searchParams.get('limit') ?? '10');
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 0 || limit > 2_147_483_647) return errors(400, 'offset and limit must be whole numbers', 'badRequest');
    let found = list;
    if (q !== null && q.trim() !== '') {
      try {
        const query = parseCql(q);
        found = sortRecords(
          list.filter((r) => matches(r, query.clauses)),
          query.sortBy,
        );
      } catch (e) {
        if (e instanceof CqlError) return errors(400, e.message, 'badRequest', [{ key: 'query', value: q }]);
        throw e;
      }
    }
    return { status: 200, body: { [key]: found.slice(offset, offset + limit), totalRecords: found.length } };
  };

  const invoiceById = (id: string): Rec | undefined => data.invoices.find((i) => i.id === id);
  const linesOf = (invoiceId: string): Rec[] => data.lines.filter((l) => l.invoiceId === invoiceId);

  /** subTotal = Σ lines, adjustmentsTotal = Σ invoice adjustments added to the total, total = both (rounded to the currency). */
  const recalc = (inv: Rec): void => {
    let sub = new Decimal(0);
    for (const l of linesOf(inv.id as string)) sub = sub.plus(dec(l.subTotal));
    let adj = new Decimal(0);
    for (const a of (inv.adjustments as Rec[] | undefined) ?? []) {
      if (a.relationToTotal !== 'In addition to') continue;
      adj = adj.plus(a.type === 'Percentage' ? sub.times(dec(a.value)).div(100) : dec(a.value));
    }
    inv.subTotal = inCurrency(sub, inv.currency);
    inv.adjustmentsTotal = inCurrency(adj, inv.currency);
    inv.total = inCurrency(sub.plus(adj), inv.currency);
  };

  const checkAdjustments = (list: unknown): SiblingAnswer | undefined => {
    for (const a of (list as Rec[] | undefined) ?? []) {
      if (typeof a !== 'object' || a === null) return errors(422, 'an adjustment must be an object', 'badRequest');
      const extra = Object.keys(a).find((k) => !ADJUSTMENT_FIELDS.has(k));
      if (extra !== undefined) return errors(422, `Unrecognized field "${extra}"`, 'jakarta.validation.constraints.Null.message', [{ key: `adjustments.${extra}`, value: '' }]);
      for (const k of ['description', 'exportToAccounting', 'prorate', 'relationToTotal', 'type', 'value']) if (a[k] === undefined) return errors(422, 'must not be null', 'jakarta.validation.constraints.NotNull.message', [{ key: `adjustments.${k}`, value: 'null' }]);
      if (!['By line', 'By amount', 'By quantity', 'Not prorated'].includes(a.prorate as string)) return errors(422, 'prorate is not one of the allowed values', 'badRequest', [{ key: 'adjustments.prorate', value: String(a.prorate) }]);
      if (!['In addition to', 'Included in', 'Separate from'].includes(a.relationToTotal as string)) return errors(422, 'relationToTotal is not one of the allowed values', 'badRequest', [{ key: 'adjustments.relationToTotal', value: String(a.relationToTotal) }]);
      if (!['Percentage', 'Amount'].includes(a.type as string) || typeof a.value !== 'number') return errors(422, 'type must be Percentage or Amount, value a number', 'badRequest', [{ key: 'adjustments.type', value: String(a.type) }]);
    }
    return undefined;
  };

  const createInvoice = (req: SiblingRequest): SiblingAnswer => {
    const v = bodyOf(req, INVOICE_FIELDS, INVOICE_REQUIRED);
    if ('refused' in v) return v.refused;
    const body = v.body;
    if (body.status !== 'Open') return errors(422, 'an invoice is created Open', 'badRequest', [{ key: 'status', value: String(body.status) }]);
    if (!['User', 'API', 'EDI'].includes(body.source as string)) return errors(422, 'source must be User, API or EDI', 'badRequest', [{ key: 'source', value: String(body.source) }]);
    if (body.approvedBy !== undefined || body.approvalDate !== undefined) return errors(422, 'Incompatible invoice fields on status transition', 'incompatibleInvoiceFields');
    const org = orgById.get(body.vendorId as string);
    if (org === undefined) return errors(422, 'Organization is not exist', 'organizationIsNotExist', [{ key: 'vendorId', value: String(body.vendorId) }]);
    if (!org.isVendor) return errors(422, 'Organization is not vendor', 'organizationIsNotVendor', [{ key: 'vendorId', value: org.id }]);
    if (!batchGroupIds.has(body.batchGroupId as string)) return errors(422, 'Batch group not found', 'batchGroupNotFound', [{ key: 'batchGroupId', value: String(body.batchGroupId) }]);
    const id = opts.serverIds === true ? crypto.randomUUID() : ((body.id as string | undefined) ?? crypto.randomUUID());
    if (invoiceById(id) !== undefined) {
      counters.duplicateIds++;
      // [I] RMB's unique-violation refusal; mod-invoice passes the 422 through.
      return errors(422, `id value already exists in table invoices: ${id}`, 'duplicateId', [{ key: 'id', value: id }]);
    }
    data.seq++;
    const t = new Date(now()).toISOString();
    const inv: Rec = { ...body, id, folioInvoiceNo: String(10000 + data.seq), nextInvoiceLineNumber: 1, _version: 1, metadata: { createdDate: t, updatedDate: t } };
    delete inv.subTotal;
    delete inv.total;
    recalc(inv);
    data.invoices.push(inv);
    const byVendor = (data.created[org.id] ??= {});
    byVendor[body.vendorInvoiceNo as string] = (byVendor[body.vendorInvoiceNo as string] ?? 0) + 1;
    return { status: 201, body: inv, headers: { Location: `/invoice/invoices/${id}` } };
  };

  const createLine = (req: SiblingRequest): SiblingAnswer => {
    const v = bodyOf(req, LINE_FIELDS, LINE_REQUIRED);
    if ('refused' in v) return v.refused;
    const body = v.body;
    const inv = invoiceById(body.invoiceId as string);
    if (inv === undefined) return errors(404, 'Invoice not found', 'notFound', [{ key: 'invoiceId', value: String(body.invoiceId) }]);
    // mod-invoice answers this with 500 (InvoiceLineHelper.checkIfInvoiceLineCreationAllowed).
    if (['Approved', 'Paid', 'Cancelled'].includes(inv.status as string)) return errors(500, 'It is not allowed to add invoice line to the invoice that has been approved', 'prohibitedInvoiceLineCreation');
    if (body.poLineId !== undefined && !poLineById.has(body.poLineId as string)) return errors(404, 'The purchase order line record is not found', 'poLineNotFound', [{ key: 'poLineId', value: String(body.poLineId) }]);
    for (const fd of (body.fundDistributions as Rec[] | undefined) ?? []) {
      const extra = typeof fd === 'object' && fd !== null ? Object.keys(fd).find((k) => !FUND_FIELDS.has(k)) : 'fundDistributions';
      if (extra !== undefined) return errors(422, `Unrecognized field "${extra}"`, 'jakarta.validation.constraints.Null.message', [{ key: `fundDistributions.${extra}`, value: '' }]);
      if (typeof fd.fundId !== 'string' || !UUID.test(fd.fundId) || typeof fd.value !== 'number' || !['percentage', 'amount'].includes(fd.distributionType as string)) {
        return errors(422, 'a fund distribution needs fundId, distributionType and value', 'jakarta.validation.constraints.NotNull.message', [{ key: 'fundDistributions', value: JSON.stringify(fd) }]);
      }
      if (!fundById.has(fd.fundId)) return errors(404, 'Fund records are not found', 'fundsNotFound', [{ key: 'fundIds', value: fd.fundId }]);
    }
    const id = opts.serverIds === true ? crypto.randomUUID() : ((body.id as string | undefined) ?? crypto.randomUUID());
    if (data.lines.some((l) => l.id === id)) {
      counters.duplicateIds++;
      return errors(422, `id value already exists in table invoice_lines: ${id}`, 'duplicateId', [{ key: 'id', value: id }]);
    }
    const number = inv.nextInvoiceLineNumber as number;
    const line: Rec = { ...body, id, invoiceLineNumber: `${inv.folioInvoiceNo as string}-${number}`, adjustmentsTotal: 0, total: inCurrency(dec(body.subTotal), inv.currency), _version: 1 };
    data.lines.push(line);
    const posted = (data.linesPosted[inv.id as string] ??= {});
    posted[id] = (posted[id] ?? 0) + 1;
    // The invoice is rewritten with its new totals and line counter: its `_version` moves on.
    inv.nextInvoiceLineNumber = number + 1;
    inv._version = (inv._version as number) + 1;
    recalc(inv);
    if (line.poLineId !== undefined && opts.halfDoneLines?.includes(inv.vendorInvoiceNo as string) === true && !halfDone.has(inv.id as string)) {
      halfDone.add(inv.id as string);
      delete line.poLineId;
      return errors(500, 'Failed to update the invoice and other lines', 'failedToUpdateInvoiceAndOtherLines');
    }
    return { status: 201, body: line, headers: { Location: `/invoice/invoice-lines/${id}` } };
  };

  const documentOf = (d: Rec, withContents: boolean): Rec => ({
    documentMetadata: { id: d.id, name: d.name, invoiceId: d.invoiceId },
    ...(withContents ? { contents: { data: d.data } } : {}),
  });

  /** A document attached to invoice `invoiceId` (mod-invoice's `POST /invoice/invoices/{id}/documents`). */
  const createDocument = (req: SiblingRequest, invoiceId: string): SiblingAnswer => {
    // mod-invoice takes this body as a stream of bytes (RAML: application/octet-stream); [I] RMB's words for another type.
    const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/octet-stream') return text(400, `Content-type header must be ["application/octet-stream"] but it is "${type ?? ''}"`);
    // mod-invoice InvoicesImpl: a body of 7 MB or more is refused 413 documentIsTooLarge.
    if (req.body.length >= 7 * 1024 * 1024) return errors(413, 'Document size is too large', 'documentIsTooLarge');
    const v = bodyOf(req);
    if ('refused' in v) return v.refused;
    const body = v.body;
    const extra = Object.keys(body).find((k) => k !== 'documentMetadata' && k !== 'contents');
    if (extra !== undefined) return errors(422, `Unrecognized field "${extra}"`, 'jakarta.validation.constraints.Null.message', [{ key: extra, value: '' }]);
    const meta = body.documentMetadata as Rec | undefined;
    const contents = body.contents as Rec | undefined;
    if (typeof meta !== 'object' || meta === null || typeof meta.name !== 'string' || meta.name === '' || typeof meta.invoiceId !== 'string') {
      return errors(422, 'documentMetadata needs name and invoiceId', 'jakarta.validation.constraints.NotNull.message', [{ key: 'documentMetadata', value: JSON.stringify(meta ?? null) }]);
    }
    const metaExtra = Object.keys(meta).find((k) => !['id', 'name', 'invoiceId', 'url'].includes(k));
    if (metaExtra !== undefined) return errors(422, `Unrecognized field "${metaExtra}"`, 'jakarta.validation.constraints.Null.message', [{ key: `documentMetadata.${metaExtra}`, value: '' }]);
    if (contents !== undefined && (typeof contents !== 'object' || contents === null || typeof contents.data !== 'string')) {
      return errors(422, 'contents needs data (base64)', 'jakarta.validation.constraints.NotNull.message', [{ key: 'contents', value: '' }]);
    }
    // [I] the code: mod-invoice refuses a document whose invoiceId is not the path's.
    if (meta.invoiceId !== invoiceId) return errors(422, 'The invoice id in the document does not match the path', 'invoiceIdMismatch', [{ key: 'invoiceId', value: meta.invoiceId }]);
    if (invoiceById(invoiceId) === undefined) return errors(404, 'Invoice not found', 'notFound', [{ key: 'id', value: invoiceId }]);
    const id = opts.serverIds === true ? crypto.randomUUID() : ((meta.id as string | undefined) ?? crypto.randomUUID());
    if (data.documents.some((d) => d.id === id)) {
      counters.duplicateIds++;
      return errors(422, `id value already exists in table documents: ${id}`, 'duplicateId', [{ key: 'id', value: id }]);
    }
    const doc: Rec = { id, name: meta.name, invoiceId, data: (contents?.data as string | undefined) ?? '' };
    data.documents.push(doc);
    return { status: 201, body: documentOf(doc, true), headers: { Location: `/invoice/invoices/${invoiceId}/documents/${id}` } };
  };

  /** mod-invoice's approval checks (InvoiceValidator.validateBeforeApproval), in its order; then the vendor. */
  const approvalRefusal = (inv: Rec): SiblingAnswer | undefined => {
    if (inv.exportToAccounting === true && (inv.accountingCode === undefined || inv.accountingCode === '')) return errors(400, 'Invoice can not be approved, because it requires an accounting code to be export to accounting', 'accountingCodeNotPresent');
    if (inv.lockTotal !== undefined && !dec(inv.lockTotal).eq(dec(inv.total))) {
      return errors(400, 'Lock total and calculated total mismatch', 'lockCalculatedTotalsMismatch', [
        { key: 'lockTotal', value: String(inv.lockTotal) },
        { key: 'total', value: String(inv.total) },
      ]);
    }
    const lines = linesOf(inv.id as string);
    // [I] the code: mod-invoice gives this refusal a message only.
    if (lines.length === 0) return errors(400, 'An invoice cannot be approved if there are no corresponding lines of invoice.', 'invoiceLinesNotFound');
    for (const l of lines) {
      const fds = (l.fundDistributions as Rec[] | undefined) ?? [];
      if (fds.length === 0) return errors(400, 'At least one fund distribution should present for every associated invoice line', 'fundDistributionsNotPresent', [{ key: 'invoiceLineId', value: l.id as string }]);
      const pct = fds.every((f) => f.distributionType === 'percentage');
      const sum = fds.reduce((s, f) => s.plus(dec(f.value)), new Decimal(0));
      const ok = pct ? sum.eq(100) : fds.every((f) => f.distributionType === 'amount') && sum.eq(dec(l.total));
      if (!ok) return errors(422, 'Fund distribution total must add to 100% or totalPrice', 'incorrectFundDistributionTotal', [{ key: 'invoiceLineId', value: l.id as string }]);
    }
    const org = orgById.get(inv.vendorId as string);
    // [I] newer mod-invoice refuses an inactive vendor at approval; its code is not in the public enum we read.
    if (org === undefined || org.status !== 'Active') return errors(422, 'Organization is inactive', 'vendorIsInactive', [{ key: 'vendorId', value: String(inv.vendorId) }]);
    return undefined;
  };

  /** The approval's outcome stored: status, approval fields, lines, a new `_version`. */
  const approve = (inv: Rec): void => {
    Object.assign(inv, { status: 'Approved', approvalDate: new Date(now()).toISOString(), approvedBy: '00000000-0000-4000-8000-000000000000', _version: (inv._version as number) + 1 });
    for (const l of linesOf(inv.id as string)) l.invoiceLineStatus = 'Approved';
  };

  /** Approvals whose finance work is done by now are stored (`approvalMs`). */
  const finishApprovals = (): void => {
    for (const [id, until] of Object.entries(data.approving)) {
      if (now() < until) continue;
      delete data.approving[id];
      const inv = invoiceById(id);
      if (inv !== undefined) approve(inv);
    }
  };

  const updateInvoice = (req: SiblingRequest, id: string): SiblingAnswer => {
    const inv = invoiceById(id);
    if (inv === undefined) return errors(404, 'Invoice not found', 'notFound', [{ key: 'id', value: id }]);
    if (opts.acqRestricted?.includes(inv.vendorInvoiceNo as string) === true) return errors(403, 'User does not have permissions - operation is restricted', 'userHasNoPermission');
    const v = bodyOf(req, INVOICE_FIELDS, INVOICE_REQUIRED);
    if ('refused' in v) return v.refused;
    const body = v.body;
    if (body.id !== undefined && body.id !== id) return errors(422, 'Mismatch between id in path and request body', 'idMismatch');
    if (body._version !== undefined && body._version !== inv._version) {
      counters.conflicts++;
      return errors(409, `Cannot update record ${id} because it has been changed (optimistic locking): Stored _version is ${String(inv._version)}, _version of request is ${String(body._version)}`, 'conflict');
    }
    const from = inv.status as string;
    const to = body.status as string;
    if (to === 'Approved' && (from === 'Approved' || data.approving[id] !== undefined)) counters.reapprovals++;
    if (from === 'Paid' && to !== 'Paid' && to !== 'Cancelled') return errors(422, 'Cannot transition invoice to any other statuses when it is in Paid status', 'invalidInvoiceStatusTransitionOnPaidStatus');
    if (from !== 'Approved' && from !== 'Paid' && to === 'Approved') {
      const merged = { ...inv, ...body, subTotal: inv.subTotal, total: inv.total, adjustmentsTotal: inv.adjustmentsTotal };
      recalc(merged);
      const refusal = approvalRefusal(merged);
      if (refusal !== undefined) return refusal;
      data.approvals[id] = (data.approvals[id] ?? 0) + 1;
      // The finance work takes a while: the record keeps its status (and `_version`) until it is done.
      if (config.approvalMs > 0) {
        data.approving[id] ??= now() + config.approvalMs;
        return { status: 204 };
      }
      Object.assign(inv, merged);
      approve(inv);
      return { status: 204 };
    }
    if (from === 'Approved' && to === 'Open') return errors(422, 'Field can\'t be modified', 'protectedFieldChanging', [{ key: 'status', value: to }]);
    Object.assign(inv, body, { subTotal: inv.subTotal, total: inv.total, adjustmentsTotal: inv.adjustmentsTotal, _version: (inv._version as number) + 1 });
    return { status: 204 };
  };

  const BUSINESS: Record<Step, SiblingAnswer> = {
    create: errors(422, 'Organization is not vendor', 'organizationIsNotVendor'),
    line: errors(422, 'Fund distribution total must add to 100% or totalPrice', 'incorrectFundDistributionTotal'),
    process: errors(400, 'Budget not found by fundId', 'budgetNotFoundByFundId'),
    lookup: errors(400, 'CQL: unsupported query', 'badRequest'),
    poll: errors(404, 'Invoice not found', 'notFound'),
    read: errors(404, 'not found', 'notFound'),
    attachment: errors(413, 'Document size is too large', 'documentIsTooLarge'),
    // FOLIO has no ERP step in this loader: this fault step never reaches it.
    erp: errors(400, 'bad request', 'badRequest'),
    other: errors(400, 'bad request', 'badRequest'),
  };

  /** What a request is about, for fault rules: the invoice's number (and vendor id on create). */
  const subjectOf = (req: SiblingRequest, kind: 'create' | 'line' | 'invoice', id?: string) => () => {
    try {
      if (kind === 'invoice') {
        const inv = id === undefined ? undefined : invoiceById(id);
        return inv === undefined ? {} : { invoiceNumber: inv.vendorInvoiceNo as string, invoiceKey: inv.id as string };
      }
      const b = JSON.parse(req.body.toString('utf8')) as Rec;
      if (kind === 'create') return { invoiceNumber: b.vendorInvoiceNo as string, invoiceKey: `${String(b.vendorId)}|${String(b.vendorInvoiceNo)}` };
      const inv = invoiceById(b.invoiceId as string);
      return inv === undefined ? {} : { invoiceNumber: inv.vendorInvoiceNo as string, invoiceKey: inv.id as string };
    } catch {
      return {};
    }
  };

  const route = (req: SiblingRequest): SiblingRoute | SiblingAnswer => {
    finishApprovals();
    const m = req.method;
    const path = req.segs.join('/');
    const a = auth(req);
    const r = (step: Step, run: () => SiblingAnswer, subject: SiblingRoute['subject'] = () => ({})): SiblingRoute => ({ step, auth: a, subject, run });
    if (m === 'POST' && path === 'authn/login-with-expiry') {
      return {
        step: 'other',
        subject: () => ({}),
        auth: () => {
          const tenant = tenantOf(req);
          if (tenant === undefined || tenant === '') return text(400, 'Missing Tenant');
          return tenant === seed.tenant ? undefined : text(400, `No such Tenant ${tenant}`);
        },
        run: () => {
          const v = bodyOf(req);
          if ('refused' in v) return v.refused;
          const body = v.body;
          const user = typeof body.username === 'string' ? body.username : '';
          const pass = typeof body.password === 'string' ? body.password : '';
          const ok = user !== '' && pass !== '' && (seed.users === undefined || seed.users.some((u) => u.username === user && u.password === pass));
          // [I] mod-login's code for a refused password.
          if (!ok) return errors(422, 'Password does not match', 'password.incorrect', [{ key: 'username', value: user }]);
          counters.logins++;
          return issue();
        },
      };
    }
    if (m === 'POST' && path === 'authn/refresh') {
      return {
        step: 'other',
        subject: () => ({}),
        run: () => {
          const cookie = String(req.headers.cookie ?? '');
          const token = /(?:^|;\s*)folioRefreshToken=([^;]+)/.exec(cookie)?.[1];
          const until = token === undefined ? undefined : refresh.get(token);
          if (token === undefined || until === undefined || now() >= until) return errors(422, 'Invalid or expired refresh token', 'authtoken.refresh.invalid');
          refresh.delete(token); // each refresh token works once (rotation)
          counters.refreshes++;
          return issue();
        },
      };
    }
    if (m === 'GET' && path === 'organizations/organizations') return r('read', () => search(req, seed.organizations as unknown as Rec[], 'organizations'));
    if (m === 'GET' && path === 'finance/funds') return r('read', () => search(req, seed.funds as unknown as Rec[], 'funds'));
    if (m === 'GET' && path === 'orders/order-lines') return r('read', () => search(req, seed.poLines as unknown as Rec[], 'poLines'));
    if (m === 'GET' && path === 'batch-groups') return r('read', () => search(req, seed.batchGroups as unknown as Rec[], 'batchGroups'));
    if (path === 'invoice/invoices') {
      if (m === 'GET') return r('lookup', () => search(req, data.invoices, 'invoices'));
      if (m === 'POST') return r('create', () => createInvoice(req), subjectOf(req, 'create'));
    }
    if (path === 'invoice/invoice-lines') {
      if (m === 'GET') return r('read', () => search(req, data.lines, 'invoiceLines'));
      if (m === 'POST') return r('line', () => createLine(req), subjectOf(req, 'line'));
    }
    const [s0, s1, id, extra, documentId] = req.segs;
    if (s0 === 'invoice' && s1 === 'invoices' && id !== undefined && extra === 'documents' && req.segs.length <= 5) {
      if (documentId === undefined && m === 'POST') return r('attachment', () => createDocument(req, id), subjectOf(req, 'invoice', id));
      if (documentId === undefined && m === 'GET') {
        return r('read', () => search(req, data.documents.filter((d) => d.invoiceId === id).map((d) => documentOf(d, false).documentMetadata as Rec), 'documents'));
      }
      if (documentId !== undefined && m === 'GET') {
        return r('read', () => {
          const d = data.documents.find((x) => x.invoiceId === id && x.id === documentId);
          return d === undefined ? errors(404, 'Document not found', 'notFound', [{ key: 'id', value: documentId }]) : { status: 200, body: documentOf(d, true) };
        });
      }
    }
    if (s0 === 'invoice' && id !== undefined && extra === undefined) {
      if (s1 === 'invoices' && m === 'GET') return r('poll', () => {
        const inv = invoiceById(id);
        return inv === undefined ? errors(404, 'Invoice not found', 'notFound', [{ key: 'id', value: id }]) : { status: 200, body: inv };
      }, subjectOf(req, 'invoice', id));
      if (s1 === 'invoices' && m === 'PUT') return r('process', () => updateInvoice(req, id), subjectOf(req, 'invoice', id));
      if (s1 === 'invoice-lines' && m === 'GET') return r('read', () => {
        const l = data.lines.find((x) => x.id === id);
        return l === undefined ? errors(404, 'Invoice line not found', 'invoiceLineNotFound', [{ key: 'id', value: id }]) : { status: 200, body: l };
      });
    }
    return text(404, `No suitable module found for path /${path} for tenant ${tenantOf(req) ?? ''}`);
  };

  return startSibling<FolioSandboxConfig, FolioSandboxState>(
    {
      name: 'folio',
      prefix: '',
      route,
      serverError: () => errors(500, 'Internal server error', 'genericError'),
      // FOLIO documents no rate limit; a gateway in front of it (Kong) answers 429 in plain text [I].
      throttled: () => text(429, 'API rate limit exceeded'),
      business: (step) => BUSINESS[step],
      notFound: (method, path) => text(404, `No suitable module found for path ${path} (${method})`),
      configure: (current, patch) => (config = patchConfig(FOLIO_SANDBOX_DEFAULTS, current, patch, { accessTokenSeconds: 0.001, refreshTokenSeconds: 0.001 })),
      state: (cfg, extra) => {
        finishApprovals();
        const created: Record<string, Record<string, number>> = {};
        for (const [vendorId, byNumber] of Object.entries(data.created)) created[orgById.get(vendorId)?.code ?? vendorId] = { ...byNumber };
        return {
          invoices: data.invoices.map((i) => ({ ...structuredClone(i), vendorCode: orgById.get(i.vendorId as string)?.code ?? '' })),
          lines: structuredClone(data.lines),
          documents: (data.documents ?? []).map((d) => ({ id: d.id as string, name: d.name as string, invoiceId: d.invoiceId as string, size: Buffer.from(d.data as string, 'base64').length })),
          counters: {
            created,
            linesPosted: structuredClone(data.linesPosted),
            approvals: { ...data.approvals },
            ...counters,
            ...extra,
          },
          config: { ...cfg },
        } satisfies FolioSandboxState;
      },
      snapshot: () => data,
      restore: (saved) => {
        data = { ...emptyData(), ...(saved as Partial<Data>) };
      },
      reset: () => {
        data = emptyData();
        access.clear();
        refresh.clear();
        counters = { reapprovals: 0, duplicateIds: 0, conflicts: 0, logins: 0, refreshes: 0, unauthorized: 0 };
      },
    },
    config,
    opts,
  );
}

function emptyData(): Data {
  return { invoices: [], lines: [], seq: 0, created: {}, linesPosted: {}, approvals: {}, approving: {}, documents: [] };
}

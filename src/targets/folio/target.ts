/**
 * The FOLIO target (mod-invoice's business API through the gateway; docs/folio.md): create the
 * invoice (`POST /invoice/invoices`, status Open, source API), add each line
 * (`POST /invoice/invoice-lines`, one per call), then approve it (`PUT /invoice/invoices/{id}`
 * with the whole record and `status: "Approved"`), unless `--no-approve`.
 *
 * Exactly once, FOLIO's way: the invoice and every line carry a name-based id (ids.ts), so these
 * POSTs are safe to send again — the shared client retries them after a lost answer, a timeout
 * or a 5xx, and a second send of a record that exists is refused by storage, after which the
 * record is read by its id and adopted. The journal and the look-up by `vendorInvoiceNo` and
 * `vendorId` stay as for every target: a re-run costs no write, and an invoice keyed in by hand
 * is found before anything is created.
 *
 * Approval is a financial transaction and is never sent blind: the invoice is read first, and a
 * 409 (a conflict FOLIO refused, not a stale invoice: `invoice.json` has no `_version`;
 * docs/folio.md "Approval") re-reads it and tries again. A
 * PUT whose answer was lost is never sent again in the run (`finalizeOnce`): mod-invoice keeps
 * the invoice Open until its finance work is done, so the engine reads it for the request's
 * timeout and a margin, and else reports the approval's outcome unknown; a re-run reads first.
 */
import { keyString, type Invoice, type InvoiceKey } from '../../domain/model.js';
import { DEFAULT_TIMEOUT_MS, limiterFor } from '../../transport/http.js';
import { ApiError, AuthError, IdNotKeptError, UnknownOutcomeError } from '../../common/errors.js';
import { isJsonObject, jsonText, type JsonValue } from '../../common/json.js';
import type { AttachmentToSend, FieldDifference, RemoteAttachment, RemoteInvoice, RemoteLine, Target } from '../target.js';
import { attachmentFiles, readAttachment } from '../attachments.js';
import { FolioClient, type FolioClientOptions } from './client.js';
import { chunks, cqlAnyOf, cqlString, documentIdOf, invoiceIdOf, lineIdOf, MAX_RECREATIONS, OwnInvoiceIds, sameId } from './ids.js';
import { EXISTS_NOT_OURS, settledLineText } from '../matches.js';
import { lineDifferences } from './compare.js';
import { repeatedPageCheck } from '../pages.js';
import { invoicePayload, linePayload, previewPayloads, type Resolved } from './payload.js';
import { folioPreview } from './profile.js';
import { FolioRefs } from './refs.js';

export interface FolioTargetOptions extends FolioClientOptions {
  /** Approve each invoice once its lines exist (default true; `--no-approve` leaves it Open). */
  approve?: boolean | undefined;
  /** The batch group's name or id (FOLIO_BATCH_GROUP); unset: FOLIO's default group. */
  batchGroup?: string | undefined;
  /** Tries of the approval while FOLIO keeps answering it 409 (a conflict: docs/folio.md "Approval"). Default 5. */
  approveTries?: number | undefined;
  /** Where relative attachment paths of standard input are resolved (default: the working directory). */
  cwd?: string | undefined;
}

export interface FolioTarget extends Target {
  readonly name: 'folio';
  readonly refs: FolioRefs;
  readonly client: FolioClient;
  requestCount(): number;
  close(): Promise<void>;
}

/**
 * A CQL query in a stable order for paging: `… sortBy id`. Offset and limit page a result in the
 * order the query asks for, and without one PostgreSQL promises none from page to page, so a
 * listing read by pages could skip an invoice, and the loader would create it again. RMB pages
 * its own chunked reads by `sortBy id` (folio-org/raml-module-builder README, "Implement chunked
 * bulk download"), and mod-invoice keeps a trailing `sortBy` at the end when it adds its
 * acquisitions-unit clause (mod-invoice `HelperUtils.combineCqlExpressions`); docs/folio.md "Look-ups".
 */
export const sortedById = (query: string): string => `${query} sortBy id`;

/** Invoice numbers per look-up query, and the page size of lists. */
const NUMBERS_PER_QUERY = 40;
export const PAGE_SIZE = 200;

/**
 * How long an approval whose answer was lost is watched for: the request's timeout (FOLIO may
 * have worked on it that long) and as long again, at least 10 s more (its answer lost on the
 * way back). A judgement: mod-invoice documents no duration for its finance work.
 */
export const approvalWatchMs = (timeoutMs: number): number => timeoutMs + Math.max(10_000, timeoutMs);

/** FOLIO statuses after which nothing more is done to an invoice (lines cannot be added: prohibitedInvoiceLineCreation). */
const FINAL = new Set(['Approved', 'Paid', 'Cancelled']);

type JsonObject = { [key: string]: JsonValue };

/** A refusal decided before anything is sent (a code the batch names and FOLIO does not hold). */
const refused = (code: string, message: string): ApiError => new ApiError({ httpStatus: 0, code, message });

export function createFolioTarget(opts: FolioTargetOptions): FolioTarget {
  const client = new FolioClient({ ...opts, limiter: limiterFor(opts) });
  const refs = new FolioRefs(client, opts.batchGroup);
  const approve = opts.approve ?? true;
  const approveTries = opts.approveTries ?? 5;
  const resolved = new Map<string, Promise<Resolved>>();
  const prepared = new Map<string, Promise<RemoteInvoice[]>>();
  // Each invoice's own ids derived once, not per search result and per line (ids.ts OwnInvoiceIds).
  const ownIds = new OwnInvoiceIds();

  const remoteOf = (v: JsonValue, key: InvoiceKey | undefined, what: string): RemoteInvoice => {
    const r = toRemoteInvoice(v);
    if (r === undefined) throw new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message: `the answer to ${what} has no invoice id` });
    return key === undefined ? r : { ...r, vendor: key.vendor };
  };

  /**
   * Every page of a CQL query on a collection. FOLIO pages by `offset` and `limit` and says how
   * many records match (`totalRecords`: folio-org/raml `traits/pageable.raml`, docs/folio.md
   * "Look-ups"); a page shorter than the `limit` asked is not the end while `totalRecords` says
   * more (a module or gateway may hold a page to fewer records), and a listing that stopped there
   * would hide an invoice or a line from the look-up, which then sends it again. So pages are read
   * on to `totalRecords`; without it, until an empty page. An empty page ends it early (a total
   * that was an estimate, or records gone meanwhile); a page that repeats the one before means the
   * server does not page by `offset` at all, and the listing fails rather than pass for whole (pages.ts).
   * Every query is sent sorted by id (`sortedById`), the documents listing's too
   * (`cql.allRecords=1 sortBy id`): pages by offset of an unordered result may skip a record or
   * show one twice.
   */
  const listAll = async (path: string, list: string, query: string): Promise<JsonObject[]> => {
    const out: JsonObject[] = [];
    const repeated = repeatedPageCheck();
    const sorted = sortedById(query);
    for (let offset = 0; ; ) {
      const answer = await client.json({ method: 'GET', path, query: { query: sorted, offset, limit: PAGE_SIZE } });
      const items = isJsonObject(answer) && Array.isArray(answer[list]) ? answer[list] : [];
      if (repeated(items)) {
        throw new ApiError({
          httpStatus: 200,
          code: 'BAD_RESPONSE',
          message: `GET ${path} answered offset ${offset} with the records it gave before: it does not page by offset, so they cannot all be read`,
        });
      }
      for (const item of items) if (isJsonObject(item)) out.push(item);
      const total = isJsonObject(answer) ? Number(jsonText(answer['totalRecords']) ?? NaN) : NaN;
      offset += items.length;
      if (items.length === 0 || (Number.isFinite(total) && offset >= total)) return out;
    }
  };

  /**
   * The invoices of one vendor with these numbers (exact matches only). FOLIO does not keep
   * `vendorInvoiceNo` unique, so a match may be an invoice someone keyed in by hand: one whose id
   * is not a name-based one the loader gives this invoice (`ownInvoiceIds`) is marked `notOurs`,
   * and the engine never adds lines to it nor approves it. A Cancelled one is left out
   * (`RemoteInvoice.withdrawn`): it is not the vendor's invoice loaded, and a re-run creates the
   * invoice again (docs/folio.md "Cancelled").
   */
  const searchInvoices = async (vendorCode: string, numbers: readonly string[]): Promise<Map<string, RemoteInvoice[]>> => {
    const out = new Map<string, RemoteInvoice[]>(numbers.map((n) => [n, []]));
    const org = await refs.organization(vendorCode);
    // No such organization: FOLIO cannot hold an invoice of it (the create will say why).
    if (org === undefined) return out;
    for (const part of chunks(numbers, NUMBERS_PER_QUERY)) {
      const found = await listAll('/invoice/invoices', 'invoices', `vendorId==${cqlString(org.id)} and ${cqlAnyOf('vendorInvoiceNo', part)}`);
      for (const item of found) {
        const no = jsonText(item['vendorInvoiceNo']);
        // UUIDs compare without regard to case (RFC 9562 §4): a FOLIO may answer in either.
        const vendorId = jsonText(item['vendorId']);
        if (no === undefined || !out.has(no) || vendorId === undefined || !sameId(vendorId, org.id)) continue;
        const key = { vendor: vendorCode, number: no };
        const r = remoteOf(item, key, 'the invoice search');
        if (r.withdrawn === true) continue;
        out.get(no)?.push(ownIds.isOwn(client.tenant, key, r.id) ? r : { ...r, notOurs: true });
      }
    }
    return out;
  };

  /** Every code the invoice names, resolved once (look-ups batched in refs.ts); a missing one refuses the invoice. */
  const resolve = (inv: Invoice): Promise<Resolved> => {
    const k = keyString(inv.key);
    let r = resolved.get(k);
    if (r === undefined) {
      r = (async (): Promise<Resolved> => {
        const fundCodes = [...new Set(inv.lines.flatMap((l) => l.funds.map((f) => f.fundCode)))];
        const poNumbers = [...new Set(inv.lines.flatMap((l) => (l.poLine !== undefined ? [l.poLine] : [])))];
        const [org, funds, poLines, batchGroupId] = await Promise.all([
          refs.organization(inv.key.vendor),
          Promise.all(fundCodes.map(async (c) => [c, await refs.fund(c)] as const)),
          Promise.all(poNumbers.map(async (n) => [n, await refs.poLine(n)] as const)),
          refs.batchGroupId().catch((err: unknown) => {
            throw err instanceof ApiError ? err : refused('batchGroupNotFound', (err as Error).message);
          }),
        ]);
        if (org === undefined) throw refused('vendor_not_found', `FOLIO has no organization with code "${inv.key.vendor}"`);
        const missingFunds = funds.filter(([, f]) => f === undefined).map(([c]) => c);
        if (missingFunds.length > 0) throw refused('fund_not_found', `FOLIO has no fund with code ${missingFunds.map((c) => `"${c}"`).join(', ')}`);
        const missingPo = poLines.filter(([, p]) => p === undefined).map(([n]) => n);
        if (missingPo.length > 0) throw refused('po_line_not_found', await refs.poLinesMissing(missingPo));
        const paymentMethod = inv.header.paymentMethod ?? org.paymentMethod;
        if (paymentMethod === undefined || paymentMethod === '') {
          throw refused('payment_method_missing', `the batch gives no payment_method and organization "${org.code}" has none in FOLIO; FOLIO requires one`);
        }
        return {
          vendorId: org.id,
          paymentMethod,
          batchGroupId,
          funds: new Map(funds.map(([c, f]) => [c, (f as { id: string }).id])),
          poLines: new Map(poLines.map(([n, p]) => [n, { id: (p as { id: string }).id, title: p?.titleOrPackage, encumbrances: p?.encumbrances }])),
        };
      })();
      resolved.set(k, r);
      r.catch(() => resolved.delete(k));
    }
    return r;
  };

  /**
   * A POST of a record with our own id. Sent as idempotent (safe to repeat: the id makes a second
   * send a refusal, not a copy) unless `idempotent` is false (a document, until FOLIO has shown it
   * keeps a document's id): then a lost answer is an unknown outcome at once, never sent blindly
   * again. A 4xx may be that refusal — the record exists — so the record is
   * read by its id and adopted; otherwise the refusal stands. A send whose retries ran out leaves
   * the outcome unknown, and the engine looks before sending it again.
   */
  const postOnce = async (
    path: string,
    id: string,
    body: unknown,
    asSent?: (there: JsonValue) => Promise<void>,
    headers?: Record<string, string>,
    idempotent = true,
  ): Promise<JsonValue> => {
    try {
      return await client.json({ method: 'POST', path, body, idempotent, ...(headers !== undefined ? { headers } : {}) });
    } catch (err) {
      if (!(err instanceof ApiError) || err instanceof AuthError || err instanceof UnknownOutcomeError) throw err;
      const there = await readById(path, id);
      if (there !== undefined) {
        // What a send of ours made may be half done (a 5xx after storing it): adopted only as sent.
        await asSent?.(there);
        return there;
      }
      // Retries ran out without an answer we can read (no answer, 5xx, 429): it may exist later
      // (the engine looks, then sends again); a 4xx is FOLIO's refusal and stands.
      if (err.httpStatus === 0 || err.httpStatus >= 500 || err.httpStatus === 429) throw new UnknownOutcomeError(err.detail, { cause: err });
      throw err;
    }
  };

  /**
   * How line `number` as FOLIO holds it (`stored`) differs from the line the loader sends
   * (compare.ts): a line made by a send of ours whose answer was an error may be half done
   * (docs/folio.md "Exactly once").
   */
  const lineAsSent = async (invoiceId: string, number: string, invoice: Invoice, stored: JsonValue): Promise<FieldDifference[]> => {
    const line = invoice.lines.find((l) => l.number === number);
    if (line === undefined) return [];
    return lineDifferences(number, linePayload(line, invoiceId, await resolve(invoice)), stored);
  };

  /**
   * Lines and the approval go only to the invoice with the loader's own id: not to one found by
   * number that someone else made (a journal written before the look-up marked those `notOurs`
   * may still name one). Refused before any request.
   */
  const ownInvoice = (invoiceId: string, invoice: Invoice): void => {
    if (ownIds.isOwn(client.tenant, invoice.key, invoiceId)) return;
    throw refused(
      EXISTS_NOT_OURS,
      `invoice ${invoice.key.number} of vendor ${invoice.key.vendor} in FOLIO (id ${invoiceId}) is not one invoice-load created; it was left as it is, and nothing was added to it or approved`,
    );
  };

  /**
   * The answer to a create, when FOLIO made the record under the id sent (or does not say: an
   * empty answer, or one without an id). An answer with another id means FOLIO assigns its own
   * (the RAML allows it: "server-controlled fields like 'id'"), and then nothing the loader does
   * is safe to send twice: IdNotKeptError stops the run (engine.ts).
   */
  const kept = (answer: JsonValue, sent: string, key: { vendor: string; number: string }, line?: string, file?: string): JsonValue => {
    // A document's answer carries its id in its documentMetadata (ACQ-DOC `document.json`).
    const answered = file !== undefined ? documentOf(answer).id : isJsonObject(answer) ? jsonText(answer['id']) : undefined;
    if (answered === undefined || answered === '' || sameId(answered, sent)) return answer;
    const invoiceText = `invoice ${key.number} of vendor ${key.vendor}`;
    const what = file !== undefined ? `document ${file} of ${invoiceText}` : line === undefined ? invoiceText : `line ${line} of ${invoiceText}`;
    const left =
      file !== undefined
        ? `The document was made in FOLIO as ${answered} and is recorded under that id, so no run attaches it again; the invoice was not approved.`
        : line === undefined
          ? `The invoice was made in FOLIO as ${answered}, without lines, and left as it is: delete it there before loading this file again (a re-run would leave it alone and report it).`
          : `The line was made in FOLIO as ${answered} and is recorded under that id, so no run adds it again; the invoice was not approved.`;
    throw new IdNotKeptError(
      {
        httpStatus: 201,
        message:
          `FOLIO did not keep the id invoice-load gave ${what}: it sent ${sent}, FOLIO answered ${answered}. invoice-load relies on FOLIO keeping its ids ` +
          `to never create, add or approve anything twice, so it cannot guarantee that with this FOLIO: nothing more will be sent. ${left} ` +
          'Ask your FOLIO administrators why mod-invoice does not keep the id of a new record',
      },
      key,
      sent,
      answered,
      line,
      file,
    );
  };
  /** The first create of each kind goes alone: no other is sent until one shows FOLIO kept the id sent. */
  const firstInvoice = firstAlone();
  const firstLine = firstAlone();
  /**
   * Documents the same, and more: that mod-invoice keeps a document's id is inferred
   * (docs/folio.md "Documents", [I]), so until an answer has named the id sent, a document POST
   * goes as not idempotent — a lost answer is an unknown outcome, settled by listing the
   * invoice's documents by name (engine.ts `attachFiles`), never by a blind second send.
   */
  const firstDocument = firstAlone();
  let documentIdsKept = false;

  const readById = async (path: string, id: string): Promise<JsonValue | undefined> => {
    try {
      return await client.json({ method: 'GET', path: `${path}/${encodeURIComponent(id)}` });
    } catch (err) {
      if (err instanceof ApiError && !(err instanceof AuthError) && (err.httpStatus === 404 || err.httpStatus === 400 || err.httpStatus === 422)) return undefined;
      throw err;
    }
  };

  /**
   * An invoice's documents (mod-invoice `GET /invoice/invoices/{id}/documents`, every page:
   * `documents[]` of `document_metadata.json`, `totalRecords`) and one document with its
   * `contents.data` (base64), by which a file's size is measured: the listing gives names only.
   */
  const documentsPath = (invoiceId: string): string => `/invoice/invoices/${encodeURIComponent(invoiceId)}/documents`;
  const documentSize = async (invoiceId: string, documentId: string): Promise<number | undefined> => {
    const doc = await readById(documentsPath(invoiceId), documentId);
    const contents = isJsonObject(doc) ? doc['contents'] : undefined;
    const data = isJsonObject(contents) ? jsonText(contents['data']) : undefined;
    return data === undefined ? undefined : Buffer.from(data, 'base64').length;
  };
  const documentOf = (v: JsonValue): { id?: string | undefined; name?: string | undefined } => {
    const meta = isJsonObject(v) && isJsonObject(v['documentMetadata']) ? v['documentMetadata'] : v;
    return isJsonObject(meta) ? { id: jsonText(meta['id']), name: jsonText(meta['name']) } : {};
  };

  const target: FolioTarget = {
    name: 'folio',
    label: 'FOLIO',
    endpoint: `${new URL(client.http.baseUrl).origin}${new URL(client.http.baseUrl).pathname.replace(/\/+$/, '')}#${client.tenant}`,
    refs,
    client,

    payloads: (invoice: Invoice) => previewPayloads(invoice, invoiceIdOf(client.tenant, invoice.key)),
    // The human preview from the same bodies as the JSON's `payloads`: the id the load sends.
    preview: (invoice: Invoice) => folioPreview(invoice, invoiceIdOf(client.tenant, invoice.key)),

    /** One search per vendor and 40 numbers (`vendorId==… and (vendorInvoiceNo=="A" or …)`), organizations first, all at once. */
    async prepareLookups(keys: InvoiceKey[]): Promise<void> {
      const byVendor = new Map<string, string[]>();
      for (const k of keys) byVendor.set(k.vendor, [...(byVendor.get(k.vendor) ?? []), k.number]);
      await refs.prefetch({ organizations: byVendor.keys() });
      for (const [vendor, numbers] of byVendor) {
        const search = searchInvoices(vendor, numbers);
        search.catch(() => undefined);
        for (const n of numbers) {
          const k = keyString({ vendor, number: n });
          const one = search.then((m) => m.get(n) ?? []);
          prepared.set(k, one);
          // A failed search is not kept: the invoice's own look-up tries again.
          one.catch(() => prepared.delete(k));
        }
      }
    },

    async findInvoices(key, o) {
      const k = keyString(key);
      const ready = o.fresh ? undefined : prepared.get(k);
      const found = ready !== undefined ? await ready : ((await searchInvoices(key.vendor, [key.number])).get(key.number) ?? []);
      // An approved invoice is complete as found: its lines are read once, so the report (and the
      // journal) name them by their ids as a run that made them would.
      return Promise.all(
        found.map(async (r) => (r.processed && r.notOurs !== true && o.invoice !== undefined ? { ...r, children: await target.listChildren(r.id, o.invoice) } : r)),
      );
    },

    async createInvoice(invoice: Invoice): Promise<RemoteInvoice> {
      const r = await resolve(invoice);
      const cancelled: string[] = [];
      for (const id of ownIds.of(client.tenant, invoice.key)) {
        const answer = await firstInvoice.send(async () => kept(await postOnce('/invoice/invoices', id, invoicePayload(invoice, id, r)), id, invoice.key));
        // Created (2xx) with an empty answer, or one without an id: made under the id sent.
        const remote = toRemoteInvoice(answer) ?? { id, number: invoice.key.number, vendor: invoice.key.vendor, workflowStatus: 'Open', alerts: [], totalAmount: invoice.header.totalAmount.toString(), processed: false, inReview: false };
        // An answer that names another number is another record under our id; one that names none
        // (the RAML's 201 promises "a newly created item", not every field of it) is the one sent.
        if (remote.number !== '' && remote.number !== invoice.key.number) {
          throw refused('idConflict', `FOLIO holds another record under the id ${id} (invoice ${remote.number}); it was left unchanged`);
        }
        // The id is held by this invoice, cancelled since (the POST was refused and the record read):
        // it is not the invoice loaded, and FOLIO will not reopen it, so the next id is tried.
        if (remote.withdrawn === true) {
          cancelled.push(id);
          continue;
        }
        return { ...remote, number: invoice.key.number, vendor: invoice.key.vendor };
      }
      throw refused(
        'idConflict',
        `FOLIO holds invoice ${invoice.key.number} of vendor ${invoice.key.vendor} as Cancelled under each of the ${MAX_RECREATIONS + 1} ids invoice-load gives it (${cancelled[0] ?? ''} and on); nothing was created`,
      );
    },

    childKeys: (invoice: Invoice) => invoice.lines.map((l) => l.number),

    async listChildren(invoiceId: string, invoice: Invoice): Promise<RemoteLine[]> {
      const listed = new Map(
        (await listAll('/invoice/invoice-lines', 'invoiceLines', `invoiceId==${cqlString(invoiceId)}`)).map((l) => [jsonText(l['id'])?.toLowerCase(), l] as const),
      );
      // Our lines are the ones with our ids: lines someone added by hand are not ours to count.
      return invoice.lines.flatMap((l) => {
        const id = lineIdOf(invoiceId, l.number);
        const held = listed.get(id);
        return held === undefined ? [] : [{ id, number: l.number, held }];
      });
    },

    /** A line found after its send went unanswered is ours only as sent: a 5xx may have left it half done. */
    settledChildDifferences: async (invoiceId, child, invoice) => (child.held === undefined ? [] : lineAsSent(invoiceId, child.number, invoice, child.held)),

    async addChild(invoiceId: string, number: string, invoice: Invoice): Promise<RemoteLine> {
      ownInvoice(invoiceId, invoice);
      const line = invoice.lines.find((l) => l.number === number);
      if (line === undefined) throw new Error(`internal: invoice ${invoice.key.number} has no line ${number}`);
      const r = await resolve(invoice);
      const body = linePayload(line, invoiceId, r);
      const sent = body['id'] as string;
      // A line already there (the repeated send refused) is this line only as sent: else EXISTS_DIFFERENT.
      const asSent = async (there: JsonValue): Promise<void> => {
        const differences = await lineAsSent(invoiceId, number, invoice, there);
        const id = (isJsonObject(there) ? jsonText(there['id']) : undefined) ?? sent;
        if (differences.length > 0) throw refused('EXISTS_DIFFERENT', settledLineText(invoice, number, id, differences, 'FOLIO'));
      };
      const answer = await firstLine.send(async () => kept(await postOnce('/invoice/invoice-lines', sent, body, asSent), sent, invoice.key, number));
      // Created (2xx) with an empty answer, or one without an id: made under the id sent.
      return { id: (isJsonObject(answer) ? jsonText(answer['id']) : undefined) ?? sent, number };
    },

    finalize: approve
      ? async (invoiceId: string, invoice: Invoice): Promise<RemoteInvoice> => {
          ownInvoice(invoiceId, invoice);
          for (let attempt = 1; ; attempt++) {
            // Read first: the PUT sends the whole record back as read, and an invoice
            // already approved (an earlier run, or by hand) is never approved again.
            const record = await client.json({ method: 'GET', path: `/invoice/invoices/${encodeURIComponent(invoiceId)}` });
            const before = remoteOf(record, undefined, `GET /invoice/invoices/${invoiceId}`);
            if (before.processed || !isJsonObject(record)) return before;
            try {
              await client.request({ method: 'PUT', path: `/invoice/invoices/${encodeURIComponent(invoiceId)}`, body: { ...record, status: 'Approved' } });
            } catch (err) {
              // 409: a conflict FOLIO refused, nothing done (docs/folio.md "Approval"): read it again.
              if (err instanceof ApiError && !(err instanceof UnknownOutcomeError) && err.httpStatus === 409 && attempt < approveTries) continue;
              throw err;
            }
            // 204 No Content: approval is synchronous in mod-invoice; read the outcome.
            return target.getInvoice(invoiceId);
          }
        }
      : undefined,
    // An approval whose answer was lost may still be at work in FOLIO: watched, never sent twice in a run.
    finalizeOnce: approve ? { watchMs: approvalWatchMs(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS), what: 'approval' } : undefined,

    async getInvoice(invoiceId: string): Promise<RemoteInvoice> {
      const answer = await client.json({ method: 'GET', path: `/invoice/invoices/${encodeURIComponent(invoiceId)}` });
      return remoteOf(answer, undefined, `GET /invoice/invoices/${invoiceId}`);
    },

    /**
     * The batch's files, as the invoice's documents (docs/folio.md "Documents"): after the lines,
     * before the approval, each `POST /invoice/invoices/{id}/documents` with
     * `{"documentMetadata": {"id", "name", "invoiceId"}, "contents": {"data": base64}}`, sent as
     * `application/octet-stream`
     * (acq-models `document.json`). The document's id is name-based (ids.ts), so a send repeated
     * after a lost answer meets the one it made; a file FOLIO already holds is recognised by name
     * and size, the size measured from the document's contents.
     */
    attachments: {
      files: (invoice: Invoice): AttachmentToSend[] => attachmentFiles(invoice, opts.cwd).map((f) => ({ name: f.name, path: f.path })),
      async find(invoiceId: string, file: AttachmentToSend): Promise<RemoteAttachment | undefined> {
        const size = readAttachment(file.path).length;
        let unmeasured: RemoteAttachment | undefined;
        // Every document, sorted by id like the other paged look-ups: storage ANDs this query to
        // the invoice's id and keeps its trailing sortBy (mod-invoice-storage
        // InvoiceStorageService.getInvoiceStorageInvoicesDocumentsById; docs/folio.md "Look-ups"),
        // and unsorted pages could hide a document, which would then be sent twice.
        for (const entry of await listAll(documentsPath(invoiceId), 'documents', 'cql.allRecords=1')) {
          const doc = documentOf(entry);
          if (doc.name !== file.name || doc.id === undefined) continue;
          const measured = await documentSize(invoiceId, doc.id);
          if (measured === size) return { id: doc.id, name: file.name, size };
          // A link (a document with a URL and no contents): its size cannot be told.
          if (measured === undefined) unmeasured ??= { id: doc.id, name: file.name, unmeasured: true };
        }
        return unmeasured;
      },
      async add(invoiceId: string, file: AttachmentToSend, who: { vendor: string; number: string }): Promise<RemoteAttachment> {
        const bytes = readAttachment(file.path);
        const id = documentIdOf(invoiceId, file.name);
        const body = { documentMetadata: { id, name: file.name, invoiceId }, contents: { data: bytes.toString('base64') } };
        // The JSON document goes as a stream (`application/octet-stream`): mod-invoice reads this
        // POST's body as bytes (`@Stream` in InvoicesImpl.postInvoiceInvoicesDocumentsById) and
        // parses the JSON itself; its RAML declares no JSON body for it.
        // A document already under this id (the repeated send refused) is this file only with its
        // size: one of the same name and other contents (the file replaced since) is left as it is.
        const asSent = async (there: JsonValue): Promise<void> => {
          const contents = isJsonObject(there) ? there['contents'] : undefined;
          const data = isJsonObject(contents) ? jsonText(contents['data']) : undefined;
          const held = data === undefined ? undefined : Buffer.from(data, 'base64').length;
          if (held !== undefined && held !== bytes.length) {
            throw refused(
              'EXISTS_DIFFERENT',
              `FOLIO holds a document named ${file.name} on this invoice (id ${id}) of ${held} bytes, and the file is ${bytes.length} bytes: it was left as it is and the file was not attached — delete the document in FOLIO to attach this file, then run the same command again`,
            );
          }
        };
        const answer = await firstDocument.send(async () => {
          const a = kept(
            await postOnce(documentsPath(invoiceId), id, body, asSent, { 'content-type': 'application/octet-stream' }, documentIdsKept),
            id,
            who,
            undefined,
            file.name,
          );
          if (documentOf(a).id !== undefined) documentIdsKept = true;
          return a;
        });
        const made = documentOf(answer);
        // A document found under our id with another name is not this file.
        if (made.name !== undefined && made.name !== file.name) {
          throw refused('idConflict', `FOLIO holds another document under the id ${id} (${made.name}); ${file.name} was not attached`);
        }
        return { id, name: file.name, size: bytes.length };
      },
    },

    requestCount: () => client.http.requests,
    close: () => client.http.close().catch(() => undefined),
  };
  return target;
}

/**
 * A FOLIO invoice as the seam sees it. `processed` means nothing more is to be done: approved
 * (or paid, or cancelled) when the load approves; with `--no-approve` only those too — an Open
 * invoice found by a look-up still has its lines checked. A Cancelled one is `withdrawn`: no
 * longer the vendor's invoice in FOLIO (docs/folio.md "Cancelled"), never reported loaded.
 */
export function toRemoteInvoice(v: JsonValue | undefined): RemoteInvoice | undefined {
  if (!isJsonObject(v)) return undefined;
  const id = jsonText(v['id']);
  if (id === undefined || id === '') return undefined;
  const status = jsonText(v['status']);
  const amounts: Record<string, string> = {};
  for (const [name, key] of [
    ['subtotal', 'subTotal'],
    ['adjustments', 'adjustmentsTotal'],
    ['total', 'total'],
  ] as const) {
    const a = jsonText(v[key]);
    if (a !== undefined && a !== '') amounts[name] = a;
  }
  return {
    id,
    number: jsonText(v['vendorInvoiceNo']) ?? '',
    vendor: '',
    workflowStatus: status,
    alerts: [],
    // The vendor's total as the loader sent it (lockTotal): an invoice found with another one is not this invoice.
    totalAmount: jsonText(v['lockTotal']),
    processed: status !== undefined && FINAL.has(status),
    inReview: false,
    ...(status === 'Cancelled' ? { withdrawn: true as const } : {}),
    ...(Object.keys(amounts).length > 0 ? { amounts } : {}),
  };
}

/**
 * A gate for the first create of a kind: it is sent alone, and the others wait until one comes
 * back with FOLIO keeping the id sent (then all go as they come). One that fails otherwise (a
 * refusal, an answer lost) lets the next one try alone. One that shows FOLIO assigns its own ids
 * closes the gate: every create waiting, and every later one, fails with the same error, unsent
 * (the engine stops the run on it), so at most one record is made under FOLIO's id.
 */
export function firstAlone(): { send<T>(write: () => Promise<T>): Promise<T> } {
  let proven = false;
  let trying: Promise<unknown> | undefined;
  let broken: IdNotKeptError | undefined;
  return {
    async send<T>(write: () => Promise<T>): Promise<T> {
      for (;;) {
        if (broken !== undefined) throw broken;
        if (proven) return write();
        if (trying === undefined) break;
        await trying.catch(() => undefined);
      }
      const attempt = write();
      trying = attempt;
      try {
        const out = await attempt;
        proven = true;
        return out;
      } catch (err) {
        if (err instanceof IdNotKeptError) broken = err;
        throw err;
      } finally {
        if (trying === attempt) trying = undefined;
      }
    },
  };
}

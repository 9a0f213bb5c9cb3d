/**
 * The Alma Acquisitions target: create invoice → add each line → `op=process_invoice`
 * (docs/alma.md#processing-and-workflow-statuses), plus the look-ups the engine needs to load
 * exactly once.
 */
import type { Invoice, InvoiceKey, InvoiceLine } from '../../domain/model.js';
import { ApiError, isRefusal, UnknownOutcomeError } from '../../common/errors.js';
import type { JsonValue } from '../../common/json.js';
import { limiterFor, type CheckedClient } from '../../transport/http.js';
import type { AttachmentToSend, RemoteAttachment, RemoteInvoice, RemoteLine, Target } from '../target.js';
import { createAlmaHttpClient, type AlmaClientOptions } from './client.js';
import { accountAddress } from '../../common/fingerprint.js';
import { AnswerWatch } from './answers.js';
import { InvoiceLookup, PAGE_SIZE, readAllPages } from './lookup.js';
import { attachmentFiles, readAttachment } from '../attachments.js';
import { attachmentPayload, invoicePayload, linePayload } from './payload.js';
import { compareStored, coveringLines, hasLines, heldDifferences, heldLineDifferences } from './compare.js';
import { toRemoteAttachment, toRemoteInvoice, toRemoteLine } from './remote.js';

export interface AlmaTargetOptions extends AlmaClientOptions {
  /** Where relative attachment paths of standard input are resolved. Default the working directory. */
  cwd?: string | undefined;
}

export interface AlmaTarget extends Target {
  readonly name: 'alma';
  /** Alma's own names for the seam's children and finalize step (the engine uses those). */
  listLines(invoiceId: string): Promise<RemoteLine[]>;
  addLine(invoiceId: string, line: InvoiceLine, invoice?: Invoice): Promise<RemoteLine>;
  processInvoice(invoiceId: string): Promise<RemoteInvoice>;
  /**
   * The invoice's attachments (`GET /acq/invoices/{id}/attachments`, every page), each entry: its
   * id or name `''` when the entry does not give it.
   */
  listAttachments(invoiceId: string): Promise<RemoteAttachment[]>;
  /** Requests sent so far, retries included (the report's `summary.requests`). */
  requestCount(): number;
  /** The client, for the read-only checks a load runs before its first write (preflight.ts). */
  readonly http: CheckedClient;
  /** Releases the connection pool (only when this target created it). */
  close(): Promise<void>;
}

/** How a refusal says the invoice number is taken, whatever its code. */
const DUPLICATE_WORDS = /already exists?|not unique|duplicate/i;

export function createAlmaTarget(opts: AlmaTargetOptions): AlmaTarget {
  // Default rate 10: the sandbox threshold (docs/alma.md#requests-hosts-keys-and-thresholds).
  const http = createAlmaHttpClient({ ...opts, limiter: limiterFor(opts) });
  // The look-ups before the first write are, with `--check none`, its only requests: an address
  // that answers none of them as Alma's API is one stop, not a failure per invoice (answers.ts).
  // Its first round is `prepareLookups`, before any write; later look-ups (after writes it does
  // not hear, or in verify) are not judged by their silence.
  const lookupAnswers = new AnswerWatch('look-ups', { open: false });
  const lookup = new InvoiceLookup(lookupAnswers.watch(http));
  const idPath = (id: string): string => `/acq/invoices/${encodeURIComponent(id)}`;
  const readOne = (invoiceId: string, attachmentId: string) => attachmentOf(http, invoiceId, attachmentId);

  const target: AlmaTarget = {
    name: 'alma',
    label: 'Alma',
    // The journal is keyed by it: scheme, host and port, and the key's fingerprint, never the key —
    // a premium sandbox and production share one host, the key says which (common/fingerprint.ts).
    endpoint: accountAddress(new URL(http.baseUrl).origin, opts.apiKey),

    payloads: (invoice: Invoice) => ({ invoice: invoicePayload(invoice), lines: invoice.lines.map(linePayload) }),

    async prepareLookups(keys: InvoiceKey[]) {
      lookupAnswers.open();
      try {
        await lookup.prepare(keys);
      } finally {
        lookupAnswers.close();
      }
      lookupAnswers.verdict();
    },

    findInvoices: (key: InvoiceKey, o: { fresh: boolean; signal?: AbortSignal | undefined }) => lookup.find(key, o),

    async createInvoice(invoice: Invoice): Promise<RemoteInvoice> {
      const answer = await http.json({ method: 'POST', path: '/acq/invoices', body: invoicePayload(invoice) });
      const remote = toRemoteInvoice(answer);
      // Alma answered 200, so the invoice exists, but without its id we cannot go on: the
      // engine must look it up like any other unknown outcome.
      if (remote === undefined) throw unreadable('POST /acq/invoices', 'has no invoice id');
      lookup.noteCreated(invoice.key.vendor);
      return { ...remote, number: remote.number || invoice.key.number, vendor: remote.vendor || invoice.key.vendor, answer };
    },

    // 60288 "Invoice number not unique" is the OAS's only duplicate-number code
    // (docs/alma.md#errors-error-codes-and-alerts; which code Alma really sends is not
    // documented), so a create refused in words that say the number exists counts too: the
    // engine then looks the invoice up, and reports the refusal as it was if it finds nothing —
    // but after a create of that number went unanswered, as an unknown outcome (engine.ts
    // `#heldButUnseen`; docs/alma.md#inferred-not-documented).
    isDuplicateRefusal: (err: ApiError) => isRefusal(err) && (err.code === '60288' || DUPLICATE_WORDS.test(err.message)),

    // The seam's children are Alma's lines, keyed by their explicit numbers; finalize is
    // op=process_invoice (docs/alma.md#processing-and-workflow-statuses: create → lines → process).
    childKeys: (invoice: Invoice) => invoice.lines.map((l) => l.number),
    listChildren: (invoiceId: string) => target.listLines(invoiceId),
    addChild(invoiceId: string, key: string, invoice: Invoice): Promise<RemoteLine> {
      const line = invoice.lines.find((l) => l.number === key);
      if (line === undefined) throw new Error(`internal: invoice ${invoice.key.number} has no line ${key}`);
      return target.addLine(invoiceId, line, invoice);
    },
    // Nothing public says whether Alma takes lines of one invoice at once (docs/alma.md#invoice-lines-at-once);
    // a few at a time lets a batch of large invoices keep up the rate, and a refusal among them
    // sends that line again alone and the run back to one at a time.
    childrenAtOnce: 8,
    finalize: (invoiceId: string) => target.processInvoice(invoiceId),

    // Files after the lines, before processing (docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments).
    attachments: {
      files: (invoice: Invoice) => attachmentFiles(invoice, opts.cwd).map((f) => ({ name: f.name, path: f.path })),
      async find(invoiceId: string, file: AttachmentToSend): Promise<RemoteAttachment | undefined> {
        const size = readAttachment(file.path).length;
        const listed = await target.listAttachments(invoiceId);
        let untold: number | undefined;
        let unmeasured: RemoteAttachment | undefined;
        for (const [i, entry] of listed.entries()) {
          // An entry shown without its file name is read on its own for it (Ex Libris' example takes
          // the name from the one attachment, docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments):
          // skipped as another file, it could be this one, and it would be attached twice.
          const a = entry.name === '' && entry.id !== '' ? await readOne(invoiceId, entry.id) : entry;
          if (a.name === '') {
            untold ??= i + 1;
            continue;
          }
          if (a.name !== file.name) continue;
          // The listing may not say the size: read that one attachment's content to measure it.
          const measured = a.size ?? (a === entry && a.id !== '' ? (await readOne(invoiceId, a.id)).size : undefined);
          if (measured === size) return a;
          unmeasured ??= measured === undefined ? a : undefined;
        }
        // Its name, but no size nor content to measure (nothing public lists the fields of the
        // answer): taken as the file, with a warning. Sent again, a lost answer would attach it
        // twice; failed as unknown, the invoice could not be loaded against such an Alma at all.
        if (unmeasured !== undefined) return { ...unmeasured, unmeasured: true };
        // An entry that says neither its name nor where to read it may be this file: not absent.
        if (untold !== undefined) {
          throw new UnknownOutcomeError({
            httpStatus: 200,
            code: 'BAD_RESPONSE',
            message:
              `the answer to GET /acq/invoices/${invoiceId}/attachments has an attachment whose file name Alma does not give (entry ${untold} of ${listed.length}), ` +
              `so whether ${file.name} is attached already cannot be told: it was not sent, as a file is never attached twice. ` +
              `Check the invoice's attachments in Alma, attach ${file.name} there by hand if it is missing, then take it out of the attachment column and run the same command again`,
          });
        }
        return undefined;
      },
      async add(invoiceId: string, file: AttachmentToSend): Promise<RemoteAttachment> {
        const answer = await http.json({
          method: 'POST',
          path: `${idPath(invoiceId)}/attachments`,
          body: attachmentPayload(file.name, readAttachment(file.path)),
        });
        const remote = toRemoteAttachment(answer);
        if (remote === undefined || remote.id === '') {
          throw unreadable(`POST /acq/invoices/${invoiceId}/attachments`, 'has no attachment id');
        }
        return { ...remote, name: remote.name || file.name };
      },
    },

    async listAttachments(invoiceId: string): Promise<RemoteAttachment[]> {
      const all = await readAllPages(
        (offset) => http.json({ method: 'GET', path: `${idPath(invoiceId)}/attachments`, query: { limit: PAGE_SIZE, offset } }),
        'attachment',
        undefined,
        `GET /acq/invoices/${invoiceId}/attachments`,
      );
      // Every entry, even one that is not an object: each must be told apart from the file sought (`find`).
      return all.map((v) => toRemoteAttachment(v) ?? { id: '', name: '' });
    },

    async listLines(invoiceId: string): Promise<RemoteLine[]> {
      const all = await readAllPages(
        (offset) => http.json({ method: 'GET', path: `${idPath(invoiceId)}/lines`, query: { limit: PAGE_SIZE, offset } }),
        'invoice_line',
        undefined,
        `GET /acq/invoices/${invoiceId}/lines`,
      );
      return all.map((l) => toRemoteLine(l, { held: true })).filter((l): l is RemoteLine => l !== undefined);
    },

    async addLine(invoiceId: string, line: InvoiceLine): Promise<RemoteLine> {
      const answer = await http.json({ method: 'POST', path: `${idPath(invoiceId)}/lines`, body: linePayload(line) });
      const remote = toRemoteLine(answer);
      if (remote === undefined) throw unreadable(`POST /acq/invoices/${invoiceId}/lines`, 'has no line id or number');
      return { id: remote.id, number: remote.number || line.number, answer };
    },

    async processInvoice(invoiceId: string): Promise<RemoteInvoice> {
      // "An empty invoice object should be sent as a payload" (BLOG-CREATE; MIT-LLAMA sends "{}").
      // Processing is asynchronous: "the response for POST action might not include status and
      // alerts" (the invoice XSD; docs/alma.md#processing-and-workflow-statuses). A 2xx answer is
      // the request accepted, with or without an invoice in it (empty, `{}`): the outcome is read
      // as for any processed invoice. Sending it again would process it twice: an answer that is
      // not JSON (a proxy's page?) or JSON cut short leaves unknown whether Alma took it, as the
      // transport's `answer` says (UnknownOutcomeError naming the request, host and status).
      const res = await http.answer({ method: 'POST', path: idPath(invoiceId), query: { op: 'process_invoice' }, body: {} }, { empty: true });
      return (res.value !== undefined ? toRemoteInvoice(res.value) : undefined) ?? accepted(invoiceId);
    },

    readCost: (vendor: string, count: number) => lookup.readCost(vendor, count),

    async readInvoices(wanted: readonly { id: string; key: InvoiceKey }[]): Promise<Map<string, RemoteInvoice>> {
      const out = new Map<string, RemoteInvoice>();
      const one = async (id: string): Promise<void> => {
        out.set(id, await target.getInvoice(id));
      };
      await Promise.all(
        [...countByVendor(wanted)].map(async ([vendor, n]) => {
          const ids = wanted.filter((w) => w.key.vendor === vendor).map((w) => w.id);
          // The vendor's search (`q=vendor_code~`, lookup.ts `listVendor`) when it is cheaper: the
          // pages `prepare` costed, so no request more than before. The ones it does not show yet
          // are left out, and the engine reads those on their own.
          const listed = lookup.readCost(vendor, n) < n ? await lookup.listVendor(vendor) : undefined;
          if (listed === undefined) await Promise.all(ids.map(one));
          else for (const id of ids) if (listed.has(id)) out.set(id, listed.get(id)!);
        }),
      );
      return out;
    },

    async getInvoice(invoiceId: string): Promise<RemoteInvoice> {
      const answer: JsonValue = await http.json({ method: 'GET', path: idPath(invoiceId), query: { view: 'brief' } });
      const remote = toRemoteInvoice(answer, { held: true });
      if (remote === undefined) {
        throw new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message: `GET /acq/invoices/${invoiceId}: the answer has no invoice id` });
      }
      return remote;
    },

    // The canary and `verify`: the full invoice (lines inline), and the line list only when the
    // answer does not carry every line compared (all, or the canary's `numbers`).
    async readBack(invoiceId: string, invoice: Invoice, numbers?: readonly string[]) {
      const sent = numbers === undefined ? invoice.lines : invoice.lines.filter((l) => numbers.includes(l.number));
      const answer: JsonValue = await http.json({ method: 'GET', path: idPath(invoiceId) });
      const lines = hasLines(answer, sent.map((l) => l.number))
        ? undefined
        : await readAllPages(
            (offset) => http.json({ method: 'GET', path: `${idPath(invoiceId)}/lines`, query: { limit: PAGE_SIZE, offset } }),
            'invoice_line',
            undefined,
            `GET /acq/invoices/${invoiceId}/lines`,
          );
      return compareStored({ invoice: invoicePayload(invoice), lines: sent.map(linePayload) }, answer, lines);
    },

    canaryChildren: (invoice: Invoice) => coveringLines(invoice.lines.map(linePayload)),
    // A create and a line are answered with the object Alma made (OAS "Create Invoice", "Create
    // Invoice Line": rest_invoice, rest_invoice_line), so the canary compares those first
    // (docs/alma.md#reading-the-first-invoice-back-the-canary-verify).
    answerDifferences(invoice: Invoice, created: JsonValue, children: ReadonlyMap<string, JsonValue>) {
      const sent = invoice.lines.filter((l) => children.has(l.number));
      return compareStored({ invoice: invoicePayload(invoice), lines: sent.map(linePayload) }, created, [...children.values()]);
    },
    heldDifferences: (found: RemoteInvoice, invoice: Invoice) => (found.held === undefined ? [] : heldDifferences(invoicePayload(invoice), found.held)),
    heldChildDifferences: (lines: readonly RemoteLine[], invoice: Invoice) =>
      heldLineDifferences(
        invoice.lines.map(linePayload),
        lines.flatMap((l) => (l.held === undefined ? [] : [l.held])),
      ),

    requestCount: () => http.requests,
    http,
    close: () => closeQuietly(http),
  };
  return target;
}

/**
 * One attachment with its base64 content (`expand=content`, OpenAPI "Get Invoice Attachment"):
 * its name, and its size measured from the content. The id asked for when the answer has none.
 */
async function attachmentOf(http: CheckedClient, invoiceId: string, attachmentId: string): Promise<RemoteAttachment> {
  const answer = await http.json({
    method: 'GET',
    path: `/acq/invoices/${encodeURIComponent(invoiceId)}/attachments/${encodeURIComponent(attachmentId)}`,
    query: { expand: 'content' },
  });
  const a = toRemoteAttachment(answer) ?? { id: '', name: '' };
  return { ...a, id: a.id || attachmentId };
}

function countByVendor(wanted: readonly { key: InvoiceKey }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of wanted) counts.set(w.key.vendor, (counts.get(w.key.vendor) ?? 0) + 1);
  return counts;
}

/** A process request accepted without the invoice in its answer: its outcome is yet to be read. */
function accepted(id: string): RemoteInvoice {
  return { id, number: '', vendor: '', workflowStatus: undefined, approvalStatus: undefined, alerts: [], totalAmount: undefined, lineCount: undefined, processed: false, inReview: false };
}

function unreadable(what: string, why: string): UnknownOutcomeError {
  return new UnknownOutcomeError({ httpStatus: 200, code: 'BAD_RESPONSE', message: `the answer to ${what} ${why}` });
}

async function closeQuietly(http: CheckedClient): Promise<void> {
  await http.close().catch(() => undefined);
}

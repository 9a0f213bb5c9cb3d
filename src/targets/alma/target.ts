/**
 * The Alma Acquisitions target: create invoice → add each line → `op=process_invoice`
 * (alma-api.md §5.1), plus the look-ups the engine needs to load exactly once.
 */
import type { Invoice, InvoiceKey, InvoiceLine } from '../../domain/model.js';
import { RateLimiter, type Limiter } from '../../engine/limiter.js';
import { ApiError, UnknownOutcomeError } from '../../shared/errors.js';
import type { JsonValue } from '../../shared/json.js';
import type { HttpClient } from '../http.js';
import type { RemoteInvoice, RemoteLine, Target } from '../target.js';
import { createAlmaHttpClient, type AlmaClientOptions } from './client.js';
import { InvoiceLookup, PAGE_SIZE, readAllPages } from './lookup.js';
import { invoicePayload, linePayload } from './payload.js';
import { toRemoteInvoice, toRemoteLine } from './remote.js';

export interface AlmaTargetOptions extends AlmaClientOptions {
  /**
   * Requests per second for the limiter made when `limiter` is not given. Default 10, the
   * sandbox threshold (alma-api.md §2.3). Pass one shared `limiter` to pace several clients.
   */
  rate?: number | undefined;
}

export interface AlmaTarget extends Target {
  readonly name: 'alma';
  /** Requests sent so far, retries included (the report's `summary.requests`). */
  requestCount(): number;
  /** Releases the connection pool (only when this target created it). */
  close(): Promise<void>;
}

export function createAlmaTarget(opts: AlmaTargetOptions): AlmaTarget {
  const limiter: Limiter =
    opts.limiter ??
    new RateLimiter({
      rate: opts.rate ?? 10,
      // An injected sleep comes with its clock: the limiter must measure time on the same one.
      now: opts.now,
      sleep: opts.sleep,
      onEvent: opts.onEvent,
    });
  const http = createAlmaHttpClient({ ...opts, limiter });
  const lookup = new InvoiceLookup(http);
  const idPath = (id: string): string => `/acq/invoices/${encodeURIComponent(id)}`;

  return {
    name: 'alma',
    // The journal is keyed by it; scheme, host and port only, never the key.
    endpoint: new URL(http.baseUrl).origin,

    payloads: (invoice: Invoice) => ({ invoice: invoicePayload(invoice), lines: invoice.lines.map(linePayload) }),

    prepareLookups: (keys: InvoiceKey[]) => lookup.prepare(keys),

    findInvoices: (key: InvoiceKey, o: { fresh: boolean }) => lookup.find(key, o),

    async createInvoice(invoice: Invoice): Promise<RemoteInvoice> {
      const answer = await http.json({ method: 'POST', path: '/acq/invoices', body: invoicePayload(invoice) });
      const remote = toRemoteInvoice(answer);
      // Alma answered 200, so the invoice exists, but without its id we cannot go on: the
      // engine must look it up like any other unknown outcome.
      if (remote === undefined) throw unreadable('POST /acq/invoices', 'has no invoice id');
      return { ...remote, number: remote.number || invoice.key.number, vendor: remote.vendor || invoice.key.vendor };
    },

    async listLines(invoiceId: string): Promise<RemoteLine[]> {
      const all = await readAllPages(
        (offset) => http.json({ method: 'GET', path: `${idPath(invoiceId)}/lines`, query: { limit: PAGE_SIZE, offset } }),
        'invoice_line',
      );
      return all.map(toRemoteLine).filter((l): l is RemoteLine => l !== undefined);
    },

    async addLine(invoiceId: string, line: InvoiceLine): Promise<RemoteLine> {
      const answer = await http.json({ method: 'POST', path: `${idPath(invoiceId)}/lines`, body: linePayload(line) });
      const remote = toRemoteLine(answer);
      if (remote === undefined) throw unreadable(`POST /acq/invoices/${invoiceId}/lines`, 'has no line id');
      return { id: remote.id, number: remote.number || line.number };
    },

    async processInvoice(invoiceId: string): Promise<RemoteInvoice> {
      // "An empty invoice object should be sent as a payload" (BLOG-CREATE; MIT-LLAMA sends "{}").
      const answer = await http.json({ method: 'POST', path: idPath(invoiceId), query: { op: 'process_invoice' }, body: {} });
      const remote = toRemoteInvoice(answer);
      if (remote === undefined) throw unreadable(`POST /acq/invoices/${invoiceId}?op=process_invoice`, 'has no invoice');
      return remote;
    },

    async getInvoice(invoiceId: string): Promise<RemoteInvoice> {
      const answer: JsonValue = await http.json({ method: 'GET', path: idPath(invoiceId), query: { view: 'brief' } });
      const remote = toRemoteInvoice(answer);
      if (remote === undefined) {
        throw new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message: `GET /acq/invoices/${invoiceId}: the answer has no invoice id` });
      }
      return remote;
    },

    requestCount: () => http.requests,
    close: () => closeQuietly(http),
  };
}

function unreadable(what: string, why: string): UnknownOutcomeError {
  return new UnknownOutcomeError({ httpStatus: 200, code: 'BAD_RESPONSE', message: `the answer to ${what} ${why}` });
}

async function closeQuietly(http: HttpClient): Promise<void> {
  await http.close().catch(() => undefined);
}

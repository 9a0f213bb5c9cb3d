/**
 * The Alma API surface the sandbox emulates (under `/almaws/v1`), each route with the loader
 * step it belongs to (for fault rules and counters) and the invoice it is about.
 */
import type { JsonValue } from '../common/json.js';
import {
  AlmaError,
  renderCodeTable,
  renderFund,
  renderInvoice,
  renderLine,
  renderPoLine,
  renderVendor,
  renderAttachment,
  type RenderContext,
} from './alma-shapes.js';
import { field, text, wrapped, type JsonObject } from './body.js';
import type { Catalog } from './catalog.js';
import type { FaultSubject } from './faults.js';
import { listBody, pageParams, parseQuery, wordMatch } from './search.js';
import { INVOICE_SEARCH_FIELDS, type Store } from './store.js';
import type { Step } from './types.js';
import { tamper, type TamperConfig } from './tamper.js';

export interface RouteDeps {
  store: Store;
  cat: Catalog;
  ctx: RenderContext;
  now: () => number;
  processDelayMs: () => number;
  allowDuplicates: () => boolean;
  handleInvoicePayment: () => boolean;
  attachmentMaxBytes: () => number;
  /** Lists and searches show a new invoice or line only this long after it was written. */
  indexLagMs: () => number;
  /** The vendor's invoice listing leaves out every invoice not ACTIVE (types.ts `vendorInvoicesActiveOnly`). */
  vendorInvoicesActiveOnly: () => boolean;
  /** Fields dropped or altered on write (tamper.ts). */
  tamper: () => TamperConfig;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

export interface Route {
  step: Step;
  /** What the request is about, for `match` rules and permanent business errors. Never throws. */
  subject(body: JsonValue | undefined): FaultSubject;
  /** Applies the request; throws `AlmaError` for a refusal. */
  run(body: JsonValue | undefined): ApiAnswer;
}

const ok = (body: unknown): ApiAnswer => ({ status: 200, body });

/** Maps a request under /almaws/v1 (path segments after it) to its route. */
export function routeFor(method: string, segs: string[], query: URLSearchParams, d: RouteDeps): Route {
  const [area, res, id, sub, subId, ...rest] = segs;
  const extra = rest.length > 0;
  const about = (invoiceId: string | undefined): FaultSubject => {
    const inv = invoiceId === undefined ? undefined : d.store.find(invoiceId);
    return inv ? { invoiceNumber: inv.number, invoiceKey: inv.id } : {};
  };
  const none = (): FaultSubject => ({});

  if (area === 'acq' && res === 'invoices' && !extra) {
    if (id === undefined) {
      if (method === 'GET') return { step: 'lookup', subject: () => aboutQuery(query), run: () => listInvoices(query, d) };
      if (method === 'POST') {
        return {
          step: 'create',
          subject: (body) => {
            const b = body as JsonObject | undefined;
            const number = typeof b === 'object' && b !== null ? text(field(b, 'number')) : undefined;
            const vendor = typeof b === 'object' && b !== null ? wrapped(field(b, 'vendor')) : undefined;
            return { invoiceNumber: number, invoiceKey: number !== undefined && vendor !== undefined ? `${vendor}|${number}` : undefined };
          },
          run: (body) => {
            const inv = d.store.createInvoice(tamper(body, 'invoice', d.tamper()), { allowDuplicates: d.allowDuplicates(), now: d.now() });
            // Create answers 200 with the created object, not 201 (OAS,
            // docs/alma.md#errors-error-codes-and-alerts).
            return ok(renderInvoice(inv, d.ctx, true));
          },
        };
      }
    } else if (sub === undefined) {
      if (method === 'GET') {
        return {
          step: 'poll',
          subject: () => about(id),
          run: () => ok(renderInvoice(d.store.invoice(id), d.ctx, query.get('view') !== 'brief')),
        };
      }
      if (method === 'POST') {
        const op = query.get('op') ?? '';
        if (op === 'process_invoice') {
          return {
            step: 'process',
            subject: () => about(id),
            // The answer is the invoice as it is NOW: processing is asynchronous (XSD-INV,
            // docs/alma.md#processing-and-workflow-statuses).
            run: () => ok(renderInvoice(d.store.startProcessing(id, d.now(), d.processDelayMs()), d.ctx, true)),
          };
        }
        // The hand-over to finance and its answers are writes a loader must send once: faults apply.
        const erp = op === 'mark_in_erp' || op === 'paid' || op === 'rejected';
        return {
          step: erp ? 'erp' : 'other',
          subject: () => about(id),
          run: (body) => ok(renderInvoice(d.store.otherOp(id, op, body, { handleInvoicePayment: d.handleInvoicePayment() }), d.ctx, true)),
        };
      }
    } else if (sub === 'lines') {
      if (subId === undefined && method === 'GET') return { step: 'lookup', subject: () => about(id), run: () => listLines(id, query, d) };
      if (subId === undefined && method === 'POST') {
        return {
          step: 'line',
          subject: () => about(id),
          run: (body) => {
            const { invoice, line } = d.store.addLine(id, tamper(body, 'line', d.tamper()), d.now());
            return ok(renderLine(invoice, line, d.ctx));
          },
        };
      }
      if (subId !== undefined && method === 'GET') {
        return {
          step: 'read',
          subject: () => about(id),
          run: () => {
            const inv = d.store.invoice(id);
            const line = inv.lines.find((l) => l.id === subId);
            if (!line) throw new AlmaError(400, '402119', `General error: invoice line ${subId} not found in invoice ${id}.`);
            return ok(renderLine(inv, line, d.ctx));
          },
        };
      }
    } else if (sub === 'attachments') {
      if (subId === undefined && method === 'GET') {
        return {
          step: 'lookup',
          subject: () => about(id),
          run: () => {
            const { limit, offset } = pageParams(query);
            return ok(listBody('attachment', d.store.invoice(id).attachments ?? [], limit, offset, (a) => renderAttachment(id, a, d.ctx, false)));
          },
        };
      }
      if (subId === undefined && method === 'POST') {
        return {
          step: 'attachment',
          subject: () => about(id),
          run: (body) => ok(renderAttachment(id, d.store.addAttachment(id, body, d.now(), d.attachmentMaxBytes()), d.ctx, false)),
        };
      }
      if (subId !== undefined && method === 'GET') {
        return {
          step: 'read',
          subject: () => about(id),
          // "expand … Default value: content" (OAS "Get Invoice Attachment").
          run: () => ok(renderAttachment(id, d.store.attachment(id, subId), d.ctx, (query.get('expand') ?? 'content').includes('content'))),
        };
      }
    }
    if (sub === undefined || sub === 'lines' || sub === 'attachments') return wrongMethod(method);
  }

  if (area === 'acq' && res === 'vendors' && id !== undefined && subId === undefined && !extra) {
    if (method !== 'GET') return wrongMethod(method);
    const vendor = d.cat.vendors.get(id);
    if (sub === undefined) {
      return {
        step: 'read',
        subject: none,
        run: () => {
          // OAS says 401871; MIT's code checks 402880 for a missing vendor
          // (docs/alma.md#errors-error-codes-and-alerts). The sandbox answers 402880, so loaders
          // that only know the OAS code are caught.
          if (!vendor) throw new AlmaError(400, '402880', `Vendor ${id} not found.`);
          return ok(renderVendor(vendor, d.ctx));
        },
      };
    }
    if (sub === 'invoices') {
      return {
        step: 'lookup',
        subject: none,
        run: () => {
          if (!vendor) throw new AlmaError(400, '401871', `Vendor ${id} not found.`);
          const { limit, offset } = pageParams(query);
          const list = d.store.search({ clauses: [], vendor: id, baseStatus: d.vendorInvoicesActiveOnly() ? 'ACTIVE' : undefined, visibleBefore: visibleBefore(d) });
          return ok(listBody('invoice', list, limit, offset, (inv) => renderInvoice(inv, d.ctx, true)));
        },
      };
    }
  }

  if (area === 'acq' && res === 'funds' && id === undefined) {
    if (method !== 'GET') return wrongMethod(method);
    return { step: 'lookup', subject: none, run: () => listFunds(query, d) };
  }

  if (area === 'acq' && res === 'po-lines' && id === undefined) {
    if (method !== 'GET') return wrongMethod(method);
    return { step: 'lookup', subject: none, run: () => listPoLines(query, d) };
  }

  if (area === 'acq' && res === 'po-lines' && id !== undefined && sub === undefined) {
    if (method !== 'GET') return wrongMethod(method);
    return {
      step: 'read',
      subject: none,
      run: () => {
        const pol = d.cat.poLines.get(id);
        if (!pol) throw new AlmaError(400, '401871', `Po-Line ${id} not found.`);
        return ok(renderPoLine(pol, d.ctx));
      },
    };
  }

  if (area === 'conf' && res === 'code-tables' && id !== undefined && sub === undefined) {
    if (method !== 'GET') return wrongMethod(method);
    return {
      step: 'read',
      subject: none,
      run: () => {
        const t = renderCodeTable(id, d.cat);
        if (!t) throw new AlmaError(400, '402119', `General error: code table ${id} not found.`);
        return ok(t);
      },
    };
  }

  return {
    step: 'other',
    subject: none,
    run: () => {
      throw new AlmaError(404, 'NOT_FOUND', `No such resource in the sandbox: ${method} /almaws/v1/${segs.join('/')}`);
    },
  };
}

function wrongMethod(method: string): Route {
  return {
    step: 'other',
    subject: () => ({}),
    run: () => {
      throw new AlmaError(400, '402119', `General error: method ${method} is not supported on this resource by the sandbox.`);
    },
  };
}

/** A search is about the invoice number it looks for (`q=invoice_number~N`). */
function aboutQuery(query: URLSearchParams): FaultSubject {
  const m = /(?:^|\s)invoice_number~(.*?)(?:\s+AND\s+|$)/i.exec(query.get('q') ?? '');
  return m ? { invoiceNumber: m[1] } : {};
}

/** The newest write a list may show: reads by id are immediate, lists lag by `indexLagMs`. */
const visibleBefore = (d: RouteDeps): number => d.now() - d.indexLagMs();

function listInvoices(query: URLSearchParams, d: RouteDeps): ApiAnswer {
  const clauses = parseQuery(query.get('q'), INVOICE_SEARCH_FIELDS);
  const { limit, offset } = pageParams(query);
  const opt = (k: string): string | undefined => query.get(k) || undefined;
  const list = d.store.search({
    clauses,
    baseStatus: opt('base_status'),
    workflow: opt('invoice_workflow_status'),
    owner: opt('owner'),
    creationForm: opt('creation_form'),
    visibleBefore: visibleBefore(d),
  });
  // view=brief: "invoices will be returned without lines" (OAS).
  const full = query.get('view') !== 'brief';
  return ok(listBody('invoice', list, limit, offset, (inv) => renderInvoice(inv, d.ctx, full)));
}

function listLines(id: string, query: URLSearchParams, d: RouteDeps): ApiAnswer {
  const inv = d.store.invoice(id);
  const clauses = parseQuery(query.get('q'), ['invoice_line_number']);
  const { limit, offset } = pageParams(query);
  const cutoff = visibleBefore(d);
  const lines = inv.lines.filter(
    (l) => (l.addedAt === undefined || l.addedAt <= cutoff) && clauses.every((c) => wordMatch(c.value, l.number)),
  );
  return ok(listBody('invoice_line', lines, limit, offset, (l) => renderLine(inv, l, d.ctx)));
}

/**
 * `GET /acq/po-lines`: word search on `number`, `vendor_code`, `all`; `status` ACTIVE, CLOSED,
 * CANCELLED, ALL (the default: every status but CLOSED) or ALL_WITH_CLOSED (OAS).
 */
function listPoLines(query: URLSearchParams, d: RouteDeps): ApiAnswer {
  const clauses = parseQuery(query.get('q'), ['number', 'vendor_code', 'all']);
  const { limit, offset } = pageParams(query);
  const status = query.get('status') || 'ALL';
  const pols = d.cat.seed.po_lines.filter(
    (p) =>
      (status === 'ALL_WITH_CLOSED' || (status === 'ALL' ? p.status !== 'CLOSED' : p.status === status)) &&
      clauses.every((c) => wordMatch(c.value, c.field === 'number' ? p.number : c.field === 'vendor_code' ? p.vendor : `${p.number} ${p.vendor} ${p.title}`)),
  );
  return ok(listBody('po_line', pols, limit, offset, (p) => renderPoLine(p, d.ctx)));
}

/** `mode=POL`: "ready to be used for a PO-Line, allocated and active", searching only fund_code (OAS). */
function listFunds(query: URLSearchParams, d: RouteDeps): ApiAnswer {
  const pol = query.get('mode') === 'POL';
  const clauses = parseQuery(query.get('q'), pol ? ['fund_code'] : ['fund_code', 'name', 'description', 'all']);
  const { limit, offset } = pageParams(query);
  const status = query.get('status') || undefined;
  const funds = d.cat.seed.funds.filter(
    (f) =>
      (!pol || (f.status === 'ACTIVE' && f.type === 'ALLOCATED')) &&
      (status === undefined || f.status === status) &&
      clauses.every((c) =>
        wordMatch(c.value, c.field === 'fund_code' ? f.code : c.field === 'all' ? `${f.code} ${f.name}` : f.name),
      ),
  );
  return ok(listBody('fund', funds, limit, offset, (f) => renderFund(f, d.ctx)));
}

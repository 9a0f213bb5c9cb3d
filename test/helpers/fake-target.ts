/**
 * An in-memory Alma for engine tests: it keeps invoices, lines and process counts, processes
 * asynchronously (an invoice shows as processed only on the read after the process request),
 * and can be scripted to fail a given call before or after applying it. Every call is logged.
 */
import { Decimal } from 'decimal.js';
import type { Invoice, InvoiceKey, InvoiceLine } from '../../src/domain/model.js';
import type { RemoteInvoice, RemoteLine, Target } from '../../src/targets/target.js';
import { ApiError, AuthError, DailyLimitError, UnknownOutcomeError } from '../../src/common/errors.js';

export interface StoredInvoice {
  id: string;
  vendor: string;
  number: string;
  total: string;
  lines: { number: string; id: string }[];
  processCount: number;
  /** Reads left before processing shows (asynchronous processing). */
  settlesAfterReads: number;
  state: 'new' | 'processing' | 'done';
  alerts: { code: string; description: string }[];
}

export type Method = 'findInvoices' | 'createInvoice' | 'listLines' | 'addLine' | 'processInvoice' | 'getInvoice';

/** A scripted failure: on the n-th call (1-based) of `method` (any method when absent). */
export interface Fault {
  call: number;
  method?: Method;
  /**
   * crash: the process dies (not an ApiError); lost: applied, answer lost; before: not applied, 500; business: 400; auth: 401;
   * bad-response: a read's 2xx answer cut short (transport/http.ts `json`: BAD_RESPONSE); daily: not applied, the daily threshold (429).
   */
  kind: 'crash-before' | 'crash-after' | 'lost' | 'before' | 'business' | 'auth' | 'bad-response' | 'daily';
}

export class Crash extends Error {
  constructor() {
    super('simulated kill');
  }
}

export class FakeAlma {
  invoices: StoredInvoice[] = [];
  created = new Map<string, number>();
  log: string[] = [];
  private nextId = 9900000000000001021n;
  faults: Fault[] = [];
  dead = false;
  private calls = 0;
  private callsBy = new Map<Method, number>();
  /** How many reads an invoice needs after the process request before it shows as processed. */
  processReads = 1;
  /**
   * Alerts show before processing too, and are read as Alma's target reads them (In Review with
   * an alert counts as processed, targets/alma/remote.ts): sample 03 is In Review with an alert.
   */
  alertsShowEarly = false;
  /** Alerts a new invoice has from its create (sample 03: a new invoice In Review with NOT_READY_LINES). */
  alertsOnCreate: { code: string; description: string }[] = [];
  /** Answers carry `number_of_lines` (an implementation may leave it out: nothing says it must). */
  lineCountShown = true;

  newId(): string {
    this.nextId += 1000n;
    return this.nextId.toString();
  }

  private remote(s: StoredInvoice): RemoteInvoice {
    const processed = s.state === 'done' || (this.alertsShowEarly && s.alerts.length > 0);
    const inReview = s.state !== 'done' || s.alerts.length > 0;
    return {
      id: s.id,
      number: s.number,
      vendor: s.vendor,
      totalAmount: s.total,
      workflowStatus: inReview ? 'InReview' : 'Waiting to be Sent',
      approvalStatus: inReview ? 'PENDING' : 'APPROVED',
      alerts: processed ? s.alerts : [],
      processed,
      inReview,
      lineCount: this.lineCountShown ? s.lines.length : undefined,
    };
  }

  private async call<T>(method: Method, detail: string, apply: () => T): Promise<T> {
    if (this.dead) throw new Crash();
    await Promise.resolve();
    this.calls++;
    const n = (this.callsBy.get(method) ?? 0) + 1;
    this.callsBy.set(method, n);
    const fault = this.faults.find((f) => (f.method ? f.method === method && f.call === n : f.call === this.calls));
    this.log.push(`${method} ${detail}${fault ? ` !${fault.kind}` : ''}`);
    switch (fault?.kind) {
      case 'crash-before':
        this.dead = true;
        throw new Crash();
      case 'crash-after':
        apply();
        this.dead = true;
        throw new Crash();
      case 'lost':
        apply();
        throw new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'socket hang up' });
      case 'before':
        if (method === 'createInvoice' || method === 'addLine' || method === 'processInvoice') {
          throw new UnknownOutcomeError({ httpStatus: 500, code: 'INTERNAL', message: 'Internal server error', trackingId: 'E01-T' });
        }
        throw new ApiError({ httpStatus: 500, code: 'INTERNAL', message: 'read failed' });
      case 'business':
        throw new ApiError({ httpStatus: 400, code: '60237', message: 'Invoice vendor account not valid', trackingId: 'E02-TRACK' });
      case 'bad-response':
        throw new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message: `unreadable answer to GET /acq/invoices/${detail}: Unexpected end of JSON input` });
      case 'daily':
        throw new DailyLimitError({ httpStatus: 429, code: 'DAILY_THRESHOLD', message: 'Daily API threshold reached' });
      case 'auth':
        throw new AuthError({ httpStatus: 401, code: 'UNAUTHORIZED', message: 'API-key not defined' });
      default:
        return apply();
    }
  }

  target(): Target {
    const self = this;
    const find = (id: string): StoredInvoice => {
      const s = self.invoices.find((i) => i.id === id);
      if (!s) throw new ApiError({ httpStatus: 400, code: '412400', message: `Invoice ${id} not found` });
      return s;
    };
    return {
      name: 'alma',
      label: 'Alma',
      endpoint: 'fake://alma',
      payloads: () => ({ invoice: {}, lines: [] }),
      prepareLookups: async () => undefined,
      findInvoices: (key: InvoiceKey) =>
        self.call('findInvoices', key.number, () =>
          self.invoices.filter((i) => i.vendor === key.vendor && i.number === key.number).map((i) => self.remote(i)),
        ),
      createInvoice: (inv: Invoice) =>
        self.call('createInvoice', inv.key.number, () => {
          const s: StoredInvoice = {
            id: self.newId(),
            vendor: inv.key.vendor,
            number: inv.key.number,
            total: inv.header.totalAmount.toFixed(),
            lines: [],
            processCount: 0,
            settlesAfterReads: 0,
            state: 'new',
            alerts: self.alertsOnCreate.map((a) => ({ ...a })),
          };
          self.invoices.push(s);
          const k = `${s.vendor}/${s.number}`;
          self.created.set(k, (self.created.get(k) ?? 0) + 1);
          return self.remote(s);
        }),
      // Alma's shape behind the generic seam; the log keeps Alma's method names.
      childKeys: (inv: Invoice) => inv.lines.map((l: InvoiceLine) => l.number),
      listChildren: (id: string) => self.call('listLines', id, (): RemoteLine[] => find(id).lines.map((l) => ({ ...l }))),
      addChild: (id: string, number: string) =>
        self.call('addLine', `${id}#${number}`, (): RemoteLine => {
          const s = find(id);
          if (s.state !== 'new') throw new ApiError({ httpStatus: 400, code: '60285', message: 'Invoice not valid (processed)' });
          const l = { number, id: self.newId() };
          s.lines.push(l);
          return { ...l };
        }),
      finalize: (id: string) =>
        self.call('processInvoice', id, () => {
          const s = find(id);
          if (s.state !== 'new') throw new ApiError({ httpStatus: 400, code: '60260', message: 'Failed to start invoice process' });
          s.processCount++;
          s.state = 'processing';
          s.settlesAfterReads = self.processReads;
          if (s.lines.length === 0) s.alerts = [{ code: 'NO_LINES', description: 'no lines' }];
          return self.remote(s);
        }),
      getInvoice: (id: string) =>
        self.call('getInvoice', id, () => {
          const s = find(id);
          if (s.state === 'processing' && --s.settlesAfterReads <= 0) s.state = 'done';
          return self.remote(s);
        }),
    };
  }
}

/** A minimal valid canonical invoice for engine tests (validation is tested elsewhere). */
export function makeInvoice(vendor: string, number: string, lineCount: number, total = String(10 * lineCount)): Invoice {
  const lines: InvoiceLine[] = Array.from({ length: lineCount }, (_, i) => ({
    number: String(i + 1),
    price: new Decimal(10),
    quantity: 1,
    funds: [{ fundCode: 'FUND', percent: new Decimal(100), source: { file: 't.csv', row: i + 2 } }],
    vat: {},
    rows: [{ file: 't.csv', row: i + 2 }],
  }));
  return {
    key: { vendor, number },
    header: {
      number,
      date: '2026-01-15',
      vendor,
      totalAmount: new Decimal(total),
      currency: 'USD',
      vat: {},
      charges: {},
      payment: {},
    },
    lines,
    rows: lines.flatMap((l) => l.rows),
  };
}

/**
 * FakeAlma whose searches and line listings show a write only `lagMs` (virtual) after it; reads
 * by id at once. `born`: when each id was written, shared by the targets of runs on one FakeAlma.
 */
export function laggingTarget(alma: FakeAlma, lagMs: number, now: () => number, born = new Map<string, number>()): Target {
  const t = alma.target();
  const stamp = (): void => {
    for (const s of alma.invoices) {
      if (!born.has(s.id)) born.set(s.id, now());
      for (const l of s.lines) if (!born.has(l.id)) born.set(l.id, now());
    }
  };
  const shown = (id: string): boolean => now() - (born.get(id) ?? 0) >= lagMs;
  return {
    ...t,
    async createInvoice(inv) {
      try {
        return await t.createInvoice(inv);
      } finally {
        stamp();
      }
    },
    async addChild(id, number, inv) {
      try {
        return await t.addChild(id, number, inv);
      } finally {
        stamp();
      }
    },
    findInvoices: async (key, o) => (await t.findInvoices(key, o)).filter((r) => shown(r.id)),
    listChildren: async (id, inv) => (await t.listChildren(id, inv)).filter((l) => shown(l.id)),
  };
}

/**
 * `t`, with `stop` aborted as the create of invoice `number` is sent (any create when omitted):
 * a first Ctrl-C at that moment, so the run takes no other invoice.
 */
export function stoppingAtCreate(t: Target, stop: AbortController, number?: string): Target {
  return {
    ...t,
    async createInvoice(inv) {
      if (number === undefined || inv.key.number === number) stop.abort();
      return t.createInvoice(inv);
    },
  };
}

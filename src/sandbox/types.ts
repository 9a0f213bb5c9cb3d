/**
 * Public types of the embedded Alma-compatible sandbox. The sandbox is the default target a new
 * user tries and the server every end-to-end, fault, kill and benchmark test runs against.
 */
import type { SandboxSeed } from './seed.js';

/** Fault kinds (see `faults.ts` for what each does to the request and to the data). */
export const FAULT_KINDS = [
  'error_before',
  'drop_before',
  'lost_after',
  'error_after',
  'timeout',
  'throttle',
  'business',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * The step a request belongs to, as a loader sees it: `lookup` = GET list/search,
 * `create` = POST invoice, `line` = POST line, `process` = POST op=process_invoice,
 * `poll` = GET one invoice, `read` = any other GET, `attachment` = POST an invoice attachment,
 * `erp` = POST op=mark_in_erp, op=paid or op=rejected (the hand-over to finance and its answer).
 */
export const FAULT_STEPS = ['lookup', 'create', 'line', 'process', 'poll', 'read', 'attachment', 'erp'] as const;
export type FaultStep = (typeof FAULT_STEPS)[number];
/** `other` = requests no fault is ever injected into (other ops, wrong methods, unknown paths). */
export type Step = FaultStep | 'other';

/** Steps that change data: a business fault there is permanent for the invoice it is about. */
export const WRITE_STEPS: ReadonlySet<FaultStep> = new Set(['create', 'line', 'process', 'attachment', 'erp']);

export interface FaultRule {
  step: FaultStep;
  kind: FaultKind;
  /** How many times the rule fires (default 1). */
  times?: number | undefined;
  /** Only requests about the invoice with this number (create: the body's number; lookup: the q value). */
  match?: string | undefined;
  /** Skip the first N matching requests (default 0). */
  after?: number | undefined;
}

export interface FaultConfig {
  /** Probability per request (0..1) of a random fault, drawn from `faultKinds`. */
  faultRate?: number | undefined;
  /** Kinds random faults are drawn from, uniformly (default: all kinds that fit the step). */
  faultKinds?: FaultKind[] | undefined;
  /** Steps random faults may hit (default all), e.g. `create,line,process` for "lost POST answers". */
  faultSteps?: FaultStep[] | undefined;
  /** Targeted rules, checked before random faults; the first rule that fires wins. */
  faults?: FaultRule[] | undefined;
  /** Seed of the fault PRNG (default 42). Same seed + same request sequence → same faults. */
  randomSeed?: number | undefined;
}

/** Settings that can change at runtime (`configure`, `POST /_sandbox/config`). */
export interface SandboxConfig {
  /**
   * Per-second threshold (sliding 1-second window). Alma 2016: 25/s
   * (docs/alma.md#requests-hosts-keys-and-thresholds).
   */
  perSecond: number;
  /** Daily threshold; resets at midnight UTC of the injected clock. */
  daily: number;
  /** Fixed latency added before every answer. */
  latencyMs: number;
  /**
   * Delay until an `op=process_invoice` settles (processing is asynchronous,
   * docs/alma.md#processing-and-workflow-statuses).
   */
  processDelayMs: number;
  /** Alma's `invoice_not_unique=true`: accept a second invoice with the same vendor and number. */
  allowDuplicates: boolean;
  /**
   * How long a new invoice (or line) stays out of every list and search — the invoice word search,
   * the vendor's invoice listing, an invoice's line listing — while a read by id shows it at once.
   * Alma documents nothing about how fresh its searches are (docs/alma.md#look-ups-and-how-fresh-they-are),
   * so the loader must not depend on it; 0 (the default) shows everything at once.
   */
  indexLagMs: number;
  /**
   * Add `Retry-After` to 429s. Alma does not document one
   * (docs/alma.md#requests-hosts-keys-and-thresholds), so it is off by default.
   */
  retryAfter: boolean;
  /** How long a `timeout` fault holds the connection before destroying it. */
  timeoutHoldMs: number;
  /**
   * Alma's `handle_invoice_payment` setting: after `op=mark_in_erp` an invoice waits for its
   * payment (`Ready to be Paid`, "Waiting for Payment") when true, or is closed when false.
   */
  handleInvoicePayment: boolean;
  /** Largest attachment accepted, in bytes (a larger one is refused with 60322). */
  attachmentMaxBytes: number;
  /**
   * `GET /acq/vendors/{code}/invoices` lists only the vendor's ACTIVE invoices (a closed one is left
   * out) when true. The OAS does not say which invoices that listing holds
   * (docs/alma.md#look-ups-and-how-fresh-they-are), so listing only the active ones is as
   * conformant as listing all (the default); tests use it to check that no look-up proves an
   * invoice absent from that listing.
   */
  vendorInvoicesActiveOnly: boolean;
  /**
   * Fields dropped from an invoice or line write before it is stored (`note`, `total_amount`,
   * `line.price`, …; sandbox/tamper.ts), as Alma drops a key it does not know: tests the canary.
   */
  dropFields: string[];
  /** Fields stored with another value than sent (a number + 1, a date a day later, …; sandbox/tamper.ts). */
  alterFields: string[];
}

export type SandboxLogger = (message: string) => void;

export interface SandboxOptions extends Partial<SandboxConfig>, FaultConfig {
  port?: number | undefined;
  /** Default 127.0.0.1. */
  host?: string | undefined;
  /** Seed object or path; default `fixtures/sandbox-seed.json` of the package (not the cwd). */
  seed?: SandboxSeed | string | undefined;
  /** When set, only these keys are accepted (others get Alma's 401 XML); unset = any key or none. */
  apiKeys?: string[] | undefined;
  /**
   * Keys accepted for reading only: a write (POST, PUT, DELETE) with one gets the same 401 XML as
   * a wrong key — what a key with Acquisitions read-only access meets (docs/alma.md#requests-hosts-keys-and-thresholds).
   * With `apiKeys` set, these are accepted beside them.
   */
  readOnlyKeys?: string[] | undefined;
  /**
   * Keys with rights to the Acquisitions area alone (docs/alma.md#requests-hosts-keys-and-thresholds:
   * a key's rights are set per area): a request outside `/acq` — the code tables under `/conf` —
   * gets the same 401 XML as a wrong key. With `apiKeys` set, these are accepted beside them.
   */
  acquisitionsOnlyKeys?: string[] | undefined;
  /** Load state from this file at start (if it exists) and write it atomically after every change. */
  statePath?: string | undefined;
  /** Injectable clock (ms since epoch) for thresholds, processing delay and dates. */
  now?: (() => number) | undefined;
  logger?: SandboxLogger | undefined;
}

export interface StateLine {
  id: string;
  number: string;
  type: string;
  /** '' when the line is not linked to a PO line. */
  po_line: string;
  price: string;
  quantity: number;
  total_price: string;
  funds: Array<{ code: string; percent: string; amount: string }>;
}

export interface StateInvoice {
  id: string;
  vendor: string;
  number: string;
  vendor_account: string;
  currency: string;
  total_amount: string;
  /** Workflow status code (`InReview`, `Waiting to be Sent`, …). */
  status: string;
  approval: string;
  base_status: string;
  alerts: string[];
  /** `not_started`: never processed; `pending`: op=process_invoice accepted, not settled yet. */
  processing: 'not_started' | 'pending' | 'settled';
  origin: 'seed' | 'api';
  lines: StateLine[];
  /** Files attached through the API: name and size in bytes. */
  attachments: Array<{ id: string; file_name: string; size: number }>;
  payment: { status: string; voucher_number: string; voucher_date: string | null; voucher_amount: string; voucher_currency: string };
  notes: string[];
}

/** `GET /_sandbox/state`: a truthful view of what was created, for tests. */
export interface SandboxStateDump {
  invoices: StateInvoice[];
  counters: {
    /** Invoices created through the API, per vendor, per number. */
    created: Record<string, Record<string, number>>;
    /** Lines added through the API, per invoice id, per line number. */
    linePosts: Record<string, Record<string, number>>;
    /** Accepted op=process_invoice requests per invoice id. */
    processCount: Record<string, number>;
    /** Attachments added through the API, per invoice id, per file name. */
    attachmentPosts: Record<string, Record<string, number>>;
    /** Accepted op=mark_in_erp / paid / rejected requests, per invoice id, per op. */
    erpOps: Record<string, Record<string, number>>;
    /** Alma API requests received, keyed "METHOD step" (e.g. "POST create"). */
    requests: Record<string, number>;
    requestsTotal: number;
    /** 429 answers sent: over the per-second window, over the daily threshold, injected by a fault. */
    throttled: { total: number; perSecond: number; daily: number; injected: number };
    unauthorized: number;
    /** Faults injected, per kind. */
    faults: Record<FaultKind, number>;
    /** Requests that did not ask for JSON (`Accept`), and POSTs without a JSON `Content-Type`. */
    notJsonAccept: number;
    notJsonContentType: number;
  };
  config: SandboxConfig;
  faults: FaultConfig;
  dailyRemaining: number;
}

export interface SandboxHandle {
  /** `http://127.0.0.1:PORT` (append `/almaws/v1/...`). */
  url: string;
  port: number;
  /** Stops the server and ends open and held connections at once. */
  close(): Promise<void>;
  state(): SandboxStateDump;
  configure(patch: Partial<SandboxConfig>): void;
  /** Replaces the fault configuration (rule progress and the PRNG start over). */
  setFaults(config: FaultConfig): void;
  /** Back to the seed: data, counters, thresholds and fault progress. */
  reset(): void;
}

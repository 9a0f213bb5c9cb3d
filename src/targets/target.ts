/**
 * The seam between the engine and an invoice API. The engine owns ordering, the journal,
 * resume and reconciliation; a target only knows how to talk to its API. Every method may
 * throw `ApiError` (a definite refusal), `UnknownOutcomeError` (a write that may or may not
 * have happened), `AuthError` or `DailyLimitError`. Retries of safe requests, pacing and
 * 429 handling happen below this interface (see `src/targets/http.ts`).
 */
import type { Invoice, InvoiceKey, InvoiceLine } from '../domain/model.js';

export interface Alert {
  code: string;
  description: string;
}

/** What the target holds for one invoice. */
export interface RemoteInvoice {
  id: string;
  number: string;
  vendor: string;
  workflowStatus?: string | undefined;
  approvalStatus?: string | undefined;
  alerts: Alert[];
  /** The invoice's total as the target holds it (exact decimal text), to tell our invoice from another with the same number. */
  totalAmount?: string | undefined;
  /** Number of lines the target reports, when it says. */
  lineCount?: number | undefined;
  /**
   * Whether processing has visibly run. Alma has no flag for it: an invoice that left
   * "In Review", or carries alerts, has been processed; one "In Review" with no alert has not
   * (or its asynchronous processing has not finished yet).
   */
  processed: boolean;
  /** True when the invoice is to be reported as sent to review (Alma: workflow status InReview). */
  inReview: boolean;
}

export interface RemoteLine {
  id: string;
  number: string;
}

export interface TargetEventSink {
  (event: TargetEvent): void;
}

/** What happens below the target interface that the terminal may want to show. */
export type TargetEvent =
  | { type: 'request'; method: string; path: string; status: number; ms: number; attempt: number }
  | { type: 'retry'; method: string; path: string; attempt: number; delayMs: number; reason: string }
  | { type: 'throttle'; rate: number; reason: string }
  | { type: 'remaining'; remaining: number };

export interface Target {
  /** `alma`, `exsited`, `alguna` — the report's `target`. */
  readonly name: string;
  /**
   * Identity of the place invoices go (scheme, host and port, or the sandbox's state file),
   * never the key. The journal is keyed by it, so two institutions never share a journal.
   */
  readonly endpoint: string;

  /** The exact bodies that would be sent, for `--show-payloads`. */
  payloads(invoice: Invoice): { invoice: unknown; lines: unknown[] };

  /**
   * Called once with every key of the run before any write, so the target can choose a
   * cheaper look-up strategy (e.g. list a vendor's invoices once instead of one search each).
   */
  prepareLookups(keys: InvoiceKey[]): Promise<void>;
  /**
   * Finds the invoice with exactly this vendor and number. `fresh` forbids answering from
   * anything prepared earlier: used after a write whose outcome is unknown.
   * More than one match (institutions with invoice_not_unique=true) returns all of them.
   */
  findInvoices(key: InvoiceKey, opts: { fresh: boolean }): Promise<RemoteInvoice[]>;
  createInvoice(invoice: Invoice): Promise<RemoteInvoice>;
  listLines(invoiceId: string): Promise<RemoteLine[]>;
  addLine(invoiceId: string, line: InvoiceLine, invoice: Invoice): Promise<RemoteLine>;
  /** Starts processing. The answer may predate the outcome (Alma processes asynchronously). */
  processInvoice(invoiceId: string): Promise<RemoteInvoice>;
  getInvoice(invoiceId: string): Promise<RemoteInvoice>;
}

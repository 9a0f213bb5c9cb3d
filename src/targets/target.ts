/**
 * The seam between the engine and an invoice API. The engine owns ordering, the journal,
 * resume and reconciliation; a target only knows how to talk to its API. Every method may
 * throw `ApiError` (a definite refusal), `UnknownOutcomeError` (a write that may or may not
 * have happened), `AuthError` or `DailyLimitError`. Retries of safe requests, pacing and
 * 429 handling happen below this interface (see `src/transport/http.ts`).
 */
import type { PayloadPreview, ShownPayloads } from './definition.js';
import type { Invoice, InvoiceKey } from '../domain/model.js';
import type { ApiError } from '../common/errors.js';
import type { JsonValue } from '../common/json.js';

export interface Alert {
  code: string;
  description: string;
}

/** What the target holds for one invoice. */
/**
 * Thrown by a target's `readBack` when the invoice read by id is held only as deleted or
 * withdrawn (`RemoteInvoice.withdrawn`): its fields are not compared as a live invoice's.
 * `invoice-load verify` reports it `missing` (README, "invoice-load verify").
 */
export class WithdrawnInvoiceError extends Error {
  constructor(
    readonly invoice: RemoteInvoice,
    readonly status: string | undefined,
  ) {
    super(`invoice ${invoice.id} is held only as deleted or withdrawn${status !== undefined ? ` (status ${status})` : ''}`);
    this.name = 'WithdrawnInvoiceError';
  }
}

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
   * Set on a look-up match the loader can tell it did not make (FOLIO: its id is not the
   * name-based id the loader gives this invoice, targets/folio/ids.ts): keyed in by hand, or sent
   * by another tool. A load never adds lines to it nor finalizes it: it is reported and left as it
   * is (`EXISTS_NOT_OURS`, targets/matches.ts `notOursText`). Absent: the target cannot tell
   * (Alma), and any match may be adopted.
   */
  notOurs?: true | undefined;
  /**
   * The target holds the record only as deleted or withdrawn (Exsited: status `DELETED` or `VOID`; Alguna:
   * `void` or `canceled`; FOLIO: `Cancelled`): it is no longer the vendor's invoice there. A look-up leaves it out,
   * and a read by id of one another journal recorded (engine/elsewhere.ts `findWithElsewhere`)
   * leaves it out as it would a 404, so a re-run creates the invoice again instead of adopting it.
   */
  withdrawn?: true | undefined;
  /**
   * Whether processing has visibly run. Alma has no flag for it: an invoice that left
   * "In Review", or carries alerts, has been processed; one "In Review" with no alert has not
   * (or its asynchronous processing has not finished yet).
   * A target without a finalize step says true when the invoice is complete as found (Alguna:
   * created whole in one request) and false when its children must still be checked (Exsited).
   */
  processed: boolean;
  /** True when the invoice is to be reported as sent to review (Alma: workflow status InReview). */
  inReview: boolean;
  /**
   * Child items the target created inline with the invoice and names in its answer (Alguna's
   * line items, keyed by our line number). The engine journals them, so the report carries
   * their ids; they are never added one by one.
   */
  children?: RemoteLine[] | undefined;
  /** The target's own amounts (Alguna/Exsited `subtotal`, `tax`, `total`), exact decimal text, for the report. */
  amounts?: Record<string, string> | undefined;
  /**
   * The invoice as the target answered it, without its lines, when it may be compared with the
   * batch (`Target.heldDifferences`): set on look-up matches of the batch's invoices and on reads
   * by id, not on every invoice of a vendor's listing.
   */
  held?: JsonValue | undefined;
  /**
   * The answer to the create that made it, as the target gave it: what the canary compares first
   * (`Target.answerDifferences`). Set by `createInvoice` only, never by a look-up.
   */
  answer?: JsonValue | undefined;
}

/**
 * One child item of an invoice in the target, keyed by a key that is stable across runs:
 * Alma lines by line number, the Exsited note by its note key (`number` keeps the report's name).
 */
export interface RemoteLine {
  id: string;
  number: string;
  /** The line as the target listed it, to compare a found invoice's lines with the batch's (`Target.heldDifferences`). */
  held?: JsonValue | undefined;
  /** The answer to the request that added it (`addChild` only), for the canary (`Target.answerDifferences`). */
  answer?: JsonValue | undefined;
}

/**
 * A field the invoice was sent with that the target did not store as sent (the canary and
 * `invoice-load verify`): its name (`note`, `line 2 price`), the value sent and the value stored
 * (`nothing` when the target shows no such field).
 */
export interface FieldDifference {
  field: string;
  sent: string;
  stored: string;
  /** What to do about it, when the target knows (Exsited: define its custom attributes); said in the canary's message, not in the report. */
  advice?: string | undefined;
  /**
   * A field the target may write its own text into (Alma's line `vat_note`): a difference there is
   * said as a warning (`stored_otherwise`), never a canary stop (docs/alma.md#reading-the-first-invoice-back-the-canary-verify).
   */
  tolerated?: true | undefined;
}

/** What happens below the target interface that the terminal may want to show (src/transport/events.ts). */
export type { TargetEvent, TargetEventSink } from '../transport/events.js';
/** A file the target holds under an invoice: its id, its name, and its size when the listing says. */
export interface RemoteAttachment {
  /** `''` when the target listed it without one. */
  id: string;
  name: string;
  size?: number | undefined;
  /**
   * Held under the file's name, but its size could not be measured (the target gave neither it
   * nor the content): taken as the file all the same, so it is never sent twice, and the load
   * says so (`attachment_not_compared`).
   */
  unmeasured?: true | undefined;
}

/** A file of the batch to attach: its name (unique per invoice) and where it is. */
export interface AttachmentToSend {
  name: string;
  path: string;
}

/**
 * Files attached to an invoice after its children and before finalize (Alma's invoice
 * attachments). A re-run recognises a file the target already holds by name and size (by name
 * alone, with a warning, when the target does not let its size be measured).
 */
export interface AttachmentSeam {
  /** The invoice's files, in order. */
  files(invoice: Invoice): AttachmentToSend[];
  /** The target's attachment with this file's name and size, or undefined (after a lost answer, or for an invoice found). */
  find(invoiceId: string, file: AttachmentToSend): Promise<RemoteAttachment | undefined>;
  /** `invoice`: whose file it is (FOLIO names it when a document is not kept under the id sent: IdNotKeptError). */
  add(invoiceId: string, file: AttachmentToSend, invoice: { vendor: string; number: string }): Promise<RemoteAttachment>;
}

export interface Target {
  /** `alma`, `exsited`, `alguna` — the report's `target`. */
  readonly name: string;
  /** How messages name the target (`Alma`, `Exsited`, `Alguna`, `FOLIO`). */
  readonly label: string;
  /**
   * Identity of the place invoices go (scheme, host and port, or the sandbox's state file),
   * never the key. The journal is keyed by it, so two institutions never share a journal.
   */
  readonly endpoint: string;

  /**
   * The exact bodies that would be sent, for `--show-payloads` on a real run: once the invoice
   * was sent in this run, the bodies sent (Alguna's generation is chosen by the look-up). May
   * add what else the request carries (Alguna's `idempotency_key`).
   */
  payloads(invoice: Invoice): ShownPayloads;
  /** Optional: the requests `--show-payloads` prints on a real run; the profile's otherwise. */
  preview?(invoice: Invoice): PayloadPreview[];

  /**
   * Called once with every key of the run before any write, so the target can choose a
   * cheaper look-up strategy (e.g. list a vendor's invoices once instead of one search each).
   * The engine then asks `findInvoices` for every one of those keys, still before its first
   * write (engine.ts `startLookups`): what `prepareLookups` read should answer those, and what
   * it sent at once saves the round trip a look-up sent after it would cost.
   */
  prepareLookups(keys: InvoiceKey[], invoices?: readonly Invoice[]): Promise<void>;
  /**
   * Finds the invoice with exactly this vendor and number. `fresh` forbids answering from
   * anything prepared earlier: used after a write whose outcome is unknown. `invoice` is the
   * batch's invoice, for targets whose look-up needs more than the key (Exsited: its purchase
   * order; Alguna: its account).
   * More than one match (institutions with invoice_not_unique=true) returns all of them.
   * `signal`: the engine's, for the look-up of an invoice nothing was sent to (engine.ts
   * `#lookUp`): aborted at the first Ctrl-C, and a target that passes it to its reads
   * (`HttpRequest.signal`; Alma does) ends the look-up at once with its reason — never with an
   * answer that says the invoice is absent. A target that does not is answered as before.
   */
  findInvoices(key: InvoiceKey, opts: { fresh: boolean; invoice?: Invoice | undefined; signal?: AbortSignal | undefined }): Promise<RemoteInvoice[]>;
  createInvoice(invoice: Invoice): Promise<RemoteInvoice>;
  /**
   * Optional: whether a refused create says "this number already exists for this vendor" — proof
   * that the invoice is there (an earlier send whose answer was lost), to be found, not a failure.
   */
  isDuplicateRefusal?: ((err: ApiError) => boolean) | undefined;
  /**
   * The keys of the child items the invoice must end up with, each added by its own request,
   * in order: Alma's lines by line number; Exsited's note; none for Alguna, whose line items
   * go inline in the create. Keys are stable across runs: the journal records them.
   */
  childKeys(invoice: Invoice): string[];
  /** Every child the target holds under the invoice (to complete a half-loaded invoice, and to reconcile). */
  listChildren(invoiceId: string, invoice: Invoice): Promise<RemoteLine[]>;
  addChild(invoiceId: string, key: string, invoice: Invoice): Promise<RemoteLine>;
  /**
   * Optional: how many children of one invoice may be added at once, when the run has room for
   * more requests than invoices to send them (a batch of a few large invoices, the end of a
   * batch). Absent or 1: one after the other. A child refused while others of its invoice were
   * on their way is sent again alone, and the run goes back to one at a time.
   */
  childrenAtOnce?: number | undefined;
  /**
   * The optional last step, sent once after every child exists (Alma: `op=process_invoice`).
   * The answer may predate the outcome: the engine then reads the invoice until `processed`.
   * Targets without one (Exsited, Alguna) are settled once the children exist.
   */
  finalize?: ((invoiceId: string, invoice: Invoice) => Promise<RemoteInvoice>) | undefined;
  /**
   * Optional, with `finalize`: it is never sent twice in one run, and an unknown outcome of it is
   * watched for `watchMs` (at least the poll's `unknownMs`). FOLIO: an approval is a financial
   * transaction, and mod-invoice keeps the invoice Open until its finance work (pending
   * payments, the voucher) is done, so a slow approval whose answer was lost reads as not
   * approved for a while. Still not processed after the watch, the invoice fails with
   * `OUTCOME_UNKNOWN` (`what` names the step: "approval outcome unknown: …"); the intent stays
   * pending in the journal, so a re-run reads the invoice first, waits out what is left of
   * `watchMs`, and only then sends it again. Absent (Alma): after `unknownMs` without it showing,
   * the engine sends it again, up to `maxWriteAttempts` sends.
   */
  finalizeOnce?: { watchMs: number; what: string } | undefined;
  /** Optional: files to attach once the children exist, before finalize (Alma). */
  attachments?: AttachmentSeam | undefined;
  /**
   * Reads one invoice by id. `invoice`: the batch's invoice it is read for, when the caller is
   * deciding whether the record is that invoice (engine/elsewhere.ts): a target whose record
   * does not carry the vendor and number as fields of their own (Alguna: they start the
   * description) sets them from it when they match, and leaves them `''` otherwise.
   */
  getInvoice(invoiceId: string, invoice?: Invoice | undefined): Promise<RemoteInvoice>;
  /**
   * Optional: reads the invoice back in full and names every field sent that the target did not
   * store as sent (engine/canary.ts, `invoice-load verify`); with `children`, only those children
   * are compared (the others may not exist yet). Absent: the target has no read-back, and runs
   * into it have no canary.
   */
  readBack?: ((invoiceId: string, invoice: Invoice, children?: readonly string[]) => Promise<FieldDifference[]>) | undefined;
  /**
   * Optional: how an invoice the target already holds (found by a look-up, not made by this
   * batch's journal) differs from the batch's, in the fields a person edits and the target does
   * not rewrite on its own (Alma: dates, note, reference number, currency, payment method,
   * owner, vendor account), from `found.held` — no request. The load leaves what it holds as it
   * is and says so (engine.ts `#compareHeld`); a field the answer does not carry is not compared.
   */
  heldDifferences?: ((found: RemoteInvoice, invoice: Invoice) => FieldDifference[]) | undefined;
  /**
   * Optional, the same for the children of such an invoice that `listChildren` listed (when it
   * is not processed yet, to add the missing ones), from their `held`: the ones the target holds
   * with other values than the batch's children of the same keys.
   */
  heldChildDifferences?: ((children: readonly RemoteLine[], invoice: Invoice) => FieldDifference[]) | undefined;
  /**
   * Optional: how a child found after a send of it that went unanswered (a 5xx, a timeout, a run
   * that stopped before the answer: its intent pending in the journal) differs from the child the
   * batch sends, from its `held` as `listChildren` gave it. Anything in it, and the child is not
   * taken as the one sent: the invoice fails `EXISTS_DIFFERENT` (targets/matches.ts
   * `settledLineText`), nothing more is sent for it, and the intent stays pending, so a re-run
   * looks again. FOLIO: mod-invoice may store a line and then fail the rest of the request
   * (docs/folio.md "Exactly once"). Absent: a child found is taken as it is.
   */
  settledChildDifferences?: ((invoiceId: string, child: RemoteLine, invoice: Invoice) => Promise<FieldDifference[]>) | undefined;
  /**
   * Optional, with `readBack`: the children the canary needs before its read-back — the fewest
   * leading ones whose bodies between them carry every field any child of the invoice carries
   * (usually the first). Read back with only those (`readBack(id, invoice, children)`), the
   * canary opens the gate a round trip per further child sooner, and proves as much: a key the
   * target ignores is ignored on every line that carries it. Absent: every child.
   */
  canaryChildren?: ((invoice: Invoice) => string[]) | undefined;
  /**
   * Optional, with `readBack`: the canary's comparison made on the answers its own writes got
   * (`created`: the create's `RemoteInvoice.answer`; `children`: the `RemoteLine.answer` of each
   * child compared, by key) — no request. The engine takes an empty result as the verdict and
   * opens the gate a round trip sooner; anything else (a field an answer does not show, or shows
   * otherwise) is settled by `readBack`, since an answer may carry less than the target stored.
   */
  answerDifferences?: ((invoice: Invoice, created: JsonValue, children: ReadonlyMap<string, JsonValue>) => FieldDifference[]) | undefined;
  /**
   * Optional: the current state of several invoices (all of one vendor) by id, read together
   * when that takes fewer requests than reading each (Alma: the invoice search on the vendor's
   * code, 100 a page), else one by one. One the listing does not show is left out. With `readCost`, the
   * engine gathers its waits for processing and reads them in batches (engine/watch.ts).
   */
  readInvoices?: ((wanted: readonly { id: string; key: InvoiceKey }[]) => Promise<Map<string, RemoteInvoice>>) | undefined;
  /** Requests `readInvoices` would send for `count` invoices of this vendor. */
  readCost?: ((vendor: string, count: number) => number) | undefined;
}

/**
 * The schedule on which the engine reads an invoice after `finalize` until it shows processed
 * (engine/watch.ts `PollOptions`); a target's preflight estimates its requests on the same one.
 */
export const DEFAULT_POLL = { initialMs: 300, maxIntervalMs: 5_000, timeoutMs: 60_000, unknownMs: 10_000 };

/** The wait after `interval` in a poll: twice it, at most `maxIntervalMs` and what `limitMs` leaves after `waited` (≥ 1 ms). */
export function nextPollWait(interval: number, maxIntervalMs: number, limitMs: number, waited: number): number {
  return Math.min(interval * 2, maxIntervalMs, Math.max(1, limitMs - waited));
}

import type { InvoiceKey } from '../domain/model.js';
import type { Alert } from '../targets/target.js';
import type { ErrorRecord } from './journal.js';
import type { StopReason } from './events.js';
import { EXISTS_NOT_OURS } from '../targets/matches.js';
import { ID_NOT_KEPT } from '../common/errors.js';

/**
 * How one invoice ended in this run. `not_started` is an invoice the run never reached
 * because it stopped (Ctrl-C, daily threshold, refused key); the report shows it as failed
 * with a code saying why, and a re-run loads it.
 */
export type LoadStatus = 'loaded' | 'in_review' | 'failed' | 'already_loaded' | 'not_started';

export interface InvoiceResult {
  key: InvoiceKey;
  status: LoadStatus;
  id?: string | undefined;
  workflowStatus?: string | undefined;
  approvalStatus?: string | undefined;
  alerts: Alert[];
  /** The target's own amounts when it reports them (Alguna, Exsited `subtotal`/`tax`/`total`). */
  amounts?: Record<string, string> | undefined;
  lines: { number: string; id: string }[];
  /** Files attached to the invoice (by name), with the target's attachment ids. */
  attachments?: { file: string; id: string }[] | undefined;
  error?: ErrorRecord | undefined;
  /** Things worth a look that did not stop the invoice (e.g. two matches in Alma), each with its code. */
  warnings: LoadWarning[];
  /**
   * Processing was accepted but had not shown by the time limit (`--poll-timeout`): the statuses
   * and alerts above are not the outcome yet, and the journal does not keep them.
   */
  unfinished?: true | undefined;
}

/**
 * A warning of the load on one invoice, under a code a cron job can look for in the report
 * (`issues[].code`): `several_found` (the target holds more than one invoice of the number; the
 * oldest is used), `held_different` (an invoice found in the target holds other values than the
 * file, which a load does not change), `not_finished` (processing had not shown by
 * `--poll-timeout`, or its status could not be read after processing was accepted), `status_unknown` (the run stopped while the invoice was being processed),
 * `attachment_not_added` (a file named for an invoice already processed: not sent),
 * `attachment_not_listed` (the same, but the run stopped before the target listed its files:
 * whether it is there is not known),
 * `attachment_not_compared` (a file the target holds under the name, taken without its size
 * compared: not sent), `stored_otherwise` (the canary read back a field the target may write its
 * own text into, Alma's line vat_note, otherwise than sent: no stop).
 */
export interface LoadWarning {
  code: 'several_found' | 'held_different' | 'not_finished' | 'status_unknown' | 'attachment_not_added' | 'attachment_not_listed' | 'attachment_not_compared' | 'stored_otherwise';
  message: string;
}

/**
 * The code of an invoice the run stopped on, by why it stopped, and of one it never reached:
 * nothing about the invoice was refused, the run ended first, and the same command finishes it.
 * The terminal calls these `stopped`, not failed (their status in the report stays `failed`).
 */
export const STOP_CODE: Readonly<Record<StopReason, string>> = {
  interrupted: 'INTERRUPTED',
  canary: 'INTERRUPTED',
  max_errors: 'INTERRUPTED',
  daily_limit: 'DAILY_THRESHOLD',
  retry_after: 'RETRY_AFTER',
  auth: 'UNAUTHORIZED',
  unreachable: 'UNREACHABLE',
  journal: 'JOURNAL_UNWRITABLE',
  ids_not_kept: 'INTERRUPTED',
};
/** The code of the invoice whose record the target made under another id than the loader gave it (common/errors.ts IdNotKeptError). */
export { ID_NOT_KEPT };
/**
 * The code of an invoice whose last step (FOLIO's approval: `Target.finalizeOnce`) went without
 * an answer and did not show done while the run watched: not sent again in the run, a re-run
 * reads the invoice first and decides. Transient: the same command finishes it.
 */
export const OUTCOME_UNKNOWN = 'OUTCOME_UNKNOWN';
/**
 * The code of an invoice this batch's journal records as loaded that the target, read by id,
 * now holds only as deleted or withdrawn (`RemoteInvoice.withdrawn`): neither reported loaded nor
 * created again (engine.ts `#notWithdrawn`). Decided: the same command meets the same state.
 */
export const WITHDRAWN = 'WITHDRAWN';
/** The code of an invoice (or a step of one) the run never reached. */
export const NOT_STARTED = 'NOT_STARTED';
export const STOP_CODES: ReadonlySet<string> = new Set([...Object.values(STOP_CODE), NOT_STARTED]);

/** Whether an invoice's failure is the run's stop, not the invoice's own. */
export const stoppedOn = (inv: { status: string; error?: { code: string } | undefined }): boolean => inv.status === 'failed' && inv.error !== undefined && STOP_CODES.has(inv.error.code);

/**
 * Words in the message of every invoice the run stopped on without an id while a create of it
 * was out without an answer — this journal's `createPending`, or another journal's create
 * (engine.ts `stoppedResult`, `unreached`) — and in no other: it may be in the target, and a
 * re-run looks for it there before it creates anything. The report document has no field of its
 * own for this (its field names are fixed: README "The report"), so the reports read it here.
 * `CREATE_UNANSWERED_EARLIER`: the create was an earlier run's.
 */
export const CREATE_UNANSWERED = 'sent its create and never got the answer';
export const CREATE_UNANSWERED_EARLIER = `an earlier run ${CREATE_UNANSWERED}`;

/**
 * An invoice the run stopped on (its stop's code, not NOT_STARTED) without an id whose create
 * went out without an answer (`CREATE_UNANSWERED`): `earlier` when an earlier run sent it, `sent`
 * when this run may have; undefined for any other invoice — one not created yet, nothing of it sent.
 */
export function createUnanswered(inv: { status: string; id?: string | undefined; error?: { code: string; message?: string | undefined } | undefined }): 'earlier' | 'sent' | undefined {
  if (!stoppedOn(inv) || inv.id !== undefined || inv.error!.code === NOT_STARTED) return undefined;
  const message = inv.error!.message ?? '';
  if (message.includes(CREATE_UNANSWERED_EARLIER)) return 'earlier';
  return message.includes(CREATE_UNANSWERED) ? 'sent' : undefined;
}

/**
 * Words in the message of every invoice the run stopped before reaching that only another journal
 * records, as loaded — created, every line, its processing requested (engine.ts `unreached`: an
 * edited copy of the file loaded it) — followed by the target's label. Read by the reports as
 * `CREATE_UNANSWERED` is (the report document has no field for it): such an invoice is not
 * "incomplete" (report/stopped.ts).
 */
export const LOADED_BY_ANOTHER_RUN = 'another run of it (from another file, such as an edited copy of this one) loaded it into';

/** An invoice the run stopped on before reaching it, loaded by another run (`LOADED_BY_ANOTHER_RUN`). */
export function loadedElsewhere(inv: { status: string; id?: string | undefined; error?: { code: string; message?: string | undefined } | undefined }): boolean {
  if (!stoppedOn(inv) || inv.id === undefined || inv.error!.code === NOT_STARTED) return false;
  return (inv.error!.message ?? '').includes(LOADED_BY_ANOTHER_RUN);
}

/**
 * A business refusal (the target answered 4xx with its own code: the file or the target's setup
 * must change) or a transient failure (a timeout, a lost connection, a 5xx, a 429: the same
 * command again finishes it). `--max-errors` counts the first kind; the report's advice
 * separates the two (report/failures.ts).
 */
export function refusalKind(e: Pick<ErrorRecord, 'http_status' | 'code' | 'in_success'>): 'business' | 'transient' {
  if (DECIDED_CODES.has(e.code)) return 'business';
  // The target's error document under a 2xx: refused by its code as its 4xx twin (docs/alma.md#errors-error-codes-and-alerts).
  if (e.in_success === true) return 'business';
  return e.http_status >= 400 && e.http_status < 500 && e.http_status !== 408 && e.http_status !== 429 ? 'business' : 'transient';
}

/**
 * Refusals the loader decides itself from what the target holds (no HTTP status of the target's
 * says no, so the rule above would call them transient): the same command again meets the same
 * state and refuses again, so the advice is to fix the file or the target, not to re-run.
 * The canary's read-back differed (engine/canary.ts); the target holds the invoice with another
 * total, or only under invoices the loader did not make (engine.ts `adopt`); a FOLIO code the batch names is missing (targets/folio/target.ts);
 * an Exsited action on an invoice never loaded; a payment row's invoice missing, ambiguous or
 * in the wrong status (cli/payments.ts, cli/export.ts).
 */
export const DECIDED_CODES: ReadonlySet<string> = new Set([
  'CANARY_MISMATCH',
  'EXISTS_DIFFERENT',
  EXISTS_NOT_OURS,
  ID_NOT_KEPT,
  WITHDRAWN,
  'vendor_not_found',
  'fund_not_found',
  'po_line_not_found',
  'payment_method_missing',
  'batchGroupNotFound',
  'idConflict',
  'NOT_LOADED',
  'NOT_FOUND',
  'AMBIGUOUS',
  'WRONG_STATUS',
  'CLOSED_OTHER_VOUCHER',
  'PAYMENT_DIFFERS',
]);

import type { InvoiceKey } from '../domain/model.js';
import type { Alert } from '../targets/target.js';
import type { ErrorRecord } from './journal.js';

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
  /** Things worth a look that did not stop the invoice (e.g. two matches in Alma). */
  warnings: string[];
}

/**
 * A business refusal (the target answered 4xx with its own code: the file or the target's setup
 * must change) or a transient failure (a timeout, a lost connection, a 5xx, a 429: the same
 * command again finishes it). `--max-errors` counts the first kind; the report's advice
 * separates the two (report/failures.ts).
 */
export function refusalKind(e: Pick<ErrorRecord, 'http_status' | 'code'>): 'business' | 'transient' {
  // The canary's read-back differed: running again stops again until the cause is fixed.
  if (e.code === 'CANARY_MISMATCH') return 'business';
  return e.http_status >= 400 && e.http_status < 500 && e.http_status !== 408 && e.http_status !== 429 ? 'business' : 'transient';
}

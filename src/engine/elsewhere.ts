/**
 * What other journals of the same target know about this batch's invoices.
 *
 * A journal belongs to one batch (the file's content): edit the file and run it again, and the
 * run has a new journal that knows nothing of what the earlier one sent. The look-ups still
 * find what the earlier run made — once the target shows it. Alma documents nothing about how
 * soon a new invoice or line shows in its searches and lists (docs/alma.md#look-ups-and-how-fresh-they-are),
 * so within that lag a run killed after its creates, its file corrected and run again at once,
 * would create every invoice a second time where numbers need not be unique, and add lines
 * again to one it finds. The other journals say what was sent, so the run:
 * - reads by id an invoice another journal recorded that the look-up did not show (a read by id
 *   does not wait for any index), and adopts it as it would a found one;
 * - looks again across the settle window for one whose create another journal sent without an
 *   answer (engine/settle.ts), as it does for its own;
 * - takes over the lines another journal recorded for an invoice it adopts, and looks across
 *   the window for those it sent without an answer, so none is added twice;
 * - takes over the process request another journal sent to an invoice it adopts: answered, the
 *   invoice is this run's processed one (never requested again, its status waited for); sent
 *   without an answer, it is this run's pending one (read, and watched for, before any send).
 *   Alma shows nothing while it processes (In Review, no alerts, as before the request: README
 *   "An edited file is a new batch"), so the look-up alone would send it a second time.
 * Only recent journals can matter (cli/journals.ts readOtherJournals): once a write is older than
 * the window, the look-ups show it — and a process request's effect is taken to show in Alma's
 * status by then (README "An edited file is a new batch" says what that window means).
 */
import { ApiError } from '../common/errors.js';
import { keyString, type Invoice, type InvoiceKey } from '../domain/model.js';
import type { RemoteInvoice, Target } from '../targets/target.js';
import { foldJournal, type JournalEntry } from './journal.js';

/** One invoice another journal recorded, by its id in the target. */
export interface RecordedElsewhere {
  /** Lines recorded as added: number → the target's id. */
  lines: ReadonlyMap<string, string>;
  /** Lines sent without a recorded answer: number → when sent (wall ms; 0 when not said). */
  linesPending: ReadonlyMap<string, number>;
  /** The process request was answered (`processed`), or the invoice was settled or found processed. */
  processed?: true | undefined;
  /** A process request was sent without a recorded answer (and none recorded answered). */
  processPending?: true | undefined;
}

/** What the other journals know about one invoice of the batch. */
export interface Elsewhere {
  /** Invoices recorded for this vendor and number, by id. */
  ids: ReadonlyMap<string, RecordedElsewhere>;
  /** A create sent without an answer (no id recorded with it): when it was sent, the latest (wall ms; 0 when not said). */
  createSentAt?: number | undefined;
}

/**
 * Folds other journals' entries into what they know about the batch's invoices, by `keyString`.
 * Invoices of the batch no other journal mentions are absent. Pure.
 */
export function gatherElsewhere(journals: readonly (readonly JournalEntry[])[], keys: readonly InvoiceKey[]): Map<string, Elsewhere> {
  const wanted = new Set(keys.map(keyString));
  const ids = new Map<string, Map<string, RecordedElsewhere>>();
  const pending = new Map<string, number>();
  for (const entries of journals) {
    for (const [k, st] of foldJournal(entries)) {
      if (!wanted.has(k)) continue;
      if (st.id !== undefined) {
        const byId = ids.get(k) ?? new Map<string, RecordedElsewhere>();
        ids.set(k, byId);
        const linesPending = new Map([...st.linesPending].map((n) => [n, st.lineSentAt.get(n) ?? 0]));
        // The same id in two journals (two edits of one file): what either recorded.
        const before = byId.get(st.id);
        // Answered in either journal: processed. Sent without an answer in one, answered in none: pending.
        const processed = before?.processed === true || st.processed;
        const processPending = !processed && (before?.processPending === true || st.processPending);
        byId.set(st.id, {
          lines: new Map([...(before?.lines ?? []), ...st.lines]),
          linesPending: new Map([...(before?.linesPending ?? []), ...linesPending]),
          ...(processed ? { processed: true as const } : {}),
          ...(processPending ? { processPending: true as const } : {}),
        });
      } else if (st.createPending) {
        pending.set(k, Math.max(pending.get(k) ?? 0, st.createSentAt ?? 0));
      }
    }
  }
  const out = new Map<string, Elsewhere>();
  for (const k of new Set([...ids.keys(), ...pending.keys()])) {
    out.set(k, { ids: ids.get(k) ?? new Map(), ...(pending.has(k) ? { createSentAt: pending.get(k) } : {}) });
  }
  return out;
}

/**
 * The look-up, and every invoice another journal recorded for this key that it did not show,
 * read by id. One the target no longer holds (deleted since: a 4xx refusal, or read back as
 * deleted or withdrawn, `RemoteInvoice.withdrawn`) or that now has another vendor or number is
 * left out; any other failure is the look-up's.
 */
export async function findWithElsewhere(target: Target, inv: Invoice, elsewhere: Elsewhere | undefined, signal?: AbortSignal): Promise<RemoteInvoice[]> {
  // `signal`: only for an invoice no journal knows (engine.ts `#lookUp`), so never with reads by id below.
  const matches = await target.findInvoices(inv.key, { fresh: false, invoice: inv, ...(signal !== undefined ? { signal } : {}) });
  for (const id of elsewhere?.ids.keys() ?? []) {
    if (matches.some((m) => m.id === id)) continue;
    let read: RemoteInvoice;
    try {
      read = await target.getInvoice(id, inv);
    } catch (err) {
      if (err instanceof ApiError && (err.httpStatus === 400 || err.httpStatus === 404 || err.httpStatus === 410)) continue;
      throw err;
    }
    // Held only as deleted or withdrawn (RemoteInvoice.withdrawn): no longer the invoice, as for a 404.
    if (read.withdrawn === true) continue;
    if (read.number === inv.key.number && (read.vendor === '' || read.vendor === inv.key.vendor)) matches.push(read);
  }
  return matches;
}

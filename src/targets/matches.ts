/**
 * Which of the invoices a target holds under a batch invoice's vendor and number is that
 * invoice. Pure; one rule for the load (engine/existing.ts before the first write, engine.ts
 * when an invoice is adopted) and for the dry run's online checks (targets/alma/preflight-rules.ts),
 * so a dry run says what the load will do.
 */
import { Decimal } from 'decimal.js';
import type { Invoice } from '../domain/model.js';
import { formatAmount, formatAmountText } from '../domain/money.js';
import type { FieldDifference, RemoteInvoice } from './target.js';

/** Alma ids are digit strings longer than a double holds: shorter is older, then by text. */
const compareIds = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/** The matches oldest first: a load adopts the first (institutions with invoice_not_unique hold several). */
export function oldestFirst(matches: readonly RemoteInvoice[]): RemoteInvoice[] {
  return [...matches].sort((a, b) => compareIds(a.id, b.id));
}

/**
 * The code of an invoice the target holds under its vendor and number that the loader did not
 * make (FOLIO: its id is not the loader's, RemoteInvoice.notOurs): left as it is, never continued.
 */
export const EXISTS_NOT_OURS = 'EXISTS_NOT_OURS';

/**
 * The matches a load may adopt, the one it adopts first: every match the target does not mark
 * `notOurs`, oldest first. Empty while there are matches: the target holds the number only under
 * invoices the loader did not make, and the load leaves them as they are (`notOursText`).
 */
export function adoptable(matches: readonly RemoteInvoice[]): RemoteInvoice[] {
  return oldestFirst(matches.filter((m) => m.notOurs !== true));
}

/**
 * What a load does about an invoice the target holds that the loader did not make (keyed in by
 * hand, another tool): the message of its `invoice_exists` problem before the first write, and
 * of its `EXISTS_NOT_OURS` failure after it — the same in the dry run and in the load.
 */
export function notOursText(inv: Invoice, matches: readonly RemoteInvoice[], label: string, notKept: ReadonlySet<string> = new Set()): string {
  const made = matches.filter((m) => madeNotKept(m, notKept));
  if (made.length > 0) return notKeptText(inv, made, matches.length - made.length, label);
  const them = matches.map((m) => `${m.id}${m.workflowStatus !== undefined ? `, ${m.workflowStatus}` : ''}`).join('; ');
  const one = matches.length === 1;
  return (
    `${one ? 'an invoice' : `${matches.length} invoices`} ${inv.key.number} of vendor ${inv.key.vendor} already exist${one ? 's' : ''} in ${label} (id ${them}) that invoice-load did not create; ` +
    `${one ? 'it was' : 'they were'} left as ${one ? 'it is' : 'they are'}, and this one was not sent (EXISTS_NOT_OURS) — check ${one ? 'it' : 'them'} in ${label}: ` +
    `if it is this invoice, take it out of the file; if not, correct the number in the file`
  );
}

/** A match an earlier run's create made under the target's own id (the journal's `id_not_kept`, lower case). */
export const madeNotKept = (m: RemoteInvoice, notKept: ReadonlySet<string>): boolean => notKept.has(m.id.toLowerCase());

/**
 * What a load does about invoices an earlier run of this batch created that the target made
 * under ids of its own (ID_NOT_KEPT; the journal's `id_not_kept`): they are the loader's doing,
 * not someone else's, but never continued — the guard on the loader's own ids stands
 * (docs/folio.md "Exactly once"). `others`: further matches the loader did not make.
 */
function notKeptText(inv: Invoice, made: readonly RemoteInvoice[], others: number, label: string): string {
  const one = made.length === 1;
  const them = made.map((m) => `${m.id}${m.workflowStatus !== undefined ? `, ${m.workflowStatus}` : ''}`).join('; ');
  const more = others === 0 ? '' : ` (and ${others} more that invoice-load did not create)`;
  return (
    `${one ? 'invoice' : `${made.length} invoices`} ${inv.key.number} of vendor ${inv.key.vendor} in ${label} (id ${them})${more} ${one ? 'was' : 'were'} created by an earlier run of invoice-load, ` +
    `but ${label} made ${one ? 'it' : 'them'} under an id of its own, not the one invoice-load gave (ID_NOT_KEPT); invoice-load continues only invoices under its own ids, ` +
    `so ${one ? 'it was' : 'they were'} left as ${one ? 'it is' : 'they are'} — nothing added, nothing approved — and this one was not sent: ` +
    `ask your ${label} administrators why a new record does not keep the id it is sent with; once it does, delete ${one ? 'it' : 'them'} in ${label} and load this file again`
  );
}

/**
 * Alma keeps amounts as doubles and answers with a double's digits, so an amount is compared
 * at the 15 significant digits a double keeps exactly (the dry run refuses amounts with more:
 * domain/values.ts), never beyond: a loaded invoice is always recognised.
 */
const sameStoredAmount = (theirs: string, ours: string): boolean =>
  new Decimal(theirs).toSignificantDigits(15).equals(new Decimal(ours).toSignificantDigits(15));

/** The match holds another total than the batch's invoice: it is some other invoice. */
export function holdsOtherTotal(match: RemoteInvoice, inv: Invoice): boolean {
  // A blank total is unknown, not another one: nothing to compare (as with none at all).
  if (match.totalAmount === undefined || match.totalAmount.trim() === '') return false;
  try {
    return !sameStoredAmount(match.totalAmount, inv.header.totalAmount.toString());
  } catch {
    // Not a number at all: it cannot be this batch's total.
    return true;
  }
}

/**
 * What a load does about an invoice the target holds with another total, and where to look:
 * the message of its `invoice_exists` problem, the same in the dry run and in the load.
 */
export function otherTotalText(inv: Invoice, match: RemoteInvoice, label: string): string {
  const h = inv.header;
  const status = match.workflowStatus !== undefined ? `, ${match.workflowStatus}` : '';
  return (
    `${label} already holds invoice ${inv.key.number} of vendor ${inv.key.vendor} (id ${match.id}${status}) with total ${formatAmountText(match.totalAmount ?? '', h.currency)}, ` +
    `this file says ${formatAmount(h.totalAmount, h.currency)}; a load leaves ${label}'s invoice unchanged and does not send this one (EXISTS_DIFFERENT) — ` +
    `check it in ${label}, or fix the file`
  );
}

/**
 * The fields in which an invoice the target holds differs from the batch's (Target.heldDifferences),
 * as a clause: `note: "March" in Alma, "April" in the file; invoice_date: …`. The same words after a
 * load (engine.ts `#compareHeld`) and in the dry run's online checks.
 */
export function heldText(differences: readonly FieldDifference[], label: string): string {
  return differences.map((d) => `${d.field}: ${d.stored} in ${label}, ${d.sent} in the file`).join('; ');
}

/**
 * Why a line found after a send of it went unanswered (an error, or no answer) is not taken as
 * that line (Target.settledChildDifferences): the target holds it otherwise than sent — it may
 * have stored the line and failed before finishing the request. The invoice fails
 * `EXISTS_DIFFERENT`; nothing more is sent for it.
 */
export function settledLineText(inv: Invoice, number: string, id: string, differences: readonly FieldDifference[], label: string): string {
  return (
    `${label} holds line ${number} of invoice ${inv.key.number} of vendor ${inv.key.vendor} (id ${id}), made by a send of it that was not answered as done, ` +
    `with other values than the file: ${heldText(differences, label)}. It was not taken as this line, and nothing more was sent for the invoice (EXISTS_DIFFERENT) — ` +
    `${label} may have stored the line and failed before finishing it: check it in ${label}, correct it there or delete it, then run the same command again`
  );
}

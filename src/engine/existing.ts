/**
 * Invoices the target already holds, decided before the first write. Pure.
 *
 * A load looks every invoice up before it writes anything (engine.ts `startLookups`): an
 * invoice found with the batch's total is adopted (an earlier run, or the same file sent
 * twice); one found with another total is not this batch's invoice, and the loader leaves it
 * alone (`EXISTS_DIFFERENT`). Knowing that before the first write makes it one of the problems
 * reported together with file, row and column, with nothing of the batch sent (README,
 * "Online preflight") — found only as the invoice's turn came, it was refused after the
 * invoices before it had been written.
 */
import { Decimal } from 'decimal.js';
import { keyString, type Invoice } from '../domain/model.js';
import { formatAmount, formatAmountText } from '../domain/money.js';
import { problem, type Problem } from '../domain/problem.js';
import type { RemoteInvoice } from '../targets/target.js';

/** Alma ids are digit strings longer than a double holds: shorter is older, then by text. */
const compareIds = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/** The matches oldest first: a load adopts the first (institutions with invoice_not_unique hold several). */
export function oldestFirst(matches: readonly RemoteInvoice[]): RemoteInvoice[] {
  return [...matches].sort((a, b) => compareIds(a.id, b.id));
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
  if (match.totalAmount === undefined) return false;
  try {
    return !sameStoredAmount(match.totalAmount, inv.header.totalAmount.toString());
  } catch {
    // Not a number at all: it cannot be this batch's total.
    return true;
  }
}

/**
 * One error per invoice the target holds with another total, at the invoice's first row and its
 * `invoice_number` column (the dry run's `invoice_exists` names the same place). `found`: the
 * look-ups' matches by `keyString`; invoices without an entry were not looked up.
 */
export function existingProblems(invoices: readonly Invoice[], found: ReadonlyMap<string, readonly RemoteInvoice[]>, label: string): Map<string, Problem[]> {
  const out = new Map<string, Problem[]>();
  for (const inv of invoices) {
    const match = oldestFirst(found.get(keyString(inv.key)) ?? [])[0];
    if (match === undefined || !holdsOtherTotal(match, inv)) continue;
    const at = inv.rows[0] ?? { file: '', row: 0 };
    const h = inv.header;
    const status = match.workflowStatus !== undefined ? `, ${match.workflowStatus}` : '';
    const message =
      `${label} already holds invoice ${inv.key.number} of vendor ${inv.key.vendor} (id ${match.id}${status}) with total ${formatAmountText(match.totalAmount!, h.currency)}, ` +
      `this file says ${formatAmount(h.totalAmount, h.currency)}; a load leaves ${label}'s invoice unchanged and does not send this one (EXISTS_DIFFERENT) — ` +
      `check it in ${label}, or fix the file`;
    out.set(keyString(inv.key), [problem(at, 'invoice_exists', message, { column: 'invoice_number' })]);
  }
  return out;
}


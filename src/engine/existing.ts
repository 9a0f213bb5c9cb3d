/**
 * Invoices the target already holds, decided before the first write. Pure.
 *
 * A load looks every invoice up before it writes anything (engine.ts `startLookups`): an
 * invoice found with the batch's total is adopted (an earlier run, or the same file sent
 * twice); one found with another total is not this batch's invoice, and the loader leaves it
 * alone (`EXISTS_DIFFERENT`), as it does an invoice the target holds that the loader can tell it
 * did not make (FOLIO: not its id; `EXISTS_NOT_OURS`). Knowing that before the first write makes it one of the problems
 * reported together with file, row and column, with nothing of the batch sent (README,
 * "Online preflight") — found only as the invoice's turn came, it was refused after the
 * invoices before it had been written.
 */
import { keyString, type Invoice } from '../domain/model.js';
import { problem, type Problem } from '../domain/problem.js';
import { adoptable, holdsOtherTotal, notOursText, otherTotalText } from '../targets/matches.js';
import type { RemoteInvoice } from '../targets/target.js';

/**
 * One error per invoice the target holds with another total or only under invoices the loader did not make, at the invoice's first row and its
 * `invoice_number` column (the dry run's `invoice_exists` names the same place). `found`: the
 * look-ups' matches by `keyString`; invoices without an entry were not looked up.
 */
export function existingProblems(invoices: readonly Invoice[], found: ReadonlyMap<string, readonly RemoteInvoice[]>, label: string): Map<string, Problem[]> {
  const out = new Map<string, Problem[]>();
  for (const inv of invoices) {
    const text = heldBackText(inv, found.get(keyString(inv.key)) ?? [], label);
    if (text === undefined) continue;
    const at = inv.rows[0] ?? { file: '', row: 0 };
    out.set(keyString(inv.key), [problem(at, 'invoice_exists', text, { column: 'invoice_number' })]);
  }
  return out;
}

/**
 * Why a load does not send an invoice it found these matches for, or undefined when it adopts
 * one (or found none): the target holds it only under invoices the loader did not make
 * (`notOurs`: FOLIO), or the match it would adopt holds another total.
 */
export function heldBackText(inv: Invoice, matches: readonly RemoteInvoice[], label: string): string | undefined {
  if (matches.length === 0) return undefined;
  const match = adoptable(matches)[0];
  if (match === undefined) return notOursText(inv, matches, label);
  return holdsOtherTotal(match, inv) ? otherTotalText(inv, match, label) : undefined;
}

/** Whether the matches are all invoices the loader did not make (and there is one at least). */
export const onlyNotOurs = (matches: readonly RemoteInvoice[]): boolean => matches.length > 0 && adoptable(matches).length === 0;


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
import { keyString, type Invoice } from '../domain/model.js';
import { problem, type Problem } from '../domain/problem.js';
import { holdsOtherTotal, oldestFirst, otherTotalText } from '../targets/matches.js';
import type { RemoteInvoice } from '../targets/target.js';

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
    out.set(keyString(inv.key), [problem(at, 'invoice_exists', otherTotalText(inv, match, label), { column: 'invoice_number' })]);
  }
  return out;
}


/**
 * Folds the online preflight's problems into the plan, like the offline ones: an invoice with
 * an error is held back (`invalid`), warnings ride along. Pure.
 *
 * The batch id is left as it was: it names the content of the offline-valid invoices, which
 * is what a later load's journal is keyed by (plan.ts), and a preflight loads nothing.
 */
import { keyString } from '../domain/model.js';
import { formatAmount } from '../domain/money.js';
import { isError, type Problem } from '../domain/problem.js';
import type { Plan, PlanEntry } from './plan.js';

export function applyPreflight(plan: Plan, problems: ReadonlyMap<string, readonly Problem[]>): Plan {
  const entries = plan.entries.map((e): PlanEntry => {
    const extra = e.invoice !== undefined ? (problems.get(keyString(e.key)) ?? []) : [];
    if (extra.length === 0) return e;
    const merged = byPlace([...e.problems, ...extra]);
    if (!extra.some(isError)) return { ...e, problems: merged };
    // Held back: the report still shows its lines and total, as for an offline-invalid invoice.
    const h = e.invoice!.header;
    const written = { lines: e.invoice!.lines.map((l) => l.number), total: formatAmount(h.totalAmount, h.currency), currency: h.currency };
    return { ...e, problems: merged, invoice: undefined, written };
  });
  return { ...plan, entries };
}

/**
 * Files in the order they first appear (the offline problems' order), then by row (problems
 * without a row first); equals keep their order (sort is stable).
 */
function byPlace(list: Problem[]): Problem[] {
  const fileOrder = new Map<string, number>();
  for (const p of list) if (!fileOrder.has(p.file)) fileOrder.set(p.file, fileOrder.size);
  return list.sort((a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || (a.row ?? 0) - (b.row ?? 0));
}

/**
 * Folds the online preflight's problems into the plan, like the offline ones: an invoice with
 * an error is held back (`invalid`), warnings ride along; an offline warning the online checks
 * answered (`settled`, by code) is dropped. Pure.
 *
 * The batch id is left as it was: it names the content of the offline-valid invoices, which
 * is what a later load's journal is keyed by (plan.ts), and a preflight loads nothing.
 */
import { keyString } from '../domain/model.js';
import { formatAmount } from '../domain/money.js';
import { isError, type Problem } from '../domain/problem.js';
import type { Plan, PlanEntry } from './plan.js';

export function applyPreflight(plan: Plan, problems: ReadonlyMap<string, readonly Problem[]>, settled: ReadonlyMap<string, readonly string[]> = new Map()): Plan {
  const entries = plan.entries.map((e): PlanEntry => {
    const extra = e.invoice !== undefined ? (problems.get(keyString(e.key)) ?? []) : [];
    // An offline warning the online checks answered (src/targets/alma/preflight-rules.ts
    // `settledOffline`) is not said again: their error, if any, says what remains.
    const answered = e.invoice !== undefined ? (settled.get(keyString(e.key)) ?? []) : [];
    const offline = answered.length === 0 ? e.problems : e.problems.filter((p) => !answered.includes(p.code));
    if (extra.length === 0 && offline === e.problems) return e;
    const merged = byPlace([...offline, ...extra]);
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

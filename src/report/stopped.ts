/**
 * The invoices a run stopped on (engine/result.ts `stoppedOn`: `failed` in the report with the
 * stop's code — INTERRUPTED, NOT_STARTED, DAILY_THRESHOLD, RETRY_AFTER, UNREACHABLE …): nothing
 * about them was refused, the run ended first, and the same command finishes them. Their words,
 * in one place for the terminal (human.ts), the HTML report (html.ts) and the CSV report
 * (csv.ts) — pure. The report's `status` stays `failed` (README "The report document").
 */
import { createUnanswered, loadedElsewhere, NOT_STARTED, stoppedOn } from '../engine/result.js';
import { rerunWhen } from './failures.js';
import type { StopDetail } from '../engine/events.js';

type Stoppable = { status: string; id?: string | undefined; error?: { code: string; step: string; message?: string | undefined } | undefined };

export { stoppedOn };

/**
 * Where an invoice the run stopped on was, by its step (engine.ts `stoppedStep`). `process`: every
 * line added, and its process request either not sent (the daily threshold met first) or sent
 * without an answer — so "before its processing was confirmed" is true of both. `its`: the
 * possessive, `their` for a group of them (human.ts, the failures' lines).
 */
const STOPPED_AT: Record<string, (its: string) => string> = {
  create: () => 'not created yet',
  lines: (its) => `stopped while ${its} lines were being added`,
  attachments: (its) => `every line added; stopped while ${its} files were being attached`,
  process: (its) => `every line added; stopped before ${its} processing was confirmed`,
  poll: (its) => `stopped while ${its} processing was awaited`,
};

/** Where the run left an invoice it stopped on: `stopped while its lines were being added` (`many`: `their`, of several alike). */
export const stoppedAt = (inv: Stoppable, many = false): string => {
  const step = inv.error?.step ?? 'create';
  // Not "not created yet": a create of it went without an answer, so it may be in the target.
  const unanswered = createUnanswered(inv);
  // Never reached by this run; another run (another file) loaded it: nothing of it was left midway.
  if (loadedElsewhere(inv)) return `not reached; another run (from another file) loaded ${many ? 'them' : 'it'}, ${many ? 'their' : 'its'} processing requested`;
  if (unanswered !== undefined) return `${many ? 'their creates' : 'its create'} sent${unanswered === 'earlier' ? ' by an earlier run' : ''} without an answer`;
  return STOPPED_AT[step]?.(many ? 'their' : 'its') ?? `stopped at ${step}`;
};

/**
 * Whether the same command, run at once, finishes a run that stopped this way: after a Ctrl-C
 * (or a report that names no stop), yes; after the daily threshold, a Retry-After, a refused key,
 * an unreachable target … only later, or once the cause is put right.
 */
export const rerunsAtOnce = (stopped: string | undefined): boolean => stopped === undefined || stopped === 'interrupted';

/** The target holds the invoice already, without all of it (created; lines, processing or its outcome missing). */
export const existsIncomplete = (inv: Stoppable): boolean => inv.id !== undefined && inv.error !== undefined && inv.error.step !== 'create' && !loadedElsewhere(inv);

/** The invoices of a report the run stopped on. */
export const countStopped = (invoices: readonly Stoppable[]): number => invoices.filter(stoppedOn).length;

/** A short status for an invoice the run stopped on: `Stopped — re-run to finish`, `Not started — re-run later`. */
export function stoppedStatus(inv: Stoppable, stopped: string | undefined): string {
  if (rerunsAtOnce(stopped)) return 'Stopped — re-run to finish';
  return inv.error?.code === NOT_STARTED && !existsIncomplete(inv) ? 'Not started — re-run later' : 'Stopped — re-run later';
}

/** For a stop failures.ts has no words for (a report of another version): what to wait for. */
const PUT_RIGHT = 'once what stopped the run is put right';

/**
 * When to re-run after a run that stopped this way, as a clause to put before "run": failures.ts
 * `rerunWhen` (`after the institution's midnight, `), empty when at once is right, and for a stop
 * it has no words for, `once what stopped the run is put right (above), `. `above` false: without
 * the pointer to the stop's line above (or the errors below) the advice, for text that has nothing
 * around it (a CSV cell, a table's row).
 */
export function rerunClause(stopped: string | undefined, detail?: StopDetail, label = 'Alma', above = true): string {
  const when = rerunWhen(stopped, detail, label);
  // Both pointers go: max_errors' "(below)" points at the terminal's errors, which a cell lacks too.
  if (when !== '') return above ? when : when.replace(/ \((?:above|below)\)/g, '');
  return rerunsAtOnce(stopped) ? '' : `${PUT_RIGHT}${above ? ' (above)' : ''}, `;
}

/** Who finishes an invoice a run stopped on: `the re-run`, `a re-run after the institution's midnight`. */
export function whoFinishes(stopped: string | undefined, detail?: StopDetail, label = 'Alma'): string {
  if (rerunsAtOnce(stopped)) return 'the re-run';
  // The clause for the stop, without its pointer to the terminal's line above: a CSV cell has no "above".
  const when = rerunClause(stopped, detail, label, false).replace(/,\s*$/, '');
  // The fallback, a clause of its own, stands between commas: `a re-run, once …, completes it`.
  return when === PUT_RIGHT ? `a re-run, ${when},` : `a re-run ${when}`;
}

/**
 * One plain sentence for an invoice the run stopped on — where it was and what to do, no codes:
 * `Exists in Alma, incomplete (stopped while its lines were being added) — don't edit or delete it; the
 * re-run completes it.` A person who "tidies up" a half-built invoice in the target makes the
 * re-run's work harder, so that one says to leave it alone. `many`: said of several invoices left
 * alike (human.ts, one line for a group): `Exist in Alma, incomplete (stopped while their lines
 * were being added) — don't edit or delete them; the re-run completes them.`
 */
export function stoppedSentence(inv: Stoppable, stopped: string | undefined, label = 'Alma', detail?: StopDetail, where = true, many = false): string {
  const who = whoFinishes(stopped, detail, label);
  const it = many ? 'them' : 'it';
  // `where` false: without the step, for a table's cell (the terminal's section below says it).
  // Not reached, and loaded by another run (an edited copy of the file): in the target whole, not
  // half built — the re-run reads it there and sends only what this file has more of.
  if (loadedElsewhere(inv))
    return `${many ? 'Were' : 'Was'} loaded into ${label} by another run (from another file, such as an edited copy of this one)${where ? `, ${many ? 'their' : 'its'} processing requested` : ''}, and this run stopped before reaching ${it}; ${who} reads ${it} there and sends only what this file has more of.`;
  if (existsIncomplete(inv)) return `${many ? 'Exist' : 'Exists'} in ${label}, incomplete${where ? ` (${stoppedAt(inv, many)})` : ''} — don't edit or delete ${it}; ${who} completes ${it}.`;
  if (inv.error?.code === NOT_STARTED) return `Not started: the run stopped before reaching ${it}; ${who} loads ${it}.`;
  // A create of it went without an answer (engine/result.ts `createUnanswered`): it may be in the
  // target, and the re-run looks for it there before creating anything.
  const unanswered = createUnanswered(inv);
  if (unanswered !== undefined) {
    const by = unanswered === 'earlier' ? ' by an earlier run' : '';
    return `${many ? 'Their creates were' : 'Its create was'} sent${by} without an answer; ${who} looks for ${it} in ${label} first.`;
  }
  // Nothing of it created: nothing of it sent, or its create answered with a refusal (the threshold …).
  return `Not created yet: the run stopped first; ${who} loads ${it}.`;
}

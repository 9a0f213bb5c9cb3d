/**
 * What the engine tells the outside world while it runs. The terminal output, the cron-log
 * lines and the tests subscribe to these; the engine itself never prints.
 */
import type { InvoiceKey } from '../domain/model.js';
import { ApiError, keyRefusedText, RETRY_AFTER_CAP_MS, RetryAfterError, unreachableText } from '../common/errors.js';
import type { TargetEvent } from '../targets/target.js';
import type { InvoiceResult } from './result.js';
import type { Step } from './journal.js';
import { localMinute, waitText, waitWords } from '../common/time.js';

export { waitWords };

export type EngineEvent =
  /**
   * `awaiting`: invoices an earlier run sent in full (processing requested) whose outcome it did
   * not see (`--poll-timeout`, or stopped while waiting): this run only reads them. `partly`:
   * invoices an earlier run created (or sent a create for) and did not send in full, which this
   * run finishes first; `partlyKeys` names them, for the log that says so.
   */
  | { type: 'start'; invoices: number; alreadyDone: number; resumed: boolean; awaiting?: number | undefined; partly?: number | undefined; partlyKeys?: readonly InvoiceKey[] | undefined }
  | { type: 'step'; key: InvoiceKey; step: Step; detail?: string }
  /**
   * A write's outcome is looked for in the target before anything is sent again: its answer was
   * lost (`reason`: the error it ended on), or `earlier`: an earlier run sent it and never learned
   * whether it took effect (stopped before its answer, or gave up after its retries; here, or in
   * another journal of the file) — nothing was lost in this run, and `reason` says which write, as
   * a clause ("an earlier run sent its create and never learned whether it took effect"). `duplicate`: no answer was lost — the target
   * refused the create because the number exists (Target.isDuplicateRefusal), and the invoice that
   * holds it is looked for (engine.ts `#create`); `reason` is the refusal.
   */
  | { type: 'reconcile'; key: InvoiceKey; step: Step; reason: string; duplicate?: true; earlier?: true }
  /**
   * A write's request ended (engine.ts `sendJournaled`): `accepted`, answered 2xx; `unknown`, no
   * answer, a 5xx, Ctrl-C during it — it may have changed the target; `refused`, answered with
   * an error (a 4xx, a refused key, the daily threshold), which changed nothing; `unsent`, it
   * never left (Ctrl-C before its turn, an unreachable target). Only the invoice writes are said,
   * not a target's own requests (a login, a token).
   */
  | { type: 'write'; key: InvoiceKey; step: Step; outcome: WriteOutcome }
  /** The settle window was measured on a new invoice (engine/settle.ts); `lagMs` undefined: never seen within the ceiling. */
  | { type: 'settle'; key: InvoiceKey; lagMs: number | undefined; windowMs: number; probes: number }
  | { type: 'invoice'; result: InvoiceResult; done: number; total: number }
  | { type: 'stopping'; reason: StopReason; message: string }
  /** The canary's read-back was compared with what was sent (engine/canary.ts). */
  | { type: 'canary'; key: InvoiceKey; id: string; passed: boolean; differences: number; compared: 'answers' | 'read_back' }
  | { type: 'target'; event: TargetEvent }
  /** Something about the whole run worth one line (the run switched how it sends). */
  | { type: 'notice'; message: string };

/** How a write's request ended (the `write` event). */
export type WriteOutcome = 'accepted' | 'unknown' | 'refused' | 'unsent';

/**
 * Why a run stopped early: Ctrl-C, the daily threshold, a Retry-After longer than the loader
 * waits, a refused key, the canary's read-back differed, `--max-errors` refusals in a row, or a
 * target that cannot be reached at all.
 */
export type StopReason = 'interrupted' | 'daily_limit' | 'retry_after' | 'auth' | 'canary' | 'max_errors' | 'unreachable' | 'journal' | 'ids_not_kept';

/** The one line a stop says, for the load and for the operations on loaded invoices alike. */
export function stopMessage(reason: StopReason, err: unknown, label = 'Alma'): string {
  switch (reason) {
    case 'unreachable':
      return `${unreachableText(err as ApiError, label)}; nothing more will be sent`;
    case 'canary':
    case 'max_errors':
    case 'ids_not_kept':
      return (err as Error).message;
    case 'auth':
      return `${keyRefusedText(err as ApiError, label)}; nothing more will be sent`;
    case 'daily_limit':
      return "the institution's daily API threshold is used up; the journal is saved — re-run after midnight (the institution's time) to finish";
    case 'retry_after':
      return `${retryAfterText(err, label)}; nothing more is sent; run again after ${retryAfterUntil(err)}`;
    case 'interrupted':
      return 'interrupted: finishing the requests in flight, then stopping (press Ctrl-C again to stop at once)';
    case 'journal':
      return `${(err as Error).message}; nothing more will be sent. What was sent is in the journal up to that moment: free space (or fix the state dir), then run the same command again`;
  }
}

/**
 * "Alma asked to wait 60 min (Retry-After)": a `RetryAfterError`'s wait, in whole minutes (rounded
 * up) below two hours, then in hours (`3 hours 20 min`), and from two days in days (`30 days`,
 * `2 days 5 hours`: the hours rounded up) — never `43200 min`.
 */
export function retryAfterText(err: unknown, label = 'Alma'): string {
  const ms = err instanceof RetryAfterError ? err.waitMs : 0;
  const r = err instanceof RetryAfterError ? err.refused : undefined;
  if (r !== undefined) return `${label} kept refusing for its per-second threshold (429) for ${waitText(r.forMs)} though the loader slowed to ${r.rate !== undefined ? `${Math.round(r.rate * 100) / 100}/s` : 'its slowest'} — another application may be using the institution's threshold`;
  // A year or more (`RETRY_AFTER_CAP_MS`): said so, not as a count of minutes no one can read.
  if (!(ms < RETRY_AFTER_CAP_MS)) return `${label} asked to wait a year or more (Retry-After)`;
  return `${label} asked to wait ${waitWords(ms)} (Retry-After)`;
}

/**
 * When the wait a `RetryAfterError` asked for ends: the minute after it (never too early), local
 * time with its zone, and its date when it is not today (`19:05 UTC+01:00`, `2026-12-07 00:05 UTC`).
 */
export function retryAfterUntil(err: unknown, now: Date = new Date()): string {
  const until = err instanceof RetryAfterError ? err.until : Date.now();
  const at = new Date(Math.ceil(until / 60_000) * 60_000);
  // Never a date past what a Date holds (NaN-NaN-NaN): at most a year on (`RETRY_AFTER_CAP_MS`).
  return localMinute(Number.isNaN(at.getTime()) ? new Date(Math.ceil((now.getTime() + RETRY_AFTER_CAP_MS) / 60_000) * 60_000) : at, now);
}

/**
 * What the report keeps of a stop beyond its reason (`stop_detail`), for the next step it advises
 * (report/failures.ts `STOP_NEXT`): the code behind `unreachable` (`GATEWAY_DOWN`: run again
 * later; `NO_ANSWER`; `NOT_ALMA_API`; the network's, such as `ECONNREFUSED`), and until when
 * `retry_after` asked to wait (HH:MM, as the stop's line says it).
 */
export interface StopDetail {
  code?: string | undefined;
  until?: string | undefined;
}

export function stopDetail(reason: StopReason | undefined, err: unknown): StopDetail | undefined {
  if (reason === 'unreachable' && err instanceof ApiError) return { code: err.code };
  // A key refused without the API's error document (a proxy's or a firewall's 401/403: common/errors.ts
  // keyRefusedText): its code, so that the report's next step is the network's, not the key's.
  if (reason === 'auth' && err instanceof ApiError && err.bare) return { code: err.code };
  // Not a Retry-After but refusals for the per-second threshold that went on (transport/http.ts REFUSED_STOP_MS): the report says which.
  if (reason === 'retry_after' && err instanceof RetryAfterError) return { until: retryAfterUntil(err), ...(err.refused !== undefined ? { code: err.code } : {}) };
  return undefined;
}

export type EngineEventSink = (event: EngineEvent) => void;

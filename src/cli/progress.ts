/**
 * Progress on stderr, subscribed to engine events. A spinner (ora) only when stderr is a
 * terminal; otherwise one plain line per finished invoice, which reads well in a cron log
 * (clig.dev: "If stdout is not an interactive terminal, don't display any animations").
 */
import type { default as Ora0, Ora } from 'ora';
import type { EngineEvent } from '../engine/events.js';
import { stoppedOn } from '../engine/result.js';
import type { Style } from '../report/human.js';
import { safe } from '../report/human.js';
import { workflowLabel } from '../report/alerts.js';
import { keyString } from '../domain/model.js';
import { cutToWidth, visibleWidth } from '../report/fit.js';
import { resultLine } from './terminal.js';
import { localIso } from '../common/time.js';
import { maskMessage } from '../common/shown-secrets.js';

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  interactive: boolean;
  quiet: boolean;
  verbose: boolean;
  style: Style;
  /** Cut the spinner's line with `...`, not `…` (`Terminal.ascii`). */
  ascii?: boolean | undefined;
  /** How messages name the target (default `Alma`), and its words for statuses (an Exsited cancel is "cancelled"). */
  targetLabel?: string | undefined;
  statusWords?: Record<string, string> | undefined;
  /** The clock (ms), injected for tests; default Date.now. */
  now?: (() => number) | undefined;
  /**
   * When the run began, on `now`'s clock (default: when the progress is made). The elapsed time
   * shown counts from it, as the summary's "in N s" does, so the two agree; the pace and the time
   * left count from the start of sending. Without it the spinner's clock restarted at 0:00 when
   * sending began, after reading and the checks: 1-3 s short of the summary, more on a batch
   * with many PO lines to check.
   */
  since?: number | undefined;
  /**
   * The spinner (ora) for an interactive run, imported by the caller only then: loading ora
   * and its dependencies takes ~80-110 ms of a run's start, which a cron job or a pipe never uses.
   */
  ora?: typeof Ora0 | undefined;
  /**
   * The spinner in colour (default true). ora's own colour follows its chalk, which reads
   * --no-color from argv but not NO_COLOR (https://no-color.org): it is told.
   */
  colour?: boolean | undefined;
}

export interface Progress {
  onEvent(e: EngineEvent): void;
  /** A line of its own (above the spinner, if any). */
  info(line: string): void;
  /**
   * A stage before the engine starts (the checks before sending): on a terminal the spinner
   * shows `label`, the requests and the time until the engine's `start`; a cron log gets the
   * label as a line. Without it a long wait for the checks looked like a hang.
   */
  phase(label: string): void;
  stop(): void;
}

const STATUS_WORD: Record<string, string> = {
  loaded: 'loaded',
  in_review: 'in review',
  already_loaded: 'already loaded',
  failed: 'FAILED',
  not_started: 'not started',
};

/** `m:ss`, or `h:mm:ss` from an hour on. */
export function clockDuration(ms: number): string {
  const t = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * Elapsed time, pace and time left for `done` of `total` invoices, `startDone` of which were
 * done without this run sending anything (finished by an earlier run, or found complete in the
 * target): the pace is of the others over `sendingMs` (the time since sending
 * began), and time left is only guessed once an invoice has finished (`estimating` before).
 * `elapsedMs`, the run's whole time so far, is what "elapsed" shows (default `sendingMs`).
 */
export function timeText(sendingMs: number, done: number, total: number, startDone: number, elapsedMs = sendingMs): string {
  const t = timeParts(sendingMs, done, total, startDone, elapsedMs);
  return [t.elapsed, t.pace, t.left].filter((p) => p !== undefined).join(' · ');
}

function timeParts(sendingMs: number, done: number, total: number, startDone: number, elapsedMs: number): { elapsed: string; pace?: string; left?: string } {
  const finished = done - startDone;
  const elapsed = `${clockDuration(elapsedMs)} elapsed`;
  if (finished > 0 && sendingMs > 0) {
    const perSecond = finished / (sendingMs / 1000);
    const pace = perSecond >= 1 ? `${perSecond.toFixed(1)} invoices/s` : `${(perSecond * 60).toFixed(1)} invoices/min`;
    return done < total ? { elapsed, pace, left: `about ${clockDuration(((total - done) / perSecond) * 1000)} left` } : { elapsed, pace };
  }
  return done < total ? { elapsed, left: 'time left: estimating' } : { elapsed };
}

/**
 * One part of the spinner's line. `drop`: when the line is too wide, parts with the highest go
 * first (0: never). `shrink`: rather than being dropped, it may be cut with `…` to what room is
 * left, if that is at least `MIN_SHRUNK` characters.
 */
export interface StatusPart {
  text: string;
  drop: number;
  shrink?: boolean | undefined;
}

/** A cut part shorter than this says too little to keep ("GOBI G-2411…" is 12). */
const MIN_SHRUNK = 12;

/**
 * The spinner's line for a terminal `room` columns wide: a line that wraps moves the spinner
 * down a row at every change of length and splits a word across rows. Whole parts are dropped,
 * least needed first, until the line fits; a part that may shrink is cut to the room left
 * instead, while that room is worth it. If the parts that are never dropped are still too wide,
 * the line is cut with `…` (`...` when `ascii`). `room` undefined (not a terminal that says its width): whole.
 */
export function fitStatus(parts: readonly StatusPart[], room: number | undefined, ascii = false): string {
  const SEP = ' · ';
  const line = (ps: readonly StatusPart[]): string => ps.map((p) => p.text).join(SEP);
  let kept = parts.filter((p) => p.text !== '');
  if (room === undefined || !Number.isFinite(room) || room <= 0) return line(kept);
  // Columns, not UTF-16 units: a vendor name may be outside the BMP, or in wide CJK characters.
  while (visibleWidth(line(kept)) > room) {
    const most = Math.max(...kept.map((p) => p.drop));
    if (most <= 0) break;
    const next = kept.findLast((p) => p.drop === most)!;
    const others = kept.filter((p) => p !== next);
    if (next.shrink === true) {
      const left = room - visibleWidth(line(others)) - (others.length > 0 ? SEP.length : 0);
      if (left >= MIN_SHRUNK) return line(kept.map((p) => (p === next ? { ...p, text: cutToWidth(p.text, left, 'start', ascii) } : p)));
    }
    kept = others;
  }
  return cutToWidth(line(kept), room, 'start', ascii);
}

/** What the spinner's line says while the engine runs (`runningStatus`). */
export interface RunningState {
  done: number;
  total: number;
  /** Invoices sent in full whose outcome is awaited (the `poll` step). */
  waiting: number;
  /** The target, as `waiting for Alma` names it. */
  label: string;
  requests: number;
  time: { elapsed: string; pace?: string | undefined; left?: string | undefined };
  remaining?: number | undefined;
  /** The current invoice's step (`HARRAS HA-2025-00412: line 2`). */
  current?: string | undefined;
}

/**
 * The spinner's line while the engine runs, fitted to `room` columns (`fitStatus`). In the order
 * shown; on a narrow terminal the daily count goes first, then the pace, then the current step
 * (cut short while it can still name the invoice), then the requests and the invoices waiting:
 * those two move while nothing finishes, so on a slow network they are what shows the run is
 * alive — a step text cut mid-word over a still count looked frozen. The counts, the time taken
 * and the time left stay.
 */
export function runningStatus(s: RunningState, room: number | undefined, ascii = false): string {
  const parts: StatusPart[] = [
    { text: `${s.done}/${s.total} invoices`, drop: 0 },
    { text: s.waiting > 0 ? `${s.waiting} waiting for ${s.label}` : '', drop: 2 },
    { text: `${s.requests} requests`, drop: 3 },
    { text: s.time.elapsed, drop: 0 },
    { text: s.time.pace ?? '', drop: 5 },
    { text: s.time.left ?? '', drop: 1 },
    { text: s.remaining !== undefined ? `${s.remaining.toLocaleString('en-US')} API calls left today` : '', drop: 6 },
    { text: s.current ?? '', drop: 4, shrink: true },
  ];
  return fitStatus(parts, room, ascii);
}

/** How long requests meet trouble before the first "still trying" line, and the least time between two. */
export const TROUBLE_QUIET_MS = 10_000;
export const TROUBLE_EVERY_MS = 30_000;

/**
 * `Alma has not answered for 40 s; still trying (attempt 2 of 5)`, `Alma has been out of reach for
 * 12 s (connection refused, ECONNREFUSED); …`. A timeout's own code (undici's `UND_ERR_HEADERS_TIMEOUT`) says only what
 * the sentence says, in words a librarian does not read: left out (`-v` shows it on each retry).
 */
export function troubleLine(label: string, trouble: 'timeout' | 'unreachable' | 'gateway', forMs: number, reason: string, next: number, of: number | undefined): string {
  const secs = `${Math.round(forMs / 1000)} s`;
  const what =
    trouble === 'timeout'
      ? `${label} ${reason === 'UND_ERR_BODY_TIMEOUT' ? 'began answering but never finished (for ' + secs + ')' : `has not answered for ${secs}`}`
      : trouble === 'unreachable'
        ? `${label} has been out of reach for ${secs}`
        : `the gateway in front of ${label} has answered only with errors for ${secs}`;
  // The transport's reason past the usual retries carries its own "(out of reach for 12 s)"
  // (transport/retry.ts `decide`), which the sentence says already: the time is said once.
  const code = trouble === 'unreachable' ? reason.replace(/ \(out of reach for \d+ s\)$/, '') : reason;
  const why = trouble === 'timeout' && /^UND_ERR_[A-Z_]*TIMEOUT$/.test(code) ? '' : ` (${networkWords(code)})`;
  return `${what}${why}; still trying (attempt ${next}${of !== undefined ? ` of ${of}` : ''})`;
}

/**
 * The system's network codes a run meets most, in words, before the code an engineer greps for
 * (Node's common system errors: https://nodejs.org/api/errors.html#common-system-errors); any
 * other code as it is.
 */
const NETWORK_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be looked up',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'no route to the network',
};

/** `connection refused, ECONNREFUSED`; a code without words (`HTTP 502`) as it is. */
export const networkWords = (code: string): string => (Object.hasOwn(NETWORK_WORDS, code) ? `${NETWORK_WORDS[code]}, ${code}` : safe(code));

/** Invoices named in the resume line before the rest are counted. */
const RESUME_NAMES = 5;

/**
 * The line a re-run starts with: what an earlier run left, and what this one does first —
 * `resuming: 2 invoices were partly sent (GOBI G-1, HARRAS H-4); finishing them and loading the
 * other 42; …`. The partly sent ones are named (the first few), so a cron log, which has no
 * spinner showing each, says which they are before the `[18/56] …` lines. Undefined when the
 * earlier run left nothing — no invoice finished, partly sent or awaiting its outcome (its only
 * write refused: a wrong key, exit 5): "0 of 7 were finished" said it had done something.
 */
export function resumeLine(e: Extract<EngineEvent, { type: 'start' }>): string | undefined {
  // Sent in full without their outcome seen: not finished, and nothing left to send.
  const read = e.awaiting !== undefined ? `; ${e.awaiting} more were sent and processed, and their outcome is read now` : '';
  const partly = e.partly ?? 0;
  if (e.alreadyDone === 0 && partly === 0 && (e.awaiting ?? 0) === 0) return undefined;
  if (partly === 0) return `resuming: ${e.alreadyDone} of ${e.invoices} invoices were finished by an earlier run${read}`;
  // What the re-run does first: the invoices an earlier run left half-sent, then the rest.
  const rest = e.invoices - e.alreadyDone - partly - (e.awaiting ?? 0);
  const finished = e.alreadyDone > 0 ? `; ${e.alreadyDone} ${e.alreadyDone === 1 ? 'was' : 'were'} finished by an earlier run` : '';
  const keys = e.partlyKeys ?? [];
  const more = partly - Math.min(keys.length, RESUME_NAMES);
  const names = keys.length === 0 ? '' : ` (${keys.slice(0, RESUME_NAMES).map((k) => `${safe(k.vendor)} ${safe(k.number)}`).join(', ')}${more > 0 ? ` and ${more} more` : ''})`;
  return `resuming: ${partly} invoice${partly === 1 ? ' was' : 's were'} partly sent${names}; finishing ${partly === 1 ? 'it' : 'them'}${rest > 0 ? ` and loading the other ${rest}` : ''}${finished}${read}`;
}

export function createProgress(o: ProgressOptions): Progress {
  const now = o.now ?? Date.now;
  let spinner: Ora | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let total = 0;
  let done = 0;
  let startDone = 0;
  const since = o.since ?? now();
  let startedAt = now();
  let requests = 0;
  let remaining: number | undefined;
  let current: string | undefined;
  /**
   * Since when requests have met trouble (a timeout, no connection, a gateway's 502–504) with no
   * proper answer between, on `now`'s clock; and when the last "still trying" line was written.
   */
  let troubleSince: number | undefined;
  let troubleSaid: number | undefined;
  /**
   * Invoices whose writes are all done and whose outcome the engine waits to read from the
   * target (the `poll` step) — confirmed together, so for much of a run many are here while
   * the count of finished ones stands still; they count toward the pace and the time left.
   */
  const waiting = new Set<string>();
  // Plain lines (a cron log, kept for days) start with the ISO 8601 local time and its offset.
  const stamp = (line: string): string => (o.interactive ? line : `${localIso(new Date(now()))} ${line}`);
  // On a terminal a line longer than the window is broken between words (its rest indented) —
  // one without a spinner too (TERM=dumb), where the terminal split words at its edge; a cron
  // log keeps one line per event.
  const lineOut = (line: string): string => resultLine({ errColumns: o.stream.isTTY === true ? o.stream.columns : undefined }, line);
  const write = (line: string): void => {
    if (spinner?.isSpinning) {
      spinner.clear();
      o.stream.write(lineOut(line));
      spinner.render();
    } else {
      o.stream.write(lineOut(stamp(line)));
    }
  };
  /** The stage before the engine's start (`phase`). */
  let phaseLabel: string | undefined;
  const spinText = (step?: string): string => {
    if (step !== undefined) current = step;
    const columns = o.stream.isTTY === true ? o.stream.columns : undefined;
    const room = columns !== undefined && columns > 0 ? columns - 3 : undefined;
    if (phaseLabel !== undefined) {
      const phase: StatusPart[] = [
        { text: phaseLabel, drop: 0, shrink: true },
        { text: `${requests} requests`, drop: 2 },
        { text: `${clockDuration(now() - since)} elapsed`, drop: 1 },
      ];
      return fitStatus(phase, room, o.ascii === true);
    }
    const time = timeParts(now() - startedAt, done + waiting.size, total, startDone, now() - since);
    // ora draws its frame and a space before the text (room: columns - 3); the last column is
    // left free, as a character there makes some terminals wrap.
    return runningStatus({ done, total, waiting: waiting.size, label: o.targetLabel ?? 'Alma', requests, time, remaining, current }, room, o.ascii === true);
  };
  /** Starts the spinner on an interactive run, or shows the current text on the one running. */
  const showSpinner = (): void => {
    if (spinner !== undefined) {
      spinner.text = spinText();
      return;
    }
    if (!o.interactive || o.ora === undefined) return;
    // discardStdin would put stdin in raw mode and swallow Ctrl-C (ora docs); keep signals working
    spinner = o.ora({ text: spinText(), stream: o.stream, discardStdin: false, color: o.colour === false ? false : 'cyan' }).start();
    // The clock moves between events too: a long wait for Alma still shows time passing.
    ticker = setInterval(() => {
      if (spinner) spinner.text = spinText();
    }, 1000);
    ticker.unref();
  };
  return {
    onEvent(e) {
      // --quiet silences progress, not the reason a run stopped
      if (o.quiet && e.type !== 'stopping') return;
      switch (e.type) {
        case 'start':
          total = e.invoices;
          done = e.alreadyDone;
          startDone = e.alreadyDone;
          startedAt = now();
          phaseLabel = undefined;
          if (e.resumed) {
            const resuming = resumeLine(e);
            if (resuming !== undefined) write(resuming);
          }
          showSpinner();
          break;
        case 'step':
          if (e.step === 'poll') waiting.add(keyString(e.key));
          // `lines` with its line's number is that one line ("line 2", not "lines 2").
          if (spinner) spinner.text = spinText(`${safe(e.key.vendor)} ${safe(e.key.number)}: ${e.step === 'lines' && e.detail ? 'line' : e.step}${e.detail ? ' ' + e.detail : ''}`);
          break;
        case 'reconcile':
          if (o.verbose || !o.interactive) {
            // A duplicate refusal is an answer, not a lost one: it says the number is taken, and the invoice holding it is looked for.
            // An earlier run's write whose answer it did not wait for lost nothing in this run: the line says which (events.ts).
            const asking = `asking ${o.targetLabel ?? 'Alma'} whether it took effect before anything is sent again`;
            // Its reason already says "whether it took effect" (engine.ts): the line does not say it twice.
            const askingEarlier = `asking ${o.targetLabel ?? 'Alma'} before anything is sent again`;
            write(
              o.style.yellow(
                e.duplicate === true
                  ? `  ${safe(e.key.number)}: ${e.step} refused, the number exists already (${safe(e.reason)}); looking in ${o.targetLabel ?? 'Alma'} for the invoice that holds it before anything else is sent`
                  : e.earlier === true
                    ? `  ${safe(e.key.number)}: ${safe(e.reason)}; ${askingEarlier}`
                    : `  ${safe(e.key.number)}: ${e.step} answer lost (${safe(e.reason)}); ${asking}`,
              ),
            );
          }
          break;
        case 'notice':
          write(o.style.yellow(safe(maskMessage(e.message))));
          break;
        case 'settle':
          if (o.verbose || !o.interactive) {
            const window = `${Number((e.windowMs / 1000).toFixed(1))} s`; // 3.028 s read as a precision it does not have
            const seen = e.lagMs !== undefined ? `showed invoice ${safe(e.key.number)} after ${(e.lagMs / 1000).toFixed(1)} s` : `did not show invoice ${safe(e.key.number)} within ${window}`;
            write(o.style.dim(`${o.targetLabel ?? 'Alma'}'s search ${seen}; should an answer be lost, the invoice is searched for up to ${window} before it is sent again`));
          }
          break;
        case 'canary':
          // A difference is the run's stop, said by `stopping`; a pass is one line for the log.
          if (e.passed && (o.verbose || !o.interactive)) {
            const how = e.compared === 'answers' ? `as ${o.targetLabel ?? 'Alma'}'s answers to its create and lines show` : `read back from ${o.targetLabel ?? 'Alma'}`;
            write(o.style.dim(`${safe(e.key.vendor)} ${safe(e.key.number)} is in ${o.targetLabel ?? 'Alma'} as in the file (${how}); loading the other invoices now`));
          }
          break;
        case 'invoice': {
          done = Math.max(done, e.done);
          current = undefined;
          const r = e.result;
          waiting.delete(keyString(r.key));
          // Found complete in the target by its look-up: done in a moment, without a write, so
          // not part of the pace (7 found at the start of a 20-invoice run said "200 invoices/s
          // · about 0:00 left"). Ones the journal had are in startDone already (done 0).
          if (r.status === 'already_loaded' && e.done > 0) startDone++;
          if (r.status === 'already_loaded' && e.done === 0 && !o.verbose) break; // listed in the summary
          // The run stopped (one line said why): the invoices it never started are in the summary, not one line each.
          if (r.status === 'not_started' && !o.verbose) break;
          // Nor the ones it stopped on: one line said the run is stopping, the summary says which.
          if (stoppedOn(r) && !o.verbose) break;
          const word = o.statusWords?.[r.status] ?? STATUS_WORD[r.status] ?? r.status;
          const colour = r.status === 'failed' || r.status === 'not_started' ? o.style.red : r.status === 'in_review' ? o.style.yellow : o.style.green;
          const extra = r.error
            ? ` — ${r.error.step}: ${safe(r.error.code)} ${safe(maskMessage(r.error.message))}${r.error.tracking_id ? ` (tracking id ${r.error.tracking_id})` : ''}`
            : r.id
              ? ` (id ${r.id}${r.workflowStatus ? `, ${workflowLabel(r.workflowStatus)}` : ''})`
              : '';
          if (!o.interactive || o.verbose || r.status === 'failed') {
            write(`[${e.done}/${e.total}] ${safe(r.key.vendor)} ${safe(r.key.number)}: ${colour(word)}${extra}`);
          }
          if (spinner) spinner.text = spinText();
          break;
        }
        case 'stopping':
          // Ctrl-C is announced by the CLI the moment it arrives; say only the other reasons here.
          if (e.reason !== 'interrupted') write(o.style.yellow(maskMessage(e.message)));
          break;
        case 'target': {
          const t = e.event;
          if (t.type === 'request') {
            // As the summary counts them: an attempt that never reached Alma is no request.
            if (t.unsent !== true) requests++;
            // The trouble began when the attempt that met it did (a timeout took --timeout to say so).
            if (t.status === 0 || (t.status >= 502 && t.status <= 504)) troubleSince ??= now() - t.ms;
            else troubleSince = troubleSaid = undefined;
            if (spinner) spinner.text = spinText();
          } else if (t.type === 'remaining') {
            remaining = t.remaining;
          } else if (t.type === 'retry' && o.verbose) {
            write(o.style.dim(`  retry ${t.method} ${t.path} in ${Math.round(t.delayMs)} ms (attempt ${t.attempt}): ${safe(t.reason)}`));
          } else if (t.type === 'retry' && t.trouble !== undefined) {
            // Without -v the retries are silent, and a run that waits for Alma looked frozen for
            // minutes: one plain line now and then, never while answers come (README, Pace and retries).
            const at = now();
            troubleSince ??= at;
            if (at - troubleSince >= TROUBLE_QUIET_MS && (troubleSaid === undefined || at - troubleSaid >= TROUBLE_EVERY_MS)) {
              troubleSaid = at;
              write(o.style.yellow(troubleLine(o.targetLabel ?? 'Alma', t.trouble, at - troubleSince, t.reason, t.attempt + 1, t.of)));
            }
          } else if (t.type === 'outage') {
            write(
              t.state === 'down'
                ? o.style.yellow(`${o.targetLabel ?? 'Alma'} is out of reach (${networkWords(t.code)}): waiting up to ${Math.round(t.patienceMs / 1000)} s for it to come back (--timeout)`)
                : o.style.dim(`${o.targetLabel ?? 'Alma'} answers again after ${Math.max(1, Math.round(t.forMs / 1000))} s out of reach`),
            );
          } else if (t.type === 'throttle' && (o.verbose || !o.interactive)) {
            write(o.style.dim(`  pace now ${t.rate.toFixed(1)} requests/s: ${safe(t.reason)}`));
          }
          break;
        }
      }
    },
    info(line) {
      if (!o.quiet) write(line);
    },
    phase(label) {
      if (o.quiet) return;
      phaseLabel = label;
      if (o.interactive && o.ora !== undefined) showSpinner();
      else write(label);
    },
    stop() {
      if (ticker !== undefined) clearInterval(ticker);
      ticker = undefined;
      spinner?.stop();
      spinner = undefined;
    },
  };
}

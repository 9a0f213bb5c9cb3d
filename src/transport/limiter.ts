/**
 * One global, adaptive request pacer shared by every worker.
 *
 * Pacing: requests start at least `1000 / rate` ms apart, in FIFO order. There is no token
 * bucket, so an idle spell never turns into a burst that would trip Alma's per-second
 * window (PER_SECOND_THRESHOLD, docs/alma.md#requests-hosts-keys-and-thresholds).
 * At most ⌊rate⌋ start in any window and margin (`#earliest()`); the run's first start and the
 * opening's and the tail's count `firstStartLateMs` later, as they reach the API late (see that option).
 *
 * The opening: reads that begin waiting before the run's first answer and first write (the
 * checks and look-ups a run sends at once, which the first write must wait for) are not spaced:
 * up to `openingBurst` of them start at once in a window (the window rule still holds); those
 * beyond wait for their slot, or for the next window when ⌊rate⌋ have gone. Spaced, 19 of them
 * kept the first write waiting 0.36 s longer at 50/s and 1.8 s at 10/s (bench/RESULTS.md). Any
 * request that begins waiting after an answer, a write, a retry or a 429 is spaced — but for the
 * tail's.
 *
 * The tail: reads that begin waiting once every write has ended (`ended`: answered, refused or
 * lost) and none waits — after a load's last write, its confirming searches, one a vendor — go
 * as the opening's do: up to `openingBurst` at once in a window, the window rule kept, each
 * counted `firstStartLateMs` late. Spaced, the last of 4 went 3 intervals after the first
 * (0.12 s at 25/s) while nothing else was left to send. Not within a window and margin of a 429,
 * nor while paused; a 429 spaces the tail's waiters as it does the opening's. A write that
 * begins waiting meanwhile is spaced as always, from the last burst start.
 *
 * Adaptation: a 429 PER_SECOND_THRESHOLD pauses EVERY caller for `pauseMs` (or the server's
 * Retry-After), not only the one refused: the window is full for everyone (octokit
 * plugin-throttling; the AWS SDKs' "adaptive" retry mode). Only the first 429 of an episode
 * counts: requests that started before it report the same overload. What the API took in the
 * window before the refused request, while we were sending as fast as we let ourselves, says
 * what the 429 means:
 * - about our whole rate (all but a few): arrivals bunched (a stalled event loop, new
 *   connections), the threshold is not lower. The rate stays; the room between windows
 *   (`marginMs`) doubles, and halves back after quiet windows. A cut here cost 5–7 % of the
 *   rest of the run.
 * - clearly fewer (10 a second under `--rate 25`): that whole number a window is the threshold.
 *   The rate goes to it exactly — the window rule keeps it there — not below it, and probes one
 *   more a window only after a long quiet spell (`probeHoldWindows`, doubled by each refused
 *   probe), so the 429s of probing stay rare. A probe that holds a window raises the estimate
 *   and the next probe comes at once, widening (+1, +2, +4 …): a refusal that was transient
 *   (another client of the same institution) is followed back up quickly.
 * - we were not sending at our rate (the window may be shared with the institution's other
 *   clients): the rate is cut (× `decrease`) and recovers quickly to just under the rate that
 *   was refused, then slowly past it (AIMD, as TCP and the AWS SDK "adaptive" mode do).
 *
 * Tuned on the simulation in test/transport/limiter.test.ts (sliding and fixed one-second
 * windows, 40–120 ms of latency jitter): at the threshold or under it with `--rate` above it,
 * ≥ 97 % of it with < 1 % of requests refused.
 */

import { currentRank } from '../common/priority.js';

export interface LimiterEvent {
  type: 'throttle';
  rate: number;
  reason: string;
}

export interface LimiterOptions {
  /** Requests per second at most (the configured `--rate`). `Infinity` disables pacing. */
  rate: number;
  /** Floor of the adaptive rate. Default 0.5 per second. */
  minRate?: number | undefined;
  /** Factor applied to the rate on a throttle. Default 0.8. */
  decrease?: number | undefined;
  /** Global pause after a throttle, in ms (a Retry-After longer than this wins). Default 250. */
  pauseMs?: number | undefined;
  /** Below this fraction of the estimated threshold the rate recovers fast. Default 0.95. */
  recoverTo?: number | undefined;
  /** Step of the fast recovery, as a fraction of the estimated threshold. Default 0.1. */
  fastStep?: number | undefined;
  /** Step of the slow probe near and past the estimate, as a fraction of it. Default 0.0015. */
  slowStep?: number | undefined;
  /**
   * Windows to stay at a measured threshold before sending one more a window, doubled by each
   * refused probe (to 8 times this). Default 15.
   */
  probeHoldWindows?: number | undefined;
  /** Length of one probe window, in ms. Default 1000. */
  windowMs?: number | undefined;
  /**
   * However late timers fire, at most ⌊rate⌋ requests start in any `1000 + marginMs` ms, so the
   * API's one-second window still holds when arrivals jitter by up to this much. Default 10.
   */
  marginMs?: number | undefined;
  /**
   * The limiter's first start, and the opening's, count this much later (ms) in the window rule.
   * The first request of a process is sent late by one-time set-up (the HTTP client's, a fresh
   * connection), so the API may count it later than its stamp, in one second with the ⌊rate⌋
   * after it: 21 ms late at 600 ms of latency, a 429 at 10/s. A burst of fresh connections
   * arrives spread out the same way: under --rate 25 against 10 a second, a retry 1010 ms after
   * it drew a 429, then a cut to 6 a second (86 % of the threshold). Default 50.
   */
  firstStartLateMs?: number | undefined;
  /**
   * At most this many of the opening's (or the tail's) requests start at once in a window. Default 10: the
   * lowest per-second threshold Alma is said to have (its sandboxes;
   * docs/alma.md#requests-hosts-keys-and-thresholds), so the burst alone passes none; 19 at once
   * under `--rate 25` against 10 a second drew 9 429s.
   */
  openingBurst?: number | undefined;
  now?: (() => number) | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  onEvent?: ((event: LimiterEvent) => void) | undefined;
}

/** The part of the limiter the HTTP client uses; tests and other transports may stub it. */
export interface Limiter {
  /** Resolves when a request may start; returns the start time (limiter clock) to report back. */
  acquire(signal?: AbortSignal, opts?: AcquireOptions): Promise<number>;
  /** The request that started at `startedAt` was answered without a throttle. */
  success(startedAt: number): void;
  /** The request that started at `startedAt` was refused by the per-second threshold. */
  throttled(startedAt: number, retryAfterMs?: number): void;
  /**
   * The attempt that started at `startedAt` has ended, however (an answer, a refusal, a lost
   * connection, a stop): called once for each. Tells the limiter when no write is in flight (the
   * tail's reads go together); a caller that never calls it keeps every read spaced.
   */
  ended?(startedAt: number): void;
  /** Requests per second it lets go now, when it paces (`RateLimiter.rate`): said when the run stops on refusals. */
  readonly rate?: number;
}

export interface AcquireOptions {
  /** A retry: goes ahead of fresh work. */
  priority?: boolean | undefined;
  /** The request only reads (GET): one of the opening's, if no answer or write came yet, or the tail's. */
  read?: boolean | undefined;
}

interface Waiter {
  /**
   * Higher goes first, asked when the next request may start (the engine's order can change
   * while a request waits); equal ones in arrival order. A retry is `Infinity`.
   */
  rank: () => number;
  resolve: (startedAt: number) => void;
  reject: (reason: unknown) => void;
  cleanup: () => void;
  /** Began waiting in the opening or the tail: held by the window rule only, up to the burst. */
  burst: boolean;
  /** A write (not a read): while it waits, reads are not the tail's. */
  write: boolean;
}

/** The longest delay setTimeout keeps (2^31-1 ms); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Windows without a 429 after which a widened margin halves. */
const MARGIN_QUIET = 10;
/** Windows a probe past a measured threshold must hold before the estimate rises. */
const PROBE_CONFIRM = 3;
/** A refused probe doubles the hold before the next, up to this many times the first. */
const MAX_HOLD_FACTOR = 8;

export class RateLimiter implements Limiter {
  readonly maxRate: number;
  #rate: number;
  #ceiling: number | undefined;
  readonly #minRate: number;
  readonly #decrease: number;
  readonly #pauseMs: number;
  readonly #recoverTo: number;
  readonly #fastStep: number;
  readonly #slowStep: number;
  readonly #windowMs: number;
  readonly #probeHold: number;
  /** Windows to hold at a measured threshold before the next probe past it. */
  #hold: number;
  /** The estimate is a whole number a window the API was seen to take, not just a refused rate. */
  #measured = false;
  #marginMs: number;
  readonly #baseMarginMs: number;
  readonly #firstStartLateMs: number;
  /**
   * For each of `#starts`: how much later (ms) it counts in the window rule — `firstStartLateMs`
   * for the run's first start and the opening's (a burst of fresh connections reaches the API
   * spread out, the last of them later than its stamp), else 0.
   */
  #late: number[] = [];
  /** Nothing has started yet: the next start is the run's first. */
  #firstTaken = true;
  /** When the margin last changed: it halves back toward its base after a quiet spell. */
  #marginSetAt = -Infinity;
  /** Quiet windows before a widened margin halves: doubled when halving it brought a 429 back. */
  #marginQuiet = MARGIN_QUIET;
  #narrowedAt = -Infinity;
  /** Start times of the requests of the last few windows, oldest first. */
  #starts: number[] = [];
  /** For each of `#starts`: since when requests had been waiting for the limiter without a break (we sent at our rate), or NaN. */
  #backlog: number[] = [];
  /** Since when requests have been waiting for the limiter without a break. */
  #busySince: number | undefined;
  /** Start times of the requests answered without a throttle, of the last few windows. */
  #accepted: number[] = [];
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #onEvent: ((event: LimiterEvent) => void) | undefined;

  #queue: Waiter[] = [];
  #pumping = false;
  #wake: AbortController | undefined;
  /** Earliest start of the next request. */
  #next = -Infinity;
  #pausedUntil = -Infinity;
  #lastCutAt = -Infinity;
  /** The last few pauses after a 429, [from, until). */
  #pauses: [number, number][] = [];
  #lastChangeAt: number;
  #successes = 0;
  /** Current step of the probe past the estimate (0 until the estimate is passed). */
  #beyond = 0;
  /** No answer, write or 429 yet: reads that begin waiting now are the opening's. */
  #opening = true;
  readonly #openingBurst: number;
  /** Start times of the opening's and the tail's requests (each burst's). */
  #burstStarts: number[] = [];
  /** Start times of the writes in flight: started, not `ended` yet. */
  #writesOut: number[] = [];
  /** A write has ended: reads after it, with no write in flight or waiting, are the tail's. */
  #wrote = false;

  constructor(opts: LimiterOptions) {
    if (!(opts.rate > 0)) throw new RangeError('rate must be a positive number');
    this.maxRate = opts.rate;
    this.#rate = opts.rate;
    this.#minRate = Math.min(opts.minRate ?? 0.5, opts.rate);
    this.#decrease = opts.decrease ?? 0.8;
    this.#pauseMs = opts.pauseMs ?? 250;
    this.#recoverTo = opts.recoverTo ?? 0.95;
    this.#fastStep = opts.fastStep ?? 0.1;
    this.#slowStep = opts.slowStep ?? 0.0015;
    this.#windowMs = opts.windowMs ?? 1000;
    this.#probeHold = opts.probeHoldWindows ?? 15;
    this.#hold = this.#probeHold;
    this.#marginMs = opts.marginMs ?? 10;
    this.#baseMarginMs = this.#marginMs;
    this.#firstStartLateMs = opts.firstStartLateMs ?? 50;
    this.#openingBurst = opts.openingBurst ?? 10;
    this.#now = opts.now ?? (() => performance.now());
    this.#sleep = opts.sleep ?? defaultSleep;
    this.#onEvent = opts.onEvent;
    this.#lastChangeAt = this.#now();
  }

  /** The room left between windows now (ms): widened by 429s at the full rate, narrowed after quiet. */
  get marginMs(): number {
    return this.#marginMs;
  }

  /** Current requests-per-second limit. */
  get rate(): number {
    return this.#rate;
  }

  /** The rate at which the last throttle happened: the estimate of the API's threshold. */
  get estimatedThreshold(): number | undefined {
    return this.#ceiling;
  }

  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  acquire(signal?: AbortSignal, opts?: AcquireOptions): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.#now();
    const write = opts?.read !== true;
    // A retry follows an attempt that ended (a 5xx, a lost connection): the opening is over.
    if (write || opts.priority === true) this.#opening = false;
    const burst = this.#opening || (!write && opts.priority !== true && this.#inTail(now));
    if (this.#queue.length === 0 && now >= this.#earliest(burst)) {
      this.#busySince = undefined;
      this.#take(now, now, burst, write);
      return Promise.resolve(now);
    }
    this.#busySince ??= now;
    return new Promise<number>((resolve, reject) => {
      const onAbort = (): void => {
        this.#queue = this.#queue.filter((w) => w !== waiter);
        // Nobody left waiting: the pump's sleep (a pause may be long) must not keep the process alive.
        if (this.#queue.length === 0) this.#wake?.abort();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        rank: opts?.priority === true ? retryRank : currentRank(),
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
        burst,
        write,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // A retry goes ahead of fresh work so one invoice's steps finish together
      // (octokit plugin-throttling reschedules retries at priority 0).
      if (opts?.priority === true) this.#queue.unshift(waiter);
      else this.#queue.push(waiter);
      void this.#pump();
    });
  }

  ended(startedAt: number): void {
    const i = this.#writesOut.indexOf(startedAt);
    if (i < 0) return;
    this.#writesOut.splice(i, 1);
    this.#wrote = true;
  }

  /**
   * A read that begins waiting now is the tail's: a write has ended, none is in flight or
   * waiting, and no 429 came within a window and margin (nor is the limiter paused).
   */
  #inTail(now: number): boolean {
    if (!this.#wrote || this.#writesOut.length > 0 || this.#queue.some((w) => w.write)) return false;
    return now >= Math.max(this.#pausedUntil, this.#lastCutAt + this.#windowMs + this.#marginMs);
  }

  success(startedAt: number): void {
    this.#opening = false;
    this.#accepted.push(startedAt);
    trim(this.#accepted, startedAt - 3 * this.#windowMs);
    // Only a request sent at the current rate says anything about it.
    if (startedAt >= this.#lastChangeAt) this.#successes++;
    const now = this.#now();
    // A margin widened by a 429 at the full rate (arrivals bunched by a busy spell) costs up to
    // a tenth of the rate for the rest of the run: after `#marginQuiet` windows without a 429 it
    // halves, back toward its base, each such spell.
    if (this.#marginMs > this.#baseMarginMs && now - Math.max(this.#marginSetAt, this.#lastCutAt) >= this.#marginQuiet * this.#windowMs) {
      this.#marginMs = Math.max(this.#baseMarginMs, this.#marginMs / 2);
      this.#marginSetAt = now;
      this.#narrowedAt = now;
    }
    if (this.#rate >= this.maxRate) return;
    // Probe once per window, and only when about a window's worth of requests went through
    // at the current rate: a rate that is not being used proves nothing.
    const needed = Math.max(1, Math.floor((this.#rate * this.#windowMs) / 1000));
    if (this.#successes < needed || now - this.#lastChangeAt < this.#windowMs) return;
    const estimate = this.#ceiling ?? this.maxRate;
    if (this.#measured) {
      this.#probe(estimate, now);
      return;
    }
    let next: number;
    let reason = 'probing';
    if (this.#rate < estimate * this.#recoverTo) {
      // Well below the last refused rate: that rate is known to be (nearly) fine.
      next = Math.min(this.#rate + estimate * this.#fastStep, estimate * this.#recoverTo);
      reason = 'recovering';
    } else if (this.#rate < estimate) {
      next = this.#rate + estimate * this.#slowStep;
    } else {
      // Past the estimate without a refusal: it was low (a transient refusal, or another
      // client of the same institution went quiet). Widen the step each window (slow start).
      this.#beyond = this.#beyond === 0 ? estimate * this.#slowStep : this.#beyond * 2;
      next = this.#rate + this.#beyond;
    }
    this.#setRate(Math.min(this.maxRate, next), now, reason);
  }

  throttled(startedAt: number, retryAfterMs?: number): void {
    this.#opening = false;
    // The opening's and the tail's waiters too: a burst the API refused is not repeated.
    for (const w of this.#queue) w.burst = false;
    const now = this.#now();
    if (startedAt > this.#lastCutAt) {
      this.#beyond = 0;
      this.#lastCutAt = now;
      let pauseMs = this.#pauseMs;
      // What the API took in the window before the refused request says where its threshold is
      // — when we were sending at our rate then (otherwise it proves little: the window may be
      // shared with the institution's other clients, and the usual cut applies). "At our rate":
      // requests were waiting for the limiter since `busySince`, and it let them go at the rate.
      const full = Math.max(1, Math.floor(this.#rate));
      const from = startedAt - this.#windowMs - this.#marginMs;
      const sent = countIn(this.#starts, from, startedAt);
      const took = countIn(this.#accepted, from, startedAt);
      const i = this.#starts.lastIndexOf(startedAt);
      const busySince = i < 0 ? NaN : this.#backlog[i]!;
      const span = Math.min(this.#windowMs + this.#marginMs, startedAt - busySince);
      // The window rule lets ⌊rate⌋ go a window and margin; a pause in the span lets fewer.
      const paced = (full * Math.max(0, span - this.#pausedIn(from, startedAt))) / (this.#windowMs + this.#marginMs);
      const saturated = Number.isFinite(this.#rate) && span > 0 && sent >= paced - 1;
      // Bunched arrivals make the API's window look a request or two short of ours.
      const slack = Math.max(1, Math.ceil(full * 0.05));
      const widest = this.#windowMs / 10;
      if (this.#measured && this.#rate > (this.#ceiling ?? Infinity)) {
        // A probe past a measured threshold was refused: back to it, and wait longer before the next.
        this.#hold = Math.min(this.#hold * 2, this.#probeHold * MAX_HOLD_FACTOR);
        this.#setRate(this.#ceiling!, now, `throttled by the API (429) one past ${this.#ceiling}/s: back to it`);
      } else if (saturated && took >= full - slack && this.#marginMs < widest) {
        // It took (nearly) a whole window at our rate and refused the next: arrivals bunched
        // (late timers, a busy machine, new connections), the threshold is not lower. Leave more
        // room between windows instead of slowing down for the rest of the run.
        if (!this.#measured) this.#ceiling = this.#rate;
        // Soon after the margin was narrowed: the arrivals need the wider one; keep it longer.
        if (now - this.#narrowedAt < this.#marginQuiet * this.#windowMs) this.#marginQuiet = Math.min(this.#marginQuiet * 2, MARGIN_QUIET * MAX_HOLD_FACTOR);
        this.#marginMs = Math.min(Math.max(1, this.#marginMs * 2), widest);
        this.#marginSetAt = now;
        // The window is full only by the few that bunched: a pause of an interval or two lets
        // it move on (a whole `pauseMs` here cost a quarter of a second's requests each time).
        pauseMs = Math.min(pauseMs, Math.max(1000 / this.#rate, 2 * this.#marginMs));
        this.#setRate(this.#rate, now, '');
        this.#onEvent?.({ type: 'throttle', rate: Math.round(this.#rate * 100) / 100, reason: 'throttled by the API (429) at the full rate: more room between windows' });
      } else if (saturated && took > 0) {
        // Fewer than our rate were taken (or the widest margin did not help): that many a
        // window is the threshold (10/s under --rate 25). Run at it, not under it.
        this.#ceiling = (Math.min(took, full) * 1000) / this.#windowMs;
        this.#measured = true;
        this.#hold = this.#probeHold;
        this.#setRate(Math.max(this.#minRate, this.#ceiling), now, 'throttled by the API (429)');
      } else {
        this.#ceiling = this.#rate;
        this.#measured = false;
        this.#setRate(Math.max(this.#minRate, this.#rate * this.#decrease), now, 'throttled by the API (429)');
      }
      this.#pausedUntil = Math.max(this.#pausedUntil, now + pauseMs);
      this.#pauses.push([now, this.#pausedUntil]);
      if (this.#pauses.length > 8) this.#pauses.shift();
    }
    // At most a timer's reach: beyond 2^31-1 ms Node fires at once, and the pump would spin.
    if (retryAfterMs !== undefined) this.#pausedUntil = Math.max(this.#pausedUntil, now + Math.min(retryAfterMs, MAX_TIMER_MS));
    // The pump may be asleep until a slot computed before the pause: wake it to recompute.
    this.#wake?.abort();
  }

  /**
   * Which waiter to serve next (its index, -1 when none): the engine's priority
   * (common/priority.ts) as it is now — the oldest invoice first while the batch starts, the most
   * steps left once all have started, which a create that began waiting before that must see —
   * arrival order among equals.
   */
  #pick(): number {
    let best = -1;
    let bestRank = -Infinity;
    for (let i = 0; i < this.#queue.length; i++) {
      const r = this.#queue[i]!.rank();
      if (best < 0 || r > bestRank) {
        best = i;
        bestRank = r;
        if (r === Infinity) break;
      }
    }
    return best;
  }

  /** How long the limiter was paused between `from` and `to`. */
  #pausedIn(from: number, to: number): number {
    let ms = 0;
    for (const [a, b] of this.#pauses) ms += Math.max(0, Math.min(b, to) - Math.max(a, from));
    return ms;
  }

  /**
   * At a measured threshold: one more a window after the hold. Past it, a window without a 429
   * raises the estimate, and the next step (twice as wide) comes at once.
   */
  #probe(estimate: number, now: number): void {
    const step = 1000 / this.#windowMs;
    if (this.#rate <= estimate) {
      if (now - this.#lastChangeAt < this.#hold * this.#windowMs) return;
      this.#beyond = step;
      this.#setRate(Math.min(this.maxRate, estimate + step), now, 'probing one past the threshold');
      return;
    }
    // A fixed window can let one more through for a window or two: the probe holds a few.
    if (now - this.#lastChangeAt < PROBE_CONFIRM * this.#windowMs) return;
    this.#ceiling = this.#rate;
    this.#hold = this.#probeHold;
    this.#beyond *= 2;
    this.#setRate(Math.min(this.maxRate, this.#rate + this.#beyond), now, 'probing: the threshold is higher');
  }

  #setRate(rate: number, now: number, reason: string): void {
    this.#lastChangeAt = now;
    this.#successes = 0;
    if (rate === this.#rate) return;
    this.#rate = rate;
    this.#onEvent?.({ type: 'throttle', rate: Math.round(rate * 100) / 100, reason });
  }

  /**
   * Records a start at `now` for the slot `at`. Timers fire late (about a millisecond, more on a
   * busy machine, where a process can also stall for 100 ms), and a pace counted from each late
   * start falls short of the rate (90 % at 50/s on a busy 2-core machine). So a start up to an
   * interval or a tenth of the window late keeps the grid (next = at + interval: the requests
   * owed go out back to back), a later one starts a new grid, so a long stall is not made up.
   * The log of `#starts` keeps the one-second count whatever the timers do.
   */
  #take(at: number, now: number, burst: boolean, write: boolean): void {
    if (write) this.#writesOut.push(now);
    if (!Number.isFinite(this.#rate)) {
      this.#next = now;
      return;
    }
    if (burst) this.#burstStarts.push(now);
    const interval = 1000 / this.#rate;
    this.#next = (now - at <= Math.max(interval, this.#windowMs / 10) ? at : now) + interval;
    this.#starts.push(now);
    this.#backlog.push(this.#busySince ?? NaN);
    this.#late.push(burst || this.#firstTaken ? this.#firstStartLateMs : 0);
    this.#firstTaken = false;
    const dropped = trim(this.#starts, now - 3 * this.#windowMs);
    this.#backlog.splice(0, dropped);
    this.#late.splice(0, dropped);
    trim(this.#burstStarts, now - 3 * this.#windowMs);
  }

  /**
   * The earliest time the next request may start: its slot (not for one of the opening's or the
   * tail's while fewer than `openingBurst` of them went early in the last window), any pause,
   * and the window.
   */
  #earliest(burst = false): number {
    // Under 1 a second the window rule alone (one a window) would outrun the rate: spaced.
    const most = Math.min(this.#openingBurst, Math.floor(this.#rate));
    const early = burst && countIn(this.#burstStarts, this.#now() - this.#windowMs - this.#marginMs, Infinity) < most;
    let at = early ? this.#pausedUntil : Math.max(this.#next, this.#pausedUntil);
    const keep = Math.max(1, Math.floor(this.#rate));
    // ⌊rate⌋ starts already in the last window (plus margin): wait until the oldest leaves it.
    if (Number.isFinite(this.#rate) && this.#starts.length >= keep) {
      const oldest = this.#starts.length - keep;
      at = Math.max(at, this.#starts[oldest]! + this.#windowMs + this.#marginMs + this.#late[oldest]!);
    }
    return at;
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        const now = this.#now();
        const best = this.#pick();
        if (best < 0) break;
        const { burst, write } = this.#queue[best]!;
        const at = this.#earliest(burst);
        if (at > now) {
          const wake = new AbortController();
          this.#wake = wake;
          try {
            await this.#sleep(at - now, wake.signal);
          } catch {
            // woken early by a throttle: recompute the next slot
          } finally {
            this.#wake = undefined;
          }
          continue;
        }
        const waiter = this.#queue.splice(best, 1)[0]!;
        waiter.cleanup();
        this.#take(at, now, burst, write);
        // The backlog ends with the last waiter: a request that finds the queue empty later
        // and must still wait for its slot starts a new one.
        if (this.#queue.length === 0) this.#busySince = undefined;
        waiter.resolve(now);
      }
    } finally {
      this.#pumping = false;
    }
  }
}

const retryRank = (): number => Infinity;

/** A limiter that never waits: for targets without a rate limit and for tests. */
export const unlimited: Limiter = {
  acquire: (signal) => (signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve(0)),
  success: () => {},
  throttled: () => {},
};

/** Drops the times before `from` from a list kept in (nearly) ascending order; returns how many. */
function trim(times: number[], from: number): number {
  let i = 0;
  while (i < times.length && times[i]! < from) i++;
  if (i > 0) times.splice(0, i);
  return i;
}

/** How many of the times fall in [from, to). */
function countIn(times: readonly number[], from: number, to: number): number {
  let n = 0;
  for (const t of times) if (t >= from && t < to) n++;
  return n;
}

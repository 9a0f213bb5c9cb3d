/**
 * One global, adaptive request pacer shared by every worker.
 *
 * Pacing: requests start at least `1000 / rate` ms apart, in FIFO order. There is no token
 * bucket, so an idle spell never turns into a burst that would trip Alma's per-second
 * window (PER_SECOND_THRESHOLD, docs/alma.md#requests-hosts-keys-and-thresholds).
 *
 * Adaptation (AIMD, as TCP and the AWS SDK "adaptive" mode's CUBIC-like limiter do):
 * - a 429 PER_SECOND_THRESHOLD cuts the rate (× `decrease`) and pauses EVERY caller for
 *   `pauseMs` (or the server's Retry-After), not only the one refused: the window is full for
 *   everyone (octokit plugin-throttling; the AWS SDKs' "adaptive" retry mode). Only the first 429 of
 *   an episode cuts: requests that started before the cut report the same overload.
 * - after about one window's worth of successes, the rate probes back up: quickly to just
 *   under the rate that was refused last time (the estimated threshold), then slowly past
 *   it, so the rate settles near the real threshold even when `--rate` is set above it, and
 *   follows it up again if it was a transient refusal (e.g. another client of the same
 *   institution's quota).
 *
 * Defaults (cut × 0.8, 250 ms pause, fast recovery to 95 % of the refused rate, then
 * +0.15 % of it per window) were tuned on the simulation in test/transport/limiter.test.ts:
 * ≥ 90 % of a sliding or fixed one-second threshold with < 2 % of requests refused, with
 * 2–200 ms of latency jitter. A deeper cut or a full-second pause cost 5–10 % of throughput.
 */

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
  /** Length of one probe window, in ms. Default 1000. */
  windowMs?: number | undefined;
  now?: (() => number) | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  onEvent?: ((event: LimiterEvent) => void) | undefined;
}

/** The part of the limiter the HTTP client uses; tests and other transports may stub it. */
export interface Limiter {
  /** Resolves when a request may start; returns the start time (limiter clock) to report back. */
  acquire(signal?: AbortSignal, opts?: { priority?: boolean }): Promise<number>;
  /** The request that started at `startedAt` was answered without a throttle. */
  success(startedAt: number): void;
  /** The request that started at `startedAt` was refused by the per-second threshold. */
  throttled(startedAt: number, retryAfterMs?: number): void;
}

interface Waiter {
  resolve: (startedAt: number) => void;
  reject: (reason: unknown) => void;
  cleanup: () => void;
}

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
  #lastChangeAt: number;
  #successes = 0;
  /** Current step of the probe past the estimate (0 until the estimate is passed). */
  #beyond = 0;

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
    this.#now = opts.now ?? (() => performance.now());
    this.#sleep = opts.sleep ?? defaultSleep;
    this.#onEvent = opts.onEvent;
    this.#lastChangeAt = this.#now();
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

  acquire(signal?: AbortSignal, opts?: { priority?: boolean }): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.#now();
    if (this.#queue.length === 0 && now >= this.#next && now >= this.#pausedUntil) {
      this.#take(now);
      return Promise.resolve(now);
    }
    return new Promise<number>((resolve, reject) => {
      const onAbort = (): void => {
        this.#queue = this.#queue.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // A retry goes ahead of fresh work so one invoice's steps finish together
      // (octokit plugin-throttling reschedules retries at priority 0).
      if (opts?.priority === true) this.#queue.unshift(waiter);
      else this.#queue.push(waiter);
      void this.#pump();
    });
  }

  success(_startedAt: number): void {
    this.#successes++;
    if (this.#rate >= this.maxRate) return;
    const now = this.#now();
    // Probe once per window, and only when about a window's worth of requests went through
    // at the current rate: a rate that is not being used proves nothing.
    const needed = Math.max(1, Math.floor((this.#rate * this.#windowMs) / 1000));
    if (this.#successes < needed || now - this.#lastChangeAt < this.#windowMs) return;
    const estimate = this.#ceiling ?? this.maxRate;
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
    const now = this.#now();
    if (startedAt > this.#lastCutAt) {
      this.#ceiling = this.#rate;
      this.#beyond = 0;
      this.#lastCutAt = now;
      this.#pausedUntil = Math.max(this.#pausedUntil, now + this.#pauseMs);
      this.#setRate(Math.max(this.#minRate, this.#rate * this.#decrease), now, 'throttled by the API (429)');
    }
    if (retryAfterMs !== undefined) this.#pausedUntil = Math.max(this.#pausedUntil, now + retryAfterMs);
    // The pump may be asleep until a slot computed before the pause: wake it to recompute.
    this.#wake?.abort();
  }

  #setRate(rate: number, now: number, reason: string): void {
    this.#lastChangeAt = now;
    this.#successes = 0;
    if (rate === this.#rate) return;
    this.#rate = rate;
    this.#onEvent?.({ type: 'throttle', rate: Math.round(rate * 100) / 100, reason });
  }

  #take(now: number): void {
    this.#next = Number.isFinite(this.#rate) ? now + 1000 / this.#rate : now;
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        const now = this.#now();
        const at = Math.max(this.#next, this.#pausedUntil);
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
        const waiter = this.#queue.shift();
        if (waiter === undefined) break;
        waiter.cleanup();
        this.#take(now);
        waiter.resolve(now);
      }
    } finally {
      this.#pumping = false;
    }
  }
}

/** A limiter that never waits: for targets without a rate limit and for tests. */
export const unlimited: Limiter = {
  acquire: (signal) => (signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve(0)),
  success: () => {},
  throttled: () => {},
};

/**
 * How many invoices to keep in flight: enough that the rate limiter, not the round trip, sets
 * the pace.
 *
 * An invoice sends its requests one after the other (create → each line → process), so it has
 * at most one request in flight. N invoices in flight therefore send at most N ÷ latency
 * requests per second (Little's law): six of them at 300 ms cannot pass 20/s, whatever `--rate`
 * says. (When fewer invoices than N are left to send, their lines share the spare slots: the
 * engine's `addLines`.) The sizer keeps N ≈ rate × (latency + the invoice's own time between requests) ×
 * headroom, from the latency it observes on the answers, and follows it as it changes during
 * the run. `--concurrency` is the upper bound.
 *
 * The headroom is generous on purpose: invoices beyond what the rate needs only wait at the
 * limiter (which keeps the global pace and backs off on a 429 for everyone), while too few leave
 * requests unsent. Twice the need also keeps enough requests outstanding at the end of a batch,
 * when the last invoices still have several steps each and no new ones start.
 */

export interface InFlightOptions {
  /** Requests per second the run may send (`--rate`); `Infinity` sizes at `max`. */
  rate: number;
  /** Upper bound (`--concurrency`). */
  max: number;
  /** Multiplier on rate × latency. Default 2. */
  headroom?: number | undefined;
  /**
   * An invoice's time between two requests beyond the round trip: the journal's fsync before
   * and after each write, reading the answer, a busy event loop. Default 150 ms: at 50 ms a
   * round trip, 10/s measured 9/s with 4 in flight on a busy 2-core machine.
   */
  stepOverheadMs?: number | undefined;
  /** Added on top. Default 2. */
  spare?: number | undefined;
  /** Latency assumed before the first answer, ms. Default 300. */
  initialLatencyMs?: number | undefined;
  /** Weight of a new observation in the running average (0..1]. Default 0.1. */
  weight?: number | undefined;
}

export class InFlightSizer {
  readonly #rate: number;
  readonly #max: number;
  readonly #headroom: number;
  readonly #spare: number;
  readonly #overheadMs: number;
  readonly #weight: number;
  #latencyMs: number;
  #observed = 0;
  #size: number;
  readonly #listeners: (() => void)[] = [];

  constructor(opts: InFlightOptions) {
    if (!(opts.max >= 1)) throw new RangeError('max must be at least 1');
    this.#rate = opts.rate;
    this.#max = Math.floor(opts.max);
    this.#headroom = opts.headroom ?? 2;
    this.#spare = opts.spare ?? 2;
    this.#overheadMs = opts.stepOverheadMs ?? 150;
    this.#weight = opts.weight ?? 0.1;
    this.#latencyMs = opts.initialLatencyMs ?? 300;
    this.#size = this.#compute();
  }

  /** Invoices to keep in flight now, 1..max. */
  get size(): number {
    return this.#size;
  }

  /** The latency the size is computed from (running average of the answers), ms. */
  get latencyMs(): number {
    return this.#latencyMs;
  }

  /** Called when the size changes. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /**
   * One answer's round trip, from the moment the limiter let the request go to its answer
   * (limiter waits excluded: they are the pace, not the distance).
   */
  observe(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    // The first answers replace the guess outright; after that a running average, rising
    // faster than it falls, so a slower spell is caught within a few answers.
    if (this.#observed < 3) this.#latencyMs = this.#observed === 0 ? ms : (this.#latencyMs * this.#observed + ms) / (this.#observed + 1);
    else {
      const w = ms > this.#latencyMs ? Math.min(1, this.#weight * 2) : this.#weight;
      this.#latencyMs += (ms - this.#latencyMs) * w;
    }
    this.#observed++;
    const before = this.#size;
    this.#size = this.#compute();
    if (this.#size !== before) for (const l of this.#listeners) l();
  }

  #compute(): number {
    if (!Number.isFinite(this.#rate)) return this.#max;
    const need = Math.ceil((this.#rate * (this.#latencyMs + this.#overheadMs) * this.#headroom) / 1000) + this.#spare;
    return Math.max(1, Math.min(this.#max, need));
  }
}

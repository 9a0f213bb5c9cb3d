/**
 * The settle window: how long after a write the target's look-ups may still not show it.
 *
 * Alma documents nothing about how fresh its searches and listings are
 * (docs/alma.md#look-ups-and-how-fresh-they-are), so "one look-up found nothing" is not proof
 * that a write whose answer was lost did not happen. The engine therefore concludes "absent"
 * only once the write is older than the window, looking again until then. The window is:
 * - `--settle <s>` when given (0 = trust one look-up, the old behaviour);
 * - else measured on the run's first created invoice: how long until the look-up the engine
 *   reconciles with shows it, times two plus a second, within [floor, ceiling];
 * - else (nothing measured yet) the one an earlier run of this batch measured (the journal
 *   keeps it);
 * - else the ceiling: a reconcile waits for the measurement, but never beyond the ceiling.
 * "Absent" is concluded only from a look that began once the write was older than the window.
 */

export interface SettleOptions {
  /** A fixed window (ms), from `--settle`; no measurement. */
  fixedMs?: number | undefined;
  /** Least window when measured: one fast answer is a single sample. */
  floorMs: number;
  /** Most window, and the longest a measurement probes. */
  ceilingMs: number;
}

export const DEFAULT_SETTLE: SettleOptions = { floorMs: 2_000, ceilingMs: 30_000 };

/** The window a measured lag gives: twice the lag plus a second, within [floor, ceiling]. */
export function windowFor(lagMs: number, o: Pick<SettleOptions, 'floorMs' | 'ceilingMs'>): number {
  return Math.min(o.ceilingMs, Math.max(o.floorMs, Math.ceil(2 * lagMs + 1_000)));
}

/** How a measurement ended, for the journal, the progress line and the report. */
export interface SettleMeasurement {
  /** ms from sending the create until the look-up showed it; undefined when it never did. */
  lagMs: number | undefined;
  windowMs: number;
  probes: number;
}

export class SettleWindow {
  readonly #o: SettleOptions;
  #known: number | undefined;
  #measuring = false;

  /** `remembered`: the window an earlier run of this batch measured (journal). */
  constructor(o: SettleOptions, remembered?: number | undefined) {
    this.#o = o;
    if (o.fixedMs !== undefined) this.#set(o.fixedMs);
    else if (remembered !== undefined) this.#known = Math.min(o.ceilingMs, Math.max(o.floorMs, remembered));
  }

  /** Whether a measurement should start (none fixed, none running or done in this run). */
  get wantsMeasurement(): boolean {
    return this.#o.fixedMs === undefined && !this.#measuring;
  }

  /** The window now, if one is known. */
  get known(): number | undefined {
    return this.#known;
  }

  get ceilingMs(): number {
    return this.#o.ceilingMs;
  }

  /**
   * The window for a write sent at `sentAt` (wall ms): the known one; else the measurement's,
   * waited for until the write is `ceiling` old; else the ceiling. `checkpoint` throws once the
   * run is stopped (engine.ts `#checkpoint`), as lookAcrossWindow's own waits do: the run's sleep
   * ends at once after a stop, and this loop would otherwise go round without waiting, holding
   * the process (and its second Ctrl-C) until the window passed.
   */
  async forWrite(sentAt: number, wallNow: () => number, sleep: (ms: number) => Promise<void>, checkpoint?: () => void): Promise<number> {
    // Short steps, not one long timer: nothing is left pending when the measurement ends first.
    for (;;) {
      if (this.#known !== undefined) return this.#known;
      const left = sentAt + this.#o.ceilingMs - wallNow();
      if (left <= 0) return this.#o.ceilingMs;
      checkpoint?.();
      await sleep(Math.min(250, left));
      checkpoint?.();
    }
  }

  /**
   * Measures on a new invoice: `visible()` asks the look-up the engine reconciles with whether
   * the invoice shows yet. Probes at 250 ms, growing by half each time, up to 2 s apart, until it
   * shows or the ceiling passes. Runs beside the load; never throws (a failed probe counts as
   * "not yet"). Once `needless` is aborted (the run is over and nothing it sent is left without
   * an answer, so no run will reconcile with this window) it ends at once, measuring nothing:
   * undefined.
   */
  async measure(
    sentAt: number,
    visible: () => Promise<boolean>,
    clock: { wallNow: () => number; sleep: (ms: number, cut?: AbortSignal) => Promise<void>; stopped: () => boolean; needless?: AbortSignal | undefined },
  ): Promise<SettleMeasurement | undefined> {
    this.#measuring = true;
    const needless = clock.needless;
    const over = (): boolean => needless?.aborted === true;
    const ended = needless === undefined ? undefined : new Promise<void>((resolve) => (needless.aborted ? resolve() : needless.addEventListener('abort', () => resolve(), { once: true })));
    let probes = 0;
    let interval = 250;
    for (;;) {
      probes++;
      let shows = false;
      try {
        shows = await visible();
      } catch {
        shows = false;
      }
      const age = clock.wallNow() - sentAt;
      if (shows) {
        const windowMs = windowFor(age, this.#o);
        this.#set(windowMs);
        return { lagMs: age, windowMs, probes };
      }
      if (over()) return undefined;
      if (age >= this.#o.ceilingMs || clock.stopped()) {
        this.#set(this.#o.ceilingMs);
        return { lagMs: undefined, windowMs: this.#o.ceilingMs, probes };
      }
      // The sleep is cut by `needless` (its timer cleared); the race ends it for a sleep that cannot be cut.
      const nap = clock.sleep(Math.min(interval, Math.max(1, sentAt + this.#o.ceilingMs - clock.wallNow())), needless);
      await (ended === undefined ? nap : Promise.race([nap, ended]));
      if (over()) return undefined;
      interval = Math.min(2_000, Math.round(interval * 1.5));
    }
  }

  #set(ms: number): void {
    this.#known = ms;
  }
}

/**
 * Looks until `find` shows the write, or the write is older than the window: the one place the
 * engine concludes "absent" after a write whose outcome is unknown. Returns what `find` found,
 * or undefined when the window passed without it.
 */
export async function lookAcrossWindow<T>(
  find: () => Promise<T | undefined>,
  sentAt: number,
  settle: SettleWindow,
  clock: { wallNow: () => number; sleep: (ms: number) => Promise<void>; checkpoint: () => void; clockBack?: ((aheadMs: number) => void) | undefined },
): Promise<T | undefined> {
  let interval = 500;
  for (;;) {
    const lookedAt = clock.wallNow();
    // A send time later than now (journaled before the clock was set back, or this run's own
    // before a step back): no write can be younger than now, so it counts as sent now. Left, the
    // window would run from a moment still to come — an hour set back, an hour of look-ups.
    if (sentAt > lookedAt) {
      clock.clockBack?.(sentAt - lookedAt);
      sentAt = lookedAt;
    }
    const got = await find();
    if (got !== undefined) return got;
    const windowMs = await settle.forWrite(sentAt, clock.wallNow, clock.sleep, clock.checkpoint);
    // Absent only when a look that began after the window still found nothing.
    if (lookedAt >= sentAt + windowMs) return undefined;
    const left = sentAt + windowMs - clock.wallNow();
    clock.checkpoint();
    if (left > 0) await clock.sleep(Math.min(interval, left));
    clock.checkpoint();
    interval = Math.min(2_000, interval * 2);
  }
}

/**
 * The run's words for a send time its journal recorded later than the clock now: the clock was
 * set back since (by hand, or by a time sync). `aheadMs`: how far that time is ahead of now;
 * `target`: the target's name (Alma).
 */
export function clockBackNotice(aheadMs: number, target: string): string {
  const ahead = aheadMs >= 90 * 60_000 ? `${(aheadMs / 3_600_000).toFixed(1)} h` : aheadMs >= 90_000 ? `${Math.round(aheadMs / 60_000)} min` : `${Math.max(1, Math.round(aheadMs / 1000))} s`;
  return `the system clock is ${ahead} behind a send time recorded earlier: it was set back since; that send is taken as made now, and ${target} is looked at for it for the settle window from now on`;
}

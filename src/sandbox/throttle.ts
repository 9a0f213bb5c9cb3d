/**
 * Alma's governance thresholds (docs/alma.md#requests-hosts-keys-and-thresholds): a per-second
 * threshold answered with 429 `PER_SECOND_THRESHOLD`, and a daily threshold whose remainder every
 * answer carries in `X-Exl-Api-Remaining`. Pure: the clock is passed in, so tests need no real
 * waiting.
 */

/** Counts admitted requests in a sliding 1-second window (a request at t counts during (t-1000, t]). */
export class SlidingWindow {
  private stamps: number[] = [];
  private head = 0;

  constructor(
    public limit: number,
    private readonly windowMs = 1000,
  ) {}

  /** Admits the request (and counts it) unless the window is full. */
  tryAcquire(now: number): boolean {
    while (this.head < this.stamps.length && (this.stamps[this.head] ?? 0) <= now - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.stamps.length) {
      this.stamps = this.stamps.slice(this.head);
      this.head = 0;
    }
    if (this.stamps.length - this.head >= this.limit) return false;
    this.stamps.push(now);
    return true;
  }

  reset(): void {
    this.stamps = [];
    this.head = 0;
  }
}

/**
 * The daily threshold. Alma counts "requests left until midnight" (BLOG-REMAIN); the sandbox
 * uses midnight UTC of the injected clock, since its institution has no time zone.
 */
export class DailyBudget {
  private day = '';
  private used = 0;

  constructor(public limit: number) {}

  private roll(now: number): void {
    const day = new Date(now).toISOString().slice(0, 10);
    if (day !== this.day) {
      this.day = day;
      this.used = 0;
    }
  }

  exhausted(now: number): boolean {
    this.roll(now);
    return this.used >= this.limit;
  }

  use(now: number): void {
    this.roll(now);
    this.used++;
  }

  remaining(now: number): number {
    this.roll(now);
    return Math.max(0, this.limit - this.used);
  }

  /** Seconds until the budget resets (for the optional Retry-After). */
  secondsToReset(now: number): number {
    const next = new Date(now);
    next.setUTCHours(24, 0, 0, 0);
    return Math.max(1, Math.ceil((next.getTime() - now) / 1000));
  }

  reset(): void {
    this.day = '';
    this.used = 0;
  }
}

/**
 * Virtual time for tests. `sleep` registers a timer; `advance` moves time to each due timer
 * in order, letting the promise chains (and MockAgent replies) it releases run first.
 * `sleeps` records every requested delay, so tests can assert backoff without waiting.
 */
export class FakeClock {
  t = 0;
  readonly sleeps: number[] = [];
  #timers: { at: number; seq: number; resolve: () => void }[] = [];
  #seq = 0;

  now = (): number => this.t;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      this.sleeps.push(ms);
      const timer = { at: this.t + Math.max(0, ms), seq: this.#seq++, resolve };
      this.#timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.#timers = this.#timers.filter((x) => x !== timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });

  /** Lets pending promise chains and I/O callbacks (MockAgent replies) run. */
  async flush(rounds = 20): Promise<void> {
    for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
  }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await this.flush();
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers[0];
      if (next === undefined || next.at > end) break;
      this.#timers.shift();
      this.t = next.at;
      next.resolve();
    }
    this.t = end;
    await this.flush();
  }

  /** Runs the clock until `promise` settles (or `limitMs` of virtual time passes). */
  async run<T>(promise: Promise<T>, limitMs = 600_000): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    const end = this.t + limitMs;
    while (!settled && this.t < end) await this.advance(50);
    return watched;
  }
}

import { describe, expect, it } from 'vitest';
import { RateLimiter, type LimiterEvent, type LimiterOptions } from '../../src/transport/limiter.js';
import { FakeClock } from '../targets/helpers/clock.js';
import { runWithPriority } from '../../src/common/priority.js';


function setup(opts: Partial<LimiterOptions> & { rate: number }) {
  const clock = new FakeClock();
  const events: LimiterEvent[] = [];
  const limiter = new RateLimiter({ now: clock.now, sleep: clock.sleep, onEvent: (e) => events.push(e), ...opts });
  return { clock, limiter, events };
}

/** Starts `n` acquires at once and records the time each one is let through. */
function acquireMany(limiter: RateLimiter, clock: FakeClock, n: number, signal?: AbortSignal) {
  const starts: number[] = [];
  const done = Array.from({ length: n }, () => limiter.acquire(signal).then(() => void starts.push(clock.t)));
  return { starts, done };
}

describe('RateLimiter pacing', () => {
  it('spaces requests evenly at 1000/rate ms, with no burst', async () => {
    const { clock, limiter } = setup({ rate: 10 });
    const { starts } = acquireMany(limiter, clock, 5);
    await clock.advance(1000);
    expect(starts).toEqual([0, 100, 200, 300, 400]);
  });

  it('does not let an idle spell accumulate into a burst', async () => {
    const { clock, limiter } = setup({ rate: 4 });
    await limiter.acquire();
    await clock.advance(10_000);
    const { starts } = acquireMany(limiter, clock, 3);
    await clock.advance(1000);
    expect(starts).toEqual([10_000, 10_250, 10_500]);
  });

  it('never lets more than `rate` requests start in any one-second window', async () => {
    const { clock, limiter } = setup({ rate: 7 });
    const { starts } = acquireMany(limiter, clock, 40);
    await clock.advance(10_000);
    expect(starts).toHaveLength(40);
    // half-open window; the tiny margin absorbs floating-point spacing (7 × 1000/7)
    for (const s of starts) expect(starts.filter((x) => x >= s && x < s + 999.999).length).toBeLessThanOrEqual(7);
  });

  it('lets a priority (retry) acquire go ahead of queued fresh work', async () => {
    const { clock, limiter } = setup({ rate: 10 });
    const order: string[] = [];
    await limiter.acquire();
    void limiter.acquire().then(() => order.push('fresh1'));
    void limiter.acquire().then(() => order.push('fresh2'));
    void limiter.acquire(undefined, { priority: true }).then(() => order.push('retry'));
    await clock.advance(1000);
    expect(order).toEqual(['retry', 'fresh1', 'fresh2']);
  });

  it('rejects an aborted waiter and keeps the others in order', async () => {
    const { clock, limiter } = setup({ rate: 10 });
    await limiter.acquire();
    const ac = new AbortController();
    const aborted = limiter.acquire(ac.signal);
    const { starts } = acquireMany(limiter, clock, 2);
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    await clock.advance(1000);
    expect(starts).toEqual([100, 200]);
  });

  it("counts the run's first start 50 ms later in the window rule, in the first window only", async () => {
    const { clock, limiter } = setup({ rate: 10 });
    const { starts } = acquireMany(limiter, clock, 31);
    await clock.advance(5000);
    expect(starts).toHaveLength(31);
    // The 11th waits for the first to leave a window, margin and the first's extra 50 ms.
    expect(starts[10]! - starts[0]!).toBeGreaterThanOrEqual(1000 + 10 + 50);
    // The later windows pay the margin only: were the extra paid each window, the 21st would
    // start at 2120 or later and each window would be 1060 long.
    expect(starts[20]! - starts[0]!).toBeLessThan(2 * (1000 + 10) + 2 * 50);
    expect(starts[20]! - starts[10]!).toBe(1000 + 10);
    expect(starts[30]! - starts[20]!).toBe(1000 + 10);
  });

  it('does not count a later first start (after an idle spell) late: only the first of the run', async () => {
    const { clock, limiter } = setup({ rate: 10 });
    await limiter.acquire();
    await clock.advance(10_000);
    const { starts } = acquireMany(limiter, clock, 11);
    await clock.advance(2000);
    expect(starts[10]! - starts[0]!).toBe(1000 + 10);
  });
});

describe('RateLimiter opening: the reads sent before any answer or write', () => {
  /** `n` reads acquired at once, recording when each starts. */
  const reads = (limiter: RateLimiter, clock: FakeClock, n: number) => {
    const starts: number[] = [];
    const done = Array.from({ length: n }, () => limiter.acquire(undefined, { read: true }).then(() => void starts.push(clock.t)));
    return { starts, done };
  };

  it('lets them go as the window rule allows, not spaced: ⌊rate⌋ at once, the rest a window later', async () => {
    const { clock, limiter } = setup({ rate: 10 });
    const { starts } = reads(limiter, clock, 19);
    await clock.advance(3000);
    // Spaced they would start at 0, 100, … 1800; the first write waits for the last answer.
    expect(starts).toEqual([...Array(10).fill(0), ...Array(9).fill(1000 + 10 + 50)]);
    for (const s of starts) expect(starts.filter((x) => x >= s && x < s + 1000).length).toBeLessThanOrEqual(10);
  });

  it('at most `openingBurst` (10) at once a window: those beyond are spaced at the rate', async () => {
    const { clock, limiter } = setup({ rate: 25 });
    const { starts } = reads(limiter, clock, 13);
    await clock.advance(1000);
    expect(starts).toEqual([...Array(10).fill(0), 40, 80, 120]);
    const wide = setup({ rate: 50, openingBurst: 50 });
    const all = reads(wide.limiter, wide.clock, 19);
    await wide.clock.advance(100);
    expect(all.starts).toEqual(Array(19).fill(0));
  });

  it('ends with the first answer: a read that begins waiting after it is spaced, and so is the first write', async () => {
    const { clock, limiter } = setup({ rate: 10 });
    const first = reads(limiter, clock, 3);
    await clock.advance(0);
    expect(first.starts).toEqual([0, 0, 0]);
    await clock.advance(600);
    limiter.success(0);
    const later = reads(limiter, clock, 3);
    await clock.advance(1000);
    expect(later.starts).toEqual([600, 700, 800]);
  });

  it('ends with the first write: reads after it are spaced like any request', async () => {
    const { clock, limiter } = setup({ rate: 10 });
    await limiter.acquire();
    const { starts } = reads(limiter, clock, 3);
    await clock.advance(1000);
    expect(starts).toEqual([100, 200, 300]);
  });

  it('a retry (its first attempt failed: a 5xx, a lost connection) ends the opening: it and later reads are spaced', async () => {
    const { clock, limiter } = setup({ rate: 10 });
    const first = reads(limiter, clock, 2);
    await clock.advance(0);
    expect(first.starts).toEqual([0, 0]);
    let retry: number | undefined;
    void limiter.acquire(undefined, { read: true, priority: true }).then((t) => (retry = t));
    const later = reads(limiter, clock, 2);
    await clock.advance(1000);
    expect([retry, ...later.starts]).toEqual([100, 200, 300]);
  });

  it('under 1 a second, the opening is spaced at the rate too (the window rule alone would let one go each second)', async () => {
    const { clock, limiter } = setup({ rate: 0.5 });
    const { starts } = reads(limiter, clock, 3);
    await clock.advance(5000);
    expect(starts).toEqual([0, 2000, 4000]);
  });

  it("counts each of the opening's starts 50 ms later in the window rule, not only the run's first: a burst reaches the API spread out", async () => {
    // As traced under --rate 25 against 10 a second: the burst, two refused, the cut to 10; the
    // retry went 1010 ms after the burst and drew a second 429 (and a cut to 6 a second).
    const { clock, limiter } = setup({ rate: 25, pauseMs: 250 });
    const { starts } = reads(limiter, clock, 12);
    await clock.advance(100);
    expect(starts).toEqual([...Array(10).fill(0), 40, 80]);
    for (let i = 0; i < 10; i++) limiter.success(0);
    limiter.throttled(40);
    expect(limiter.rate).toBe(10);
    let retry: number | undefined;
    void limiter.acquire(undefined, { priority: true }).then((t) => (retry = t));
    await clock.advance(2000);
    expect(retry).toBe(1000 + 10 + 50);
  });

  it('ends with a 429: the reads still waiting then are spaced, after the pause', async () => {
    const { clock, limiter } = setup({ rate: 10, pauseMs: 250 });
    const { starts } = reads(limiter, clock, 13);
    await clock.advance(0);
    expect(starts).toHaveLength(10);
    limiter.throttled(0);
    await clock.advance(5000);
    expect(starts).toHaveLength(13);
    const rest = starts.slice(10);
    expect(rest[1]! - rest[0]!).toBeGreaterThanOrEqual(100);
    expect(rest[2]! - rest[1]!).toBeGreaterThanOrEqual(100);
  });
});

describe('RateLimiter tail: the reads sent once every write has ended (a load\'s confirming searches)', () => {
  const reads = (limiter: RateLimiter, clock: FakeClock, n: number) => {
    const starts: number[] = [];
    const done = Array.from({ length: n }, () => limiter.acquire(undefined, { read: true }).then(() => void starts.push(clock.t)));
    return { starts, done };
  };
  /** A write acquired now; resolves with its start, the clock run to it. */
  const write = async (limiter: RateLimiter, clock: FakeClock): Promise<number> => {
    let started: number | undefined;
    void limiter.acquire().then((t) => (started = t));
    await clock.flush();
    while (started === undefined) await clock.advance(1);
    return started;
  };

  it('go together once the last write has ended, not one every 1000/rate ms; while a write is in flight or waiting, spaced', async () => {
    const { clock, limiter } = setup({ rate: 25 });
    const w = await write(limiter, clock);
    await clock.advance(300);
    limiter.success(w);
    // The write not ended yet (its attempt still in flight, as far as the limiter knows): spaced.
    const during = reads(limiter, clock, 3);
    await clock.advance(200);
    expect(during.starts).toEqual([300, 340, 380]);
    limiter.ended(w);
    await clock.advance(500);
    const tail = reads(limiter, clock, 4);
    await clock.advance(0);
    // Spaced they would start at 1000, 1040, 1080, 1120.
    expect(tail.starts).toEqual([1000, 1000, 1000, 1000]);
    // A write waiting for its slot: reads that begin waiting behind it are spaced.
    const w2 = limiter.acquire();
    const behind = reads(limiter, clock, 2);
    await clock.advance(200);
    expect(await w2).toBe(1040);
    expect(behind.starts).toEqual([1080, 1120]);
  });

  it('keep the window rule: at most ⌊rate⌋ a window and margin, the rest when the oldest leave it; at most `openingBurst` at once', async () => {
    const { clock, limiter } = setup({ rate: 10 });
    const ws: number[] = [];
    for (let i = 0; i < 6; i++) {
      ws.push(await write(limiter, clock));
      await clock.advance(99);
    }
    expect(ws).toEqual([0, 100, 200, 300, 400, 500]);
    await clock.advance(101);
    for (const w of ws) limiter.ended(w);
    const tail = reads(limiter, clock, 7);
    await clock.advance(3000);
    // 4 slots left in the window the writes opened: those at once, the others as the writes
    // leave it (the run's first start counted 50 ms late), not at 700, 800 … 1300.
    expect(tail.starts).toEqual([700, 700, 700, 700, 1060, 1110, 1210]);
    const all = [...ws, ...tail.starts];
    for (const s of all) expect(all.filter((x) => x >= s && x < s + 1000 + 10).length).toBeLessThanOrEqual(10);
    const wide = setup({ rate: 50 });
    const w = await write(wide.limiter, wide.clock);
    wide.limiter.ended(w);
    await wide.clock.advance(100);
    const many = reads(wide.limiter, wide.clock, 12);
    await wide.clock.advance(100);
    expect(many.starts).toEqual([...Array(10).fill(100), 120, 140]);
  });

  it('a 429 ends the burst: the reads still waiting then are spaced, after the pause', async () => {
    const { clock, limiter } = setup({ rate: 10, pauseMs: 250 });
    const w = await write(limiter, clock);
    limiter.ended(w);
    await clock.advance(500);
    const first = reads(limiter, clock, 12);
    await clock.advance(0);
    expect(first.starts).toEqual(Array(9).fill(500));
    limiter.throttled(500);
    await clock.advance(3000);
    const rest = first.starts.slice(9);
    expect(rest[1]! - rest[0]!).toBeGreaterThanOrEqual(100);
    expect(rest[2]! - rest[1]!).toBeGreaterThanOrEqual(100);
  });
});

describe('RateLimiter order', () => {
  it("serves waiters by the engine's priority (higher first, arrival order among equals), retries ahead of all", async () => {
    const { clock, limiter } = setup({ rate: 10 });
    const order: string[] = [];
    await limiter.acquire();
    const queue = (name: string, p: number): void =>
      void runWithPriority(() => p, () => limiter.acquire()).then(() => order.push(name));
    queue('old-a', -1);
    queue('old-b', -1);
    queue('newer', -2);
    queue('most-left', 5);
    queue('less-left', 3);
    void limiter.acquire(undefined, { priority: true }).then(() => order.push('retry'));
    await clock.advance(1000);
    expect(order).toEqual(['retry', 'most-left', 'less-left', 'old-a', 'old-b', 'newer']);
  });

  it('serves by the priority as it is when a slot comes, not when the request began to wait', async () => {
    const { clock, limiter } = setup({ rate: 10 });
    const order: string[] = [];
    await limiter.acquire();
    // The engine's order changes while these wait: once every invoice has started, the ones
    // with the most steps left go first — a create queued before that (the newest invoice's,
    // at the back by age) must move ahead, or the last invoice starts its steps last of all.
    let allStarted = false;
    const queue = (name: string, age: number, stepsLeft: number): void =>
      void runWithPriority(() => (allStarted ? stepsLeft * 100 - age : -age), () => limiter.acquire()).then(() => order.push(name));
    queue('old, 1 left', 1, 1);
    queue('mid, 2 left', 2, 2);
    queue('newest, 5 left', 3, 5);
    allStarted = true;
    await clock.advance(1000);
    expect(order).toEqual(['newest, 5 left', 'mid, 2 left', 'old, 1 left']);
  });
});

describe('RateLimiter on late timers', () => {
  it('keeps its grid when each timer fires a few ms late: the rate holds, not rate ÷ (1 + lateness)', async () => {
    const clock = new FakeClock();
    // Every sleep ends 3 ms late (a busy machine); at 25/s that alone was 7 % of the rate.
    const limiter = new RateLimiter({ rate: 25, now: clock.now, sleep: (ms, signal) => clock.sleep(ms + 3, signal) });
    const { starts } = acquireMany(limiter, clock, 100);
    await clock.advance(10_000);
    expect(starts).toHaveLength(100);
    // 99 intervals of 40 ms, plus the window's margin (10 ms) every 25 starts and the run's
    // first start's 50 ms (firstStartLateMs), once.
    expect(starts[99]! - starts[0]!).toBeLessThan(99 * 40 + 4 * 10 + 50 + 3 + 1);
    for (const t of starts) expect(starts.filter((x) => x >= t && x < t + 1010).length).toBeLessThanOrEqual(25);
  });

  it('after a stall, sends what it owes back to back only up to a tenth of the window', async () => {
    const clock = new FakeClock();
    let stall = 250;
    const limiter = new RateLimiter({
      rate: 50,
      now: clock.now,
      sleep: (ms, signal) => {
        const late = stall;
        stall = 0;
        return clock.sleep(ms + late, signal);
      },
    });
    await limiter.acquire();
    const { starts } = acquireMany(limiter, clock, 10);
    await clock.advance(2000);
    // The first waiter woke 250 ms late: a new grid starts there rather than 12 owed requests at once.
    expect(starts[0]).toBe(270);
    expect(starts[1]! - starts[0]!).toBe(20);
  });
});

describe('RateLimiter reading a 429', () => {
  /** Sends `n` requests at the limiter's pace, each answered `latency` ms later; `refuse(i)` says which get a 429. */
  async function drive(limiter: RateLimiter, clock: FakeClock, n: number, refuse: (i: number) => boolean, latency = 50) {
    let i = 0;
    const workers = Array.from({ length: 8 }, async () => {
      while (i < n) {
        const me = i++;
        const t = await limiter.acquire();
        await clock.sleep(latency);
        if (refuse(me)) limiter.throttled(t);
        else limiter.success(t);
      }
    });
    const all = Promise.all(workers);
    await clock.advance(60_000);
    await all;
  }

  it('a 429 after a whole window accepted at the full rate leaves the rate and widens the margin', async () => {
    const { clock, limiter, events } = setup({ rate: 10 });
    await drive(limiter, clock, 40, (i) => i === 25);
    expect(limiter.rate).toBe(10);
    expect(events).toEqual([{ type: 'throttle', rate: 10, reason: 'throttled by the API (429) at the full rate: more room between windows' }]);
  });

  it('after a 429 read as bunching, everyone pauses an interval or two, not the whole pauseMs', async () => {
    const { clock, limiter } = setup({ rate: 10, pauseMs: 1000 });
    for (let i = 0; i < 25; i++) limiter.success(await limiterAcquire(limiter, clock));
    const refused = await limiterAcquire(limiter, clock);
    await clock.advance(50);
    limiter.throttled(refused);
    const at = clock.t;
    const next = await limiterAcquire(limiter, clock);
    expect(limiter.marginMs).toBe(20);
    expect(next - at).toBeGreaterThanOrEqual(40);
    expect(next - at).toBeLessThanOrEqual(110);
  });

  it('a 429 soon after the margin was halved keeps the wider one twice as long', async () => {
    const { clock, limiter } = setup({ rate: 10 });
    /** One request after another at the limiter's pace until `until()`; the `refuse`-th is refused. Returns the time taken. */
    const steady = async (until: () => boolean, refuse = -1): Promise<number> => {
      const t0 = clock.t;
      for (let i = 0; i < 1000 && !until(); i++) {
        const t = await limiterAcquire(limiter, clock);
        if (i === refuse) limiter.throttled(t);
        else limiter.success(t);
      }
      return clock.t - t0;
    };
    await steady(() => limiter.marginMs > 10, 15);
    expect(limiter.marginMs).toBe(20);
    expect(await steady(() => limiter.marginMs === 10)).toBeLessThan(11_000);
    // A 429 within ten windows of the halving: the narrower margin was too narrow; the wider
    // one now stays twenty quiet windows.
    await steady(() => limiter.marginMs > 10, 30);
    expect(limiter.marginMs).toBe(20);
    expect(await steady(() => limiter.marginMs === 10)).toBeGreaterThanOrEqual(19_000);
  });

  it('a widened margin halves back to its base after ten quiet windows each', async () => {
    const { clock, limiter } = setup({ rate: 10 });
    // Two 429s at the full rate, two windows apart: 10 → 20 → 40 ms.
    await drive(limiter, clock, 60, (i) => i === 25 || i === 50);
    expect(limiter.marginMs).toBe(40);
    // (drive lets the clock run to 60 s.) Quiet since ~5 s: the first success halves it, and
    // 5 s of successes do not halve it again; 30 s more bring it back to 10, and no lower.
    await drive(limiter, clock, 50, () => false);
    expect(limiter.marginMs).toBe(20);
    await drive(limiter, clock, 300, () => false);
    expect(limiter.marginMs).toBe(10);
  });

  it('a 429 when a request or two fewer than the rate were taken (arrivals bunched) leaves the rate too', async () => {
    const { clock, limiter, events } = setup({ rate: 50 });
    // 48 of 50 taken, then a refusal: new connections made a few arrive together, the
    // threshold is not lower. Cutting here cost ~6 % of the rest of the run.
    await drive(limiter, clock, 120, (i) => i === 48);
    expect(limiter.rate).toBe(50);
    expect(limiter.marginMs).toBe(20);
    expect(events.map((e) => e.rate)).toEqual([50]);
  });

  it('a 429 when clearly fewer than the rate were taken goes to what was taken, not under it', async () => {
    const { clock, limiter } = setup({ rate: 25 });
    // The API takes 10 a second: the 11th request of the first second is refused.
    await drive(limiter, clock, 11, (i) => i === 10);
    expect(limiter.estimatedThreshold).toBe(10);
    expect(limiter.rate).toBe(10);
  });

  it('reads a 429 against what was taken when requests had been waiting only since a burst began', async () => {
    const { clock, limiter } = setup({ rate: 25 });
    // A quiet start (the checks, the canary's read-back), then everyone at once: the refused
    // request's window is mostly idle time, but since the burst began we sent at our rate.
    for (let i = 0; i < 3; i++) {
      limiter.success(await limiterAcquire(limiter, clock));
      await clock.advance(1000);
    }
    await drive(limiter, clock, 11, (i) => i === 10);
    expect(limiter.rate).toBe(10);
  });
});

/**
 * Requests at the limiter's pace from `workers` loops against a sliding one-second window that
 * takes `threshold(now)` requests; each arrives `latency / 2` after its start and is answered
 * `latency / 2` later. Returns the 429 count.
 */
async function serve(limiter: RateLimiter, clock: FakeClock, opts: { ms: number; threshold: (now: number) => number; workers?: number; latency?: number }) {
  const arrivals: number[] = [];
  const latency = opts.latency ?? 100;
  let refused = 0;
  const workers = Array.from({ length: opts.workers ?? 20 }, async () => {
    while (clock.t < opts.ms) {
      const t = await limiter.acquire();
      await clock.sleep(latency / 2);
      const now = clock.t;
      const ok = arrivals.filter((a) => a > now - 1000).length < opts.threshold(now);
      if (ok) arrivals.push(now);
      await clock.sleep(latency / 2);
      if (ok) limiter.success(t);
      else {
        refused++;
        limiter.throttled(t);
      }
    }
  });
  const all = Promise.all(workers);
  await clock.advance(opts.ms + 2000);
  await all;
  return refused;
}

describe('RateLimiter at a measured threshold', () => {
  it('stays at it for the hold, probes one past it, and after a refused probe waits twice as long', async () => {
    const { clock, limiter, events } = setup({ rate: 25, probeHoldWindows: 5 });
    const at: number[] = [];
    const seen: LimiterEvent[] = [];
    const rec = events as LimiterEvent[] & { push: (e: LimiterEvent) => number };
    const push = rec.push.bind(rec);
    rec.push = (e: LimiterEvent) => (at.push(clock.t), seen.push(e), push(e));
    const refused = await serve(limiter, clock, { ms: 40_000, threshold: () => 10 });
    const rates = seen.map((e) => e.rate);
    // Down to 10 at the first refusal, then 11 (refused) and back, with holds of 5 and 10 windows.
    expect(rates.slice(0, 3)).toEqual([10, 11, 10]);
    const probes = at.filter((_, i) => rates[i] === 11);
    expect(probes.length).toBeGreaterThanOrEqual(2);
    expect(probes[0]! - at[0]!).toBeGreaterThanOrEqual(5_000);
    expect(probes[1]! - probes[0]!).toBeGreaterThanOrEqual(10_000);
    expect(Math.max(...rates)).toBe(11);
    // 40 s at 10 a second: the first second's overflow and one or two per probe.
    expect(refused).toBeLessThan(20);
    expect(limiter.estimatedThreshold).toBe(10);
  });

  it('follows the threshold back up when it rises (another client went quiet): +1, +2, +4 … a few windows each', async () => {
    const { clock, limiter } = setup({ rate: 40, probeHoldWindows: 5 });
    await serve(limiter, clock, { ms: 60_000, threshold: (now) => (now < 10_000 ? 10 : 30) });
    expect(limiter.rate).toBeGreaterThanOrEqual(29);
    expect(limiter.rate).toBeLessThanOrEqual(32);
  });
});

describe('RateLimiter adaptation', () => {
  it('pauses ALL callers after a throttle, not just the refused one', async () => {
    const { clock, limiter, events } = setup({ rate: 10, pauseMs: 1000, decrease: 0.7 });
    const first = await limiter.acquire();
    const { starts } = acquireMany(limiter, clock, 3);
    await clock.advance(50);
    limiter.throttled(first);
    await clock.advance(5000);
    // nobody starts before 50 + 1000; then spacing at the cut rate (7/s → ~143 ms)
    expect(starts[0]).toBe(1050);
    expect(starts[1]! - starts[0]!).toBeCloseTo(1000 / 7, 5);
    expect(limiter.rate).toBeCloseTo(7, 10);
    expect(events).toEqual([{ type: 'throttle', rate: 7, reason: 'throttled by the API (429)' }]);
  });

  it('honours a longer Retry-After as the pause', async () => {
    const { clock, limiter } = setup({ rate: 10, pauseMs: 1000 });
    const t = await limiter.acquire();
    limiter.throttled(t, 3000);
    const { starts } = acquireMany(limiter, clock, 1);
    await clock.advance(5000);
    expect(starts).toEqual([3000]);
  });

  it('cuts once per episode: 429s of requests that started before the cut do not cut again', async () => {
    const { clock, limiter } = setup({ rate: 10, decrease: 0.7 });
    const a = await limiter.acquire();
    await clock.advance(100);
    const b = await limiter.acquire();
    limiter.throttled(a);
    limiter.throttled(b); // b started before the cut → same episode
    expect(limiter.rate).toBeCloseTo(7, 10);
    await clock.advance(2000);
    const c = await limiter.acquire(); // started after the cut → a new episode
    limiter.throttled(c);
    expect(limiter.rate).toBeCloseTo(4.9, 10);
  });

  it('probes back up additively after a run of successes, and never above the configured rate', async () => {
    const { clock, limiter, events } = setup({ rate: 10, decrease: 0.7 });
    limiter.throttled(await limiter.acquire());
    expect(limiter.rate).toBeCloseTo(7, 10);
    const rates: number[] = [];
    for (let i = 0; i < 400; i++) {
      const t = await limiterAcquire(limiter, clock);
      limiter.success(t);
      rates.push(limiter.rate);
    }
    // fast recovery to 95 % of the refused rate, then slow steps, never above --rate
    expect(rates.some((r) => Math.abs(r - 9.5) < 1e-9)).toBe(true);
    expect(Math.max(...rates)).toBeLessThanOrEqual(10);
    expect(limiter.rate).toBe(10);
    for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeGreaterThanOrEqual(rates[i - 1]!);
    expect(events.length).toBeGreaterThan(3);
  });

  it('does not probe up when the rate is not being used', async () => {
    const { clock, limiter } = setup({ rate: 10, decrease: 0.7 });
    limiter.throttled(await limiter.acquire());
    await clock.advance(60_000);
    limiter.success(await limiter.acquire()); // one success after a long idle spell
    expect(limiter.rate).toBeCloseTo(7, 10);
  });

  it('never goes below minRate', async () => {
    const { clock, limiter } = setup({ rate: 2, minRate: 1 });
    for (let i = 0; i < 5; i++) {
      limiter.throttled(await limiterAcquire(limiter, clock));
      await clock.advance(2000);
    }
    expect(limiter.rate).toBe(1);
  });
});

/** acquire() while the virtual clock runs. */
async function limiterAcquire(limiter: RateLimiter, clock: FakeClock): Promise<number> {
  let started: number | undefined;
  void limiter.acquire().then((t) => (started = t));
  while (started === undefined) await clock.advance(10);
  return started;
}

/**
 * A simulated Alma: a sliding (or fixed) one-second window of `threshold` requests; any
 * request beyond it gets 429 PER_SECOND_THRESHOLD. Workers run requests back to back and
 * retry 429s. Returns throughput as a fraction of the threshold and the share of 429s.
 */
async function simulate(opts: {
  rate: number;
  threshold: number;
  workers: number;
  seconds: number;
  window: 'sliding' | 'fixed';
  /** A fixed latency instead of 40–120 ms. */
  latency?: number;
  /** How much later than the others the first request arrives (a process's one-time set-up). */
  firstLateMs?: number;
  /** Each worker's first request is a read (the opening's checks, all sent at once). */
  openingReads?: boolean;
  limiter?: Partial<LimiterOptions>;
}) {
  const { clock, limiter } = setup({ ...opts.limiter, rate: opts.rate });
  const arrivals: number[] = [];
  let ok = 0;
  let refused = 0;
  let sent = 0;
  let seed = 42;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const end = opts.seconds * 1000;
  const admit = (at: number): boolean => {
    const from = opts.window === 'sliding' ? at - 1000 : Math.floor(at / 1000) * 1000;
    let n = 0;
    for (let i = arrivals.length - 1; i >= 0 && (opts.window === 'sliding' ? arrivals[i]! > from : arrivals[i]! >= from); i--) n++;
    if (n >= opts.threshold) return false;
    arrivals.push(at);
    return true;
  };
  const worker = async (): Promise<void> => {
    let first = opts.openingReads === true;
    while (clock.t < end) {
      const started = await limiter.acquire(undefined, { read: first });
      first = false;
      const latency = opts.latency ?? 40 + random() * 80;
      await clock.sleep(latency / 2 + (sent++ === 0 ? (opts.firstLateMs ?? 0) : 0));
      const admitted = admit(clock.t);
      await clock.sleep(latency / 2);
      if (clock.t > end) break;
      if (admitted) {
        ok++;
        limiter.success(started);
      } else {
        refused++;
        limiter.throttled(started);
      }
    }
  };
  const all = Array.from({ length: opts.workers }, worker);
  await clock.advance(end + 5000);
  await Promise.all(all);
  return { utilisation: ok / (opts.threshold * opts.seconds), refusedShare: refused / (ok + refused), refused, rate: limiter.rate };
}

describe('RateLimiter against a simulated per-second threshold', () => {
  it.each([
    { rate: 25, threshold: 25, window: 'sliding' as const },
    { rate: 50, threshold: 25, window: 'sliding' as const },
    { rate: 50, threshold: 25, window: 'fixed' as const },
    { rate: 10, threshold: 10, window: 'fixed' as const },
    { rate: 25, threshold: 10, window: 'sliding' as const },
    { rate: 25, threshold: 10, window: 'fixed' as const },
  ])('--rate $rate vs threshold $threshold ($window window): ≥ 95 % of it with < 1 % 429s', async (c) => {
    // 40–120 ms of latency, so arrivals jitter by 40 ms: a margin of 40 ms (96 %) is the bound.
    // Before the measured threshold was run at and bunching read as such: ≥ 90 %, < 2 %.
    const r = await simulate({ ...c, workers: 8, seconds: 300 });
    if (process.env.LIMITER_SIM_PRINT) console.log(c, r);
    expect(r.utilisation).toBeGreaterThanOrEqual(0.95);
    expect(r.refusedShare).toBeLessThan(0.01);
  });

  it('runs at the configured rate when the threshold is higher', async () => {
    const r = await simulate({ rate: 10, threshold: 25, workers: 8, seconds: 60, window: 'sliding' });
    expect(r.refusedShare).toBe(0);
    expect(r.utilisation * 25).toBeGreaterThan(9.5);
  });

  it("a run's first request arriving 21 ms late (one-time set-up) costs no 429 at the threshold; it did without firstStartLateMs", async () => {
    // As traced at 600 ms of latency, --rate 10 against 10 a second.
    const run = (limiter: Partial<LimiterOptions>) =>
      simulate({ rate: 10, threshold: 10, workers: 8, seconds: 10, window: 'sliding', latency: 600, firstLateMs: 21, limiter });
    expect((await run({})).refused).toBe(0);
    expect((await run({ firstStartLateMs: 0 })).refused).toBeGreaterThan(0);
  });
});

describe('RateLimiter opening against a simulated per-second threshold', () => {
  it('19 reads at once under --rate 25 against 10 a second (50 ms): the burst of 10 draws a 429 or two, not nine', async () => {
    const run = (limiter: Partial<LimiterOptions>) =>
      simulate({ rate: 25, threshold: 10, workers: 19, seconds: 3, window: 'sliding', latency: 50, openingReads: true, limiter });
    expect((await run({})).refused).toBeLessThanOrEqual(2);
    expect((await run({ openingBurst: 25 })).refused).toBeGreaterThanOrEqual(9);
  });

  it.each([{ window: 'sliding' as const }, { window: 'fixed' as const }])(
    '19 reads at once at the threshold (10/s, $window window, 600 ms, the first 21 ms late) cost no 429',
    async ({ window }) => {
      const r = await simulate({ rate: 10, threshold: 10, workers: 19, seconds: 10, window, latency: 600, firstLateMs: 21, openingReads: true });
      expect(r.refused).toBe(0);
      expect(r.utilisation).toBeGreaterThan(0.9);
    },
  );
});

/**
 * A load against a simulated Alma (as `simulate`): `workers` send `writes` writes back to back,
 * each retried on a 429, each attempt `ended` at its answer; once the last is answered, `tail`
 * reads are sent together (the confirming searches, one a vendor). Returns how the tail went.
 */
async function loadThenTail(opts: {
  rate: number;
  threshold: number;
  window: 'sliding' | 'fixed';
  latency: number;
  workers: number;
  writes: number;
  tail: number;
  limiter?: Partial<LimiterOptions>;
}) {
  const { clock, limiter } = setup({ ...opts.limiter, rate: opts.rate });
  const arrivals: number[] = [];
  let refused = 0;
  let tailRefused = 0;
  const admit = (at: number): boolean => {
    const from = opts.window === 'sliding' ? at - 1000 : Math.floor(at / 1000) * 1000;
    let n = 0;
    for (let i = arrivals.length - 1; i >= 0 && (opts.window === 'sliding' ? arrivals[i]! > from : arrivals[i]! >= from); i--) n++;
    if (n >= opts.threshold) return false;
    arrivals.push(at);
    return true;
  };
  /** One request, retried after a 429; resolves with the time of its answer. */
  const send = async (read: boolean, starts?: number[]): Promise<number> => {
    for (let attempt = 0; ; attempt++) {
      const started = await limiter.acquire(undefined, { read, priority: attempt > 0 });
      if (attempt === 0) starts?.push(started);
      await clock.sleep(opts.latency / 2);
      const ok = admit(clock.t);
      await clock.sleep(opts.latency / 2);
      limiter.ended(started);
      if (ok) {
        limiter.success(started);
        return clock.t;
      }
      refused++;
      if (starts !== undefined) tailRefused++;
      limiter.throttled(started);
    }
  };
  let left = opts.writes;
  let lastWrite = 0;
  const worker = async (): Promise<void> => {
    while (left > 0) {
      left--;
      lastWrite = Math.max(lastWrite, await send(false));
    }
  };
  const run = (async () => {
    await Promise.all(Array.from({ length: opts.workers }, worker));
    const starts: number[] = [];
    const answers = await Promise.all(Array.from({ length: opts.tail }, () => send(true, starts)));
    return { span: Math.max(...starts) - Math.min(...starts), endAfterLastWrite: Math.max(...answers) - lastWrite, refused, tailRefused };
  })();
  await clock.advance((opts.writes / Math.min(opts.rate, opts.threshold)) * 1000 * 2 + 10_000);
  return run;
}

describe('RateLimiter tail against a simulated per-second threshold', () => {
  it.each([{ window: 'sliding' as const }, { window: 'fixed' as const }])(
    "4 confirming searches after 150 writes at 25/s (600 ms, $window window): sent together, one round trip after the last write's answer, no 429",
    async ({ window }) => {
      const r = await loadThenTail({ rate: 25, threshold: 25, window, latency: 600, workers: 24, writes: 150, tail: 4 });
      if (process.env.LIMITER_SIM_PRINT) console.log(window, r);
      // Spaced: 120 ms between the first and the last, the run's end 0.72 s after the last write's answer.
      expect(r.span).toBe(0);
      expect(r.endAfterLastWrite).toBe(600);
      expect(r.refused).toBe(0);
    },
  );

  it.each([{ window: 'sliding' as const }, { window: 'fixed' as const }])(
    'under --rate 25 against 10 a second ($window window, 300 ms): the tail draws no 429 of its own',
    async ({ window }) => {
      const r = await loadThenTail({ rate: 25, threshold: 10, window, latency: 300, workers: 24, writes: 150, tail: 4 });
      if (process.env.LIMITER_SIM_PRINT) console.log(window, r);
      expect(r.tailRefused).toBe(0);
      // At the threshold the window rule holds some back (110 ms here); spaced, 300 ms.
      expect(r.span).toBeLessThan(200);
    },
  );
});

describe('RateLimiter: a long pause does not keep the process alive', () => {
  it('the last waiter called off (a second Ctrl-C) wakes the pump from its sleep: no timer is left running', async () => {
    const sleeps: AbortSignal[] = [];
    const lim = new RateLimiter({
      rate: 10,
      now: () => 0,
      // A sleep that ends only when woken: the pause below would otherwise hold it for an hour.
      sleep: (_ms, signal) =>
        new Promise<void>((_resolve, reject) => {
          sleeps.push(signal!);
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        }),
    });
    lim.throttled(0, 3_600_000);
    const ac = new AbortController();
    const waiting = lim.acquire(ac.signal).catch((e: unknown) => e);
    await Promise.resolve();
    expect(sleeps).toHaveLength(1);
    ac.abort(new Error('stopped'));
    expect(await waiting).toMatchObject({ message: 'stopped' });
    expect(sleeps.every((s) => s.aborted)).toBe(true);
  });
});

/**
 * The settle window (src/engine/settle.ts): a look-up that lags a write must not turn a lost
 * answer into a second create. Virtual time throughout: `sleep` advances the clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInvoices } from '../../src/engine/engine.js';
import { Journal } from '../../src/engine/journal.js';
import { SettleWindow, lookAcrossWindow, windowFor, type SettleOptions } from '../../src/engine/settle.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { FakeAlma, laggingTarget, makeInvoice, type Fault } from '../helpers/fake-target.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-settle-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const BOUNDS = { floorMs: 2_000, ceilingMs: 30_000 };

describe('windowFor', () => {
  it.each([
    [0, 2_000],
    [400, 2_000],
    [3_000, 7_000],
    [20_000, 30_000],
  ])('a lag of %i ms gives a window of %i ms', (lag, window) => {
    expect(windowFor(lag, BOUNDS)).toBe(window);
  });
});

describe('SettleWindow', () => {
  it('measures the lag on a new invoice and derives the window from it', async () => {
    let t = 1_000;
    const w = new SettleWindow(BOUNDS);
    const m = (await w.measure(1_000, async () => t >= 4_000, { wallNow: () => t, sleep: async (ms) => void (t += ms), stopped: () => false }))!;
    expect(m.lagMs).toBeGreaterThanOrEqual(3_000);
    expect(m.lagMs).toBeLessThan(5_100);
    expect(w.known).toBe(windowFor(m.lagMs!, BOUNDS));
  });

  it('made needless (the run is over, nothing left without an answer), it ends at once, mid-sleep, measuring nothing', async () => {
    const w = new SettleWindow(BOUNDS);
    const needless = new AbortController();
    let probes = 0;
    // A sleep that never ends and takes no signal (the race in measure() must end it): the test
    // waits for the measurement to be in it, not for some real time to pass.
    let asleep!: () => void;
    const sleeping = new Promise<void>((r) => (asleep = r));
    const measured = w.measure(0, async () => (probes++, false), { wallNow: () => 0, sleep: () => (asleep(), new Promise<void>(() => undefined)), stopped: () => false, needless: needless.signal });
    let ended = false;
    void measured.then(() => (ended = true));
    // setImmediate runs once every promise callback already queued has: no timing involved.
    const settled = () => new Promise((r) => setImmediate(r));
    await sleeping;
    await settled();
    expect(ended).toBe(false);
    needless.abort();
    await settled();
    expect(ended).toBe(true);
    expect(await measured).toBeUndefined();
    expect(probes).toBe(1);
    expect(w.known).toBeUndefined();
  });

  it('a write that never shows gives the ceiling', async () => {
    let t = 0;
    const w = new SettleWindow(BOUNDS);
    const m = await w.measure(0, async () => false, { wallNow: () => t, sleep: async (ms) => void (t += ms), stopped: () => false });
    expect(m).toMatchObject({ lagMs: undefined, windowMs: 30_000 });
  });

  it('before any measurement a reconcile waits for it, at most until the write is ceiling-old', async () => {
    let t = 0;
    const w = new SettleWindow(BOUNDS);
    expect(await w.forWrite(0, () => t, async (ms) => void (t += ms))).toBe(30_000);
    expect(new SettleWindow(BOUNDS, 5_000).known).toBe(5_000);
    expect(new SettleWindow({ ...BOUNDS, fixedMs: 0 }).known).toBe(0);
  });

  it('lookAcrossWindow looks again until the write is older than the window', async () => {
    let t = 0;
    const w = new SettleWindow({ ...BOUNDS, fixedMs: 7_000 });
    const clock = { wallNow: () => t, sleep: async (ms: number) => void (t += ms), checkpoint: () => undefined };
    expect(await lookAcrossWindow(async () => (t >= 3_000 ? 'found' : undefined), 0, w, clock)).toBe('found');
    t = 0;
    expect(await lookAcrossWindow(async () => undefined, 0, w, clock)).toBeUndefined();
    expect(t).toBeGreaterThanOrEqual(7_000);
  });
});

/** Engine options for a run on a virtual clock (`sleep` moves it): one invoice at a time, short polls. */
const onClock = (clock: { t: number }, settle: SettleOptions = BOUNDS) => ({
  concurrency: 1,
  sleep: async (ms: number) => void (clock.t += ms),
  wallNow: () => clock.t,
  now: () => clock.t,
  poll: { initialMs: 1, maxIntervalMs: 1, timeoutMs: 5, unknownMs: 3 },
  maxWriteAttempts: 3,
  settle,
});

async function runLagging(settle: SettleOptions, lagMs: number) {
  const alma = new FakeAlma();
  // The first create's answer is lost after Alma applied it.
  alma.faults = [{ method: 'createInvoice', call: 1, kind: 'lost' }];
  const clock = { t: 1_000_000 };
  const journal = Journal.open({ path: join(dir, `j-${settle.fixedMs ?? 'm'}.jsonl`), target: 'alma', endpoint: 'fake://alma', batch: 'b', sync: false });
  const events: EngineEvent[] = [];
  const invoices = [makeInvoice('ACME', 'A-1', 1), makeInvoice('ACME', 'A-2', 1)];
  try {
    const outcome = await runInvoices(invoices, {
      ...onClock(clock, settle),
      target: laggingTarget(alma, lagMs, () => clock.t),
      journal,
      emit: (e) => events.push(e),
    });
    return { alma, outcome, events };
  } finally {
    journal.close();
  }
}

describe('engine: a lost create against a look-up that lags 3 s', () => {
  it('with the measured window the invoice is found, not created twice', async () => {
    const { alma, outcome } = await runLagging(BOUNDS, 3_000);
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    expect([...alma.created.values()]).toEqual([1, 1]);
  });

  it('with the window forced to zero the same run creates a duplicate (the guarantee rests on the window)', async () => {
    const { alma } = await runLagging({ ...BOUNDS, fixedMs: 0 }, 3_000);
    expect(alma.created.get('ACME/A-1')).toBe(2);
  });

  it('the first clean create measures the window and journals it for later runs', async () => {
    const alma = new FakeAlma();
    const clock = { t: 0 };
    const path = join(dir, 'm.jsonl');
    const journal = Journal.open({ path, target: 'alma', endpoint: 'fake://alma', batch: 'b', sync: false });
    const events: EngineEvent[] = [];
    await runInvoices([makeInvoice('ACME', 'B-1', 1)], {
      ...onClock(clock),
      target: laggingTarget(alma, 3_000, () => clock.t),
      journal,
      emit: (e) => events.push(e),
    });
    journal.close();
    const m = events.find((e) => e.type === 'settle');
    expect(m).toMatchObject({ type: 'settle' });
    const windowMs = (m as Extract<EngineEvent, { type: 'settle' }>).windowMs;
    expect(windowMs).toBeGreaterThanOrEqual(7_000);
    const again = Journal.open({ path, target: 'alma', endpoint: 'fake://alma', batch: 'b', sync: false });
    expect(again.settleWindowMs).toBe(windowMs);
    again.close();
  });
});

describe('engine: the end of a run and a measurement still running', () => {
  /** One invoice against searches 10 min late; the clock moves as it sleeps, each sleep 2 ms of real time. */
  async function endOfRun(faults: Fault[], maxWriteAttempts = 3) {
    const alma = new FakeAlma();
    alma.faults = faults;
    let t = 0;
    const path = join(dir, `end-${faults.length}.jsonl`);
    const journal = Journal.open({ path, target: 'alma', endpoint: 'fake://alma', batch: 'b', sync: false });
    const events: EngineEvent[] = [];
    const cuts: AbortSignal[] = [];
    try {
      await runInvoices([makeInvoice('ACME', 'E-1', 2)], {
        target: laggingTarget(alma, 600_000, () => t),
        journal,
        concurrency: 1,
        emit: (e) => events.push(e),
        sleep: (ms, cut) => {
          if (cut !== undefined) cuts.push(cut);
          return new Promise((r) => setTimeout(() => r(void (t += ms)), 2));
        },
        wallNow: () => t,
        now: () => t,
        poll: { initialMs: 1, maxIntervalMs: 1, timeoutMs: 5, unknownMs: 3 },
        maxWriteAttempts,
        settle: BOUNDS,
      });
    } finally {
      journal.close();
    }
    const probes = alma.log.filter((l) => l === 'findInvoices E-1').length - 1;
    return { events, probes, journaled: readFileSync(path, 'utf8').includes('"t":"settle"'), cut: cuts.some((c) => c.aborted) };
  }

  it('every write answered: the run ends without waiting for the search, and journals no window', async () => {
    const { events, probes, journaled, cut } = await endOfRun([]);
    expect(events.some((e) => e.type === 'settle')).toBe(false);
    // The wait it was in is cut too (the CLI clears its timer: nothing holds the process open).
    expect(cut).toBe(true);
    expect(journaled).toBe(false);
    // Waiting it out would take a probe every 2 s of the 30 s ceiling.
    expect(probes).toBeLessThan(5);
  });

  it('a refused line (a definite answer) leaves nothing to reconcile: the run ends without waiting for the search', async () => {
    const { events, probes, journaled } = await endOfRun([{ method: 'addLine', call: 1, kind: 'business' }]);
    expect(events.some((e) => e.type === 'settle')).toBe(false);
    expect(journaled).toBe(false);
    expect(probes).toBeLessThan(5);
  });

  it('a write left without an answer (a line whose outcome stayed unknown): the window is measured to the end and journaled for the next run', async () => {
    // A 500 to the line, not found by the listing (10 min late), and no attempt left to send it again.
    const { events, probes, journaled } = await endOfRun([{ method: 'addLine', call: 1, kind: 'before' }], 1);
    expect(events.filter((e) => e.type === 'settle')).toMatchObject([{ lagMs: undefined, windowMs: 30_000 }]);
    expect(journaled).toBe(true);
    expect(probes).toBeGreaterThan(10);
  });
});

describe('engine: a re-run after a definite refusal (journal `refused`)', () => {
  /**
   * Run 1 is refused once (400) at `method`; run 2, with the same journal and the cause gone,
   * against searches and line listings 10 min late and no window measured yet.
   */
  async function rerunAfterRefusal(method: 'createInvoice' | 'addLine') {
    const alma = new FakeAlma();
    alma.faults = [{ method, call: 1, kind: 'business' }];
    const clock = { t: 0 };
    const path = join(dir, `refused-${method}.jsonl`);
    const run = async () => {
      const journal = Journal.open({ path, target: 'alma', endpoint: 'fake://alma', batch: 'b', sync: false });
      const events: EngineEvent[] = [];
      const start = clock.t;
      try {
        const outcome = await runInvoices([makeInvoice('ACME', 'R-1', 2)], {
          ...onClock(clock),
          target: laggingTarget(alma, 600_000, () => clock.t),
          journal,
          emit: (e) => events.push(e),
        });
        return { outcome, events, tookMs: clock.t - start };
      } finally {
        journal.close();
      }
    };
    const first = await run();
    expect(first.outcome.results[0]!.status).toBe('failed');
    clock.t += 60_000;
    const from = alma.log.length;
    const second = await run();
    return { alma, second, log: alma.log.slice(from), journal: readFileSync(path, 'utf8') };
  }

  it('a refused create is sent again at once, not looked for across the window as a lost answer', async () => {
    const { alma, second, log, journal } = await rerunAfterRefusal('createInvoice');
    expect(journal).toContain('"t":"refused"');
    expect(second.outcome.results[0]!.status).toBe('loaded');
    expect(second.events.filter((e) => e.type === 'reconcile')).toEqual([]);
    // One look-up, then the create: looking across the unmeasured window would search again
    // every 2 s until the 30 s ceiling.
    expect(log.slice(0, 2)).toEqual(['findInvoices R-1', 'createInvoice R-1']);
    expect(alma.created.get('ACME/R-1')).toBe(1);
  });

  it('a refused line likewise', async () => {
    const { alma, second } = await rerunAfterRefusal('addLine');
    expect(second.outcome.results[0]!.status).toBe('loaded');
    expect(second.events.filter((e) => e.type === 'reconcile')).toEqual([]);
    expect(second.tookMs).toBeLessThan(5_000);
    expect(alma.invoices[0]!.lines).toHaveLength(2);
  });
});

describe('engine: a journaled send time later than the clock (set back since)', () => {
  it('a re-run looks for the lost create across the window from now, not from that time to come, and says the clock was set back once', async () => {
    const alma = new FakeAlma();
    // Run 1, its clock an hour ahead: killed as its create left (the outcome never known).
    alma.faults = [{ method: 'createInvoice', call: 1, kind: 'crash-before' }];
    const clock = { t: 3_600_000 + 10_000 };
    const path = join(dir, 'set-back.jsonl');
    const run = async () => {
      const journal = Journal.open({ path, target: 'alma', endpoint: 'fake://alma', batch: 'b', sync: false });
      const events: EngineEvent[] = [];
      try {
        const outcome = await runInvoices([makeInvoice('ACME', 'S-1', 1), makeInvoice('ACME', 'S-2', 1)], {
          ...onClock(clock),
          target: laggingTarget(alma, 0, () => clock.t),
          journal,
          emit: (e) => events.push(e),
        });
        return { outcome, events };
      } finally {
        journal.close();
      }
    };
    await expect(run()).rejects.toThrow();
    expect(readFileSync(path, 'utf8')).toContain('"step":"create"');
    // Run 2 on the right clock, an hour behind the journaled send.
    alma.dead = false;
    alma.faults = [];
    clock.t = 10_000;
    const from = alma.log.length;
    const start = clock.t;
    const second = await run();
    expect(second.outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    // The ceiling (30 s, no window measured) from now: not an hour and a half of look-ups.
    expect(clock.t - start).toBeLessThan(120_000);
    expect(alma.log.slice(from).filter((l) => l === 'findInvoices S-1').length).toBeLessThan(40);
    const notices = second.events.filter((e) => e.type === 'notice').map((e) => (e as Extract<EngineEvent, { type: 'notice' }>).message);
    expect(notices.filter((m) => m.includes('clock'))).toEqual([
      'the system clock is 60 min behind a send time recorded earlier: it was set back since; that send is taken as made now, and Alma is looked at for it for the settle window from now on',
    ]);
    expect(alma.created.get('ACME/S-1')).toBe(1);
  });
});

describe('a stop while the settle window is waited for', () => {
  it('forWrite, no window known yet, ends at the stop: the run\'s sleep ends at once after one, and the loop does not go round on it', async () => {
    let t = 0;
    let stopped = false;
    let naps = 0;
    // The run's sleep once stopped: it ends at once, the clock not moved.
    const sleep = async (ms: number): Promise<void> => {
      if (++naps > 1_000) throw new Error('went round on a sleep that ends at once');
      if (!stopped) t += ms;
      // A Ctrl-C a second into the wait.
      if (t >= 1_000) stopped = true;
    };
    const checkpoint = (): void => {
      if (stopped) throw new Error('stopped');
    };
    const w = new SettleWindow(BOUNDS);
    await expect(lookAcrossWindow(async () => undefined, 0, w, { wallNow: () => t, sleep, checkpoint })).rejects.toThrow('stopped');
    expect(t).toBe(1_000);
    expect(naps).toBe(4);
  });
});

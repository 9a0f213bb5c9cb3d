/**
 * The watch over a whole run, on an injected clock: invoices answered at a steady pace across a
 * few vendors, as the engine hands them over (`expect` first, `hold` once all have started,
 * `drain` after the last answer). Which listings go mid-run, and how long an invoice stays
 * processed but unconfirmed (what the person at the terminal sees as a lagging count).
 */
import { describe, expect, it } from 'vitest';
import { ProcessingWatch, type InvoiceReader } from '../../src/engine/watch.js';
import type { RemoteInvoice } from '../../src/targets/target.js';
import { FakeClock } from '../targets/helpers/clock.js';

const POLL = { initialMs: 300, maxIntervalMs: 5_000, timeoutMs: 60_000, unknownMs: 10_000 };

interface Run {
  /** Listings sent before `drain` (mid-run), and after it (the end's). */
  mid: { at: number; vendor: string; count: number }[];
  end: { at: number; vendor: string; count: number }[];
  /** Per invoice: from its answer to its confirmation. */
  lags: number[];
  settled: number;
  lastAnswer: number;
  finishedAt: number;
}

/**
 * `invoices` answers, `perSecond` a second, vendors taken in turn; processing shows `processMs`
 * after the answer. `inFlight` invoices are still sending when the last one starts (hold).
 */
async function simulate(o: {
  invoices: number;
  perSecond: number;
  vendors?: number;
  processMs?: number;
  limitMs?: number;
  tell?: boolean;
  inFlight?: number;
  tickMs?: number;
  /** Milliseconds after answer i until the next (default 1000 / perSecond). */
  gap?: (i: number) => number;
}): Promise<Run> {
  const vendors = o.vendors ?? 4;
  const processMs = o.processMs ?? 150;
  const clock = new FakeClock();
  const began = new Map<string, number>();
  const run: Run = { mid: [], end: [], lags: [], settled: 0, lastAnswer: 0, finishedAt: 0 };
  let draining = false;
  const reader: InvoiceReader = {
    readCost: () => 1,
    readInvoices: async (wanted) => {
      (draining ? run.end : run.mid).push({ at: clock.t, vendor: wanted[0]!.key.vendor, count: wanted.length });
      const out = new Map<string, RemoteInvoice>();
      for (const w of wanted) {
        const processed = clock.t >= began.get(w.id)! + processMs;
        out.set(w.id, { id: w.id, number: w.key.number, vendor: w.key.vendor, alerts: [], processed, inReview: false, workflowStatus: processed ? 'Waiting to be Sent' : 'In Process' });
      }
      return out;
    },
  };
  const watch = new ProcessingWatch(reader, { poll: POLL, now: clock.now, sleep: clock.sleep, stopping: () => undefined, tickMs: o.tickMs });
  if (o.tell !== false) watch.expect(o.invoices);
  const waits: Promise<void>[] = [];
  const gap = 1000 / o.perSecond;
  for (let i = 0; i < o.invoices; i++) {
    const id = `id${i}`;
    began.set(id, clock.t);
    run.lastAnswer = clock.t;
    waits.push(
      watch.wait({ id, key: { vendor: `V${i % vendors}`, number: `N${i}` } }, o.limitMs ?? POLL.timeoutMs).then((r) => {
        run.lags[i] = clock.t - began.get(id)!;
        if (r.settled) run.settled++;
      }),
    );
    // The last invoice starts (hold) while the ones in flight have yet to answer.
    if (i === o.invoices - (o.inFlight ?? 8) - 1) watch.hold();
    // The last answer frees the last slot: the engine drains at once.
    if (i < o.invoices - 1) await clock.advance(o.gap?.(i) ?? gap);
  }
  draining = true;
  watch.drain();
  await clock.run(Promise.all(waits));
  run.finishedAt = clock.t;
  return run;
}

describe('ProcessingWatch over a run', () => {
  it.each([
    // 200 invoices at 5 a second (a 40 s run, 25 requests/s at 3 lines): every invoice can wait for the end.
    { invoices: 200, perSecond: 5 },
    // 200 at 10 a second (50 requests/s): a 20 s run.
    { invoices: 200, perSecond: 10 },
  ])('$invoices invoices at $perSecond/s: one listing mid-run (the lesson in how soon processing shows), one per vendor at the end', async (c) => {
    const run = await simulate(c);
    // The first vendor with 20 waiting; before, every vendor at every 20 (8 at 5/s, 4 at 10/s).
    expect(run.mid).toEqual([expect.objectContaining({ vendor: 'V0', count: 20 })]);
    expect(run.end.map((r) => r.vendor).sort()).toEqual(['V0', 'V1', 'V2', 'V3']);
    expect(run.settled).toBe(c.invoices);
    expect(Math.max(...run.lags)).toBeLessThanOrEqual(45_000);
    expect(run.finishedAt - run.lastAnswer).toBeLessThan(1_000);
  });

  it('processed by the time the answer comes (latency above the processing time): the lesson read lets the end read at once', async () => {
    const run = await simulate({ invoices: 200, perSecond: 5, processMs: 0 });
    expect(run.mid).toHaveLength(1);
    // Not the first poll interval (300 ms) after the last answer, as without any read to learn from.
    expect(run.finishedAt - run.lastAnswer).toBeLessThan(100);
    expect(run.settled).toBe(200);
  });

  it('the last answers pause, then come together (the engine sends the most steps left first): the pause does not push the end later', async () => {
    // 175 answers at 5/s, every invoice started, a 6 s pause, the last 25 in a second: the
    // first invoices wait ~42 s.
    const run = await simulate({ invoices: 200, perSecond: 5, inFlight: 25, gap: (i) => (i < 174 ? 200 : i === 174 ? 6_000 : 40) });
    expect(run.mid).toHaveLength(1);
    expect(run.settled).toBe(200);
    expect(Math.max(...run.lags)).toBeLessThanOrEqual(45_000);
  });

  it('reads mid-run without the total (no end in sight), as before', async () => {
    const run = await simulate({ invoices: 200, perSecond: 5, tell: false });
    // A listing per 20 waiting invoices of a vendor: 200 invoices, 4 vendors.
    expect(run.mid.length).toBeGreaterThanOrEqual(8);
    expect(run.mid.every((r) => r.count >= 20)).toBe(true);
    expect(run.settled).toBe(200);
  });

  it('at 2 invoices a second (10 requests/s) a 100 s run still confirms its first invoices within 45 s', async () => {
    const run = await simulate({ invoices: 200, perSecond: 2 });
    // Its first invoices cannot wait for the end (~100 s later): two rounds of four listings,
    // after 30 s each; the last ~45 s of invoices wait for the end's read.
    expect(run.mid).toHaveLength(8);
    expect(Math.max(...run.lags)).toBeLessThanOrEqual(45_000);
    expect(run.lags.slice(0, 60).every((ms) => ms <= 30_100)).toBe(true);
    expect(run.end.map((r) => r.vendor).sort()).toEqual(['V0', 'V1', 'V2', 'V3']);
    expect(run.settled).toBe(200);
  });

  it('within 3/4 of a shorter time limit: --poll-timeout 20 reads a 40 s run as it goes', async () => {
    const run = await simulate({ invoices: 200, perSecond: 5, limitMs: 20_000 });
    expect(run.mid.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...run.lags)).toBeLessThanOrEqual(15_000);
    expect(run.settled).toBe(200);
  });

  it('processing takes 5 s: the end comes later, the first invoices are read mid-run, every invoice settled within 45 s', async () => {
    const run = await simulate({ invoices: 200, perSecond: 5, processMs: 5_000 });
    expect(run.settled).toBe(200);
    expect(Math.max(...run.lags)).toBeLessThanOrEqual(45_000);
    expect(run.end.map((r) => r.vendor).sort()).toEqual(['V0', 'V1', 'V2', 'V3']);
  });

  it.each([60_000, 600_000])('a long run (3000 invoices, 25 minutes; time limit %i ms) confirms as it goes, never more than 45 s after an answer', async (limitMs) => {
    const run = await simulate({ invoices: 3_000, perSecond: 2, limitMs, tickMs: 250 });
    expect(run.settled).toBe(3_000);
    expect(Math.max(...run.lags)).toBeLessThanOrEqual(45_000);
    // All but the last ~45 s are read as before: a listing per vendor every 30 s at most.
    const beforeEnd = run.lags.slice(0, 3_000 - 100);
    expect(beforeEnd.every((ms) => ms <= 30_500)).toBe(true);
    // ...a listing per vendor after 30 s (15 invoices to a listing, ~0.07 requests an invoice).
    expect(run.mid.length).toBeGreaterThan(150);
    expect(run.mid.length / 3_000).toBeLessThanOrEqual(0.07);
  });
});

/**
 * The processing watch: waits for many invoices at once and reads them together when the
 * target can do that cheaply, else one by one at once; re-reads what is not processed yet,
 * backing off, until the deadline; drains at the end; ends every wait when the run stops.
 */
import { describe, expect, it } from 'vitest';
import { ProcessingWatch, type InvoiceReader, type WatchedInvoice } from '../../src/engine/watch.js';
import type { RemoteInvoice } from '../../src/targets/target.js';
import { FakeClock } from '../targets/helpers/clock.js';

const POLL = { initialMs: 300, maxIntervalMs: 5_000, timeoutMs: 60_000, unknownMs: 10_000 };

function remote(id: string, processed: boolean): RemoteInvoice {
  return { id, number: id, vendor: 'V', alerts: [], processed, inReview: !processed, workflowStatus: processed ? 'Waiting to be Sent' : 'InReview' };
}

/** A fake target: a listing costs one request for any number of invoices of a "cheap" vendor. */
function fakeReader(opts: { cheap: boolean; processedAt?: (id: string) => number; hide?: Set<string> }, clock: { t: number }) {
  const reads: string[][] = [];
  const reader: InvoiceReader = {
    readCost: (_vendor, n) => (opts.cheap ? 1 : n),
    readInvoices: async (w) => {
      reads.push(w.map((x) => x.id));
      const out = new Map<string, RemoteInvoice>();
      for (const x of w) {
        if (opts.hide?.has(x.id) && w.length > 1) continue;
        out.set(x.id, remote(x.id, clock.t >= (opts.processedAt?.(x.id) ?? 0)));
      }
      return out;
    },
  };
  return { reader, reads };
}

function setup(reader: InvoiceReader, clock: { t: number }, stop?: () => Error | undefined) {
  return new ProcessingWatch(reader, {
    poll: POLL,
    now: () => clock.t,
    sleep: async (ms) => {
      await Promise.resolve();
      clock.t += ms;
    },
    stopping: stop ?? (() => undefined),
  });
}

const item = (i: number): WatchedInvoice => ({ id: `id${i}`, key: { vendor: 'V', number: `N${i}` } });

describe('ProcessingWatch', () => {
  it('reads a cheap vendor once for ten invoices', async () => {
    const clock = { t: 0 };
    const { reader, reads } = fakeReader({ cheap: true }, clock);
    const watch = setup(reader, clock);
    const waits = Array.from({ length: 10 }, (_, i) => watch.wait(item(i), 60_000));
    const results = await Promise.all(waits);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toHaveLength(10);
    expect(results.every((r) => r.settled && r.remote.processed)).toBe(true);
  });

  it('reads twenty due invoices of a vendor at once (a listing is then 0.05 requests an invoice), ten not yet', async () => {
    const clock = { t: 0 };
    const { reader, reads } = fakeReader({ cheap: true }, clock);
    const watch = setup(reader, clock);
    await Promise.all(Array.from({ length: 20 }, (_, i) => watch.wait(item(i), 60_000)));
    expect(clock.t).toBeLessThan(400);
    expect(reads).toHaveLength(1);
    await Promise.all(Array.from({ length: 10 }, (_, i) => watch.wait(item(100 + i), 60_000)));
    expect(clock.t).toBeGreaterThan(30_000);
    expect(reads).toHaveLength(2);
  });

  it('waits for a fuller batch at most maxBatchWaitMs, and not at all once drained', async () => {
    const clock = { t: 0 };
    const { reader, reads } = fakeReader({ cheap: true }, clock);
    const watch = setup(reader, clock);
    const r = await watch.wait(item(1), 60_000);
    expect(r.settled).toBe(true);
    expect(clock.t).toBeGreaterThanOrEqual(30_000);
    expect(clock.t).toBeLessThan(30_100);
    expect(reads).toEqual([['id1']]);

    // A shorter time limit: read at half of it, so a late processing still has time to show.
    const t0 = clock.t;
    await watch.wait(item(3), 20_000);
    expect(clock.t - t0).toBeGreaterThanOrEqual(10_000);
    expect(clock.t - t0).toBeLessThan(10_100);

    const start = clock.t;
    watch.drain();
    await watch.wait(item(2), 60_000);
    expect(clock.t - start).toBeLessThan(400);
  });

  it('reads one by one at once when reading together is not cheaper', async () => {
    const clock = { t: 0 };
    const { reader, reads } = fakeReader({ cheap: false }, clock);
    const watch = setup(reader, clock);
    await Promise.all([watch.wait(item(1), 60_000), watch.wait(item(2), 60_000)]);
    expect(clock.t).toBeLessThan(400);
    expect(reads.flat().sort()).toEqual(['id1', 'id2']);
  });

  it('reads again, backing off, until processed or the deadline', async () => {
    const clock = { t: 0 };
    const { reader, reads } = fakeReader({ cheap: false, processedAt: (id) => (id === 'id1' ? 2_000 : Infinity) }, clock);
    const watch = setup(reader, clock);
    const [a, b] = await Promise.all([watch.wait(item(1), 60_000), watch.wait(item(2), 5_000)]);
    expect(a.settled).toBe(true);
    expect(reads.filter((r) => r.includes('id1')).length).toBeLessThanOrEqual(4); // 300, 900, 2100
    expect(b.settled).toBe(false);
    expect(b.remote.processed).toBe(false);
    expect(b.waitedMs).toBeGreaterThanOrEqual(5_000);
  });

  it("reads on its own, once, an invoice its vendor's listing still shows unprocessed at its limit", async () => {
    const clock = { t: 0 };
    // As the Alma target reads: two or more invoices of a vendor by its listing, one by id. The
    // listing's statuses lag: it never shows id2 and id3 processed; a read by id does.
    const reads: string[][] = [];
    const reader: InvoiceReader = {
      readCost: () => 1,
      readInvoices: async (w) => {
        reads.push(w.map((x) => x.id));
        return new Map(w.map((x) => [x.id, remote(x.id, w.length === 1)]));
      },
    };
    const watch = setup(reader, clock);
    const results = await Promise.all([watch.wait(item(2), 5_000), watch.wait(item(3), 5_000)]);
    expect(results.map((r) => r.settled)).toEqual([true, true]);
    expect(results.every((r) => r.remote.processed && r.waitedMs >= 5_000)).toBe(true);
    // Read together until the limit, then each once on its own.
    expect(reads.filter((r) => r.length === 1).sort()).toEqual([['id2'], ['id3']]);
    expect(reads.slice(0, -2).every((r) => r.length === 2)).toBe(true);
  });

  it('at its limit, an invoice read one by one anyway gets no extra read', async () => {
    const clock = { t: 0 };
    const at: number[] = [];
    const reader: InvoiceReader = {
      readCost: (_v, n) => n, // never cheaper together: each is read by id already
      readInvoices: async (w) => {
        at.push(clock.t);
        return new Map(w.map((x) => [x.id, remote(x.id, false)]));
      },
    };
    const watch = setup(reader, clock);
    const r = await watch.wait(item(1), 5_000);
    expect(r.settled).toBe(false);
    expect(at.length).toBeGreaterThan(2);
    expect(at.filter((t) => t >= 5_000)).toHaveLength(1);
  });

  it('reads on its own an invoice the listing does not show', async () => {
    const clock = { t: 0 };
    const { reader, reads } = fakeReader({ cheap: true, hide: new Set(['id3']) }, clock);
    const watch = setup(reader, clock);
    watch.drain();
    const results = await Promise.all([1, 2, 3].map((i) => watch.wait(item(i), 60_000)));
    expect(results.every((r) => r.settled)).toBe(true);
    expect(reads).toEqual([['id1', 'id2', 'id3'], ['id3']]);
  });

  it('ends every wait when the run stops, and passes a read error to its invoices', async () => {
    const clock = { t: 0 };
    const { reader } = fakeReader({ cheap: false, processedAt: () => Infinity }, clock);
    const watch = setup(reader, clock, () => (clock.t > 1_000 ? new Error('stopping') : undefined));
    await expect(watch.wait(item(1), 60_000)).rejects.toThrow('stopping');

    const failing = setup({ readCost: (_v, n) => n, readInvoices: () => Promise.reject(new Error('refused')) }, clock);
    await expect(failing.wait(item(2), 60_000)).rejects.toThrow('refused');
  });

  it('a stop reads what waits once more, a vendor together: the processed end as processed, the rest with the stop', async () => {
    const clock = { t: 0 };
    // Invoices 0-9 (and the first, 99) processed by 500 ms, 10-11 never; a cheap vendor, waiting for a fuller batch.
    const { reader, reads } = fakeReader({ cheap: true, processedAt: (id) => (Number(id.slice(2)) < 10 || id === 'id99' ? 500 : Infinity) }, clock);
    let stopAt = Infinity;
    const watch = setup(reader, clock, () => (clock.t >= stopAt ? new Error('stopping') : undefined));
    const first = watch.wait(item(99), 60_000);
    await first; // the first read, at once (a lesson on how soon processing shows)
    const waits = Array.from({ length: 12 }, (_, i) => watch.wait(item(i), 60_000).then((r) => r, (e: Error) => e.message));
    stopAt = clock.t + 1_000;
    const results = await Promise.all(waits);
    expect(reads).toHaveLength(2);
    expect(reads[1]).toHaveLength(12);
    expect(results.slice(0, 10).every((r) => typeof r !== 'string' && r.settled && r.remote.processed)).toBe(true);
    expect(results.slice(10)).toEqual(['stopping', 'stopping']);
    // No waiting out the poll's intervals: it ended right after the stop.
    expect(clock.t).toBeLessThan(stopAt + 100);
  });

  it('a stop while a read is in flight: that read is the last look, no second one', async () => {
    const clock = { t: 0 };
    let stopped = false;
    let release: (() => void) | undefined;
    const reads: string[][] = [];
    const reader: InvoiceReader = {
      readCost: (_v, n) => n,
      readInvoices: async (w) => {
        reads.push(w.map((x) => x.id));
        // The run begins to stop while the first read is out.
        if (reads.length === 1) {
          stopped = true;
          await new Promise<void>((r) => (release = r));
        }
        return new Map(w.map((x) => [x.id, remote(x.id, false)]));
      },
    };
    const watch = setup(reader, clock, () => (stopped ? new Error('stopping') : undefined));
    const wait = watch.wait(item(1), 60_000).catch((e: Error) => e.message);
    while (release === undefined) await new Promise((r) => setImmediate(r));
    release();
    await expect(wait).resolves.toBe('stopping');
    expect(reads).toEqual([['id1']]);
  });
});

describe('ProcessingWatch at the end of a run', () => {
  /** A watch on a clock the test moves (the other tests' clock runs ahead on its own). */
  function onClock(reader: InvoiceReader) {
    const clock = new FakeClock();
    const watch = new ProcessingWatch(reader, { poll: POLL, now: clock.now, sleep: clock.sleep, stopping: () => undefined });
    return { clock, watch };
  }

  it('learns from a mid-run listing how soon processing shows, and at the end reads each vendor once, after its last invoice is likely processed', async () => {
    const began = new Map<string, number>();
    const at = { t: 0 };
    // Processing shows 100 ms after the answer (when the wait begins).
    const { reader, reads } = fakeReader({ cheap: true, processedAt: (id) => began.get(id)! + 100 }, at);
    const { clock, watch } = onClock(reader);
    const waitFor = (i: number): Promise<unknown> => {
      began.set(`id${i}`, clock.t);
      return watch.wait(item(i), 60_000);
    };
    const step = async (ms: number): Promise<void> => {
      await clock.advance(ms);
      at.t = clock.t;
    };
    // Twenty answers 50 ms apart: the twentieth makes a listing cheap and it goes at once.
    const mid: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      mid.push(waitFor(i));
      await step(50);
    }
    expect(reads[0]).toHaveLength(20);
    expect(watch.processingMs).toBeGreaterThanOrEqual(100);
    expect(watch.processingMs).toBeLessThanOrEqual(150);
    // The two not processed yet join the next read.
    const before = reads.length;

    // The end: three more answers 50 ms apart, then no more are coming.
    const end: Promise<unknown>[] = [];
    for (let i = 100; i < 103; i++) {
      end.push(waitFor(i));
      await step(50);
    }
    watch.drain();
    const lastAnswer = began.get('id102')!;
    while (reads.length === before) await step(25);
    const readAt = clock.t;
    for (let i = 0; i < 100; i++) await step(25);
    await Promise.all([...mid, ...end]);
    // One read of all that wait, once the last is likely processed (not at +300 ms, not one each).
    expect(reads.slice(before)).toHaveLength(1);
    expect(reads[before]).toEqual(expect.arrayContaining(['id100', 'id101', 'id102']));
    expect(readAt - lastAnswer).toBeGreaterThanOrEqual(100);
    expect(readAt - lastAnswer).toBeLessThan(200);
  });

  it('sends no listing for being cheap after hold(); drain reads what waits', async () => {
    const at = { t: 0 };
    const { reader, reads } = fakeReader({ cheap: true }, at);
    const { clock, watch } = onClock(reader);
    watch.hold();
    const waits = Array.from({ length: 25 }, (_, i) => watch.wait(item(i), 60_000));
    await clock.advance(5_000);
    expect(reads).toHaveLength(0);
    watch.drain();
    await clock.advance(1_000);
    await Promise.all(waits);
    expect(reads).toEqual([Array.from({ length: 25 }, (_, i) => `id${i}`)]);
  });

  it('without a mid-run read the end waits the first poll interval at most; a read that saw one not yet processed makes it wait longer', async () => {
    const at = { t: 0 };
    const { reader } = fakeReader({ cheap: true, processedAt: () => 1_000 }, at);
    const { clock, watch } = onClock(reader);
    expect(watch.processingMs).toBe(300);
    watch.drain();
    const done = watch.wait(item(1), 60_000);
    // Read at 300 and 600 (not yet: each says wait twice as long), then at 1200 (processed).
    for (let i = 0; i < 100; i++) {
      await clock.advance(25);
      at.t = clock.t;
    }
    await done;
    expect(watch.processingMs).toBe(1_200);
  });
});

describe('ProcessingWatch near the end', () => {
  it('leaves an invoice that waited 30 s for the end when the end comes with half its time to spare', async () => {
    for (const told of [false, true]) {
      const at = { t: 0 };
      const { reader, reads } = fakeReader({ cheap: true }, at);
      const clock = new FakeClock();
      // A listing is never cheap enough here: only the 30 s wait (or the end) reads.
      const watch = new ProcessingWatch(reader, { poll: POLL, now: clock.now, sleep: clock.sleep, stopping: () => undefined, batchCost: 1e-6 });
      if (told) watch.expect(36);
      // One invoice a second; the 36th comes at 35 s.
      const waits: Promise<unknown>[] = [];
      for (let i = 0; i < 35; i++) {
        waits.push(watch.wait(item(i), 60_000));
        await clock.advance(1_000);
        at.t = clock.t;
      }
      // Without the total the first invoice's 30 s wait read the listing at 30 s; told that
      // one more is coming (at ~36 s, 30 s before its deadline), it waits for the end.
      expect(reads.length).toBe(told ? 0 : 1);
      waits.push(watch.wait(item(35), 60_000));
      watch.drain();
      await clock.advance(1_000);
      await Promise.all(waits);
      expect(reads.length).toBe(told ? 1 : 2);
    }
  });
});

describe('ProcessingWatch and a listing that lags', () => {
  it('looks for an invoice missing from one listing in the next before reading it on its own', async () => {
    const at = { t: 0 };
    const hide = new Set(['id3']);
    const { reader, reads } = fakeReader({ cheap: true, hide }, at);
    const clock = new FakeClock();
    const watch = new ProcessingWatch(
      { readCost: reader.readCost, readInvoices: async (w) => reader.readInvoices(w).finally(() => hide.clear()) },
      { poll: POLL, now: clock.now, sleep: clock.sleep, stopping: () => undefined },
    );
    watch.drain();
    const first = [1, 2, 3].map((i) => watch.wait(item(i), 60_000));
    while (reads.length === 0) await clock.advance(25);
    const more = [4, 5].map((i) => watch.wait(item(i), 60_000));
    await clock.advance(2_000);
    await Promise.all([...first, ...more]);
    // id3 was just created: the first listing did not show it yet; the next one (with 4 and 5) did.
    expect(reads).toEqual([
      ['id1', 'id2', 'id3'],
      ['id3', 'id4', 'id5'],
    ]);
  });
});

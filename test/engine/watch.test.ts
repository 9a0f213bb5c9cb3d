/**
 * The processing watch: waits for many invoices at once and reads them together when the
 * target can do that cheaply, else one by one at once; re-reads what is not processed yet,
 * backing off, until the deadline; drains at the end; ends every wait when the run stops.
 */
import { describe, expect, it } from 'vitest';
import { ProcessingWatch, type InvoiceReader, type WatchedInvoice } from '../../src/engine/watch.js';
import type { RemoteInvoice } from '../../src/targets/target.js';

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
    expect(clock.t).toBeGreaterThanOrEqual(300 + 30_000);
    expect(clock.t).toBeLessThan(300 + 30_100);
    expect(reads).toEqual([['id1']]);

    // A shorter time limit: read at half of it, so a late processing still has time to show.
    const t0 = clock.t;
    await watch.wait(item(3), 20_000);
    expect(clock.t - t0).toBeGreaterThanOrEqual(300 + 10_000);
    expect(clock.t - t0).toBeLessThan(300 + 10_100);

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
});

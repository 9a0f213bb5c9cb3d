import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InFlightSizer } from '../../src/engine/inflight.js';
import { runInvoices } from '../../src/engine/engine.js';
import { Journal } from '../../src/engine/journal.js';
import type { Target } from '../../src/targets/target.js';
import { FakeAlma, makeInvoice } from '../helpers/fake-target.js';

describe('InFlightSizer: rate × latency × headroom, capped', () => {
  it.each([
    // rate, latency ms, max, expected: ceil(rate × (latency + 150) × 2 / 1000) + 2
    [10, 50, 64, 6],
    [25, 100, 64, 15],
    [25, 300, 64, 25],
    [10, 600, 64, 17],
    [50, 450, 64, 62],
    [50, 600, 64, 64],
    [50, 600, 16, 16],
    [0.5, 10, 64, 3],
    [Infinity, 100, 12, 12],
  ])('rate %s at %s ms, at most %s → %s', (rate, ms, max, expected) => {
    const s = new InFlightSizer({ rate, max });
    s.observe(ms);
    expect(s.size).toBe(expected);
  });

  it('starts from the assumed latency and follows what the answers show, rising faster than it falls', () => {
    const s = new InFlightSizer({ rate: 20, max: 100, initialLatencyMs: 300 });
    expect(s.size).toBe(Math.ceil(20 * 0.45 * 2) + 2);
    for (let i = 0; i < 3; i++) s.observe(100);
    expect(s.latencyMs).toBeCloseTo(100);
    // Ten slow answers move the estimate most of the way; ten fast ones after that, less far back.
    for (let i = 0; i < 10; i++) s.observe(600);
    const up = s.latencyMs;
    expect(up).toBeGreaterThan(500);
    for (let i = 0; i < 10; i++) s.observe(100);
    expect(600 - up).toBeLessThan(up - s.latencyMs);
    expect(s.latencyMs).toBeGreaterThan(250);
  });

  it('tells its listeners when the size changes; ignores nonsense', () => {
    const s = new InFlightSizer({ rate: 10, max: 64 });
    let changed = 0;
    s.onChange(() => changed++);
    s.observe(1000);
    expect(changed).toBe(1);
    s.observe(1000);
    s.observe(Number.NaN);
    s.observe(-5);
    expect(changed).toBe(1);
    s.observe(10);
    expect(changed).toBe(2);
    expect(() => new InFlightSizer({ rate: 10, max: 0 })).toThrow(RangeError);
  });
});

describe('engine: invoices in flight follow the sizer', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'inflight-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A target whose every call waits a turn of the event loop; counts the invoices with a call in progress. */
  function measured(alma: FakeAlma): { target: Target; peak: () => number; reset: () => void } {
    const base = alma.target();
    const busy = new Set<string>();
    let peak = 0;
    const wrap =
      <A extends unknown[], R>(fn: (...a: A) => Promise<R>, who: (...a: A) => string) =>
      async (...a: A): Promise<R> => {
        const k = who(...a);
        busy.add(k);
        peak = Math.max(peak, busy.size);
        await new Promise((r) => setTimeout(r, 2));
        try {
          return await fn(...a);
        } finally {
          busy.delete(k);
        }
      };
    const byId = (id: string): string => alma.invoices.find((i) => i.id === id)?.number ?? id;
    const target: Target = {
      ...base,
      // Not the look-ups: every invoice is looked up before the first write (engine.ts
      // startLookups), a few dozen at a time, paced by the target's limiter.
      createInvoice: wrap(base.createInvoice.bind(base), (inv) => inv.key.number),
      addChild: wrap(base.addChild.bind(base), (id) => byId(id)),
      finalize: wrap(base.finalize!.bind(base), (id) => byId(id)),
    };
    return { target, peak: () => peak, reset: () => (peak = 0) };
  }

  it('keeps as many invoices in flight as the sizer says, up to --concurrency, and more once it grows', async () => {
    const alma = new FakeAlma();
    const invoices = Array.from({ length: 40 }, (_, i) => makeInvoice('ACME', `INV-${i}`, 2));
    const { target, peak } = measured(alma);
    let size = 3;
    const listeners: (() => void)[] = [];
    const inFlight = {
      get size() {
        return size;
      },
      onChange: (l: () => void) => listeners.push(l),
    };
    const journal = Journal.open({ path: join(dir, 'j.jsonl'), target: 'alma', endpoint: 'fake://alma', batch: 'b', sync: false });
    let peakBefore = -1;
    const emitted: string[] = [];
    try {
      const outcome = await runInvoices(invoices, {
        target,
        journal,
        concurrency: 8,
        inFlight,
        emit: (e) => {
          if (e.type !== 'invoice') return;
          emitted.push(e.result.key.number);
          // After ten invoices the latency "rises": the sizer grows past the bound.
          if (emitted.length === 10) {
            peakBefore = peak();
            size = 50;
            for (const l of listeners) l();
          }
        },
        sleep: async () => undefined,
        poll: { initialMs: 1, maxIntervalMs: 1, timeoutMs: 50, unknownMs: 3 },
        maxWriteAttempts: 3,
      });
      expect(outcome.results.every((r) => r.status === 'loaded')).toBe(true);
    } finally {
      journal.close();
    }
    expect(peakBefore).toBe(3);
    // Capped by --concurrency once the sizer asks for more.
    expect(peak()).toBe(8);
  });

  it('an error that is not the invoice\'s own still ends the run with that error, after the invoices in flight', async () => {
    const alma = new FakeAlma();
    const invoices = Array.from({ length: 6 }, (_, i) => makeInvoice('ACME', `INV-${i}`, 1));
    const base = alma.target();
    let creates = 0;
    const target: Target = {
      ...base,
      createInvoice: async (inv) => {
        if (++creates === 2) throw new TypeError('a bug');
        return base.createInvoice(inv);
      },
    };
    const journal = Journal.open({ path: join(dir, 'j2.jsonl'), target: 'alma', endpoint: 'fake://alma', batch: 'b', sync: false });
    try {
      await expect(
        runInvoices(invoices, {
          target,
          journal,
          concurrency: 3,
          emit: () => undefined,
          sleep: async () => undefined,
          poll: { initialMs: 1, maxIntervalMs: 1, timeoutMs: 50, unknownMs: 3 },
          maxWriteAttempts: 3,
        }),
      ).rejects.toThrow('a bug');
    } finally {
      journal.close();
    }
    // No invoice starts after the failure: fewer creates than invoices.
    expect(creates).toBeLessThan(6);
  });
});

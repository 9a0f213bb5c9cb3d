/**
 * An invoice's lines at once: with slots to spare (a batch of a few large invoices, the end of a
 * batch), the lines of the invoices sending share them, up to Target.childrenAtOnce; a line
 * refused among others is sent again alone and the run goes back to one at a time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineOptions } from '../../src/engine/engine.js';
import type { Invoice } from '../../src/domain/model.js';
import { ApiError } from '../../src/common/errors.js';
import type { Target } from '../../src/targets/target.js';
import { FakeAlma, makeInvoice } from '../helpers/fake-target.js';
import { runEngine } from '../helpers/engine-run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lines-at-once-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A turn of the event loop: long enough for every line allowed at once to be on its way. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * FakeAlma's target, taking lines of one invoice at once up to `atOnce`, with each line's answer
 * a turn later; it records the most lines of one invoice on their way together, and refuses
 * the lines `refuse` says (with the number of that line's attempt).
 */
function wrapped(
  alma: FakeAlma,
  atOnce: number | undefined,
  refuse: (number: string, attempt: number) => boolean = () => false,
  refusal: () => ApiError = () => new ApiError({ httpStatus: 400, code: '60255', message: 'Invoice line not created', trackingId: 'E01-LINE' }),
) {
  const base = alma.target();
  const inFlight = new Map<string, number>();
  const attempts = new Map<string, number>();
  const seen = { most: 0, mostAfterRefusal: 0, refused: false };
  const target: Target = {
    ...base,
    childrenAtOnce: atOnce,
    addChild: async (id, number, inv) => {
      const now = (inFlight.get(id) ?? 0) + 1;
      inFlight.set(id, now);
      seen.most = Math.max(seen.most, now);
      if (seen.refused) seen.mostAfterRefusal = Math.max(seen.mostAfterRefusal, now);
      try {
        await turn();
        const k = `${id}#${number}`;
        const attempt = (attempts.get(k) ?? 0) + 1;
        attempts.set(k, attempt);
        if (refuse(number, attempt)) {
          seen.refused = true;
          throw refusal();
        }
        return await base.addChild(id, number, inv);
      } finally {
        inFlight.set(id, (inFlight.get(id) ?? 1) - 1);
      }
    },
  };
  return { target, seen };
}

const run = (target: Target, invoices: Invoice[], opts: Partial<EngineOptions> = {}) =>
  runEngine(target, invoices, join(dir, 'j.jsonl'), { canary: false, ...opts });

function expectEachLineOnce(alma: FakeAlma, invoices: Invoice[]): void {
  for (const inv of invoices) {
    const stored = alma.invoices.filter((s) => s.number === inv.key.number);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.lines.map((l) => l.number).sort()).toEqual(inv.lines.map((l) => l.number).sort());
    expect(stored[0]!.processCount).toBe(1);
  }
}

describe('the lines of an invoice at once', () => {
  it('two large invoices and eight slots: four lines of each on their way together, each line once', async () => {
    const alma = new FakeAlma();
    const invoices = [makeInvoice('ACME', 'BIG-1', 20), makeInvoice('BETA', 'BIG-2', 20)];
    const { target, seen } = wrapped(alma, 6);
    const { outcome } = await run(target, invoices, { concurrency: 8 });
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    // 8 slots for 2 invoices: 4 lines each, under the target's 6.
    expect(seen.most).toBe(4);
    expectEachLineOnce(alma, invoices);
  });

  it("never more than the target takes at once (Target.childrenAtOnce), and one at a time when it says nothing", async () => {
    for (const [atOnce, most] of [
      [3, 3],
      [undefined, 1],
    ] as const) {
      const alma = new FakeAlma();
      const invoices = [makeInvoice('ACME', 'BIG-1', 12)];
      const { target, seen } = wrapped(alma, atOnce);
      const { outcome } = await run(target, invoices, { concurrency: 8 });
      expect(outcome.results[0]!.status).toBe('loaded');
      expect(seen.most, `childrenAtOnce ${atOnce}`).toBe(most);
      expectEachLineOnce(alma, invoices);
      rmSync(join(dir, 'j.jsonl'), { force: true });
    }
  });

  it('every slot taken by an invoice of its own: one line at a time, as before', async () => {
    const alma = new FakeAlma();
    const invoices = [makeInvoice('ACME', 'A-1', 5), makeInvoice('ACME', 'A-2', 5), makeInvoice('BETA', 'B-1', 5)];
    const { target, seen } = wrapped(alma, 8);
    // One slot: whatever the target allows, the only invoice sending has the one request.
    await run(target, invoices, { concurrency: 1 });
    expect(seen.most).toBe(1);
    expectEachLineOnce(alma, invoices);
  });

  it('the first invoice to write (the canary) sends its lines one at a time until it is read back', async () => {
    const alma = new FakeAlma();
    const invoices = [makeInvoice('ACME', 'BIG-1', 6)];
    const base = wrapped(alma, 8);
    const order: string[] = [];
    const target: Target = {
      ...base.target,
      readBack: async () => {
        order.push(`readBack with ${alma.invoices[0]!.lines.length} lines`);
        return [];
      },
      canaryChildren: () => ['1'],
    };
    const { outcome } = await run(target, invoices, { canary: true, concurrency: 8 });
    expect(outcome.results[0]!.status).toBe('loaded');
    expect(order).toEqual(['readBack with 1 lines']);
    // After the read-back, its other five go together.
    expect(base.seen.most).toBe(5);
    expectEachLineOnce(alma, invoices);
  });

  it('a line refused among others is sent again alone; the run says so once and goes one at a time; nothing twice', async () => {
    const alma = new FakeAlma();
    const invoices = [makeInvoice('ACME', 'BIG-1', 10), makeInvoice('BETA', 'BIG-2', 10)];
    const { target, seen } = wrapped(alma, 4, (number, attempt) => number === '3' && attempt === 1);
    const { outcome, events } = await run(target, invoices, { concurrency: 8 });
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    expect(seen.most).toBe(4);
    expect(seen.mostAfterRefusal).toBe(1);
    expect(events.filter((e) => e.type === 'notice').map((e) => e.type === 'notice' && e.message)).toEqual([
      'Alma refused a line sent while others of its invoice were on their way: it is sent again alone, and lines go one at a time for the rest of the run',
    ]);
    expectEachLineOnce(alma, invoices);
  });

  it("a line refused among others with Alma's error document under a 200 (inSuccess, with a code) is sent again alone too", async () => {
    const alma = new FakeAlma();
    const invoices = [makeInvoice('ACME', 'BIG-1', 10), makeInvoice('BETA', 'BIG-2', 10)];
    const inSuccess = () => new ApiError({ httpStatus: 200, inSuccess: true, code: '402459', message: 'an error answered with HTTP 200: Invoice line not valid' });
    const { target, seen } = wrapped(alma, 4, (number, attempt) => number === '3' && attempt === 1, inSuccess);
    const { outcome } = await run(target, invoices, { concurrency: 8 });
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    expect(seen.mostAfterRefusal).toBe(1);
    expectEachLineOnce(alma, invoices);
  });

  it('refused again alone: the invoice fails with that line named, as a refusal always did', async () => {
    const alma = new FakeAlma();
    const invoices = [makeInvoice('ACME', 'BIG-1', 10)];
    const { target } = wrapped(alma, 4, (number) => number === '7');
    const { outcome } = await run(target, invoices, { concurrency: 8 });
    const r = outcome.results[0]!;
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ step: 'lines', code: '60255', tracking_id: 'E01-LINE', line: { number: '7' } });
    // The lines that went through are in Alma once each, and in the journal, for the re-run.
    const stored = alma.invoices[0]!.lines.map((l) => l.number).sort((a, b) => Number(a) - Number(b));
    expect(stored).not.toContain('7');
    expect(new Set(stored).size).toBe(stored.length);
    expect(r.lines.filter((l) => l.id !== undefined).map((l) => l.number).sort((a, b) => Number(a) - Number(b))).toEqual(stored);
  });
});

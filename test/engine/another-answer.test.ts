/**
 * Answers that cannot be used:
 * - a write answered with another request's answer (a proxy that mixes answers up on a reused
 *   connection): an id the batch holds for another invoice or line is never written to — the
 *   outcome is unknown, and the invoice or line is looked up by its number.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Invoice } from '../../src/domain/model.js';
import type { RemoteInvoice, RemoteLine, Target } from '../../src/targets/target.js';
import { FakeAlma, makeInvoice } from '../helpers/fake-target.js';
import { runEngine } from '../helpers/engine-run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'another-answer-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Each invoice once, each of its lines once, processed once. */
function expectExactlyOnce(alma: FakeAlma, invoices: Invoice[]): void {
  for (const inv of invoices) {
    const stored = alma.invoices.filter((s) => s.vendor === inv.key.vendor && s.number === inv.key.number);
    expect(stored, `${inv.key.number} stored once`).toHaveLength(1);
    expect(stored[0]!.lines.map((l) => l.number).sort(), `${inv.key.number} lines`).toEqual(inv.lines.map((l) => l.number).sort());
    expect(stored[0]!.processCount, `${inv.key.number} processed once`).toBe(1);
  }
}

describe('engine: a create answered with another invoice\'s answer', () => {
  /** G-24131's create is made in Alma, but its answer is the one G-24118's create got (replayed by a proxy). */
  function replaying(alma: FakeAlma, shape: (a: RemoteInvoice) => RemoteInvoice): Target {
    const base = alma.target();
    let first: RemoteInvoice | undefined;
    return {
      ...base,
      async createInvoice(inv) {
        const made = await base.createInvoice(inv);
        first ??= made;
        return inv.key.number === 'G-24131' ? shape(first) : made;
      },
    };
  }

  it.each([
    ['as it was', (a: RemoteInvoice) => a],
    ['without number and vendor', (a: RemoteInvoice) => ({ ...a, number: '', vendor: '' })],
  ] as const)('(%s): G-24131 is looked up by number, its line goes to its own invoice, each is processed once', async (_what, shape) => {
    const alma = new FakeAlma();
    const invoices = [makeInvoice('ACME', 'G-24118', 1), makeInvoice('ACME', 'G-24131', 1)];
    const { outcome, events } = await runEngine(replaying(alma, shape), invoices, join(dir, 'j.jsonl'));
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    expect(outcome.results.map((r) => r.id)).toEqual(alma.invoices.map((s) => s.id));
    expectExactlyOnce(alma, invoices);
    expect(events.filter((e) => e.type === 'reconcile').map((e) => e.key.number)).toEqual(['G-24131']);
  });
});

describe("engine: a line answered with another line's answer", () => {
  /** The answer to `number` of `invoice` is the one an earlier line got (the line itself is added). */
  function replayingLine(alma: FakeAlma, invoice: string, number: string, from: (answers: Map<string, RemoteLine>) => RemoteLine): Target {
    const base = alma.target();
    const answers = new Map<string, RemoteLine>();
    return {
      ...base,
      async addChild(id, key, inv) {
        const made = await base.addChild(id, key, inv);
        const replayed = inv.key.number === invoice && key === number ? from(answers) : made;
        answers.set(`${inv.key.number}#${key}`, made);
        return replayed;
      },
    };
  }

  it.each([
    ["its own invoice's line 1", (a: Map<string, RemoteLine>) => a.get('G-24131#1')!],
    ["another invoice's line 1", (a: Map<string, RemoteLine>) => a.get('G-24118#1')!],
  ] as const)('(%s): the line is found by its number and journaled under its own id, nothing added twice', async (_what, from) => {
    const alma = new FakeAlma();
    const invoices = [makeInvoice('ACME', 'G-24118', 1), makeInvoice('ACME', 'G-24131', 2)];
    const path = join(dir, 'j.jsonl');
    const { outcome } = await runEngine(replayingLine(alma, 'G-24131', '2', from), invoices, path);
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded', 'loaded']);
    expectExactlyOnce(alma, invoices);
    const stored = alma.invoices[1]!.lines.map((l) => ({ number: l.number, id: l.id }));
    expect(outcome.results[1]!.lines).toEqual(stored);
  });
});

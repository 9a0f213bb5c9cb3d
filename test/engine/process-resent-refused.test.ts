/**
 * A process request whose answer was lost, sent again and refused: the refusal (Alma's 60260 for
 * an invoice whose processing is already under way) settles nothing of the first send, which may
 * still take effect. As engine/operations.ts `resentUnknown` does for export and payments.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeAlma, makeInvoice } from '../helpers/fake-target.js';
import { runEngine } from '../helpers/engine-run.js';
import { refusalKind } from '../../src/engine/result.js';
import type { Target } from '../../src/targets/target.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-resent-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const poll = { initialMs: 1, maxIntervalMs: 1, timeoutMs: 3, unknownMs: 3 };
const entries = (path: string): { t: string; step?: string; rewatch?: boolean }[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { t: string; step?: string });

describe('engine: a lost process answer, then the send again refused', () => {
  it('fails OUTCOME_UNKNOWN with the refusal in its words, keeps the intent pending, and the re-run watches before sending: processed once', async () => {
    const alma = new FakeAlma();
    // The first request is applied and its answer lost; Alma still processes it, so the second
    // is refused (the fake's 60260 for an invoice no longer new).
    alma.processReads = 1_000;
    alma.faults = [{ method: 'processInvoice', call: 1, kind: 'lost' }];
    const path = join(dir, 'j.jsonl');
    const inv = [makeInvoice('ACME', 'INV-1', 1)];
    const first = (await run(alma.target(), inv, path)).outcome.results[0]!;
    expect(alma.log.filter((l) => l.startsWith('processInvoice'))).toHaveLength(2);
    expect(first).toMatchObject({ status: 'failed', error: { step: 'process', code: 'OUTCOME_UNKNOWN', http_status: 0 } });
    expect(first.error!.message).toContain('HTTP 400, 60260: Failed to start invoice process');
    expect(refusalKind(first.error!)).toBe('transient');
    const journal = entries(path);
    expect(journal.filter((e) => e.t === 'refused')).toEqual([]);
    expect(journal.at(-1)).toMatchObject({ t: 'failed', rewatch: true });

    // Re-run at once: Alma finishes while it is watched — nothing is sent again.
    alma.invoices[0]!.settlesAfterReads = 3;
    alma.log = [];
    const again = (await run(alma.target(), inv, path)).outcome.results[0]!;
    expect(alma.log.filter((l) => l.startsWith('processInvoice'))).toEqual([]);
    expect(again.status).toBe('loaded');
    expect(alma.invoices[0]!.processCount).toBe(1);
  });

  it('is done when the read after the refusal shows the invoice processed: loaded, no failure', async () => {
    const alma = new FakeAlma();
    alma.processReads = 1_000;
    alma.faults = [{ method: 'processInvoice', call: 1, kind: 'lost' }];
    const base = alma.target();
    let sends = 0;
    // The first request's processing shows by the read after the second is refused.
    const target: Target = {
      ...base,
      finalize: (id, invoice) => {
        if (++sends === 2) alma.invoices[0]!.settlesAfterReads = 1;
        return base.finalize!(id, invoice);
      },
    };
    const path = join(dir, 'j.jsonl');
    const r = (await run(target, [makeInvoice('ACME', 'INV-1', 1)], path)).outcome.results[0]!;
    expect(sends).toBe(2);
    expect(r.status).toBe('loaded');
    expect(r.error).toBeUndefined();
    expect(alma.invoices[0]!.processCount).toBe(1);
    expect(entries(path).filter((e) => e.t === 'refused' || e.t === 'failed')).toEqual([]);
  });
});

const run = (target: Target, invoices: ReturnType<typeof makeInvoice>[], path: string) => runEngine(target, invoices, path, { poll });

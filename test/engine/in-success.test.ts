/**
 * A write answered with the target's error document under a 2xx, with a code (Alma's
 * `errorsExist`, `ApiError.inSuccess`): a definite refusal as its 4xx twin is
 * (docs/alma.md#errors-error-codes-and-alerts) — journaled refused, counted by --max-errors,
 * a business refusal in the report, not an unknown outcome.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../src/common/errors.js';
import { refusalKind } from '../../src/engine/result.js';
import type { Target } from '../../src/targets/target.js';
import { FakeAlma, makeInvoice } from '../helpers/fake-target.js';
import { journalAt, runEngine } from '../helpers/engine-run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'in-success-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** FakeAlma's target, every line answered 200 with Alma's error document 402459. */
function refusingLines(alma: FakeAlma): Target {
  const base = alma.target();
  return {
    ...base,
    addChild: async () => {
      throw new ApiError({ httpStatus: 200, inSuccess: true, code: '402459', message: 'an error answered with HTTP 200: Invoice line not valid', trackingId: 'E01-LINE' });
    },
  };
}

describe('a line answered 200 with an error document that has a code', () => {
  it('is a business refusal, journaled refused (no pending line intent), a refused write, counted by --max-errors', async () => {
    const alma = new FakeAlma();
    const path = join(dir, 'j.jsonl');
    const invoices = [1, 2, 3, 4].map((n) => makeInvoice('ACME', `INV-${n}`, 1));
    const { outcome, events } = await runEngine(refusingLines(alma), invoices, path, { concurrency: 1, maxErrors: 3, canary: false });
    expect(outcome.results.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'not_started']);
    const r = outcome.results[0]!;
    expect(r.error).toMatchObject({ step: 'lines', http_status: 200, code: '402459', in_success: true });
    expect(refusalKind(r.error!)).toBe('business');
    expect(outcome.stopped?.reason).toBe('max_errors');
    expect(events.find((e) => e.type === 'stopping')).toMatchObject({ message: expect.stringMatching(/refused 3 invoices in a row with 402459 .*--max-errors 3/) });
    expect(events.flatMap((e) => (e.type === 'write' && e.step === 'lines' ? [e.outcome] : []))).toEqual(['refused', 'refused', 'refused']);
    const j = journalAt(path);
    try {
      for (const inv of invoices.slice(0, 3)) expect(j.state(inv.key).linesPending.size, inv.key.number).toBe(0);
    } finally {
      j.close();
    }
  });
});

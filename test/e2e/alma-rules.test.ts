/**
 * One batch that exercises every rule of Alma's that the loader foresees (fixtures/alma-rules):
 * what `--dry-run --online` predicts for each invoice — refused, to review with which alerts, or
 * clean — is what the sandbox then does when the batch is sent unchecked (`--check none`); and a
 * load with the default checks refuses the batch before any write (exit 3), or with
 * `--skip-invalid` sends nothing for the refused invoices and loads the others.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';
import { PREDICTED_ALERTS } from '../../src/targets/alma/preflight-rules.js';

const BATCH = join(ROOT, 'fixtures/alma-rules/batch.csv');
const SEED = join(ROOT, 'fixtures/alma-rules/sandbox-seed.json');

/** Invoices with a line that names no PO line: Alma raises NOT_LINKED_LINES for them. */
const UNLINKED = new Set(
  readFileSync(BATCH, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((r) => r.split(','))
    .filter((c) => c[9] === '')
    .map((c) => c[0]!),
);

type Verdict = string; // 'refused' | 'review:A,B' | 'clean'

let w: World;
beforeEach(async () => {
  w = await world({ seed: SEED });
});
afterEach(async () => {
  await w.close();
});

describe('Alma rules: the prediction is what the sandbox does', () => {
  it('every invoice of the rules batch: predicted refused / review with alerts / clean = the sandbox outcome', async () => {
    const dry = await w.load(['--dry-run', '--online', BATCH]);
    expect(dry.code, dry.stderr).toBe(3);
    const predicted = new Map<string, Verdict>();
    for (const inv of dry.report!.invoices) {
      if (inv.status === 'invalid') {
        predicted.set(inv.number, 'refused');
        continue;
      }
      const alerts = new Set(inv.issues.flatMap((p) => (PREDICTED_ALERTS[p.code] !== undefined ? [PREDICTED_ALERTS[p.code]!] : [])));
      if (UNLINKED.has(inv.number)) alerts.add('NOT_LINKED_LINES');
      predicted.set(inv.number, alerts.size > 0 ? `review:${[...alerts].sort().join(',')}` : 'clean');
    }
    // Every kind of outcome is in the batch.
    expect(new Set([...predicted.values()].map((v) => v.split(':')[0]))).toEqual(new Set(['refused', 'review', 'clean']));

    const sent = await w.load(['--check', 'none', BATCH], { stateDir: join(w.dir, 'unchecked') });
    const actual = new Map<string, Verdict>();
    for (const inv of sent.report!.invoices) {
      if (inv.status === 'failed') actual.set(inv.number, 'refused');
      else if (inv.status === 'in_review') actual.set(inv.number, `review:${inv.alerts.map((a) => a.code).sort().join(',')}`);
      else if (inv.status === 'loaded') actual.set(inv.number, 'clean');
      else actual.set(inv.number, inv.status);
    }
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(predicted));
    // The refusals carry Alma's codes: 60249 for the continuous PO line, 60248, 60254.
    const codes = new Set(sent.report!.invoices.flatMap((i) => (i.error !== undefined ? [i.error.code] : [])));
    expect(codes).toEqual(new Set(['60249', '60248', '60254']));
  }, 120_000);

  it('a load with the default checks refuses the batch before any write (exit 3)', async () => {
    const res = await w.load([BATCH]);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).toMatch(/Nothing was written to Alma: it would refuse 7 invoices/);
    const cont = res.report!.invoices.find((i) => i.number === 'R-CONT')!;
    expect(cont.issues.map((p) => [p.code, p.row, p.column])).toEqual([['po_line_subscription_dates', 2, 'subscription_from_date']]);
    expect(w.sandbox.state().counters.created).toEqual({});
    expect(w.sandbox.state().counters.requests['POST create'] ?? 0).toBe(0);
  }, 60_000);

  it('with --skip-invalid the refused invoices are not sent and the others load', async () => {
    const res = await w.load(['--skip-invalid', BATCH]);
    // 4, as for any invalid invoice left behind with --skip-invalid (README "Exit codes").
    expect(res.code, res.stderr).toBe(4);
    const created = w.sandbox.state().counters.created;
    const sentNumbers = Object.values(created).flatMap((byNumber) => Object.keys(byNumber)).sort();
    expect(sentNumbers).toEqual(['R-ACCOUNT', 'R-CLEAN', 'R-CONT-INFO', 'R-CONT-OK', 'R-PRICE', 'R-UNLINKED']);
    expect(res.report!.summary).toMatchObject({ invalid: 7, failed: 0 });
  }, 60_000);
});

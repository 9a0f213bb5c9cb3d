/**
 * An invoice Alma already holds under the same vendor and number with another total is found
 * before the first write, like every other problem: it used to be found only when its vendor's
 * listing was read, after the first vendor's invoices had been written (README "Online preflight").
 * The default seed holds EBS-8841-24 of EBSCO (95.00); the sample batch's first vendor is GOBI.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** The sample batch with EBS-8841-24 (EBSCO) added, at 96.00 against the 95.00 Alma holds; its row is the last. */
function batchWithConflict(dir: string): { file: string; row: number } {
  const sample = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'), 'utf8').trimEnd();
  const file = join(dir, 'conflict.csv');
  writeFileSync(file, `${sample}\nEBS-8841-24,2024-12-02,EBSCO,EBSCO-SUB,USD,ACCOUNTINGDEPARTMENT,96.00,,,,,,1,OTHER,,96.00,1,,,SERIALS,,96.00,Service charge 2025\n`);
  return { file, row: sample.split('\n').length + 1 };
}

describe('an invoice Alma holds with another total', () => {
  for (const check of ['default', 'none']) {
    it(`is reported with its row before any write, and nothing is sent (exit 3, --check ${check})`, async () => {
      w = await world();
      const { file, row } = batchWithConflict(w.dir);
      const res = await w.load(['--check', check, file]);
      expect(res.code, res.stderr).toBe(3);
      expect(res.stderr).toContain('Nothing was written to Alma: it already holds 1 invoice with another total');
      const bad = res.report!.invoices.find((i) => i.number === 'EBS-8841-24')!;
      expect(bad.status).toBe('invalid');
      expect(bad.issues).toEqual([expect.objectContaining({ severity: 'error', row, column: 'invoice_number', code: 'invoice_exists' })]);
      expect(bad.issues[0]!.message).toMatch(/already holds invoice EBS-8841-24 of vendor EBSCO \(id \d+.*\) with total 95\.00, this file says 96\.00/);
      const state = w.sandbox.state();
      expect(state.invoices.filter((i) => i.origin === 'api')).toEqual([]);
      expect(Object.keys(state.counters.created)).toEqual([]);
      if (check === 'default') {
        // The checks' summary counts the load's look-ups, and its estimate leaves the held invoice out.
        expect(res.report!.preflight!.checked.invoices).toBe(8);
        // Its read-only requests are every request of the run: the checks' and the look-ups'.
        expect(res.report!.preflight!.requests).toBe(res.report!.summary.requests);
        expect(res.report!.preflight!.estimate).toMatchObject({ invoices: 7, lines: 14, requests: { create: 7, lines: 14, process: 7, polls: 7, total: 35 } });
      }
    });
  }

  it('with --skip-invalid the others load and Alma\'s invoice is left as it was', async () => {
    w = await world();
    const { file } = batchWithConflict(w.dir);
    const res = await w.load(['--skip-invalid', file]);
    expect(res.stderr).toContain('1 invoice will not be sent: Alma already holds 1 invoice with another total (--skip-invalid)');
    const statuses = Object.fromEntries(res.report!.invoices.map((i) => [i.number, i.status]));
    expect(statuses['EBS-8841-24']).toBe('invalid');
    expect(Object.values(statuses).filter((s) => s === 'loaded' || s === 'in_review')).toHaveLength(7);
    const held = w.sandbox.state().invoices.filter((i) => i.number === 'EBS-8841-24');
    expect(held).toHaveLength(1);
    expect(held[0]!.origin).not.toBe('api');
  });
});

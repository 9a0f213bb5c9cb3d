/**
 * A small batch gets every check before its first write: the per-invoice budget of the default
 * checks would skip the vendor look-ups of a 7-invoice file (4 look-ups > 0.5 × 7), so a
 * misspelt vendor code used to be refused at create, after the other invoices were sent.
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

describe('the default checks on a small batch', () => {
  it('a misspelt vendor in the sample batch: refused before any write, with its row and column (exit 3)', async () => {
    w = await world();
    const file = join(w.dir, 'typo.csv');
    // HARRAS → HARASS on both rows of HA-2025-00430.
    const sample = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'), 'utf8');
    writeFileSync(file, sample.replace(/^(HA-2025-00430,[^,]*,)HARRAS,/gm, '$1HARASS,'));
    const res = await w.load([file]);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).not.toContain('not checked before sending');
    const bad = res.report!.invoices.find((i) => i.number === 'HA-2025-00430')!;
    expect(bad.vendor).toBe('HARASS');
    expect(bad.issues).toContainEqual(expect.objectContaining({ severity: 'error', column: 'vendor', code: 'vendor_not_found' }));
    expect(bad.issues[0]!.row).toBe(9);
    // Nothing was written: no invoice created, the requests all reads.
    const state = w.sandbox.state();
    expect(state.invoices.filter((i) => i.origin === 'api')).toEqual([]);
    expect(Object.keys(state.counters.created)).toEqual([]);
  });
});

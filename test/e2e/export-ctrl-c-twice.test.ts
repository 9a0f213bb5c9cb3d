// Ctrl-C twice while export reads its invoices again after claiming them (each a GET against an
// Alma that answers slowly): the second abandons the reads in flight — an interrupt, exit 130 with
// one plain line, never "internal error … a bug" (README "Exit codes"). Nothing is marked.
import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';

const BATCH = 'fixtures/round-trip/batch.csv';
const PRELOAD = fileURLToPath(new URL('../helpers/interrupt-preload.cjs', import.meta.url));
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});
const marks = (w: World): number => Object.values(w.sandbox.state().counters.erpOps).reduce((n, o) => n + (o['mark_in_erp'] ?? 0), 0);

describe('export: Ctrl-C twice during the reads after the claim', () => {
  it('is exit 130 with one line, not an internal error; nothing marked', async () => {
    w = await world({ latencyMs: 300 });
    const load = await w.load([BATCH]);
    expect(load.code, load.stderr).toBe(0);
    const res = await runCli(['export', '--mark-in-erp', '-o', join(w.dir, 'c.csv'), '--rate', '200', '--concurrency', '1'], {
      env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: w.stateDir, NODE_OPTIONS: `--require ${PRELOAD}`, INT_TWICE: '1' },
    });
    expect(res.stderr).not.toMatch(/internal error|a bug/);
    expect(res.stderr).toMatch(/stopped at once \(Ctrl-C twice\)/);
    expect(res.code, res.stderr).toBe(130);
    expect(marks(w)).toBe(0);
  });
});

/**
 * --quiet for cron's mail-on-output (review: cron, item 3): a load that went well prints
 * nothing at all; one with something to look at still prints its summary (no stray blank line
 * first); --json --quiet keeps the document it asked for. And --json's "nothing was sent" points
 * at the report's issues, the only place its problems are.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { sampleSubset, world, type World } from '../helpers/sandbox.js';

let w: World;
beforeAll(async () => {
  w = await world();
});
afterAll(async () => w?.close());

const quietLoad = (args: string[]) =>
  runCli(['--quiet', '--rate', '200', '--poll-timeout', '5', ...args], { env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: w.stateDir } });

describe('--quiet', () => {
  it('a load where every invoice is loaded, and its re-run (all already loaded): nothing on stdout or stderr, exit 0', async () => {
    const file = sampleSubset(w.dir, ['HARRAS'], 'harras.csv');
    const first = await quietLoad([file]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toBe('');
    const again = await quietLoad([file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe('');
    // --json --quiet: the document it asked for, still.
    const json = await quietLoad(['--json', file]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).summary.already_loaded).toBeGreaterThan(0);
  });

  it('an invoice in review is worth a look: the summary line, without a blank line before it', async () => {
    const r = await quietLoad([sampleSubset(w.dir, ['GOBI'], 'gobi.csv')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d+ invoices, \d+ lines: \d+ loaded, 1 in review\. /);
  });
});

it('--json with an invalid batch: the stderr line points at the report, not at problems "above" it does not print', async () => {
  const bad = join(w.dir, 'bad.csv');
  writeFileSync(bad, 'invoice_number,vendor\nX-1,\n');
  const load = await runCli(['--json', bad], { env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: w.stateDir } });
  expect(load.code, load.stderr).toBe(3);
  // Its one row has no vendor, so no invoice is valid (and --skip-invalid is not suggested).
  expect(load.stderr).toContain("Nothing was sent: no invoice in the file is valid; fix the problems listed in the report (its issues and each invoice's issues).");
  expect(load.stderr).not.toContain('problems above');
});

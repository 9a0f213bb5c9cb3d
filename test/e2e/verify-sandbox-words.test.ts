/**
 * `verify --sandbox` only reads: its start line says so, not the load's "loading into the
 * embedded sandbox", which read as if verify wrote to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'verify-words-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('invoice-load verify --sandbox', () => {
  it.each([
    ['alma', 'fixtures/valid-small.csv', 'the embedded sandbox'],
    ['exsited', 'fixtures/exsited-sample.csv', 'the embedded Exsited sandbox'],
  ])('%s: says it reads the sandbox, not that it loads into it', async (target, file, named) => {
    const stateDir = join(dir, target);
    const r = await runCli(['verify', '--sandbox', '--target', target, file], { env: { INVOICE_LOAD_STATE_DIR: stateDir } });
    expect(r.stderr).not.toMatch(/loading into/);
    expect(r.stderr).toContain(`verifying against ${named} (read-only; state in ${join(stateDir, 'sandbox')}`);
  });
});

/**
 * Mistakes in setting up a sandbox — a port out of range, a seed file missing or broken, a
 * corrupt state file — are the user's to put right: one plain line naming the option or file and
 * what to do, exit 2 (README "Exit codes"), never "internal error … This is a bug".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sandbox-setup-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const notABug = (r: { stderr: string }): void => {
  expect(r.stderr).not.toMatch(/internal error|This is a bug/);
  expect(r.stderr).not.toMatch(/^\s+at /m);
};

describe('invoice-load sandbox: set-up mistakes are configuration errors (exit 2)', () => {
  it('--port 99999 names the option and its range', async () => {
    const r = await runCli(['sandbox', '--port', '99999']);
    expect(r.code, r.stderr).toBe(2);
    notABug(r);
    expect(r.stderr).toMatch(/^invoice-load: --port must be a whole number from 0 to 65535 \(0 picks a free one\), not "99999"$/m);
  });

  it('--seed naming no file says which file and what to give', async () => {
    const r = await runCli(['sandbox', '--port', '0', '--seed', join(dir, 'nonexistent.json')]);
    expect(r.code, r.stderr).toBe(2);
    notABug(r);
    expect(r.stderr).toContain(`invoice-load: cannot read the sandbox seed ${join(dir, 'nonexistent.json')}: no such file or folder`);
    expect(r.stderr).toMatch(/--seed/);
  });

  it("another target's sandbox (--target exsited): --seed naming no file is the same configuration error", async () => {
    const r = await runCli(['sandbox', '--target', 'exsited', '--port', '0', '--seed', join(dir, 'nonexistent.json')]);
    expect(r.code, r.stderr).toBe(2);
    notABug(r);
    expect(r.stderr).toContain(`invoice-load: cannot read the sandbox seed ${join(dir, 'nonexistent.json')}: no such file or folder`);
  });

  it('a seed that is not JSON, or not a seed, names the file', async () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"vendors": [');
    const r = await runCli(['sandbox', '--port', '0', '--seed', broken]);
    expect(r.code, r.stderr).toBe(2);
    notABug(r);
    expect(r.stderr).toContain(`invoice-load: cannot read the sandbox seed ${broken}: it is not valid JSON`);
    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, '{"vendors": 3}');
    const w = await runCli(['sandbox', '--port', '0', '--seed', wrong]);
    expect(w.code, w.stderr).toBe(2);
    notABug(w);
    expect(w.stderr).toContain(`invoice-load: the sandbox seed ${wrong} is not a valid seed`);
  });
});

describe('invoice-load --sandbox: a corrupt sandbox state file is a configuration error (exit 2)', () => {
  it('names the file and says to move it away', async () => {
    const stateDir = join(dir, 'state');
    mkdirSync(join(stateDir, 'sandbox'), { recursive: true });
    const state = join(stateDir, 'sandbox', 'state.json');
    writeFileSync(state, '{"version": 1, "invoices": [');
    const r = await runCli(['--sandbox', 'fixtures/valid-small.csv'], { env: { INVOICE_LOAD_STATE_DIR: stateDir } });
    expect(r.code, r.stderr).toBe(2);
    notABug(r);
    expect(r.stderr).toContain(`invoice-load: the sandbox state file ${state} is not valid JSON`);
    expect(r.stderr).toMatch(/move it away or delete it/);
  });

  it('a state file that cannot be read (a folder where the file should be) names it too, for Alma and another target', async () => {
    const stateDir = join(dir, 'folder-state');
    const state = join(stateDir, 'sandbox', 'state.json');
    mkdirSync(state, { recursive: true });
    const r = await runCli(['--sandbox', 'fixtures/valid-small.csv'], { env: { INVOICE_LOAD_STATE_DIR: stateDir } });
    expect(r.code, r.stderr).toBe(2);
    notABug(r);
    expect(r.stderr).toContain(`invoice-load: cannot read the sandbox state file ${state}:`);
    expect(r.stderr).toMatch(/move it away or delete it/);
    const other = join(stateDir, 'sandbox', 'exsited-state.json');
    mkdirSync(other, { recursive: true });
    const e = await runCli(['--sandbox', '--target', 'exsited', 'fixtures/exsited-sample.csv'], { env: { INVOICE_LOAD_STATE_DIR: stateDir } });
    expect(e.code, e.stderr).toBe(2);
    notABug(e);
    expect(e.stderr).toContain(`invoice-load: cannot read the sandbox state file ${other}:`);
  });

  it("another target's sandbox (--target exsited) says the same of its state file", async () => {
    const stateDir = join(dir, 'exsited-state');
    mkdirSync(join(stateDir, 'sandbox'), { recursive: true });
    const state = join(stateDir, 'sandbox', 'exsited-state.json');
    writeFileSync(state, '{"version": 1, "tar');
    const r = await runCli(['--sandbox', '--target', 'exsited', 'fixtures/exsited-sample.csv'], { env: { INVOICE_LOAD_STATE_DIR: stateDir } });
    expect(r.code, r.stderr).toBe(2);
    notABug(r);
    expect(r.stderr).toContain(`invoice-load: the sandbox state file ${state} is not valid JSON`);
  });
});

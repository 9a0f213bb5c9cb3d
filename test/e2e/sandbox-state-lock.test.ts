/**
 * One embedded sandbox per state file at a time (review: cron user, item 5): each reads the whole
 * state file when it starts and writes it back whole, so of two overlapping `--sandbox` runs on
 * one state dir the later write lost the other's invoices — whose journal then said "already
 * loaded". The state is held under a lock (engine/lock.ts); a second run stops with exit 2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const SAMPLE = join(ROOT, 'fixtures/sample-batch.csv');
const lockJs = pathToFileURL(join(ROOT, 'dist/engine/lock.js')).href;
let holder: ChildProcess | undefined;
let dir: string | undefined;
afterEach(() => {
  holder?.kill('SIGKILL');
  holder = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Another live run holding `path`'s lock, as a run's embedded sandbox does, until its stdin closes. */
async function holdFrom(path: string): Promise<void> {
  const src = `const { acquireLock } = await import(${JSON.stringify(lockJs)}); const r = acquireLock(${JSON.stringify(path)}); console.log('held'); process.stdin.on('end', () => { r(); process.exit(0); }); process.stdin.resume();`;
  holder = spawn(process.execPath, ['--input-type=module', '-e', src], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder!.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    holder!.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
}

describe('the embedded sandbox holds its state file', () => {
  it('a second --sandbox run on a state dir whose sandbox state another run holds: exit 2 naming that run, the state file untouched', async () => {
    dir = mkdtempSync(join(tmpdir(), 'il-sandbox-lock-'));
    const state = join(dir, 'state');
    mkdirSync(join(state, 'sandbox'), { recursive: true });
    const statePath = join(state, 'sandbox', 'state.json');
    writeFileSync(statePath, '{"the other run":"its state"}');
    await holdFrom(`${statePath}.lock`);
    const res = await runCli(['--sandbox', SAMPLE], { env: { HOME: dir, INVOICE_LOAD_STATE_DIR: state } });
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain(`another invoice-load run (pid ${holder!.pid}, started `);
    expect(res.stderr).toContain(`is working on the sandbox state ${statePath}; wait for it to finish, then run again`);
    expect(readFileSync(statePath, 'utf8')).toBe('{"the other run":"its state"}');
  });

  it('a run lets go of it when it ends: the next run loads, and no lock is left', async () => {
    dir = mkdtempSync(join(tmpdir(), 'il-sandbox-lock-'));
    const state = join(dir, 'state');
    const first = await runCli(['--sandbox', SAMPLE], { env: { HOME: dir, INVOICE_LOAD_STATE_DIR: state } });
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(join(state, 'sandbox', 'state.json.lock'))).toBe(false);
    const again = await runCli(['--sandbox', SAMPLE], { env: { HOME: dir, INVOICE_LOAD_STATE_DIR: state } });
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(join(state, 'sandbox', 'state.json.lock'))).toBe(false);
  });
});

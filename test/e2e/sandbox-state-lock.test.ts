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
import { ROOT, runCli, spawnCli } from '../helpers/cli.js';

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

describe('the standalone sandbox server holds its --state file as --sandbox does', () => {
  /** `invoice-load sandbox --port 0 --state <path>`, up once it says where it listens. */
  async function server(statePath: string, env: Record<string, string>) {
    const s = spawnCli(['sandbox', '--port', '0', '--state', statePath], { env, timeoutMs: 60_000 });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      s.child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('listening on')) resolve();
      });
      s.child.on('exit', (code) => reject(new Error(`the server exited ${code}`)));
    });
    return s;
  }

  it('a --sandbox run on the state a server serves: exit 2 naming the server (stop it, not wait), the state file untouched; a second server the same', async () => {
    dir = mkdtempSync(join(tmpdir(), 'il-sandbox-server-lock-'));
    const state = join(dir, 'state');
    const statePath = join(state, 'sandbox', 'state.json');
    const env = { HOME: dir, INVOICE_LOAD_STATE_DIR: state };
    const s = await server(statePath, env);
    try {
      const before = existsSync(statePath) ? readFileSync(statePath, 'utf8') : undefined;
      const res = await runCli(['--sandbox', SAMPLE], { env });
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain(`an invoice-load sandbox server (pid ${s.child.pid}, started `);
      expect(res.stderr).toContain(`holds the sandbox state ${statePath} until it is stopped; stop it (Ctrl-C where it runs), then run again`);
      expect(existsSync(statePath) ? readFileSync(statePath, 'utf8') : undefined).toBe(before);
      const second = await runCli(['sandbox', '--port', '0', '--state', statePath], { env });
      expect(second.code, second.stderr).toBe(2);
      expect(second.stdout).not.toContain('listening on');
      expect(second.stderr).toContain(`an invoice-load sandbox server (pid ${s.child.pid}, started `);
    } finally {
      s.child.kill('SIGINT');
      await s.done;
    }
    // Stopped, it lets go: no lock is left, and a run loads.
    expect(existsSync(`${statePath}.lock`)).toBe(false);
    const after = await runCli(['--sandbox', SAMPLE], { env });
    expect(after.code, after.stderr).toBe(0);
  });

  it('a server on a state a --sandbox run holds: exit 2 naming that run, nothing served', async () => {
    dir = mkdtempSync(join(tmpdir(), 'il-sandbox-server-lock-'));
    const statePath = join(dir, 'state.json');
    writeFileSync(statePath, '{"the other run":"its state"}');
    await holdFrom(`${statePath}.lock`);
    const res = await runCli(['sandbox', '--port', '0', '--state', statePath], { env: { HOME: dir } });
    expect(res.code, res.stderr).toBe(2);
    expect(res.stdout).not.toContain('listening on');
    expect(res.stderr).toContain(`another invoice-load run (pid ${holder!.pid}, started `);
    expect(res.stderr).toContain(`is working on the sandbox state ${statePath}; wait for it to finish, then run again`);
    expect(readFileSync(statePath, 'utf8')).toBe('{"the other run":"its state"}');
  });
});

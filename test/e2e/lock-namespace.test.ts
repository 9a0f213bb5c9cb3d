/**
 * Two containers of one hostname, each its own pid namespace, sharing a state dir: the holder's
 * pid seen from the other is some other live process, started at another moment. The holder is
 * alive, so its lock holds. Needs `unshare` (a new user and pid namespace); skipped where it fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/cli.js';

const unshare = ['-Urpf', '--mount-proc', '--kill-child']; // --kill-child: killing unshare ends the holder too
const canUnshare = spawnSync('unshare', [...unshare, 'true']).status === 0;
const lockJs = pathToFileURL(join(ROOT, 'dist/engine/lock.js')).href;

let holder: ChildProcess | undefined;
let dir: string | undefined;
afterEach(() => {
  holder?.kill('SIGKILL');
  holder = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Starts the holder, pid 1 in a new pid namespace: it takes the lock, says so, and keeps it until its stdin closes. */
async function holdFrom(path: string): Promise<void> {
  const src = `const { acquireLock } = await import(${JSON.stringify(lockJs)}); const r = acquireLock(${JSON.stringify(path)}); console.log('held'); process.stdin.on('end', () => { r(); process.exit(0); }); process.stdin.resume();`;
  holder = spawn('unshare', [...unshare, process.execPath, '--input-type=module', '-e', src], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder!.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    holder!.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
}

describe('a lock held by a live run in another pid namespace of this host', () => {
  it.skipIf(!canUnshare)('is not taken from here: a second run is refused', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lock-ns-'));
    const path = join(dir, 'j.lock');
    await holdFrom(path);
    const lock = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; pidns?: string };
    expect(lock.pid).toBe(1); // pid 1 in its namespace: here, another live process
    const { acquireLock, lockHolder } = (await import(lockJs)) as typeof import('../../src/engine/lock.js');
    expect(lockHolder(path)).toMatchObject({ pid: 1 });
    expect(() => acquireLock(path)).toThrow(/another invoice-load run \(pid 1, started /);
    holder!.stdin!.end();
  });

  it.skipIf(!canUnshare)('is not taken by a run that is pid 1 too, in a pid namespace of its own: the same pid is another process', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lock-ns-'));
    const path = join(dir, 'j.lock');
    await holdFrom(path);
    const held = readFileSync(path, 'utf8');
    // The second run, pid 1 in another new namespace, says what acquireLock did.
    const src = `const { acquireLock } = await import(${JSON.stringify(lockJs)}); try { acquireLock(${JSON.stringify(path)}); console.log('took, as pid ' + process.pid); } catch (e) { console.log(e.message); }`;
    const second = spawnSync('unshare', [...unshare, process.execPath, '--input-type=module', '-e', src], { encoding: 'utf8' });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/another invoice-load run \(pid 1, started .* from another pid namespace or boot of this host/);
    expect(readFileSync(path, 'utf8')).toBe(held);
    holder!.stdin!.end();
  });
});

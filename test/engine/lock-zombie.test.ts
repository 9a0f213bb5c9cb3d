/**
 * A lock holder killed and not reaped yet is a zombie: kill(pid, 0) still succeeds on it, so its
 * journal or sandbox-state lock stayed held. On Linux, /proc/<pid>/stat's state (field 3) Z or X
 * is no run (engine/lock.ts pidAlive); where /proc is absent, kill alone decides.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockHolder, pidAlive, procState, whereHere } from '../../src/engine/lock.js';

let dir: string;
let parent: ChildProcess | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lock-zombie-'));
});
afterEach(() => {
  if (parent?.pid !== undefined && parent.exitCode === null) process.kill(parent.pid, 'SIGKILL');
  parent = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('pidAlive with the /proc reader given', () => {
  // This test process lives: kill(pid, 0) succeeds; the state read decides.
  const me = process.pid;
  it.each([
    ['a sleeping process', `${me} (node) S 1 2 3`, true],
    ['a running one', `${me} (node) R 1 2 3`, true],
    ['a zombie', `${me} (node) Z 1 2 3`, false],
    ['a dead one', `${me} (node) X 1 2 3`, false],
    ['a zombie whose name holds ") S ("', `${me} (a) S (b) Z 1 2 3`, false],
    ['no /proc (kill decides)', undefined, true],
    ['an unreadable stat (kill decides)', 'garbage', true],
  ])('%s', (_what, stat, alive) => {
    expect(pidAlive(me, () => stat)).toBe(alive);
  });

  it('the state letter is field 3, after the last ")"', () => {
    expect(procState('42 (sleep) Z 1')).toBe('Z');
    expect(procState('42 (we) ird) D 1')).toBe('D');
    expect(procState(undefined)).toBeUndefined();
  });
});

describe.skipIf(!existsSync('/proc/self/stat'))('a killed holder not reaped yet (Linux)', () => {
  it('is not alive, and its lock is no one\'s', async () => {
    // `sleep 0` exits at once; its parent execs into `sleep 30`, which never waits for it: a zombie.
    parent = spawn('bash', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const zombie = Number(
      await new Promise<string>((resolve) => {
        let out = '';
        parent!.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.trim());
        });
      }),
    );
    expect(zombie).toBeGreaterThan(0);
    // Until the child has exited (a condition, no time asserted).
    const state = (): string | undefined => /\) (\w) /.exec(readFileSync(`/proc/${zombie}/stat`, 'utf8'))?.[1];
    while (state() !== 'Z') await new Promise((r) => setTimeout(r, 5));
    // kill(pid, 0) alone says alive.
    expect(() => process.kill(zombie, 0)).not.toThrow();
    const lock = join(dir, 'j.jsonl.lock');
    writeFileSync(lock, JSON.stringify({ pid: zombie, host: hostname(), started: new Date().toISOString(), ...whereHere() }));
    expect(lockHolder(lock)).toBeUndefined();
    expect(pidAlive(zombie)).toBe(false);
  });
});

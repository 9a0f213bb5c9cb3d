import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, holderLives, lockHolder, STALE_MS, whereHere } from '../../src/engine/lock.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lock-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

// Two containers of one hostname sharing a state dir, each run pid 1 in its own pid namespace:
// the holder's pid is the reader's own, and says nothing of the holder.
describe('holderLives: the reader\'s own pid in a lock of another pid namespace or boot', () => {
  const here = { pid: 1, pidns: 'pid:[4026531836]', boot: 'b-1' };
  const lock = { pid: 1, pstart: '5000', pidns: here.pidns, boot: here.boot };
  it.each([
    ['another pid namespace: held (its pid 1 is another process than ours)', { ...lock, pidns: 'pid:[4026532176]' }, { alive: true, pstart: '5000' }, true],
    ['another boot: held', { ...lock, boot: 'b-2' }, { alive: true, pstart: '5000' }, true],
    ['another pid namespace, only the namespace recorded: held', { pid: 1, pidns: 'pid:[4026532176]' }, { alive: true }, true],
    ['another pid namespace, its pid not alive here: held (alive or not, here is not there)', { ...lock, pid: 7, pidns: 'pid:[4026532176]' }, { alive: false }, true],
    ['the same namespace and boot: a dead run whose pid was reused (as before)', lock, { alive: true, pstart: '5000' }, false],
    ['an old lock, without namespace or boot: as before, gone', { pid: 1 }, { alive: true }, false],
  ] as const)('%s', (_name, held, seen, lives) => {
    expect(holderLives(held, here, seen)).toBe(lives);
  });
});

describe('acquireLock: a lock of this host in another pid namespace, under the reader\'s own pid', () => {
  it('is held while its run keeps it fresh, and taken over once silent for STALE_MS, as another host\'s', () => {
    const path = join(dir, 'j.lock');
    const other = { pid: process.pid, host: hostname(), started: '2026-12-05T20:00:00.000Z', pidns: 'pid:[1]', boot: whereHere().boot };
    writeFileSync(path, JSON.stringify(other));
    const t0 = statSync(path).mtime;
    const at = (ms: number) => () => new Date(t0.getTime() + ms);
    expect(lockHolder(path, at(STALE_MS - 1000)())).toEqual(other);
    expect(() => acquireLock(path, at(STALE_MS - 1000))).toThrow(
      /another invoice-load run \(pid \d+, started 2026-12-05T20:00:00.000Z\) is working on this batch from another pid namespace or boot of this host.*one silent for 10 minutes is taken over/,
    );
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(other);
    expect(lockHolder(path, at(STALE_MS + 1000)())).toBeUndefined();
    const release = acquireLock(path, at(STALE_MS + 1000));
    expect(release.tookOver).toMatchObject({ ...other, silentMs: expect.any(Number) });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, ...whereHere() });
    release();
  });
});

describe('acquireLock: its file before the link', () => {
  // Each run pid 1 in its own container: the other's lock file, being written beside the lock
  // under the same pid, must be neither rewritten nor removed by this run.
  it('is its own, not one another run of the same pid may be writing', () => {
    const path = join(dir, 'j.lock');
    const theirs = `${path}.${process.pid}.tmp`;
    const other = JSON.stringify({ pid: process.pid, host: hostname(), started: '2026-12-05T20:00:00.000Z', pidns: 'pid:[1]' }) + '\n';
    writeFileSync(theirs, other);
    const release = acquireLock(path);
    expect(readFileSync(theirs, 'utf8')).toBe(other);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, ...whereHere() });
    release();
  });
});

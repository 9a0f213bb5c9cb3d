import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, holderLives, lockHolder, processStart, STALE_MS, whereHere, type LockSeam } from '../../src/engine/lock.js';

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

// Two runs that both judge one stale lock gone must not both take it: the first takes it over,
// the second — its judgement made before — must find the first's lock, not remove it. The other
// run here is a live process (this test's parent), its steps done by hand at the seam.

/** A run that made its takeover claim of the lock at `path` and was killed there: its claim's path. */
function killedWhileClaiming(path: string): string {
  let claimed: string | undefined;
  expect(() =>
    acquireLock(path, undefined, 'this batch', (step, claim) => {
      if (step !== 'claimed') return;
      claimed = claim;
      throw new Error('killed');
    }),
  ).toThrow('killed');
  return claimed!;
}
describe('acquireLock: a stale lock taken over by two runs at once', () => {
  const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
  const stale = (): string => JSON.stringify({ pid: deadPid(), host: hostname(), started: 'killed' }) + '\n';
  const live = (started: string): string =>
    JSON.stringify({ pid: process.ppid, host: hostname(), started, pstart: processStart(process.ppid), ...whereHere() }) + '\n';
  /** What the other run does to take the lock over: the stale file gone, its own linked in its place. */
  const otherTakesOver = (path: string, started: string): void => {
    unlinkSync(path);
    writeFileSync(`${path}.other`, live(started));
    linkSync(`${path}.other`, path);
    unlinkSync(`${path}.other`);
  };
  const left = (): string[] => readdirSync(dir).filter((f) => f !== 'j.lock');

  it('the other run taking it over after this one judged it stale: this one is refused, the other\'s lock kept', () => {
    const path = join(dir, 'j.lock');
    writeFileSync(path, stale());
    const seam: LockSeam = (step) => {
      if (step === 'judged') otherTakesOver(path, 'other');
    };
    expect(() => acquireLock(path, undefined, 'this batch', seam)).toThrow(/another invoice-load run \(pid \d+, started other\) is working on this batch/);
    expect(readFileSync(path, 'utf8')).toBe(live('other'));
    expect(left()).toEqual([]);
  });

  it('while another live run holds its claim to take it over: refused, the lock left to it', () => {
    const path = join(dir, 'j.lock');
    const before = stale();
    writeFileSync(path, before);
    let refused: unknown;
    const seam: LockSeam = (step, claim) => {
      if (step !== 'claimed') return;
      // The claim is another live run's (not this process's, which would read as a killed run of our pid).
      unlinkSync(claim);
      writeFileSync(claim, live('claimant'));
      try {
        acquireLock(path);
      } catch (err) {
        refused = err;
      }
      expect(readFileSync(path, 'utf8')).toBe(before);
    };
    const release = acquireLock(path, undefined, 'this batch', seam);
    expect(String(refused)).toMatch(/another invoice-load run \(pid \d+, started claimant\) is taking over the lock .* to work on this batch/);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(left()).toEqual([]);
    release();
  });

  it('a claim left by a run killed while taking it over does not keep it forever: once that run is gone, the next takes it over', () => {
    const path = join(dir, 'j.lock');
    writeFileSync(path, stale());
    const claimed = killedWhileClaiming(path);
    // A kill leaves the claim (a throw here removed it): put back a claim of a run that is gone.
    writeFileSync(claimed, stale());
    const release = acquireLock(path);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(left()).toEqual([]);
    release();
  });

  it('a claim of a killed run, passed by a run refused for the live claim after it, is kept while the lock may still be there', () => {
    const path = join(dir, 'j.lock');
    const before = stale();
    writeFileSync(path, before);
    const claimed = killedWhileClaiming(path);
    const next = claimed.replace(/\.0\.takeover$/, '.1.takeover');
    writeFileSync(claimed, stale()); // a run killed while taking it over
    writeFileSync(next, live('claimant')); // the live run taking it over after it
    expect(() => acquireLock(path)).toThrow(/started claimant\) is taking over/);
    // Removing the first claim would let a third run claim the lock beside the live claimant.
    expect(readFileSync(claimed, 'utf8')).not.toBe('');
    expect(readFileSync(path, 'utf8')).toBe(before);
  });
});
